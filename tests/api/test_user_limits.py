"""What one reader may cost: books being read at once, pages a day and open streams. Past
a limit the answer is 429 with Retry-After and the usual error body, and nothing is kept."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from audiobooks.models import Book
from audiobooks.publishing.stream_quota import open_streams
from tests.support.model_factories import make_book
from tests.support.pdf_factory import build_pdf, english_page

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_page_pdf(tmp_path) -> Path:
    return build_pdf(tmp_path / "two.pdf", [english_page(start=0), english_page(start=1)])


def upload(api, pdf: Path, url="/api/books/"):
    with open(pdf, "rb") as handle:
        return api.post(url, {"file": handle, "language": "english"}, format="multipart")


def stored_files(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def test_a_reader_with_as_many_books_processing_as_allowed_is_told_to_wait(
    api, other_api, user, settings, two_page_pdf
):
    settings.BOOKS_IN_FLIGHT_PER_USER = 2
    for _ in range(2):
        make_book(user, status=Book.Status.PROCESSING)
    files_before = stored_files(settings)

    refused = upload(api, two_page_pdf)
    files_after = stored_files(settings)
    other_readers = upload(other_api, two_page_pdf)

    assert (refused.status_code, refused.json()["code"]) == (429, "books_in_flight")
    assert int(refused["Retry-After"]) > 0
    assert Book.objects.filter(user=user).count() == 2 and files_after == files_before
    assert other_readers.status_code == 202


def test_a_retry_counts_as_a_book_being_read(api, user, settings):
    settings.BOOKS_IN_FLIGHT_PER_USER = 1
    make_book(user, status=Book.Status.PROCESSING)
    failed = make_book(user, status=Book.Status.FAILED)

    response = api.post(f"/api/books/{failed.pk}/retry/")

    assert (response.status_code, response.json()["code"]) == (429, "books_in_flight")
    assert Book.objects.get(pk=failed.pk).status == Book.Status.FAILED


def test_pages_past_the_daily_limit_wait_until_the_oldest_book_leaves_the_last_24_hours(
    api, user, settings, two_page_pdf
):
    settings.PAGES_PER_USER_PER_DAY = 5
    yesterday = make_book(user, pages=50)
    Book.objects.filter(pk=yesterday.pk).update(created_at=timezone.now() - timedelta(hours=25))
    this_morning = make_book(user, pages=4)
    Book.objects.filter(pk=this_morning.pk).update(created_at=timezone.now() - timedelta(hours=20))

    response = upload(api, two_page_pdf)

    assert (response.status_code, response.json()["code"]) == (429, "daily_pages")
    assert 3.9 * 3600 < int(response["Retry-After"]) <= 4 * 3600 + 1  # when this morning's book leaves
    assert Book.objects.filter(user=user).count() == 2


def test_a_book_bigger_than_a_days_pages_is_refused_for_good_not_told_to_wait(api, settings, two_page_pdf):
    settings.PAGES_PER_USER_PER_DAY = 1

    response = upload(api, two_page_pdf)

    assert (response.status_code, response.json()["code"]) == (422, "too_many_pages")
    assert "Retry-After" not in response
    assert not Book.objects.exists()


def test_a_reader_may_hold_only_so_many_streams_and_a_closed_one_frees_its_place(api, user, settings):
    settings.STREAMS_PER_USER = 2
    book = make_book(user)
    url = f"/api/books/{book.pk}/events/"

    held = [api.get(url, HTTP_ACCEPT="text/event-stream") for _ in range(2)]
    refused = api.get(url, HTTP_ACCEPT="text/event-stream")
    held[0].close()
    after_one_closed = api.get(url, HTTP_ACCEPT="text/event-stream")

    assert [response.status_code for response in held] == [200, 200]
    assert (refused.status_code, refused["Retry-After"]) == (429, "5")
    assert b'"code": "too_many_streams"' in refused.content  # an `error` event, as an SSE client reads it
    assert after_one_closed.status_code == 200
    for response in (held[1], after_one_closed):
        b"".join(response.streaming_content)  # read to the end: the stream closes
    assert open_streams(user_id=user.pk) == 0
