"""Scale-out against the real servers: gunicorn on PostgreSQL, book jobs on Celery worker
processes through Redis, streams woken through Redis pub/sub."""

import json
import threading
import time

import pytest
import requests

from tests.support.live_client import (
    assert_live_page_by_page,
    auth,
    events_stream,
    page_done,
    read_until,
    stored_page_numbers,
    upload_in_background,
    upload_stream,
    wait_for_book,
)
from tests.support.live_server import free_port, start_server, stop_server
from tests.support.pdf_factory import scanned_hindi_book
from tests.support.service_processes import (
    CeleryWorker,
    fresh_postgres_database,
    postgres_query,
    wait_until,
)
from tests.support.sse_client import events_only, read_messages

pytestmark = pytest.mark.server

POOL_SIZE = 3


@pytest.fixture(scope="module")
def database_url():
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def web(tmp_path_factory, database_url, redis_server):
    """gunicorn on PostgreSQL with Celery on Redis. Streams poll the log only every 30 s:
    an event that reaches a client sooner came through the Redis wake-up."""
    live = start_server(
        tmp_path_factory.mktemp("web"),
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=redis_server.url,
        SSE_POLL_SECONDS="30",
        SSE_HEARTBEAT_SECONDS="1",
        OCR_WORKERS="1",
        # Only Celery's redelivery may hand a killed worker's book on in these tests (the
        # lease would too, but after 600 s); every book here takes less than 20 s.
        BOOK_LEASE_SECONDS="600",
        CELERY_VISIBILITY_TIMEOUT="20",
        # Fewer pooled connections than the idle-streams test has streams.
        DATABASE_POOL_SIZE=str(POOL_SIZE),
    )
    yield live
    stop_server(live.process)


@pytest.fixture(scope="module")
def token(web) -> str:
    return web.token("scale-out-reader")


@pytest.fixture
def start_worker(web):
    """Start Celery workers with the web server's environment; all stop after the test."""
    workers = []

    def start(name: str) -> CeleryWorker:
        worker = CeleryWorker(name, web.env, web.workdir)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pdfs")
    return {pages: scanned_hindi_book(folder / f"{pages}.pdf", pages=pages, lines=8) for pages in (3, 6)}


def stored_events(database_url: str, book_id: int) -> list[tuple]:
    return postgres_query(
        database_url,
        "SELECT seq, name, data, extract(epoch from created_at) FROM audiobooks_bookevent"
        " WHERE book_id = %s ORDER BY seq",
        book_id,
    )


def test_a_book_runs_on_a_celery_worker_and_streams_live_through_redis(
    web, token, start_worker, pdfs, database_url
):
    worker = start_worker("alpha")

    with upload_stream(web, token, pdfs[3], title="Celery") as response:
        messages = events_only(read_messages(response.iter_content(chunk_size=None)))

    assert messages[-1].event == "completed", messages[-1]
    book_id = messages[-1].data["book_id"]
    assert [m.id for m in messages] == list(range(1, len(messages) + 1))
    wait_until(
        lambda: "succeeded" in worker.log(), timeout=30, what="the task did not end", log=worker.log_path
    )
    assert "audiobooks.run_book[" in worker.log()
    assert stored_page_numbers(web, token, book_id) == [1, 2, 3]
    # Each page reached the client before the worker stored the next (polling takes 30 s).
    stored_at = {seq: float(created) for seq, _, _, created in stored_events(database_url, book_id)}
    pages = [m for m in messages if m.event == "page_progress" and m.data["page_number"]]
    assert_live_page_by_page([m.arrived for m in pages], [stored_at[m.id] for m in pages])


def test_a_worker_killed_mid_book_leaves_it_to_another_which_resumes_from_stored_pages(
    web, token, start_worker, pdfs, database_url
):
    first = start_worker("first")
    second = start_worker("second")
    with upload_stream(web, token, pdfs[6], title="Killed worker") as response:
        book_id = read_until(response, lambda m: page_done(m, 2))[-1].data["book_id"]
    victim, survivor = (first, second) if "audiobooks.run_book[" in first.log() else (second, first)
    victim.kill()  # its message stays unacknowledged in Redis, to be delivered again

    book = wait_for_book(web, token, book_id, timeout=180)

    assert book["status"] == "completed", survivor.log()[-3000:]
    assert "audiobooks.run_book" in survivor.log()
    assert stored_page_numbers(web, token, book_id) == [1, 2, 3, 4, 5, 6]
    stored_pages = [
        data["page_number"]
        for _, name, data, _ in stored_events(database_url, book_id)
        if name == "page_progress" and data["page_number"]
    ]
    assert sorted(stored_pages) == [1, 2, 3, 4, 5, 6], "every page stored once"
    restarts = [
        data["current_page"]
        for _, name, data, _ in stored_events(database_url, book_id)
        if name == "page_progress" and data["page_number"] is None
    ]
    assert restarts[0] == 0 and restarts[1] >= 2, "the second run began from the stored pages"


