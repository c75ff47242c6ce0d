"""A real gunicorn + gevent server process on loopback, the way `make run` serves."""

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
# The test server's heartbeat: short, so ping tests are quick.
LIVE_HEARTBEAT_SECONDS = 1.0
# How long a test server may take to give its first answer: generous, for a slow or busy machine.
SERVER_START_SECONDS = 120


READER_PASSWORD = "kitaab-padhna-2026"


def reader_token(url: str, username: str, password: str = READER_PASSWORD) -> str:
    """An access token of the server's reader `username`, signed up first if new."""
    form = {"username": username, "password": password}
    requests.post(f"{url}/api/auth/register/", data=form, timeout=10)
    response = requests.post(f"{url}/api/auth/token/", data=form, timeout=10)
    response.raise_for_status()
    return response.json()["access"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen
    workdir: Path
    env: dict

    @property
    def log_path(self) -> Path:
        return self.workdir / "server.log"

    @property
    def upload_tmp(self) -> Path:
        return self.workdir / "upload-tmp"

    def token(self, username: str, password: str = READER_PASSWORD) -> str:
        return reader_token(self.url, username, password)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def prepare_server(workdir: Path, **env_overrides: str) -> dict:
    """The environment of a server on `workdir` and a free port, its database migrated."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "live-server-tests-secret-key-not-for-production",
        "SQLITE_PATH": str(workdir / "db.sqlite3"),
        "MEDIA_ROOT": str(workdir / "media"),
        "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
        # Its own var/: gunicorn's control socket among the rest (see gunicorn.conf.py).
        "APP_VAR_DIR": str(workdir / "var"),
        "FILE_UPLOAD_TEMP_DIR": str(workdir / "upload-tmp"),
        "AUTH_RATE": "1000/minute",
        "REGISTER_RATE": "1000/minute",
        "BOOK_UPLOAD_RATE": "1000/hour",
        # Many books and streams for one test user; tests of these limits set their own.
        "BOOKS_IN_FLIGHT_PER_USER": "100",
        "PAGES_PER_USER_PER_DAY": "1000000",
        "STREAMS_PER_USER": "1000",
        **env_overrides,
    }
    (workdir / "upload-tmp").mkdir(exist_ok=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    return env


def spawn_server(workdir: Path, env: dict, wsgi_app: str = "backend.wsgi") -> subprocess.Popen:
    """gunicorn as `make run` starts it, logging to `workdir`/server.log; not waited for.
    A bench may serve another WSGI module in front of the app (bench/stream_floor.py)."""
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", wsgi_app],
        cwd=ROOT,
        env=env,
        stdout=(workdir / "server.log").open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def start_server(workdir: Path, *, wsgi_app: str = "backend.wsgi", **env_overrides: str) -> LiveServer:
    """Migrate the database in `workdir` and serve it; the same folder serves again after a crash."""
    env = prepare_server(workdir, **env_overrides)
    process = spawn_server(workdir, env, wsgi_app)
    log_path = workdir / "server.log"
    url = f"http://{env['GUNICORN_BIND']}"
    # However slow this machine: the socket may accept before a worker has booted, and a
    # busy machine may take many seconds over the first answer. Any failed try is retried
    # until the deadline; only an exited server gives up early.
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log_path.read_text()}")
        try:
            requests.get(f"{url}/api/books/", timeout=max(1.0, deadline - time.monotonic()))
            return LiveServer(url, process, workdir, env)
        except requests.RequestException:
            time.sleep(0.2)
    stop_server(process)
    raise RuntimeError(f"server did not answer within {SERVER_START_SECONDS} s: {log_path.read_text()}")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def kill_server(process: subprocess.Popen) -> None:
    """kill -9 the server and its workers and children, as a crash would."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
