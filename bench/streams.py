"""`make bench BOOKS=streams`: what the server adds to a book beyond its extraction, and
what its streams cost, on two deployments:

- embedded: `make run`'s shape (gunicorn, one gevent worker, SQLite, books in the web process);
- scale-out: two gevent web workers on PostgreSQL, books on a Celery worker through Redis,
  streams woken through Redis pub/sub (the machine's PostgreSQL and a redis-server of its own).

Scenarios: a 300-page digital book (a text layer on every page) uploaded over `POST
/api/books/upload-sse/`, timed from the request to `completed`, against the engine alone
on the same PDF in this process (medians of three); the 12-page scanned Hindi book alone
and with 200 and 1000 followers, then the pair alone / 1000 three times, and the same pairs on
the floor: the same deployment with its streams answered by a bare WSGI app in front of the
app (bench/stream_floor.py); 1000 idle streams (books waiting for a worker). First, one
stream's wake in a worker's process against a bare gevent wake (bench/stream_wakes.py).
"""

import contextlib
import json
import os
import re
import selectors
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from audiobooks.extraction.page_extraction import extract_pages, options_for_book
from bench.books import BOOKS, materialize
from tests.support.live_client import auth, upload_in_background, upload_stream
from tests.support.live_server import ROOT, start_server, stop_server
from tests.support.narration_books import typeset, write_pdf
from tests.support.service_processes import CeleryWorker, RedisServer, fresh_postgres_database
from tests.support.sse_client import events_only, parse_stream

RUNS = 3
TARGET_SECONDS = 1.5
FOLLOWER_COUNTS = (0, 200, 1000)
CROWD = FOLLOWER_COUNTS[-1]
# Book time and CPU with CROWD followers against alone vary by a tenth or more from one pair
# of runs to the next here: the targets are judged on the median of PAIRS pairs.
PAIRS = 3
APP, FLOOR = "backend.wsgi", "bench.stream_floor"
IDLE_STREAMS = 1000
IDLE_WINDOW_SECONDS = 20.0
# What a thousand streams of one reader need (books are owner-only, so followers are the owner's).
MANY_STREAMS = {"STREAMS_PER_USER": "2000", "GUNICORN_WORKER_CONNECTIONS": "3000"}


def engine_alone(pdf: Path, pages: int) -> float:
    started = time.perf_counter()
    results = extract_pages(pdf, pages=range(1, pages + 1), options=options_for_book("english"))
    elapsed = time.perf_counter() - started
    assert len(results) == pages and all(result.method == "text" for result in results)
    return elapsed


def through_the_server(server, token: str, pdf: Path, pages: int) -> float:
    started = time.perf_counter()
    response = upload_stream(server, token, pdf, language="english")
    stream = events_only(parse_stream(response.content))
    elapsed = time.perf_counter() - started
    assert stream[-1].event == "completed" and stream[-1].data["pages_text"] == pages, stream[-1]
    return elapsed


class Deployment:
    """A running server and the processes whose CPU is the server's: the gunicorn workers,
    and the Celery worker when books run there (each with its finished children: tesseract,
    pdftoppm, the PDF reader).

    `waiting_books()` gives a server of the same stream settings on which uploaded books wait
    for a worker (for the idle streams); `book_workers()` starts the Celery worker, if any."""

    def __init__(self, name: str, server, waiting_books, start_book_worker=None) -> None:
        self.name, self.server = name, server
        self.waiting_books, self._start_book_worker = waiting_books, start_book_worker
        self.book_worker_pids: list[int] = []

    def book_workers(self) -> None:
        if self._start_book_worker and not self.book_worker_pids:
            self.book_worker_pids.append(self._start_book_worker())

    def pids(self) -> list[int]:
        return web_worker_pids(self.server) + self.book_worker_pids


def web_worker_pids(server) -> list[int]:
    master = server.process.pid
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


@contextlib.contextmanager
def running(server):
    try:
        yield server
    finally:
        stop_server(server.process)


