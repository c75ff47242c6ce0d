"""Cancel, retry and the non-streaming upload, in process with the real background runner."""

import time

import pytest

from audiobooks.extraction import page_extraction
from audiobooks.jobs.runners import book_runner
from audiobooks.models import Book, BookEvent, BookPage
from tests.support.character_error import character_error_rate
from tests.support.narration_books import typeset, write_pdf
from tests.support.pdf_factory import build_pdf, english_page, scanned_hindi_book
from tests.support.sse_client import events_only, parse_stream

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def six_page_scan(tmp_path):
    return scanned_hindi_book(tmp_path / "six.pdf", pages=6, lines=10)


def start_upload(api, pdf) -> dict:
    with open(pdf, "rb") as handle:
        response = api.post("/api/books/", {"file": handle, "title": "Background"}, format="multipart")
    assert response.status_code == 202, response.content
    return response.json()


def wait_until(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_non_streaming_upload_answers_202_at_once_and_processes_in_the_background(api, six_page_scan):
    started = time.monotonic()
    body = start_upload(api, six_page_scan)
    answered_in = time.monotonic() - started

    assert body["status"] == "processing" and body["total_pages"] == 6
    assert body["events_url"].endswith(f"/api/books/{body['id']}/events/")
    assert book_runner().wait_idle(timeout=120)
    processed_in = time.monotonic() - started
    assert answered_in < processed_in / 4  # validation only: six pages of OCR take far longer
    assert Book.objects.get(pk=body["id"]).status == Book.Status.COMPLETED
    assert BookPage.objects.filter(book_id=body["id"]).count() == 6


def test_cancel_stops_the_book_within_a_page_and_keeps_its_pages(api, six_page_scan):
    uploaded_at = time.monotonic()
    book_id = start_upload(api, six_page_scan)["id"]
    wait_until(lambda: BookPage.objects.filter(book_id=book_id).exists())
    first_page_in = time.monotonic() - uploaded_at

    response = api.post(f"/api/books/{book_id}/cancel/")
    cancelled_at = time.monotonic()
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert book_runner().wait_idle(timeout=60)
    stopped_in = time.monotonic() - cancelled_at

    book = Book.objects.get(pk=book_id)
    assert book.status == Book.Status.CANCELLED and book.error_code == "cancelled"
    kept = BookPage.objects.filter(book_id=book_id).count()
    assert 1 <= kept < 6
    # The pages in flight finish, nothing new starts: about a page's time, not the book's.
    assert stopped_in < 3 * first_page_in
    last = BookEvent.objects.filter(book_id=book_id).last()
    assert (last.name, last.data["code"]) == ("error", "cancelled")
    stream = events_only(parse_stream(b"".join(api.get(f"/api/books/{book_id}/events/").streaming_content)))
    assert stream[-1].data["code"] == "cancelled"


def test_retry_resumes_a_cancelled_book_from_its_stored_pages(api, six_page_scan):
    book_id = start_upload(api, six_page_scan)["id"]
    wait_until(lambda: BookPage.objects.filter(book_id=book_id).exists())
    api.post(f"/api/books/{book_id}/cancel/")
    assert book_runner().wait_idle(timeout=60)
    kept = set(BookPage.objects.filter(book_id=book_id).values_list("page_number", "created_at"))

    response = api.post(f"/api/books/{book_id}/retry/", HTTP_ACCEPT="text/event-stream")
    stream = events_only(parse_stream(b"".join(response.streaming_content)))

    assert response.status_code == 200
    assert stream[0].event == "status" and stream[0].data["message"].startswith("Retrying")
    assert stream[-1].event == "completed"
    assert set(BookPage.objects.filter(book_id=book_id).values_list("page_number", flat=True)) == set(
        range(1, 7)
    )
    assert kept <= set(BookPage.objects.filter(book_id=book_id).values_list("page_number", "created_at"))
    redone = [m.data["page_number"] for m in stream if m.event == "page_progress" and m.data["page_number"]]
    assert sorted(redone) == sorted(set(range(1, 7)) - {number for number, _ in kept})
    replay = events_only(parse_stream(b"".join(api.get(f"/api/books/{book_id}/events/").streaming_content)))
    assert [m.event for m in replay].count("error") == 1 and replay[-1].event == "completed"


def test_only_processing_books_cancel_and_only_failed_or_cancelled_ones_retry(api, digital_english_pdf):
    book_id = start_upload(api, digital_english_pdf)["id"]
    assert book_runner().wait_idle(timeout=60)

    cancel = api.post(f"/api/books/{book_id}/cancel/")
    retry = api.post(f"/api/books/{book_id}/retry/")

    assert (cancel.status_code, cancel.json()["code"]) == (409, "not_cancellable")
    assert (retry.status_code, retry.json()["code"]) == (409, "not_retryable")


@pytest.fixture
def book_whose_every_page_failed(api, settings, tmp_path) -> int:
    settings.OCR_PAGE_TIMEOUT = 0.001  # as when a language's model is missing: no page reads
    pdf = build_pdf(tmp_path / "three.pdf", [english_page(start=n) for n in range(3)])
    book_id = start_upload(api, pdf)["id"]
    assert book_runner().wait_idle(timeout=60)
    assert Book.objects.get(pk=book_id).error_code == "ocr_failed"
    settings.OCR_PAGE_TIMEOUT = 120.0
    return book_id


def test_a_retry_reads_the_failed_pages_again_but_keeps_one_a_reader_typed_in(
    api, book_whose_every_page_failed
):
    book_id = book_whose_every_page_failed
    typed = api.patch(
        f"/api/books/{book_id}/pages/3/", {"text_content": "typed in"}, format="json", HTTP_IF_MATCH='"v1"'
    )
    assert typed.status_code == 200

    response = api.post(f"/api/books/{book_id}/retry/", HTTP_ACCEPT="text/event-stream")
    stream = events_only(parse_stream(b"".join(response.streaming_content)))

    assert stream[0].data["message"] == "Retrying: 1 of 3 pages already stored"
    assert stream[-1].event == "completed" and stream[-1].data["failed_pages"] == [3]
    pages = {page.page_number: page for page in BookPage.objects.filter(book_id=book_id)}
    assert all(pages[n].error == "" and "quick brown fox" in pages[n].text_content for n in (1, 2))
    assert pages[3].text_content == "typed in"


def test_a_retry_is_refused_while_this_process_cannot_read_books(
    api, book_whose_every_page_failed, monkeypatch, tmp_path
):
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))  # an empty folder: no tesseract model

    response = api.post(f"/api/books/{book_whose_every_page_failed}/retry/")

    assert (response.status_code, response.json()["code"]) == (503, "ocr_unavailable")
    assert Book.objects.get(pk=book_whose_every_page_failed).status == Book.Status.FAILED
    assert BookPage.objects.filter(book_id=book_whose_every_page_failed).count() == 3


