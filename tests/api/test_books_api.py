"""The read API: lists, details, pages, delete — and that only the owner can reach a book."""

from pathlib import Path

import pytest

from audiobooks import events
from audiobooks.models import Book, BookEvent, BookPage
from audiobooks.publishing.event_log import publish_event
from tests.support.live_client import BOOK_ENDPOINTS
from tests.support.model_factories import make_book
from tests.support.sse_client import events_only, parse_stream

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(user) -> Book:
    return make_book(user)


def test_list_is_paginated_and_holds_only_my_books(api, user, other_user):
    for n in range(3):
        make_book(user, title=f"mine {n}")
    make_book(other_user, title="theirs")

    body = api.get("/api/books/").json()

    assert body["count"] == 3
    assert {b["title"] for b in body["results"]} == {"mine 0", "mine 1", "mine 2"}


def test_list_filters_by_status(api, user):
    make_book(user, title="done")
    make_book(user, title="busy", status=Book.Status.PROCESSING, stored=1)

    body = api.get("/api/books/?status=processing").json()

    assert [b["title"] for b in body["results"]] == ["busy"]
    assert api.get("/api/books/?status=bogus").json()["code"] == "invalid_field"


def test_detail_shows_progress(api, user):
    busy = make_book(user, status=Book.Status.PROCESSING, pages=4, stored=1)

    body = api.get(f"/api/books/{busy.pk}/").json()

    assert (body["status"], body["pages_done"], body["total_pages"], body["progress"]) == (
        "processing",
        1,
        4,
        25,
    )
    assert body["pdf_url"].endswith(f"/api/books/{busy.pk}/pdf/")
    assert body["events_url"].endswith(f"/api/books/{busy.pk}/events/")


def test_pages_are_listed_in_order_and_readable_one_by_one(api, book):
    listed = api.get(f"/api/books/{book.pk}/pages/").json()
    page = api.get(f"/api/books/{book.pk}/pages/2/").json()

    assert [p["page_number"] for p in listed["results"]] == [1, 2, 3]
    assert page == {
        **page,
        "page_number": 2,
        "text_content": "पृष्ठ 2",
        "method": "ocr",
        "char_count": 7,
        "ocr_confidence": 91.5,
    }
    missing = api.get(f"/api/books/{book.pk}/pages/9/")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"


def test_delete_removes_pages_events_and_the_stored_file(api, book):
    publish_event(book_id=book.pk, event=events.Status(stage="stored", message="x"))
    stored_file = Path(book.pdf.path)
    assert stored_file.exists()

    response = api.delete(f"/api/books/{book.pk}/")

    assert response.status_code == 204
    assert not Book.objects.exists() and not BookPage.objects.exists() and not BookEvent.objects.exists()
    assert not stored_file.exists()


def test_events_of_a_finished_book_replay_after_last_event_id_and_close(api, book):
    for stage in ("validating", "stored", "extracting"):
        publish_event(book_id=book.pk, event=events.Status(stage=stage, message=stage))

    replay = parse_stream(
        b"".join(api.get(f"/api/books/{book.pk}/events/", HTTP_LAST_EVENT_ID="1").streaming_content)
    )
    by_query = parse_stream(
        b"".join(api.get(f"/api/books/{book.pk}/events/?last_event_id=2").streaming_content)
    )

    assert replay[0].retry == 3000
    assert [m.id for m in events_only(replay)] == [2, 3]
    assert [m.id for m in events_only(by_query)] == [3]
    bad = api.get(f"/api/books/{book.pk}/events/", HTTP_LAST_EVENT_ID="abc")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_field"


@pytest.mark.parametrize("method, url", BOOK_ENDPOINTS)
def test_another_users_book_answers_404_on_every_endpoint(other_api, book, method, url):
    response = getattr(other_api, method)(url.format(id=book.pk))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert Book.objects.filter(pk=book.pk).exists()


@pytest.mark.parametrize("book_id", [0, 2**63, 10**30])
@pytest.mark.parametrize("method, url", BOOK_ENDPOINTS)
def test_an_id_no_book_can_have_answers_404_on_every_endpoint(api, method, url, book_id):
    response = getattr(api, method)(url.format(id=book_id))

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("method, url", BOOK_ENDPOINTS)
def test_the_owner_reaches_every_endpoint(api, book, method, url):
    response = getattr(api, method)(url.format(id=book.pk))

    # A completed book cannot be cancelled or retried (409), but the endpoint found it.
    assert response.status_code in (200, 204, 409)


def test_the_book_collection_names_every_method_it_takes_whichever_view_answers(api):
    listed, refused, described = api.get("/api/books/"), api.put("/api/books/"), api.options("/api/books/")

    assert [r.status_code for r in (listed, refused, described)] == [200, 405, 200]
    assert refused.json()["code"] == "method_not_allowed"
    assert {r["Allow"] for r in (listed, refused, described)} == {"GET, POST, HEAD, OPTIONS"}


def test_the_web_page_runs_only_its_own_script_and_talks_only_to_this_api(client):
    response = client.get("/")

    assert response.status_code == 200
    policy = dict(part.split(" ", 1) for part in response["Content-Security-Policy"].split("; "))
    assert policy["script-src"] == policy["connect-src"] == "'self'"
    assert policy["frame-ancestors"] == policy["object-src"] == "'none'"