def test_the_stream_delivers_every_event_across_a_redis_restart(
    web, token, start_worker, pdfs, redis_server, database_url
):
    start_worker("gamma")
    received = []

    with upload_stream(web, token, pdfs[6], title="Redis restart") as response:
        messages = read_messages(response.iter_content(chunk_size=None))
        for message in messages:
            received.append(message)
            if page_done(message, 2):
                break
        redis_server.stop()
        time.sleep(1)
        redis_server.start()
        received += list(messages)

    events = events_only(received)
    book_id = events[-1].data["book_id"]
    assert events[-1].event == "completed", events[-1]
    assert [m.id for m in events] == [seq for seq, *_ in stored_events(database_url, book_id)]


def test_idle_streams_hold_no_database_connections(web, token, pdfs, database_url):
    """No worker runs: the book waits in the queue while five clients follow it. A stream
    that kept its connection would keep it from the pool, which has fewer than five: the
    last streams would wait for one, and never reach their first ping."""
    book = upload_in_background(web, token, pdfs[3])
    stop = threading.Event()
    pinged = [threading.Event() for _ in range(5)]

    def follow(pinged: threading.Event) -> None:
        with events_stream(web, token, book["id"], timeout=30) as response:
            for message in read_messages(response.iter_content(chunk_size=None)):
                if message.comments == ["ping"]:
                    pinged.set()  # past its replay and waiting, as an idle stream does
                if stop.is_set():
                    return

    streams = [threading.Thread(target=follow, args=(event,), daemon=True) for event in pinged]
    for stream in streams:
        stream.start()
    try:
        wait_until(lambda: all(event.is_set() for event in pinged), timeout=60, what="every stream idle")
        database = database_url.rsplit("/", 1)[1]
        open_connections = postgres_query(
            database_url,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            database,
        )[0][0]
    finally:
        stop.set()
        requests.delete(f"{web.url}/api/books/{book['id']}/", headers=auth(token), timeout=10)
        for stream in streams:
            stream.join(timeout=10)
    assert open_connections <= POOL_SIZE  # the pool's idle ones, however many streams


def test_a_worker_that_cannot_read_books_exits_before_taking_any(web, tmp_path):
    env = {**web.env, "TESSDATA_PREFIX": str(tmp_path)}  # no tesseract model at all
    worker = CeleryWorker("blind", env, tmp_path, wait_ready=False)
    try:
        exit_code = worker.process.wait(timeout=60)
    finally:
        worker.stop()

    assert exit_code != 0
    assert "cannot read books, so it takes none" in worker.log() and "Devanagari" in worker.log()
    assert " ready." not in worker.log()


def test_a_worker_serves_its_own_metrics_on_loopback_and_logs_json_with_the_books_id(
    web, token, pdfs, tmp_path
):
    bind = f"127.0.0.1:{free_port()}"
    worker = CeleryWorker("counted", {**web.env, "WORKER_METRICS_BIND": bind, "LOG_FORMAT": "json"}, tmp_path)
    try:
        with upload_stream(web, token, pdfs[3], title="Counted") as response:
            messages = events_only(read_messages(response.iter_content(chunk_size=None)))
        metrics = requests.get(f"http://{bind}/metrics", timeout=10).text
    finally:
        worker.stop()

    assert messages[-1].event == "completed", messages[-1]
    assert 'audiobooks_pages_total{method="ocr",outcome="read"} 3.0' in metrics
    assert 'audiobooks_page_seconds_count{method="ocr"} 3.0' in metrics
    assert "audiobooks_pages_in_flight 0.0" in metrics
    lines = [json.loads(line) for line in worker.log().splitlines() if line.startswith("{")]
    book_id = messages[-1].data["book_id"]
    assert any(line["book_id"] == book_id and line["logger"].startswith("audiobooks.") for line in lines)
    assert {"time", "level", "logger", "message", "user_id", "request_id"} <= lines[-1].keys()
