"""Real PostgreSQL, Redis, Celery worker and nginx processes for the scale-out tests.

A test that needs a service it cannot reach is skipped with the reason, and the run's
summary lists it (see conftest.py). With REQUIRE_SERVICES=1 (as `.ci/run` sets) it fails
instead: in CI a skipped service test would hide a broken deployment.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support.live_server import ROOT, free_port

SKIP_PREFIX = "needs "
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
# What `celery -A backend worker` runs with in docker-compose.yml and `make worker`.
CELERY_WORKER_ARGS = ["-A", "backend", "worker", "--loglevel", "INFO"]


def unavailable(service: str, why: str):
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{service} is required (REQUIRE_SERVICES=1) but {why}", pytrace=False)
    pytest.skip(f"{SKIP_PREFIX}{service}: {why}")


def wait_until(check, *, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise TimeoutError(f"{what} within {timeout} s\n{tail}")


def stop_process_group(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- PostgreSQL ---------------------------------------------------------------------------


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database on the PostgreSQL server; yields its URL and drops it after."""
    import psycopg

    try:
        admin = psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        reason = str(exc).splitlines()[0]
        unavailable("PostgreSQL", f"cannot connect to {POSTGRES_ADMIN_URL} ({reason}); set TEST_POSTGRES_URL")
    name = f"audiobooks_test_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield re.sub(r"/[^/]*$", f"/{name}", POSTGRES_ADMIN_URL)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_query(url: str, sql: str, *params) -> list[tuple]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


# --- Redis --------------------------------------------------------------------------------


class RedisServer:
    """A redis-server of the test's own on a free port, so it can be stopped and restarted
    without touching anyone else's. Keeps nothing on disk, like the machine's."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            unavailable("Redis", "redis-server is not installed (apt-get install redis-server)")
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.workdir)]
        log = (self.workdir / "redis.log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(self.answers, timeout=10, what="redis-server did not answer")

    def answers(self) -> bool:
        import redis

        try:
            return redis.Redis.from_url(self.url, socket_timeout=1).ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop_process_group(self.process)


# --- Celery worker ------------------------------------------------------------------------


class CeleryWorker:
    """`celery worker` with the given environment, logging to `workdir`; waited for until it
    says it is ready, unless `wait_ready` is False."""

    def __init__(self, name: str, env: dict, workdir: Path, *, wait_ready: bool = True) -> None:
        self.name = name
        self.log_path = workdir / f"worker-{name}.log"
        command = [sys.executable, "-m", "celery", *CELERY_WORKER_ARGS, "--hostname", f"{name}@%h"]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if wait_ready:
            wait_until(
                lambda: " ready." in self.log(),
                timeout=60,
                what=f"worker {name} not ready",
                log=self.log_path,
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """kill -9, as a crash or an OOM kill would."""
        stop_process_group(self.process, signal.SIGKILL)

    def stop(self) -> None:
        stop_process_group(self.process)


# --- nginx --------------------------------------------------------------------------------

NGINX_TEMPLATE = ROOT / "nginx" / "templates" / "default.conf.template"


def render_nginx_template(values: dict[str, str]) -> str:
    """envsubst as the official nginx image runs it: only the named variables."""
    return re.sub(r"\$\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), NGINX_TEMPLATE.read_text())


class Nginx:
    """Debian's nginx, on loopback, serving the site template in front of `backend_addr`."""

    def __init__(self, workdir: Path, *, backend_addr: str) -> None:
        binary = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
        if binary is None:
            unavailable("nginx", "nginx is not installed (apt-get install nginx)")
        self.port = free_port()
        self.workdir = workdir
        (workdir / "site.conf").write_text(
            render_nginx_template({"BACKEND_ADDR": backend_addr, "NGINX_PORT": f"127.0.0.1:{self.port}"})
        )
        temp_paths = "\n".join(
            f"  {kind}_temp_path {workdir / kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        (workdir / "nginx.conf").write_text(
            ("user root;\n" if os.geteuid() == 0 else "")
            + f"worker_processes 1;\ndaemon off;\npid {workdir / 'nginx.pid'};\n"
            + f"error_log {workdir / 'error.log'} warn;\nevents {{ worker_connections 256; }}\n"
            + f"http {{\n  access_log {workdir / 'access.log'};\n{temp_paths}\n"
            + f"  include {workdir / 'site.conf'};\n}}\n"
        )
        self.process = subprocess.Popen(
            [binary, "-p", str(workdir), "-c", str(workdir / "nginx.conf")],
            stdout=(workdir / "nginx.out").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(self._listening, timeout=10, what="nginx did not listen", log=workdir / "error.log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _listening(self) -> bool:
        import socket

        if self.process.poll() is not None:
            raise RuntimeError((self.workdir / "nginx.out").read_text())
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        stop_process_group(self.process)