@contextlib.contextmanager
def embedded(folder: Path, redis_url: str, wsgi_app: str = APP):
    def waiting_books():
        # Books in the web process start at once; queued on a broker nobody reads, they wait,
        # and with no Redis wake-up the streams run on the embedded settings (poll every 1 s).
        return running(
            start_server(
                folder / "embedded-idle",
                CELERY_BROKER_URL=redis_url,
                EVENTS_REDIS_URL="",
                SSE_POLL_SECONDS="1",
                **MANY_STREAMS,
            )
        )

    with running(start_server(folder / f"embedded-{wsgi_app}", wsgi_app=wsgi_app, **MANY_STREAMS)) as server:
        yield Deployment("embedded (1 web worker, SQLite, books in the web process)", server, waiting_books)


@contextlib.contextmanager
def scale_out(folder: Path, redis_url: str, wsgi_app: str = APP):
    workers: list[CeleryWorker] = []
    with fresh_postgres_database() as database_url:
        server = start_server(
            folder / f"scale-out-{wsgi_app}",
            wsgi_app=wsgi_app,
            DATABASE_URL=database_url,
            CELERY_BROKER_URL=redis_url,
            WEB_CONCURRENCY="2",
            **MANY_STREAMS,
        )

        def start_book_worker() -> int:
            workers.append(CeleryWorker("bench", server.env, server.workdir))
            return workers[-1].process.pid

        try:
            # Before the Celery worker starts, its books wait.
            yield Deployment(
                "scale-out (2 web workers, PostgreSQL, Celery + Redis)",
                server,
                lambda: contextlib.nullcontext(server),
                start_book_worker,
            )
        finally:
            for worker in workers:
                worker.stop()
            stop_server(server.process)


