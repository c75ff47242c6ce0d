"""How a gunicorn server boots with `gunicorn.conf.py`: warm before its first request, and a
control socket of its own, so that servers on one machine never share or delete another's."""

import subprocess
import sys
import time

import pytest
import requests
from gunicorn.ctl.client import ControlClient, ControlClientError

from tests.support.live_server import ROOT, start_server, stop_server

pytestmark = pytest.mark.server


def resolved_config(**env: str) -> dict[str, str]:
    """gunicorn's own reading of gunicorn.conf.py under `env`."""
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--print-config", "backend.wsgi"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SECRET_KEY": "print-config-only", **env},
        capture_output=True,
        text=True,
        check=True,
    )
    pairs = (line.split(" = ", 1) for line in result.stdout.splitlines() if " = " in line)
    return {name.strip(): value.strip() for name, value in pairs}


def test_the_control_socket_is_named_after_the_bind_address_in_the_var_folder(tmp_path):
    config = resolved_config(APP_VAR_DIR=str(tmp_path), GUNICORN_BIND="127.0.0.1:8123")

    assert config["control_socket"] == str(tmp_path / "run" / "gunicorn-127.0.0.1_8123.ctl")
    assert config["control_socket_disable"] == "False"


def test_the_server_listens_on_loopback_unless_told_otherwise():
    assert resolved_config()["bind"] == "['127.0.0.1:8000']"
    assert resolved_config(PORT="9000")["bind"] == "['127.0.0.1:9000']"
    assert resolved_config(GUNICORN_BIND="0.0.0.0:8000")["bind"] == "['0.0.0.0:8000']"


def test_the_control_socket_can_be_placed_or_turned_off(tmp_path):
    placed = resolved_config(GUNICORN_CONTROL_SOCKET=str(tmp_path / "web.ctl"))
    off = resolved_config(GUNICORN_CONTROL_SOCKET="off")

    assert placed["control_socket"] == str(tmp_path / "web.ctl")
    assert off["control_socket_disable"] == "True"


def control_socket_of(server) -> str:
    port = server.url.rsplit(":", 1)[1]
    return str(server.workdir / "var" / "run" / f"gunicorn-127.0.0.1_{port}.ctl")


def listening_on(socket_path: str) -> list[str]:
    with ControlClient(socket_path, timeout=30) as client:
        return [listener["address"] for listener in client.send_command("show listeners")["listeners"]]


def test_two_servers_each_answer_on_their_own_control_socket_and_outlive_each_other(tmp_path):
    first = start_server(tmp_path / "first")
    second = start_server(tmp_path / "second")
    try:
        assert listening_on(control_socket_of(first)) == [first.url]
        assert listening_on(control_socket_of(second)) == [second.url]

        stop_server(first.process)

        assert listening_on(control_socket_of(second)) == [second.url]
        with pytest.raises(ControlClientError):
            listening_on(control_socket_of(first))
    finally:
        stop_server(first.process)
        stop_server(second.process)


def test_a_worker_has_answered_a_request_through_the_whole_app_before_it_takes_real_ones(tmp_path):
    live = start_server(tmp_path / "warm")
    try:
        # The access log line is written after the answer went out: wait for it.
        deadline = time.monotonic() + 30
        while "GET /api/books/" not in live.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        log = live.log()
    finally:
        stop_server(live.process)

    ready = log.index("ready: warm-up request answered 401")
    assert ready < log.index("GET /api/books/"), "the worker took a request before its warm-up"


def test_a_started_server_is_ready_and_says_so_check_by_check(tmp_path):
    live = start_server(tmp_path / "ready")
    try:
        alive = requests.get(f"{live.url}/healthz", timeout=30)
        ready = requests.get(f"{live.url}/readyz", timeout=30)
    finally:
        stop_server(live.process)

    assert alive.status_code == 200
    assert ready.status_code == 200, ready.text
    assert set(ready.json()["checks"]) == {"database", "storage", "tesseract", "pdftoppm"}
