"""`make bench BOOKS=streams`: what the server adds to a book beyond its extraction, and
what its followers cost.

A 300-page digital book (a text layer on every page) uploaded to a real server (`make
run`'s shape: gunicorn, one gevent worker, SQLite) over `POST /api/books/upload-sse/`,
timed from the request to the `completed` event, against the engine alone extracting the
same PDF in this process (the baseline, same run). Run three times each; medians.
"""

import json
import os
import re
import selectors
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

from audiobooks.extraction.page_extraction import extract_pages, options_for_book
from tests.support.live_client import upload_stream, worker_pid
from tests.support.live_server import start_server, stop_server
from tests.support.narration_books import typeset, write_pdf
from tests.support.pdf_factory import scanned_hindi_book
from tests.support.sse_client import events_only, parse_stream

RUNS = 3
TARGET_SECONDS = 1.5


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


def run() -> list[str]:
    with tempfile.TemporaryDirectory() as folder:
        book = typeset(title="Tales of Water", devanagari=False, chapters=20, paragraphs=32)
        pdf = write_pdf(book, Path(folder) / "digital-300.pdf", scanned=False)
        pages = len(book.pages)
        alone = [engine_alone(pdf, pages) for _ in range(RUNS)]
        server = start_server(Path(folder) / "server")
        try:
            token = server.token("bench-streams")
            served = [through_the_server(server, token, pdf, pages) for _ in range(RUNS)]
        finally:
            stop_server(server.process)
        followers = followers_report(Path(folder))
    engine_s, server_s = statistics.median(alone), statistics.median(served)
    return followers + [
        "## Streams: a digital book through the server",
        "",
        "| run | seconds (median of 3) | per page | ratio |",
        "|---|---|---|---|",
        f"| engine alone, {pages} pages | {engine_s:.2f} | {engine_s / pages * 1000:.1f} ms | 1.00× |",
        f"| upload → `completed` through the server | {server_s:.2f} | {server_s / pages * 1000:.1f} ms "
        f"| {server_s / engine_s:.2f}× |",
        "",
        "| target | met | measured |",
        "|---|---|---|",
        f"| a {pages}-page digital book end to end ≤ {TARGET_SECONDS} s | "
        f"{'yes' if server_s <= TARGET_SECONDS else 'NO'} | {server_s:.2f} s |",
        "",
    ]


class Followers:
    """`count` streams of one book's events (`GET /api/books/{id}/events/`) on raw sockets,
    read by one thread with a selector: when each event id reached each follower."""

    def __init__(self, url: str, token: str, book_id: int, count: int) -> None:
        host, port = url.removeprefix("http://").split(":")
        request = (
            f"GET /api/books/{book_id}/events/ HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        ).encode()
        self.selector = selectors.DefaultSelector()
        self.arrivals: list[dict[int, float]] = []
        self.answered: list[float] = []  # when each stream's first bytes came
        for _ in range(count):
            sock = socket.create_connection((host, int(port)))
            sock.sendall(request)
            sock.setblocking(False)
            self.arrivals.append({})
            self.answered.append(float("inf"))
            self.selector.register(sock, selectors.EVENT_READ, (len(self.arrivals) - 1, bytearray()))

    def read_until_closed(self, deadline: float) -> None:
        while self.selector.get_map() and time.monotonic() < deadline:
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


def cpu_seconds(pid: int) -> float:
    """CPU the process and its finished children (tesseract, pdftoppm, the PDF reader) used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(field) for field in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def one_book(server, token: str, pdf: Path, followers: int) -> dict:
    """Upload `pdf` over the streaming endpoint and, once its id is known, `followers`
    streams of it; when each event reached the uploader and each follower."""
    pid = worker_pid(server)
    cpu_before, started = cpu_seconds(pid), time.monotonic()
    response = upload_stream(server, token, pdf, language="hindi")
    uploader: dict[int, float] = {}
    crowd = None
    for line in response.iter_lines():
        if line.startswith(b"id: "):
            uploader[int(line[4:])] = time.monotonic()
        if line.startswith(b"data: ") and b'"book_id"' in line and crowd is None:
            book_id = json.loads(line[6:])["book_id"]
            crowd = Followers(server.url, token, book_id, followers) if followers else None
            if crowd:
                reader = threading.Thread(target=crowd.read_until_closed, args=(time.monotonic() + 600,))
                reader.start()
    elapsed = time.monotonic() - started
    if crowd:
        reader.join()
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
        "cpu": cpu_seconds(pid) - cpu_before,
        "answered": connected - started if crowd else 0.0,
        "delays": delays,
        "missing": missing,
    }


FOLLOWER_COUNTS = (0, 200, 1000)


def followers_report(folder: Path) -> list[str]:
    """A 6-page scanned Hindi book alone, then with 200 and 1000 followers (one gevent worker):
    the book's time from upload to `completed`, the worker's CPU with its children's, and
    how long after the first stream to get an event every other stream got it."""
    pdf = scanned_hindi_book(folder / "six.pdf", pages=6, lines=8)
    server = start_server(folder / "followers", STREAMS_PER_USER="2000", GUNICORN_WORKER_CONNECTIONS="3000")
    try:
        token = server.token("bench-followers")
        runs = {count: one_book(server, token, pdf, count) for count in FOLLOWER_COUNTS}
    finally:
        stop_server(server.process)
    alone = runs[0]
    rows = []
    for count, run in runs.items():
        delays = sorted(run["delays"]) or [0.0]
        rows.append(
            f"| {count} | {run['seconds']:.1f} s ({run['seconds'] / alone['seconds']:.2f}×) "
            f"| {run['cpu']:.1f} s ({run['cpu'] / alone['cpu']:.2f}×) "
            f"| {run['answered']:.1f} s | {statistics.median(delays) * 1000:.0f} ms "
            f"| {delays[int(len(delays) * 0.99)] * 1000:.0f} ms | {run['missing']} |"
        )
    crowd = runs[FOLLOWER_COUNTS[-1]]
    delays = sorted(crowd["delays"]) or [0.0]
    median, p99 = statistics.median(delays), delays[int(len(delays) * 0.99)]
    checks = [
        ("every event delivered", crowd["missing"] == 0, f"{crowd['missing']} missed"),
        ("median delay ≤ 100 ms", median <= 0.1, f"{median * 1000:.0f} ms"),
        ("p99 delay ≤ 500 ms", p99 <= 0.5, f"{p99 * 1000:.0f} ms"),
        (
            "book time ≤ 1.15× alone",
            crowd["seconds"] <= 1.15 * alone["seconds"],
            f"{crowd['seconds'] / alone['seconds']:.2f}×",
        ),
        (
            "server CPU ≤ 1.15× alone",
            crowd["cpu"] <= 1.15 * alone["cpu"],
            f"{crowd['cpu'] / alone['cpu']:.2f}×",
        ),
    ]
    return [
        "## Streams: followers of one book being read",
        "",
        "| followers | book time (vs alone) | server CPU (vs alone) | every stream answered "
        "| delay median | delay p99 | events missed |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"| target ({FOLLOWER_COUNTS[-1]} followers) | met | measured |",
        "|---|---|---|",
        *(f"| {name} | {'yes' if ok else 'NO'} | {value} |" for name, ok, value in checks),
        "",
    ]
