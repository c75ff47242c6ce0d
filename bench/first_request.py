"""The first request a freshly started server answers, against its second.

Each start is a new gunicorn process run with `gunicorn.conf.py`, as `make run` runs it (and
as the tests' live servers are), on its own SQLite database. Once the worker says it is
ready, the same authenticated `GET /api/books/` is sent twice, each on a new connection,
and both are timed.
"""

import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from tests.support.live_server import ROOT, prepare_server, spawn_server, stop_server

STARTS = 5
READY_LINE = re.compile(r"Worker \d+ ready")
# Made before the server starts, so that the timed request is the server's first.
MINT_TOKEN = (
    "import django; django.setup();"
    "from django.contrib.auth import get_user_model;"
    "from rest_framework_simplejwt.tokens import RefreshToken;"
    "user, _ = get_user_model().objects.get_or_create(username='bench');"
    "print(RefreshToken.for_user(user).access_token)"
)


def timed_get(url: str, token: str) -> float:
    started = time.perf_counter()
    response = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=120)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed


def one_start(workdir: Path) -> tuple[float, float]:
    env = prepare_server(workdir, DJANGO_SETTINGS_MODULE="backend.settings")
    token = subprocess.run(
        [sys.executable, "-c", MINT_TOKEN], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout.strip()
    process = spawn_server(workdir, env)
    log = workdir / "server.log"
    try:
        deadline = time.monotonic() + 120
        while not READY_LINE.search(log.read_text(errors="replace")):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not get ready:\n{log.read_text(errors='replace')}")
            time.sleep(0.05)
        url = f"http://{env['GUNICORN_BIND']}/api/books/"
        return timed_get(url, token), timed_get(url, token)
    finally:
        stop_server(process)


def run(starts: int = STARTS) -> list[str]:
    """The report's lines: the median first and second request over `starts` server starts."""
    firsts, seconds = [], []
    for start in range(starts):
        print(f"first request: server start {start + 1} of {starts}...", flush=True)
        with tempfile.TemporaryDirectory() as workdir:
            first, second = one_start(Path(workdir))
        firsts.append(first)
        seconds.append(second)
    first, second = statistics.median(firsts), statistics.median(seconds)
    return [
        "### first request after a start",
        "",
        f"`GET /api/books/` with a token, on a new connection, right after the worker is ready;"
        f" median of {starts} server starts.",
        "",
        "| | second request | first request | first ÷ second |",
        "|---|---:|---:|---:|",
        f"| ms | {1000 * second:.1f} | {1000 * first:.1f} | {first / second:.2f} |",
        "",
        f"Every start, first request ms: {', '.join(f'{1000 * t:.1f}' for t in firsts)};"
        f" second: {', '.join(f'{1000 * t:.1f}' for t in seconds)}.",
        "",
    ]


if __name__ == "__main__":
    print("\n".join(run(int(sys.argv[1]) if len(sys.argv) > 1 else STARTS)))
