"""The image built from the real Dockerfile and run as docker-compose.yml runs it: a one-shot
migrate, the web and a Celery worker, on this machine's PostgreSQL and a redis-server of the
test's own. `make test-containers` (run by .ci/run) starts dockerd and provides the base image
first. Each container is on the host's network and given loopback addresses only: the
services compose renders, with the compose network's addresses replaced and nothing else."""

import concurrent.futures
import contextlib
import json
import re
import subprocess
import uuid
from dataclasses import dataclass

import pytest
import requests

from tests.deployment.test_readme import readme_block
from tests.support.docker_engine import (
    Container,
    ContainerServer,
    build_image,
    command_of,
    compose_services,
    docker,
    image_config,
    rendered_compose,
    require_docker,
)
from tests.support.live_client import (
    auth,
    events_stream,
    page_done,
    read_until,
    stored_page_numbers,
    upload_stream,
)
from tests.support.live_server import ROOT, free_port
from tests.support.pdf_factory import scanned_hindi_book
from tests.support.service_processes import RedisServer, fresh_postgres_database, postgres_query, wait_until
from tests.support.sse_client import events_only, parse_stream, read_messages

pytestmark = pytest.mark.containers

ARTIFACTS = ROOT / "test-artifacts"
SECRET_KEY = "container-tests-secret-key-not-for-production-0123456789"
# What the compose network calls the other services, and the only values the test changes.
COMPOSE_ADDRESSES = ("@postgres:5432/", "redis://redis:6379/", "0.0.0.0:")
APP_USER_ID = "10001"


@pytest.fixture(scope="module")
def image():
    require_docker()
    build = build_image()
    ARTIFACTS.mkdir(exist_ok=True)
    measured = {"tag": build.tag, "build_seconds": round(build.seconds, 1), "size_bytes": build.size_bytes}
    (ARTIFACTS / "container-image.json").write_text(json.dumps(measured))
    return build


@pytest.fixture(scope="module")
def services():
    return compose_services({"DJANGO_SECRET_KEY": SECRET_KEY})


def run_in_container(image: str, *command: str) -> str:
    return docker("run", "--rm", "--network", "host", image, *command).stdout


def test_the_image_holds_the_app_and_nothing_local(image):
    listed = set(run_in_container(image.tag, "ls", "-A", "/app").split())
    stray = run_in_container(
        image.tag, "find", "/app", "-name", "__pycache__", "-print", "-o", "-name", ".*", "-print"
    )

    app = {"audiobooks", "backend", "manage.py", "gunicorn.conf.py", "requirements.txt", "constraints.txt"}
    assert listed == app | {"var"}
    assert stray.split() == []
    assert run_in_container(image.tag, "find", "/app/var").split() == ["/app/var", "/app/var/media"]
    assert image.size_bytes < 900 * 1024 * 1024, f"the image grew to {image.size_bytes / 2**20:.0f} MiB"


def pins(text: str) -> set[str]:
    """`name==version` lines of a requirements file or `pip freeze`, names normalised, extras off."""
    pinned = set()
    for line in text.splitlines():
        if "==" in line and not line.startswith("#"):
            name, _, version = line.strip().partition("==")
            name = re.sub(r"[-_.]+", "-", name.partition("[")[0]).lower()
            pinned.add(f"{name}=={version}")
    return pinned


def test_the_image_has_only_locked_requirements(image):
    locked = pins((ROOT / "constraints.txt").read_text())
    installed = pins(run_in_container(image.tag, "pip", "freeze"))

    # Everything installed is locked; the lock may hold what only another Python needs.
    assert installed <= locked, installed - locked
    assert pins((ROOT / "requirements.txt").read_text()) <= installed


def test_the_image_runs_the_web_as_a_non_root_user_healthy_when_ready(image, services):
    config = image_config(image.tag)

    assert config["User"] == "app"
    assert config["Cmd"] == command_of(services["web"])
    assert "/readyz" in " ".join(config["Healthcheck"]["Test"])
    # compose's web relies on the image's check; the worker has its own (no HTTP server).
    assert "healthcheck" not in services["web"] and "healthcheck" in services["worker"]


# --- compose ------------------------------------------------------------------------------