def test_a_completed_book_offers_its_narration_with_the_outline_as_chapters(api, tmp_path):
    book = typeset(title="Tales of Water", devanagari=False, chapters=3)
    book_id = start_upload(api, write_pdf(book, tmp_path / "tales.pdf", scanned=False, outline=True))["id"]
    assert book_runner().wait_idle(timeout=120)

    completed = BookEvent.objects.get(book_id=book_id, name="completed").data
    assert completed["text_url"] == f"/api/books/{book_id}/text/"
    response = api.get(completed["text_url"])
    assert response.status_code == 200
    assert character_error_rate(response.content.decode(), book.narration) < 0.02
    chapters = api.get(f"{completed['text_url']}?format=json").json()["chapters"]
    assert [(c["title"], c["start_page"]) for c in chapters] == book.chapters
    assert Book.objects.get(pk=book_id).outline == [
        {"title": title, "page": page, "level": 0} for title, page in book.chapters
    ]


def test_pages_read_before_the_extraction_broke_are_kept(api, tmp_path, monkeypatch):
    read_page = page_extraction.extract_page

    def breaking_on_page_3(pdf_path, page_number, *args, **kwargs):
        if page_number == 3:
            raise RuntimeError("the engine broke")
        return read_page(pdf_path, page_number, *args, **kwargs)

    monkeypatch.setattr(page_extraction, "extract_page", breaking_on_page_3)
    pdf = build_pdf(tmp_path / "four.pdf", [english_page(start=n) for n in range(4)])
    with open(pdf, "rb") as handle:
        book_id = api.post("/api/books/", {"file": handle, "language": "english"}, format="multipart").json()[
            "id"
        ]
    assert book_runner().wait_idle(timeout=120)

    book = Book.objects.get(pk=book_id)
    assert (book.status, book.error_code) == (Book.Status.FAILED, "ocr_failed")
    # Page 3 starts once page 1 or 2 is done: what was done by then is kept (page 4 too, if
    # it finished in the same wait as page 3 broke), the page that broke is not.
    stored = set(BookPage.objects.filter(book_id=book_id).values_list("page_number", flat=True))
    assert stored & {1, 2} and 3 not in stored
    assert "the engine broke" in book.error_message
