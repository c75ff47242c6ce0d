"""Nothing lost: re-attaching with Last-Event-ID, crashes of the serving process, and load."""

import os
import signal
import threading
import time

import pytest

from tests.support.live_client import (
    ResponsivenessProbe,
    bystander_with_a_book,
    events_stream,
    page_done,
    read_until,
    stored_page_numbers,
    upload_stream,
    wait_for_book,
    worker_peak_rss_mb,
    worker_pid,
)
from tests.support.live_server import kill_server, start_server, stop_server
from tests.support.pdf_factory import scanned_hindi_book
from tests.support.sse_client import events_only, read_messages

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def six_pages(tmp_path_factory):
    return scanned_hindi_book(tmp_path_factory.mktemp("pdfs") / "six.pdf", pages=6, lines=12)


def follow(server, token, book_id: int, last_event_id: int) -> list:
    with events_stream(server, token, book_id, last_event_id=last_event_id) as response:
        assert response.status_code == 200
        return list(read_messages(response.iter_content(chunk_size=None)))


def test_reattaching_with_last_event_id_continues_exactly_where_the_stream_was(server, token, six_pages):
    with upload_stream(server, token, six_pages, title="Re-attach") as response:
        before = events_only(read_until(response, lambda m: page_done(m, 2)))
    book_id, last_id = before[-1].data["book_id"], before[-1].id

    after = follow(server, token, book_id, last_id)

    assert after[0].retry == 3000
    ids = [m.id for m in before] + [m.id for m in events_only(after)]
    assert ids == list(range(1, ids[-1] + 1)), "every event once, none missed"
    assert events_only(after)[-1].event == "completed"
    done = [m.data["current_page"] for m in events_only(after) if m.event == "page_progress"]
    assert done == sorted(done) and done[-1] == 6 and done[0] > 2


def test_a_finished_book_replays_and_closes(server, token, six_pages):
    with upload_stream(server, token, six_pages) as response:
        stream = events_only(read_messages(response.iter_content(chunk_size=None)))

    replay = events_only(follow(server, token, stream[-1].data["book_id"], 0))

    assert [(m.id, m.event, m.data) for m in replay] == [(m.id, m.event, m.data) for m in stream]


def test_a_killed_server_resumes_the_book_from_its_stored_pages_on_restart(tmp_path, six_pages):
    live = start_server(tmp_path / "crash", OCR_WORKERS="1")
    token = live.token("crash-reader")
    with upload_stream(live, token, six_pages, title="Crash") as response:
        book_id = read_until(response, lambda m: page_done(m, 2))[-1].data["book_id"]
    kill_server(live.process)  # kill -9, mid-book

    restarted = start_server(tmp_path / "crash", OCR_WORKERS="1")
    try:
        book = wait_for_book(restarted, token, book_id)
        pages = stored_page_numbers(restarted, token, book_id)
        resumed_from = [
            m.data["current_page"]
            for m in events_only(follow(restarted, token, book_id, 0))
            if m.event == "page_progress" and m.data["page_number"] is None
        ]
    finally:
        stop_server(restarted.process)
    assert (book["status"], book["pages_done"]) == ("completed", 6), restarted.log()[-3000:]
    assert pages == [1, 2, 3, 4, 5, 6]  # each page stored once
    assert resumed_from[0] == 0 and resumed_from[1] >= 2  # the second run started from the stored pages


def test_a_stopping_server_ends_its_streams_at_once_and_the_client_re_attaches(tmp_path, six_pages):
    """SIGTERM (a deploy): the stream ends cleanly with a hint, not cut after the graceful
    timeout; the restarted server resumes the book and the stream from the last event id."""
    graceful_timeout = 60
    live = start_server(tmp_path / "deploy", OCR_WORKERS="1", GUNICORN_GRACEFUL_TIMEOUT=str(graceful_timeout))
    token = live.token("deploy-reader")
    with upload_stream(live, token, six_pages, title="Deploy") as response:
        messages = read_messages(response.iter_content(chunk_size=None))
        before = read_until_page(messages, 1)
        live.process.send_signal(signal.SIGTERM)  # the master, as systemd or docker stop would
        stopping_at = time.monotonic()
        before += list(messages)
        ended_after = time.monotonic() - stopping_at
    live.process.wait(timeout=30)

    restarted = start_server(tmp_path / "deploy", OCR_WORKERS="1")
    try:
        last_id = events_only(before)[-1].id
        after = events_only(follow(restarted, token, events_only(before)[-1].data["book_id"], last_id))
    finally:
        stop_server(restarted.process)
    assert ended_after < graceful_timeout / 4, "the stream waited for the graceful timeout instead of ending"
    assert "server shutting down; re-attach with Last-Event-ID" in before[-1].comments
    ids = [m.id for m in events_only(before)] + [m.id for m in after]
    assert ids == list(range(1, ids[-1] + 1)), "every event once, none missed"
    assert after[-1].event == "completed", restarted.log()[-3000:]


