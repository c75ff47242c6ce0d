"""Readers who ask for more than their share, on a real server: a book of 2000 blank pages,
hundreds of open streams, a stream of new accounts. Each is refused past its limit with 429
and Retry-After, while another user's requests and streams are answered at once."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.support.live_client import (
    Bystander,
    ResponsivenessProbe,
    auth,
    bystander_with_a_book,
    events_stream,
    upload_in_background,
    wait_for_book,
    worker_peak_rss_mb,
)
from tests.support.live_server import start_server, stop_server
from tests.support.pdf_factory import blank_pages_pdf

pytestmark = pytest.mark.server

PAGES_PER_USER_PER_DAY = 2500
STREAMS_PER_USER = 20
REGISTRATIONS_PER_HOUR = 5
WORKER_MEMORY_BOUND_MB = 300


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start_server(
        tmp_path_factory.mktemp("greedy"),
        PAGES_PER_USER_PER_DAY=str(PAGES_PER_USER_PER_DAY),
        STREAMS_PER_USER=str(STREAMS_PER_USER),
        REGISTER_RATE=f"{REGISTRATIONS_PER_HOUR}/hour",
    )
    yield live
    stop_server(live.process)


# Three accounts, all this module registers before the registration test: keep it so.
@pytest.fixture(scope="module")
def bystander(server) -> Bystander:
    return bystander_with_a_book(server, "greedy-bystander")


@pytest.fixture(scope="module")
def page_hog(server) -> str:
    return server.token("page-hog")


@pytest.fixture(scope="module")
def stream_hog(server) -> str:
    return server.token("stream-hog")


@pytest.fixture(scope="module")
def blank_book(tmp_path_factory):
    return blank_pages_pdf(tmp_path_factory.mktemp("blank") / "blank.pdf", 2000)


def cancel(server, token: str, book_id: int) -> dict:
    requests.post(f"{server.url}/api/books/{book_id}/cancel/", headers=auth(token), timeout=10)
    return wait_for_book(server, token, book_id)


def test_a_second_2000_page_book_in_a_day_is_refused(server, bystander, page_hog, blank_book):
    with ResponsivenessProbe(server, bystander) as probe:
        first = upload_in_background(server, page_hog, blank_book)
        with open(blank_book, "rb") as pdf:
            second = requests.post(
                f"{server.url}/api/books/", headers=auth(page_hog), files={"file": pdf}, timeout=60
            )
    cancelled = cancel(server, page_hog, first["id"])

    assert (second.status_code, second.json()["code"]) == (429, "daily_pages")
    assert int(second.headers["Retry-After"]) > 23 * 3600  # when the first book's pages leave the day
    assert cancelled["status"] == "cancelled"
    assert probe.answered_at_once(), probe.summary()
    assert worker_peak_rss_mb(server) < WORKER_MEMORY_BOUND_MB


def test_300_streams_from_one_reader_hold_only_their_share(server, bystander, stream_hog, tmp_path):
    book = upload_in_background(server, stream_hog, blank_pages_pdf(tmp_path / "long.pdf", 300))

    def open_stream(_) -> requests.Response:
        return events_stream(server, stream_hog, book["id"], timeout=60)

    with ResponsivenessProbe(server, bystander) as probe:
        held = [open_stream(n) for n in range(STREAMS_PER_USER)]
        with ThreadPoolExecutor(max_workers=16) as pool:
            refused = list(pool.map(open_stream, range(300 - STREAMS_PER_USER)))
    refusal = refused[0].content  # the error event
    for response in held + refused:
        response.close()
    cancel(server, stream_hog, book["id"])

    assert [response.status_code for response in held] == [200] * STREAMS_PER_USER
    assert {response.status_code for response in refused} == {429}
    assert all(int(response.headers["Retry-After"]) > 0 for response in refused)
    assert b"event: error" in refusal and b"too_many_streams" in refusal
    assert probe.answered_at_once(), probe.summary()
    assert worker_peak_rss_mb(server) < WORKER_MEMORY_BOUND_MB


def test_new_accounts_from_one_address_are_throttled(server, bystander, page_hog, stream_hog):
    with ResponsivenessProbe(server, bystander) as probe:
        statuses = [
            requests.post(
                f"{server.url}/api/auth/register/",
                data={"username": f"sock-puppet-{n}", "password": "kitaab-padhna-2026"},
                timeout=30,
            ).status_code
            for n in range(10)
        ]

    already_registered = 3  # the bystander, the page hog and the stream hog
    allowed = REGISTRATIONS_PER_HOUR - already_registered
    assert statuses == [201] * allowed + [429] * (10 - allowed)
    assert probe.answered_at_once(), probe.summary()
    assert worker_peak_rss_mb(server) < WORKER_MEMORY_BOUND_MB
