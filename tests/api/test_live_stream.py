"""The stream on a real gunicorn + gevent server: live delivery, heartbeats, disconnects."""

import threading
import time
from datetime import datetime

import pytest
import requests

from tests.support.live_client import (
    assert_live_page_by_page,
    auth,
    page_done,
    read_until,
    stored_page_numbers,
    upload_stream,
    wait_for_book,
)
from tests.support.live_server import LIVE_HEARTBEAT_SECONDS, start_server, stop_server
from tests.support.pdf_factory import build_pdf, english_page, scanned_hindi_book
from tests.support.sse_client import events_only, read_messages

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def scanned_book(tmp_path_factory):
    """Four dense scanned Hindi pages: each takes tesseract a noticeable time."""
    path = tmp_path_factory.mktemp("pdfs") / "four-pages.pdf"
    return scanned_hindi_book(path, pages=4, lines=14)


def stored_times(server, token, book_id) -> dict[int, float]:
    pages = requests.get(f"{server.url}/api/books/{book_id}/pages/", headers=auth(token), timeout=10).json()[
        "results"
    ]
    return {p["page_number"]: datetime.fromisoformat(p["created_at"]).timestamp() for p in pages}


def test_each_page_progress_arrives_as_its_page_is_stored(server, token, scanned_book):
    with upload_stream(server, token, scanned_book, title="Live") as response:
        assert response.status_code == 200
        messages = list(read_messages(response.iter_content(chunk_size=None)))

    stream = events_only(messages)
    assert stream[-1].event == "completed", stream[-1].data
    done = [m for m in stream if m.event == "page_progress" and m.data["current_page"] >= 1]
    assert [m.data["current_page"] for m in done] == [1, 2, 3, 4]
    stored = stored_times(server, token, stream[-1].data["book_id"])
    assert_live_page_by_page([m.arrived for m in done], [stored[m.data["page_number"]] for m in done])


def test_a_waiting_stream_gets_pings_within_the_heartbeat(server, token, scanned_book):
    # With one OCR worker, the third book waits while the other two take their turns in
    # the page pool: nothing to say, so the stream pings.
    earlier = [
        threading.Thread(target=lambda: list(upload_stream(server, token, scanned_book).iter_content(None)))
        for _ in range(2)
    ]
    for upload in earlier:
        upload.start()
        time.sleep(0.3)
    with upload_stream(server, token, scanned_book, title="Third") as response:
        messages = list(read_messages(response.iter_content(chunk_size=None)))
    for upload in earlier:
        upload.join()

    first_page = next(
        i for i, m in enumerate(messages) if m.event == "page_progress" and m.data["current_page"] == 1
    )
    pings = [m for m in messages[:first_page] if m.comments == ["ping"]]
    assert len(pings) >= 1
    gaps = [later.arrived - earlier.arrived for earlier, later in zip(messages, messages[1:], strict=False)]
    # Generous for a busy machine, yet shorter than the other books' pages it waited behind.
    assert max(gaps) < 2.5 * LIVE_HEARTBEAT_SECONDS


def test_dropping_the_stream_does_not_stop_the_book(server, token, scanned_book):
    with upload_stream(server, token, scanned_book, title="Dropped") as response:
        book_id = read_until(response, page_done)[-1].data["book_id"]
    # The connection is closed here, three pages before the end.

    book = wait_for_book(server, token, book_id)

    assert (book["status"], book["pages_done"]) == ("completed", 4)
    assert stored_page_numbers(server, token, book_id) == [1, 2, 3, 4]


def test_a_big_digital_book_does_not_starve_another_stream(tmp_path):
    """Under the gevent worker, 600 text-layer pages extracted back to back on one OCR
    worker must leave the loop free: a new request is answered at once, and a stream whose
    own pages are being OCRed on the other worker keeps its heartbeat."""
    # A heartbeat shorter than one page's OCR, so pings are due between this stream's pages
    # however fast the machine reads them.
    heartbeat = 0.3
    live = start_server(tmp_path / "starve", OCR_WORKERS="2", SSE_HEARTBEAT_SECONDS=str(heartbeat))
    token = live.token("starve-reader")
    digital = build_pdf(tmp_path / "digital-600.pdf", [english_page(count=20, start=i) for i in range(600)])
    scanned = scanned_hindi_book(tmp_path / "slow.pdf", pages=3, lines=16)
    big_messages = []

    def upload_big() -> None:
        with upload_stream(live, token, digital, language="english") as response:
            big_messages.extend(read_messages(response.iter_content(chunk_size=None)))

    big = threading.Thread(target=upload_big)
    try:
        big_started = time.time()
        big.start()
        time.sleep(0.3)
        requested = time.time()
        with upload_stream(live, token, scanned, title="Slow pages") as response:
            messages = list(read_messages(response.iter_content(chunk_size=None)))
        big.join()
    finally:
        stop_server(live.process)

    assert events_only(big_messages)[-1].event == "completed"
    big_seconds = big_messages[-1].arrived - big_started
    # A starved loop would leave both waiting for most of the big book; a share of its time
    # is generous on a busy machine and scales with how fast this one reads pages.
    assert messages[0].arrived - requested < 0.2 * big_seconds
    assert events_only(messages)[-1].event == "completed"
    assert any(m.comments == ["ping"] for m in messages)
    gaps = [later.arrived - earlier.arrived for earlier, later in zip(messages, messages[1:], strict=False)]
    assert max(gaps) < heartbeat + 0.2 * big_seconds