def test_compose_renders_the_documented_variables_where_they_belong():
    chosen = {
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "POSTGRES_PASSWORD": "pg-pass-2026",
        "DJANGO_ALLOWED_HOSTS": "books.example.org",
        "WEB_CONCURRENCY": "3",
        "OCR_WORKERS": "1",
        "CELERY_WORKER_BOOKS": "2",
        "LOG_LEVEL": "DEBUG",
        "HTTP_PORT": "8080",
    }
    services = compose_services(chosen)
    web, worker = services["web"]["environment"], services["worker"]["environment"]

    assert web["DJANGO_SECRET_KEY"] == worker["DJANGO_SECRET_KEY"] == SECRET_KEY
    assert ":pg-pass-2026@postgres:5432/" in web["DATABASE_URL"] == worker["DATABASE_URL"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "pg-pass-2026"
    assert web["DJANGO_ALLOWED_HOSTS"] == "books.example.org" and web["LOG_LEVEL"] == "DEBUG"
    assert (web["WEB_CONCURRENCY"], worker["OCR_WORKERS"], worker["CELERY_WORKER_BOOKS"]) == ("3", "1", "2")
    assert "8080" in json.dumps(services["nginx"]["ports"])


def test_compose_refuses_to_render_without_a_secret_key():
    rendered = rendered_compose({})

    assert rendered.returncode != 0
    assert "set DJANGO_SECRET_KEY" in rendered.stderr


def test_every_variable_compose_takes_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    taken = set(re.findall(r"\$\{(\w+)", (ROOT / "docker-compose.yml").read_text()))

    assert taken and not {name for name in taken if f"`{name}`" not in readme}


# --- the deployment: migrate, web and worker containers ------------------------------------


@dataclass
class Deployment:
    server: ContainerServer
    migrate: Container
    web: Container
    worker: Container
    migrate_output: str
    database_url: str
    loopback: dict[str, str]
    media_volume: str


def on_loopback(environment: dict, loopback: dict[str, str]) -> dict[str, str]:
    return {name: str(loopback.get(name, value)) for name, value in environment.items()}


def volume_on(volume: str | dict, media_volume: str) -> str:
    """compose's `media` volume (in whichever form the tool renders it) as the test's own."""
    if isinstance(volume, dict):
        source, target = volume["source"], volume["target"]
    else:
        source, target = volume.split(":")[:2]
    assert source == "media", volume
    return f"{media_volume}:{target}"


def start_app_container(role: str, services: dict, deployment_parts: dict, options=()) -> Container:
    service = services[role]
    return Container(
        role=role,
        command=command_of(service),
        env=on_loopback(service["environment"], deployment_parts["loopback"]),
        volumes=[volume_on(volume, deployment_parts["media_volume"]) for volume in service["volumes"]],
        options=options,
    )


def worker_health_options(service: dict) -> list[str]:
    """compose's worker healthcheck, given to `docker run` (compose unescapes `$$` itself)."""
    kind, command = service["healthcheck"]["test"]
    assert kind == "CMD-SHELL"
    return ["--health-cmd", command.replace("$$", "$"), "--health-interval", "2s", "--health-timeout", "20s"]


@pytest.fixture(scope="module")
def deployment(image, services, tmp_path_factory):
    """Torn down in the reverse order of its parts: containers, then the database they use,
    the media volume and redis-server; whatever step fails, nothing is left behind."""
    with contextlib.ExitStack() as teardown:
        redis = RedisServer(tmp_path_factory.mktemp("containers"))
        teardown.callback(redis.stop)
        redis.start()
        media_volume = f"audiobooks-test-media-{uuid.uuid4().hex[:8]}"
        teardown.callback(docker, "volume", "rm", "--force", media_volume, check=False)
        docker("volume", "create", media_volume)
        database_url = teardown.enter_context(fresh_postgres_database())
        web_port = free_port()
        parts = {
            "media_volume": media_volume,
            "loopback": {
                "DATABASE_URL": database_url,
                "CELERY_BROKER_URL": redis.url,
                "GUNICORN_BIND": f"127.0.0.1:{web_port}",
                "WORKER_METRICS_BIND": f"127.0.0.1:{free_port()}",
            },
        }

        def started(role: str, options=()) -> Container:
            container = start_app_container(role, services, parts, options)
            teardown.callback(container.remove)
            return container

        migrate = started("migrate")
        exit_code = int(docker("wait", migrate.name, timeout=300).stdout)
        assert exit_code == 0, migrate.logs()
        web = started("web", options=["--health-interval", "2s"])
        worker = started("worker", options=worker_health_options(services["worker"]))
        server = ContainerServer(f"http://127.0.0.1:{web_port}")
        wait_until(server.answers, timeout=180, what="the web container did not answer")
        yield Deployment(
            server, migrate, web, worker, migrate.logs(), database_url, parts["loopback"], media_volume
        )


def test_migrate_builds_the_schema_in_postgresql(deployment):
    migrations = [path for path in (ROOT / "audiobooks/migrations").glob("0*.py")]
    applied = postgres_query(
        deployment.database_url, "SELECT count(*) FROM django_migrations WHERE app = 'audiobooks'"
    )

    assert "Applying audiobooks.0001_initial... OK" in deployment.migrate_output
    assert applied == [(len(migrations),)]


def test_the_web_container_turns_healthy_with_every_readiness_check_passed(deployment):
    deployment.web.wait_healthy()
    ready = requests.get(f"{deployment.server.url}/readyz", timeout=30)

    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert {"database", "broker"} <= checks.keys()
    assert all(check["ok"] for check in checks.values()), checks


def test_the_worker_container_turns_healthy_by_composes_ping(deployment):
    deployment.worker.wait_healthy()

    assert "celery@" in deployment.worker.logs() and " ready." in deployment.worker.logs()


def test_every_container_process_runs_as_the_app_user(deployment):
    for container in (deployment.web, deployment.worker):
        status = container.exec("cat", "/proc/1/status").splitlines()
        pid_1_ids = next(line for line in status if line.startswith("Uid:")).split()[1:]

        assert pid_1_ids == [APP_USER_ID] * 4, container.name
        assert container.exec("id", "-un").strip() == "app"


def test_the_containers_ran_what_compose_defines(deployment, services):
    containers = (deployment.migrate, deployment.web, deployment.worker)
    assert [container.role for container in containers] == ["migrate", "web", "worker"]
    for container in containers:
        service = services[container.role]
        ran = container.inspect()
        env = dict(line.split("=", 1) for line in ran["Config"]["Env"])

        assert ran["Config"]["Cmd"] == command_of(service)
        for name, value in service["environment"].items():
            if name in deployment.loopback:
                assert any(address in str(value) for address in COMPOSE_ADDRESSES), (name, value)
                assert env[name] == deployment.loopback[name]
            else:
                assert env[name] == str(value), name
        assert [mount["Destination"] for mount in ran["Mounts"]] == ["/app/var/media"]
        assert ran["HostConfig"]["NetworkMode"] == "host"


def test_the_readmes_curl_upload_is_read_to_completed_by_the_worker_container(deployment, tmp_path):
    token = deployment.server.token("container-reader")
    scanned_hindi_book(tmp_path / "test.pdf", pages=3, lines=8)
    command = readme_block('curl -N -H "Accept: text/event-stream"')
    command = command.replace("YOUR_TOKEN", token).replace("http://localhost:8000", deployment.server.url)
    result = subprocess.run(["bash", "-c", command], cwd=tmp_path, capture_output=True, timeout=300)

    assert result.returncode == 0, result.stderr
    events = events_only(parse_stream(result.stdout))
    kinds = [event.event for event in events]
    assert kinds[0] == "status" and kinds.count("processing_started") == 1
    completed = events[-1]
    assert completed.event == "completed", completed.data
    assert (completed.data["total_pages"], completed.data["pages_ocr"]) == (3, 3)
    first_page = f"{deployment.server.url}/api/books/{completed.data['book_id']}/pages/1/"
    page = requests.get(first_page, headers=auth(token), timeout=10).json()
    assert any("\u0900" <= character <= "\u097f" for character in page["text_content"])
    assert "audiobooks.run_book[" in deployment.worker.logs()
    assert "audiobooks.run_book[" not in deployment.web.logs()


def test_docker_stop_ends_the_stream_with_the_re_attach_comment_and_the_worker_finishes(
    deployment, services, tmp_path
):
    server = deployment.server
    token = server.token("stopped-reader")
    pdf = scanned_hindi_book(tmp_path / "long.pdf", pages=12, lines=8)
    grace_seconds = int(services["web"]["stop_grace_period"].removesuffix("s"))
    assert grace_seconds > 30, "compose stops the web sooner than gunicorn's graceful timeout"

    with upload_stream(server, token, pdf, title="Rukavat") as response:
        messages = read_messages(response.iter_content(chunk_size=None))
        before = [next(messages)]
        while not page_done(before[-1]):
            before.append(next(messages))
        # The book cannot end while the web stops, however fast this machine reads it.
        docker("pause", deployment.worker.name)
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            stopping = pool.submit(
                docker, "stop", "--time", str(grace_seconds), deployment.web.name, timeout=120
            )
            after = list(messages)
            stopping.result()
    docker("unpause", deployment.worker.name)

    assert "server shutting down; re-attach with Last-Event-ID" in after[-1].comments
    state = deployment.web.inspect()["State"]
    assert (state["Status"], state["ExitCode"]) == ("exited", 0)
    book_id = before[-1].data["book_id"]
    last_seen = max(message.id for message in before + after if message.id is not None)

    docker("start", deployment.web.name)
    wait_until(server.answers, timeout=180, what="the restarted web container did not answer")
    with events_stream(server, token, book_id, last_event_id=last_seen, timeout=300) as replay:
        rest = events_only(read_until(replay, lambda message: message.event in ("completed", "error")))

    assert rest[-1].event == "completed", rest[-1].data
    assert stored_page_numbers(server, token, book_id) == list(range(1, 13))
