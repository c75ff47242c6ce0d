"""The docker CLI against the machine's engine, for the container tests
(tests/deployment/test_containers.py): the image built from the real Dockerfile, and its
containers run on the host's network, on loopback addresses only."""

import json
import shlex
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass

import requests
import yaml

from tests.support.live_server import ROOT, reader_token
from tests.support.service_processes import unavailable, wait_until

IMAGE = "audiobooks-backend:test"


def docker(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        said = result.stderr[-3000:]
        raise AssertionError(f"docker {shlex.join(args)} exited {result.returncode}:\n{said}")
    return result


def require_docker() -> None:
    """Docker here and its engine answering, or the test is unavailable (a failure in CI)."""
    if not shutil.which("docker"):
        unavailable("Docker", "the docker client is missing (make test-containers installs docker.io)")
    answer = docker("info", "--format", "{{.ServerVersion}}", timeout=30, check=False)
    if answer.returncode != 0:
        said = answer.stderr.strip()[:200]
        unavailable("Docker", f"no engine answers ({said}); make test-containers starts one")


@dataclass(frozen=True)
class ImageBuild:
    tag: str
    seconds: float
    size_bytes: int


def build_image(tag: str = IMAGE) -> ImageBuild:
    """`docker build` of the repository's Dockerfile, as a reader would run it."""
    previous = docker("image", "inspect", "--format", "{{.Id}}", tag, check=False).stdout.strip()
    started = time.monotonic()
    docker("build", "--network", "host", "--tag", tag, str(ROOT), timeout=1800)
    seconds = time.monotonic() - started
    if previous and previous != docker("image", "inspect", "--format", "{{.Id}}", tag).stdout.strip():
        docker("image", "rm", previous, check=False)  # each run's build would otherwise stay on disk
    size = int(docker("image", "inspect", "--format", "{{.Size}}", tag).stdout)
    return ImageBuild(tag, seconds, size)


def image_config(tag: str) -> dict:
    return json.loads(docker("image", "inspect", "--format", "{{json .Config}}", tag).stdout)


def rendered_compose(env: dict[str, str]) -> subprocess.CompletedProcess:
    """docker-compose.yml as the compose tool itself renders it with `env` (and an empty env
    file, so no .env of the checkout's takes part)."""
    if not shutil.which("docker-compose"):
        unavailable("docker-compose", "it is missing (make test-containers installs Debian's docker-compose)")
    with tempfile.NamedTemporaryFile(suffix=".env") as no_variables:
        return subprocess.run(
            [
                "docker-compose",
                "--file",
                str(ROOT / "docker-compose.yml"),
                "--env-file",
                no_variables.name,
                "config",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PATH": "/usr/local/bin:/usr/bin:/bin", **env},
        )


def compose_services(env: dict[str, str]) -> dict:
    rendered = rendered_compose(env)
    assert rendered.returncode == 0, rendered.stderr
    return yaml.safe_load(rendered.stdout)["services"]


def command_of(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else list(command)


class Container:
    """A container of IMAGE on the host's network, started detached."""

    def __init__(self, *, role: str, command: list[str], env: dict[str, str], volumes: list[str], options=()):
        self.role = role
        self.name = f"audiobooks-test-{role}-{uuid.uuid4().hex[:8]}"
        self.command, self.env, self.volumes = command, env, volumes
        arguments = ["run", "--detach", "--name", self.name, "--network", "host", *options]
        for key, value in env.items():
            arguments += ["--env", f"{key}={value}"]
        for volume in volumes:
            arguments += ["--volume", volume]
        try:
            docker(*arguments, IMAGE, *command)
        except AssertionError:
            self.remove()  # created but not started
            raise

    def inspect(self) -> dict:
        return json.loads(docker("inspect", "--format", "{{json .}}", self.name).stdout)

    def health(self) -> str:
        state = self.inspect()["State"]
        return (state.get("Health") or {}).get("Status", "none")

    def wait_healthy(self, *, timeout: float = 180) -> None:
        wait_until(lambda: self.health() == "healthy", timeout=timeout, what=f"{self.name} not healthy")

    def logs(self) -> str:
        result = docker("logs", self.name, check=False)
        return result.stdout + result.stderr

    def status(self) -> str:
        return self.inspect()["State"]["Status"]

    def exec(self, *command: str) -> str:
        return docker("exec", self.name, *command).stdout

    def remove(self) -> None:
        docker("rm", "--force", "--volumes", self.name, check=False)


@dataclass(frozen=True)
class ContainerServer:
    """The web container as the live-server helpers see a server: its URL and a reader's token."""

    url: str

    def token(self, username: str) -> str:
        return reader_token(self.url, username)

    def answers(self) -> bool:
        try:
            return requests.get(f"{self.url}/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            return False
