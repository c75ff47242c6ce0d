"""Crafted PDFs hurt only the child process that parses them: the upload gets a clean
answer, another user's requests and streams are answered at once while it happens, and
the web worker stays small and alive."""

import pytest
import requests

from tests.support.live_client import (
    Bystander,
    ResponsivenessProbe,
    auth,
    bystander_with_a_book,
    stored_page_numbers,
    upload_stream,
    wait_for_book,
    worker_peak_rss_mb,
    worker_pid,
)
from tests.support.live_server import start_server, stop_server
from tests.support.pdf_factory import content_bomb_pdf, cropped_page_pdf, rootless_pdf, tiny_print_pdf
from tests.support.sse_client import events_only, read_messages

pytestmark = pytest.mark.server

READER_MEMORY_MB = 256
READER_TIMEOUT = 3
PAGE_TEXT_MAX_CHARS = 5000
# The web worker's memory: ~120 MB serving; a 400 MB content stream read in process would be ~800 MB.
WORKER_MEMORY_BOUND_MB = 300


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start_server(
        tmp_path_factory.mktemp("poison"),
        PDF_READER_MEMORY_MB=str(READER_MEMORY_MB),
        PDF_READER_TIMEOUT=str(READER_TIMEOUT),
        PAGE_TEXT_MAX_CHARS=str(PAGE_TEXT_MAX_CHARS),
    )
    yield live
    stop_server(live.process)


@pytest.fixture(scope="module")
def attacker(server) -> str:
    return server.token("attacker")


@pytest.fixture(scope="module")
def bystander(server) -> Bystander:
    return bystander_with_a_book(server, "bystander")


@pytest.fixture(autouse=True)
def worker_stays_small_and_alive(server):
    pid = worker_pid(server)
    yield
    assert worker_pid(server) == pid, "the web worker died"
    assert worker_peak_rss_mb(server) < WORKER_MEMORY_BOUND_MB


def test_pages_that_inflate_to_400_mb_fail_alone(server, attacker, bystander, tmp_path):
    bomb = content_bomb_pdf(tmp_path / "bomb.pdf", inflated_mb=400, pages=3)
    assert bomb.stat().st_size < 2_000_000

    with ResponsivenessProbe(server, bystander) as probe, upload_stream(server, attacker, bomb) as response:
        stream = events_only(read_messages(response.iter_content(chunk_size=None)))

    # No page could be read, so the book failed, with the first page's error.
    assert stream[-1].event == "error" and stream[-1].data["code"] == "ocr_failed", stream[-1].data
    details = stream[-1].data["details"]
    assert details.startswith("All 3 pages failed; page 1: ") and "PDF reader died" in details
    book_id = next(message.data["book_id"] for message in stream if message.event == "processing_started")
    book = wait_for_book(server, attacker, book_id)
    assert book["status"] == "failed"
    assert stored_page_numbers(server, attacker, book_id) == [1, 2, 3]  # each with its error
    assert probe.answered_at_once(), probe.summary()


def test_a_pdf_the_fallback_parser_would_spin_on_is_refused_in_seconds(server, attacker, bystander, tmp_path):
    rootless = rootless_pdf(tmp_path / "rootless.pdf")  # 5.7 MB, no xref, no catalog

    with ResponsivenessProbe(server, bystander) as probe, open(rootless, "rb") as pdf:
        response = requests.post(
            f"{server.url}/api/books/", headers=auth(attacker), files={"file": pdf}, timeout=120
        )

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "corrupt"
    assert f"longer than {READER_TIMEOUT} s" in response.json()["details"]
    assert probe.answered_at_once(), probe.summary()


def test_pages_sharing_one_huge_text_stream_store_a_capped_text_each(server, attacker, bystander, tmp_path):
    shared = tiny_print_pdf(tmp_path / "shared.pdf", pages=3)  # about 1 KB: 3 x 26,000 characters

    with (
        ResponsivenessProbe(server, bystander) as probe,
        upload_stream(server, attacker, shared, language="english") as response,
    ):
        stream = events_only(read_messages(response.iter_content(chunk_size=None)))
    book_id = stream[-1].data["book_id"]
    pages = requests.get(
        f"{server.url}/api/books/{book_id}/pages/", headers=auth(attacker), timeout=10
    ).json()

    assert stream[-1].event == "completed" and stream[-1].data["failed_pages"] == []
    assert [(p["char_count"], p["text_truncated"]) for p in pages["results"]] == [
        (PAGE_TEXT_MAX_CHARS, True)
    ] * 3
    assert probe.answered_at_once(), probe.summary()


def test_a_page_cropped_from_a_huge_mediabox_is_read_within_the_pixel_budget(
    server, attacker, bystander, tmp_path
):
    cropped = cropped_page_pdf(tmp_path / "cropped.pdf", media_pt=6000, crop_pt=300)

    with (
        ResponsivenessProbe(server, bystander) as probe,
        upload_stream(server, attacker, cropped) as response,
    ):
        stream = events_only(read_messages(response.iter_content(chunk_size=None)))

    assert stream[-1].event == "completed", stream[-1].data
    assert stream[-1].data["failed_pages"] == []
    assert probe.answered_at_once(), probe.summary()