def wakes_report() -> list[str]:
    """One stream's wake in a worker's process against a bare gevent wake (bench/stream_wakes.py)."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "wakes.json"
        subprocess.run([sys.executable, "-m", "bench.stream_wakes", str(out)], cwd=ROOT, check=True)
        wakes = json.loads(out.read_text())
    return [
        "## Streams: one wake, in process",
        "",
        f"{wakes['streams']} streams of one book in one gevent process, {wakes['events']} events published "
        "one at a time: CPU per event per stream (what `GET /api/books/{id}/events/` runs, without its "
        "socket), beside a bare gevent wake (an Event waited on with a timeout):",
        "",
        "| wake | CPU per event per stream | vs bare |",
        "|---|---|---|",
        f"| bare gevent Event | {wakes['bare_us']:.1f} µs | 1.00× |",
        f"| a stream (follow_events + encode_stream) | {wakes['stream_us']:.1f} µs "
        f"| {wakes['stream_us'] / wakes['bare_us']:.2f}× |",
        "",
    ]


def run() -> list[str]:
    report = wakes_report()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        book = typeset(title="Tales of Water", devanagari=False, chapters=20, paragraphs=32)
        digital = write_pdf(book, folder / "digital-300.pdf", scanned=False)
        # The book of issue 16's own measurement (and of the Performance section).
        scan = materialize(next(book for book in BOOKS if book.name == "hindi-scanned-12"), folder)
        alone = statistics.median(engine_alone(digital, len(book.pages)) for _ in range(RUNS))
        (folder / "redis").mkdir()
        redis_server = RedisServer(folder / "redis")
        redis_server.start()
        # The floor's deployment queues and announces on a Redis database of its own.
        floor_redis = redis_server.url.removesuffix("/0") + "/1"
        try:
            for deploy in (embedded, scale_out):
                with deploy(folder, redis_server.url) as deployment:
                    token = deployment.server.token("bench-streams")
                    with deployment.waiting_books() as server:
                        idle = idle_streams(server, web_worker_pids(server), server.token("bench-idle"), scan)
                    deployment.book_workers()
                    served = statistics.median(
                        through_the_server(deployment.server, token, digital, len(book.pages))
                        for _ in range(RUNS)
                    )
                    runs = {count: one_book(deployment, token, scan, count) for count in FOLLOWER_COUNTS}
                    pairs = crowd_pairs(deployment, token, scan, PAIRS)  # as the floor's are run
                with deploy(folder, floor_redis, FLOOR) as floor:
                    floor.book_workers()
                    floor_token = floor.server.token("bench-floor")
                    one_book(floor, floor_token, scan, 0)  # warm, as the app's digital books warmed it
                    floor_pairs = crowd_pairs(floor, floor_token, scan, PAIRS)
                report += deployment_report(
                    deployment.name, runs, idle, alone, served, len(book.pages), pairs, floor_pairs
                )
        finally:
            redis_server.stop()
    return report


def crowd_pairs(deployment: Deployment, token: str, pdf: Path, count: int) -> list[tuple[dict, dict]]:
    """`count` times: the book alone, then with CROWD followers."""
    return [
        (one_book(deployment, token, pdf, 0), one_book(deployment, token, pdf, CROWD)) for _ in range(count)
    ]


def median_ratio(pairs: list[tuple[dict, dict]], key: str) -> float:
    return statistics.median(crowd[key] / alone[key] for alone, crowd in pairs)


def ratios(pairs: list[tuple[dict, dict]], key: str) -> str:
    each = ", ".join(f"{crowd[key] / alone[key]:.2f}" for alone, crowd in pairs)
    return f"{median_ratio(pairs, key):.2f}× ({each})"


class Followers:
    """`count` streams of books' events (`GET /api/books/{id}/events/`, the books taken in
    turn) on raw sockets, read by one thread with a selector: when each event id reached
    each follower."""

    def __init__(self, url: str, token: str, book_ids: list[int], count: int) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.selector = selectors.DefaultSelector()
        self.arrivals: list[dict[int, float]] = []
        self.answered: list[float] = []  # when each stream's first bytes came
        self.closing = False
        for index in range(count):
            request = (
                f"GET /api/books/{book_ids[index % len(book_ids)]}/events/ HTTP/1.1\r\nHost: {host}\r\n"
                f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
            ).encode()
            sock = socket.create_connection((host, int(port)))
            sock.sendall(request)
            sock.setblocking(False)
            self.arrivals.append({})
            self.answered.append(float("inf"))
            self.selector.register(sock, selectors.EVENT_READ, (index, bytearray()))

    def close(self) -> None:
        """Ends `read_until_closed` within a second; the streams are closed by it."""
        self.closing = True

    def read_until_closed(self, deadline: float) -> None:
        while self.selector.get_map() and time.monotonic() < deadline and not self.closing:
            for key, _ in self.selector.select(timeout=1):
                index, buffer = key.data
                data = key.fileobj.recv(65536)
                now = time.monotonic()
                if not data:
                    self.selector.unregister(key.fileobj)
                    key.fileobj.close()
                    continue
                self.answered[index] = min(self.answered[index], now)
                buffer += data
                # Chunk sizes may split nothing that matters here: an event's id line is
                # written whole in one chunk, with the rest of its event.
                for seq in re.findall(rb"\nid: (\d+)\n", bytes(buffer)):
                    self.arrivals[index].setdefault(int(seq), now)
                del buffer[: max(0, len(buffer) - 64)]
        for key in list(self.selector.get_map().values()):
            self.selector.unregister(key.fileobj)
            key.fileobj.close()


def cpu_seconds(pids: list[int]) -> float:
    """CPU the processes and their finished children (tesseract, pdftoppm, the PDF reader) used."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += sum(int(field) for field in fields[11:15])
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pids: list[int]) -> float:
    return (
        sum(
            int(re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text()).group(1))
            for pid in pids
        )
        / 1024
    )


