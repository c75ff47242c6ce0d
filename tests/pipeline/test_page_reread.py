"""Reading one page again with other settings: the stream goes on like a retry's, the new
reading replaces the extracted text, and a reader's correction stays unless replaced."""

import pytest

from audiobooks.models import Book, BookPage
from tests.support.sse_client import events_only, parse_stream

pytestmark = pytest.mark.django_db(transaction=True)


def stream_of(response) -> list:
    return events_only(parse_stream(b"".join(response.streaming_content)))


@pytest.fixture
def book(api, mixed_pdf) -> Book:
    """Page 1 read from its text layer, page 2 by OCR."""
    with open(mixed_pdf, "rb") as handle:
        response = api.post(
            "/api/books/upload-sse/", {"file": handle, "language": "hinglish"}, format="multipart"
        )
    assert stream_of(response)[-1].event == "completed"
    return Book.objects.get()


def reread(api, book, page, **body):
    return api.post(
        f"/api/books/{book.pk}/pages/{page}/reocr/", body, format="json", HTTP_ACCEPT="text/event-stream"
    )


def page(number: int) -> BookPage:
    return BookPage.objects.get(page_number=number)


def test_a_page_read_again_with_ocr_replaces_its_extracted_text_and_the_stream_goes_on(api, book):
    before = page(1)
    last_seq = book.events.order_by("-seq").first().seq

    stream = stream_of(reread(api, book, 1, language="english", ocr_mode="ocr"))

    assert stream[0].id == last_seq + 1 and stream[-1].event == "completed"
    assert [
        m.data["page_number"] for m in stream if m.event == "page_progress" and m.data["page_number"]
    ] == [1]
    after = page(1)
    assert (before.method, after.method) == ("text", "ocr")
    assert "quick brown fox" in after.extracted_text.lower() and after.text_content == after.extracted_text
    assert after.version == before.version + 1
    book.refresh_from_db()
    assert (book.status, book.reread) == (Book.Status.COMPLETED, None)


def test_a_correction_stays_the_pages_text_unless_replacing_it_is_asked(api, book):
    api.patch(
        f"/api/books/{book.pk}/pages/1/", {"text_content": "Corrected by hand.", "version": 1}, format="json"
    )

    stream_of(reread(api, book, 1, language="english"))
    kept = page(1)
    stream_of(reread(api, book, 1, language="english", replace_correction=True))
    replaced = page(1)

    assert kept.text_content == "Corrected by hand." and kept.edited_at is not None
    assert kept.extracted_text != "Corrected by hand."
    assert replaced.text_content == replaced.extracted_text and replaced.edited_at is None


def test_the_narration_is_made_again_after_a_page_is_read_again(api, book):
    api.patch(
        f"/api/books/{book.pk}/pages/1/", {"text_content": "Replaced words.", "version": 1}, format="json"
    )
    stream_of(reread(api, book, 1, language="english", replace_correction=True))

    text = api.get(f"/api/books/{book.pk}/text/").content.decode()

    assert "Replaced words." not in text and "quick brown fox" in text.lower()


def test_bad_requests_are_refused_and_change_nothing(api, other_api, book):
    assert reread(api, book, 3).status_code == 404
    assert reread(other_api, book, 1).status_code == 404
    assert reread(api, book, 1, language="klingon").status_code == 400
    Book.objects.filter(pk=book.pk).update(status=Book.Status.PROCESSING)
    busy = reread(api, book, 1)
    assert busy.status_code == 409
    assert page(1).version == 1


def test_reading_a_page_of_a_book_that_stopped_short_reads_its_missing_pages_too(api, book):
    book.pages.filter(page_number=2).delete()  # as a book cancelled before its last page
    Book.objects.filter(pk=book.pk).update(status=Book.Status.CANCELLED)

    stream = stream_of(reread(api, book, 1, language="english"))

    assert stream[-1].event == "completed"
    assert sorted(book.pages.values_list("page_number", flat=True)) == [1, 2]