def read_until_page(messages, pages: int) -> list:
    received = []
    for message in messages:
        received.append(message)
        if page_done(message, pages):
            return received
    raise AssertionError(f"the stream ended before page {pages}: {received}")


def read_in_runs(server, token, book_id: int, *, runs: int) -> None:
    """Follow the book until its `runs`-th run (a `processing_started`) has stored a page."""
    started = 0

    def page_of_run(message) -> bool:
        nonlocal started
        started += message.event == "processing_started"
        return started == runs and message.event == "page_progress" and message.data["page_number"]

    with events_stream(server, token, book_id) as response:
        assert read_until(response, page_of_run), "the stream ended before that run stored a page"


def test_a_book_whose_reader_keeps_dying_fails_instead_of_resuming_forever(tmp_path, six_pages):
    live = start_server(tmp_path / "crash-loop", OCR_WORKERS="1", BOOK_MAX_TAKEOVERS="1")
    try:
        token = live.token("crash-loop-reader")
        with upload_stream(live, token, six_pages) as response:
            book_id = read_until(response, page_done)[-1].data["book_id"]
        os.kill(worker_pid(live), signal.SIGKILL)  # gunicorn starts a new worker, which resumes the book
        read_in_runs(live, token, book_id, runs=2)
        os.kill(worker_pid(live), signal.SIGKILL)  # a second death: one takeover too many
        book = wait_for_book(live, token, book_id)
        last = events_only(follow(live, token, book_id, 0))[-1]
        with ResponsivenessProbe(live, bystander_with_a_book(live, "crash-loop-bystander")) as probe:
            pass  # the failed book is not resumed: nothing stops the server now
        peak_rss_mb = worker_peak_rss_mb(live)
    finally:
        stop_server(live.process)
    assert (book["status"], book["error_code"]) == ("failed", "too_many_takeovers"), live.log()[-3000:]
    assert (last.event, last.data["code"]) == ("error", "too_many_takeovers")
    assert probe.answered_at_once(), probe.summary()
    assert live.log().count("Booting worker") == 3  # the first and the two restarts, no more
    assert peak_rss_mb < 300


def test_a_killed_book_whose_file_is_gone_is_marked_failed_not_left_processing(tmp_path, six_pages):
    live = start_server(tmp_path / "gone", OCR_WORKERS="1")
    token = live.token("gone-reader")
    with upload_stream(live, token, six_pages) as response:
        book_id = read_until(response, page_done)[-1].data["book_id"]
    kill_server(live.process)
    for stored in (tmp_path / "gone" / "media").rglob("*.pdf"):
        stored.unlink()

    restarted = start_server(tmp_path / "gone")
    try:
        book = wait_for_book(restarted, token, book_id)
        last = events_only(follow(restarted, token, book_id, 0))[-1]
    finally:
        stop_server(restarted.process)
    assert (book["status"], book["error_code"]) == ("failed", "file_missing"), restarted.log()[-3000:]
    assert (last.event, last.data["code"]) == ("error", "file_missing")


def test_ten_concurrent_uploads_all_complete_with_every_page_once(tmp_path):
    live = start_server(tmp_path / "load", SSE_HEARTBEAT_SECONDS="5")
    token = live.token("load-reader")
    pdf = scanned_hindi_book(tmp_path / "four.pdf", pages=4, lines=5)
    streams: list[list] = [[] for _ in range(10)]

    def upload(slot: int) -> None:
        with upload_stream(live, token, pdf, title=f"Load {slot}") as response:
            streams[slot] = list(read_messages(response.iter_content(chunk_size=None)))

    threads = [threading.Thread(target=upload, args=(slot,)) for slot in range(10)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        book_ids = [events_only(messages)[-1].data["book_id"] for messages in streams]
        pages = {book_id: stored_page_numbers(live, token, book_id) for book_id in book_ids}
    finally:
        stop_server(live.process)

    assert all(events_only(messages)[-1].event == "completed" for messages in streams)
    assert all(numbers == [1, 2, 3, 4] for numbers in pages.values())
    longest_stall = max(
        later.arrived - earlier.arrived
        for messages in streams
        for earlier, later in zip(messages, messages[1:], strict=False)
    )
    assert longest_stall < 20
    assert "database is locked" not in live.log()
    assert not any(thread.is_alive() for thread in threads)
