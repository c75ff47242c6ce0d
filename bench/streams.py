"""`make bench BOOKS=streams`: what the server adds to a book beyond its extraction.

A 300-page digital book (a text layer on every page) uploaded to a real server (`make
run`'s shape: gunicorn, one gevent worker, SQLite) over `POST /api/books/upload-sse/`,
timed from the request to the `completed` event, against the engine alone extracting the
same PDF in this process (the baseline, same run). Run three times each; medians.
"""

import statistics
import tempfile
import time
from pathlib import Path

from audiobooks.extraction.page_extraction import ExtractionOptions, extract_pages
from tests.support.live_client import upload_stream
from tests.support.live_server import start_server, stop_server
from tests.support.narration_books import typeset, write_pdf
from tests.support.sse_client import events_only, parse_stream

RUNS = 3
TARGET_SECONDS = 1.5


def engine_alone(pdf: Path, pages: int) -> float:
    started = time.perf_counter()
    results = extract_pages(pdf, pages=range(1, pages + 1), options=ExtractionOptions(language="eng"))
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
    engine_s, server_s = statistics.median(alone), statistics.median(served)
    return [
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