def one_book(deployment: Deployment, token: str, pdf: Path, followers: int) -> dict:
    """Upload `pdf` over the streaming endpoint and, once its id is known, `followers`
    streams of it; when each event reached the uploader and each follower."""
    server, pids = deployment.server, deployment.pids()
    cpu_before, client_cpu_before, started = cpu_seconds(pids), time.process_time(), time.monotonic()
    response = upload_stream(server, token, pdf, language="hindi")
    uploader: dict[int, float] = {}
    crowd, last_event = None, b""
    for line in response.iter_lines():
        if line.startswith(b"id: "):
            uploader[int(line[4:])] = time.monotonic()
        if line.startswith((b"event: ", b"data: ")):
            last_event = line if line.startswith(b"event: ") else last_event + b" " + line
        if line.startswith(b"data: ") and b'"book_id"' in line and crowd is None:
            book_id = json.loads(line[6:])["book_id"]
            crowd = Followers(server.url, token, [book_id], followers) if followers else None
            if crowd:
                reader = threading.Thread(target=crowd.read_until_closed, args=(time.monotonic() + 600,))
                reader.start()
    elapsed = time.monotonic() - started
    if crowd:
        reader.join()
    # A book that failed is quick and cheap: its time and CPU would say nothing.
    if not last_event.startswith(b"event: completed"):
        raise RuntimeError(f"the book did not complete with {followers} followers: {last_event[:500]!r}")
    # Each event's delay on each stream: after the first stream that had it (this process
    # reads the uploader and the followers on two threads, so either may see an event first),
    # for the events published once every follower's stream was answered (not replays, nor
    # events that came while the server still had followers' requests to answer).
    connected = max(crowd.answered) if crowd else 0.0
    streams = [uploader, *(crowd.arrivals if crowd else [])]
    first = {seq: min(arrived[seq] for arrived in streams if seq in arrived) for seq in uploader}
    delays = [
        arrived[seq] - first[seq]
        for arrived in streams
        for seq in arrived
        if uploader.get(seq, 0) > connected
    ]
    missing = sum(len(set(uploader) - set(arrived)) for arrived in (crowd.arrivals if crowd else []))
    return {
        "seconds": elapsed,
        "cpu": cpu_seconds(pids) - cpu_before,
        "client_cpu": time.process_time() - client_cpu_before,
        "answered": connected - started if crowd else 0.0,
        "delays": delays,
        "missing": missing,
    }


def idle_streams(server, pids: list[int], token: str, pdf: Path) -> dict:
    """IDLE_STREAMS streams of three books that wait for a worker (the most one reader may
    have in flight), and the web workers' CPU over IDLE_WINDOW_SECONDS without and with them."""
    books = [upload_in_background(server, token, pdf)["id"] for _ in range(3)]
    cpu_before = cpu_seconds(pids)
    time.sleep(IDLE_WINDOW_SECONDS)
    without = cpu_seconds(pids) - cpu_before
    rss_before = rss_mb(pids)
    cpu_before = cpu_seconds(pids)
    crowd = Followers(server.url, token, books, IDLE_STREAMS)
    reader = threading.Thread(target=crowd.read_until_closed, args=(time.monotonic() + 600,))
    reader.start()
    deadline = time.monotonic() + 120
    while max(crowd.answered) == float("inf") and time.monotonic() < deadline:
        time.sleep(0.1)
    opening = cpu_seconds(pids) - cpu_before
    cpu_before = cpu_seconds(pids)
    time.sleep(IDLE_WINDOW_SECONDS)
    with_streams = cpu_seconds(pids) - cpu_before
    rss = rss_mb(pids) - rss_before
    open_streams = len(crowd.selector.get_map())
    crowd.close()
    reader.join()
    for book_id in books:
        requests.post(f"{server.url}/api/books/{book_id}/cancel/", headers=auth(token), timeout=30)
    return {
        "without": without / IDLE_WINDOW_SECONDS,
        "with": with_streams / IDLE_WINDOW_SECONDS,
        "rss_mb": rss,
        "open": open_streams,
        "opening_ms": opening / IDLE_STREAMS * 1000,
    }


def delay_ms(run: dict) -> tuple[str, str]:
    """Median and p99 delay; none when the book ended before every stream was answered."""
    delays = sorted(run["delays"])
    if not delays:
        return ("none (no event after all streams were answered)",) * 2 if run["answered"] else ("0 ms",) * 2
    return f"{statistics.median(delays) * 1000:.0f} ms", f"{delays[int(len(delays) * 0.99)] * 1000:.0f} ms"


def deployment_report(
    name: str,
    runs: dict,
    idle: dict,
    engine_s: float,
    server_s: float,
    pages: int,
    pairs: list[tuple[dict, dict]],
    floor_pairs: list[tuple[dict, dict]],
) -> list[str]:
    alone = runs[0]
    rows = []
    for count, run in runs.items():
        median, p99 = delay_ms(run)
        answered = f"{run['answered']:.1f} s" if run["answered"] < float("inf") else "not all"
        rows.append(
            f"| {count} | {run['seconds']:.1f} s ({run['seconds'] / alone['seconds']:.2f}×) "
            f"| {run['cpu']:.1f} s ({run['cpu'] / alone['cpu']:.2f}×) "
            f"| {run['client_cpu']:.1f} s | {answered} | {median} | {p99} | {run['missing']} |"
        )
    crowd = runs[CROWD]
    median, p99 = delay_ms(crowd)
    delays = sorted(crowd["delays"])
    idle_share = idle["with"] - idle["without"]
    checks = [
        ("every event delivered", crowd["missing"] == 0, f"{crowd['missing']} missed"),
        ("median delay ≤ 100 ms", bool(delays) and statistics.median(delays) <= 0.1, median),
        ("p99 delay ≤ 500 ms", bool(delays) and delays[int(len(delays) * 0.99)] <= 0.5, p99),
        (
            f"book time ≤ 1.15× alone (median of {PAIRS} pairs)",
            median_ratio(pairs, "seconds") <= 1.15,
            ratios(pairs, "seconds"),
        ),
        (
            f"server CPU ≤ 1.15× alone (median of {PAIRS} pairs)",
            median_ratio(pairs, "cpu") <= 1.15,
            ratios(pairs, "cpu"),
        ),
        (
            f"{IDLE_STREAMS} idle streams ≤ 5% of a core",
            idle_share <= 0.05,
            f"{idle_share * 100:.1f}% ({idle['open']} open)",
        ),
        (
            f"a {pages}-page digital book end to end ≤ {TARGET_SECONDS} s",
            server_s <= TARGET_SECONDS,
            f"{server_s:.2f} s",
        ),
    ]
    return [
        f"## Streams: {name}",
        "",
        "Followers of the 12-page scanned Hindi book (book time from upload to `completed`; server CPU "
        "of the web workers and the book worker, with their children):",
        "",
        "| followers | book time (vs alone) | server CPU (vs alone) | this bench's own CPU "
        "| every stream answered | delay median | delay p99 | events missed |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"{IDLE_STREAMS} idle streams of 3 books waiting for a worker, web workers' CPU over "
        f"{IDLE_WINDOW_SECONDS:.0f} s: {idle['without'] * 100:.1f}% of a core without them, "
        f"{idle['with'] * 100:.1f}% with them; memory +{idle['rss_mb']:.0f} MB. Opening them took "
        f"{idle['opening_ms']:.2f} ms of the web workers' CPU per stream.",
        "",
        f"The {pages}-page digital book: engine alone {engine_s:.2f} s; upload → `completed` through the "
        f"server {server_s:.2f} s ({server_s / engine_s:.2f}×; medians of {RUNS}).",
        "",
        "| target | met | measured |",
        "|---|---|---|",
        *(f"| {check} | {'yes' if ok else 'NO'} | {value} |" for check, ok, value in checks),
        "",
        f"The same {PAIRS} pairs (alone, then {CROWD} followers) on the floor: this deployment with "
        "its streams answered by a bare WSGI app in front of the app (bench/stream_floor.py: the "
        "app's feed and bytes, no request path, no authentication). Medians, each pair in brackets:",
        "",
        f"| {CROWD} followers vs alone | the app | the floor |",
        "|---|---|---|",
        f"| book time | {ratios(pairs, 'seconds')} | {ratios(floor_pairs, 'seconds')} |",
        f"| server CPU | {ratios(pairs, 'cpu')} | {ratios(floor_pairs, 'cpu')} |",
        f"| this bench's own CPU | {statistics.median(c['client_cpu'] for _, c in pairs):.2f} s "
        f"| {statistics.median(c['client_cpu'] for _, c in floor_pairs):.2f} s |",
        "",
    ]
