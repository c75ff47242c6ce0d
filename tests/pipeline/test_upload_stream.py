"""The upload stream, in process: event order and shapes, pages stored, real OCR."""

import dataclasses
import threading
from pathlib import Path

import pytest

from audiobooks import events
from audiobooks.jobs.runners import book_runner
from audiobooks.models import Book, BookEvent, BookPage
from tests.support.pdf_factory import build_pdf, hindi_page
from tests.support.sse_client import events_only, parse_stream

pytestmark = pytest.mark.django_db(transaction=True)

UPLOAD_URL = "/api/books/upload-sse/"


def upload(api, pdf_path, accept="text/event-stream", **fields):
    with open(pdf_path, "rb") as handle:
        headers = {"HTTP_ACCEPT": accept} if accept else {}
        response = api.post(UPLOAD_URL, {"file": handle, **fields}, format="multipart", **headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def payload_fields(event_cls) -> set[str]:
    return {f.name for f in dataclasses.fields(event_cls)}


def test_digital_book_streams_every_event_of_the_contract(api, digital_english_pdf):
    response, body = upload(
        api, digital_english_pdf, title="Test Book", author="Test Author", language="english"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/event-stream"
    assert response["Cache-Control"] == "no-cache"
    assert response["X-Accel-Buffering"] == "no"
    messages = parse_stream(body)
    assert messages[0].retry == 3000
    stream = events_only(messages)
    assert [m.id for m in stream] == list(range(1, len(stream) + 1))
    assert [m.event for m in stream] == [
        "status",
        "status",
        "status",
        "processing_started",
        "page_progress",
        "page_progress",
        "page_progress",
        "status",
        "completed",
    ]
    for message in stream:
        assert set(message.data) == payload_fields(events.EVENT_TYPES[message.event])
    assert [m.data["stage"] for m in stream if m.event == "status"] == [
        "validating",
        "stored",
        "extracting",
        "saving",
    ]

    progress = [m.data for m in stream if m.event == "page_progress"]
    assert [p["current_page"] for p in progress] == [0, 1, 2]
    assert [p["progress"] for p in progress] == [0, 50, 100]
    assert sorted(p["page_number"] for p in progress[1:]) == [1, 2]
    assert all(p["method"] == "text" and p["extracted_chars"] > 100 for p in progress[1:])

    completed = stream[-1].data
    book = Book.objects.get()
    assert completed["book_id"] == book.pk
    assert (completed["title"], completed["author"], completed["total_pages"]) == (
        "Test Book",
        "Test Author",
        2,
    )
    assert (completed["pages_text"], completed["pages_ocr"], completed["failed_pages"]) == (2, 0, [])
    assert book.status == Book.Status.COMPLETED
    assert BookEvent.objects.filter(book=book).count() == len(stream)


def test_fetch_without_accept_header_gets_the_same_stream(api, digital_english_pdf):
    response, body = upload(api, digital_english_pdf, accept=None, language="english")

    assert response.status_code == 200
    assert events_only(parse_stream(body))[-1].event == "completed"


def test_scanned_hindi_pages_are_ocred_and_stored_with_confidence(api, scanned_hindi_pdf):
    response, body = upload(api, scanned_hindi_pdf, language="hindi")

    stream = events_only(parse_stream(body))
    assert stream[-1].event == "completed", stream[-1].data
    assert stream[-1].data["pages_ocr"] == 2
    pages = list(BookPage.objects.order_by("page_number"))
    assert [p.page_number for p in pages] == [1, 2]
    assert all(p.method == "ocr" and p.error == "" for p in pages)
    assert "गंगा नदी हिमालय" in pages[0].text_content
    assert "राष्ट्रपति" in pages[1].text_content
    assert all(p.char_count == len(p.text_content) and p.ocr_confidence > 60 for p in pages)


def test_mixed_book_uses_the_text_layer_where_it_is_real(api, mixed_pdf):
    upload(api, mixed_pdf, language="hinglish")

    methods = dict(BookPage.objects.values_list("page_number", "method"))
    assert methods == {1: "text", 2: "ocr"}
    assert "quick brown fox" in BookPage.objects.get(page_number=1).text_content


def test_ocr_mode_ocr_reads_even_a_digital_page_with_tesseract(api, digital_english_pdf):
    upload(api, digital_english_pdf, language="english", ocr_mode="ocr")

    pages = BookPage.objects.order_by("page_number")
    assert [p.method for p in pages] == ["ocr", "ocr"]
    assert "quick brown fox" in pages[0].text_content


def test_a_failing_page_is_stored_empty_with_its_error_and_the_book_completes(api, settings, mixed_pdf):
    settings.OCR_PAGE_TIMEOUT = 0.001  # tesseract cannot finish: the scanned page fails

    _, body = upload(api, mixed_pdf, language="hinglish")

    completed = events_only(parse_stream(body))[-1]
    assert completed.event == "completed"
    assert (completed.data["pages_text"], completed.data["failed_pages"]) == (1, [2])
    page = BookPage.objects.get(page_number=2)
    assert page.text_content == "" and "timeout" in page.error.lower()
    assert Book.objects.get().status == Book.Status.COMPLETED


def test_a_book_whose_every_page_fails_ends_failed_with_the_first_pages_error(api, settings, tmp_path):
    settings.OCR_PAGE_TIMEOUT = 0.001  # as when a language's model is missing: no page reads
    pdf = build_pdf(tmp_path / "two.pdf", [hindi_page(), hindi_page(start=1)])

    _, body = upload(api, pdf)

    error = events_only(parse_stream(body))[-1]
    assert error.event == "error" and error.data["code"] == "ocr_failed"
    assert error.data["error"] == "No page could be read."
    assert (
        error.data["details"].startswith("All 2 pages failed; page 1: ")
        and "timeout" in error.data["details"].lower()
    )
    book = Book.objects.get()
    assert (book.status, book.error_code) == (Book.Status.FAILED, "ocr_failed")
    assert BookPage.objects.count() == 2  # the pages and their errors stay (a retry reads them again)


def test_original_pdf_is_kept_and_served_to_its_owner(api, digital_english_pdf):
    upload(api, digital_english_pdf, language="english")
    book = Book.objects.get()

    detail = api.get(f"/api/books/{book.pk}/").json()
    response = api.get(detail["pdf_url"])

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == digital_english_pdf.read_bytes()
    stored = Path(book.pdf.path)
    assert (stored.stat().st_mode & 0o777, stored.parent.stat().st_mode & 0o777) == (0o600, 0o700)


def test_books_share_one_page_pool_capped_by_ocr_workers(user, settings, monkeypatch, tmp_path):
    from audiobooks.extraction import page_extraction
    from tests.conftest import client_for

    settings.OCR_WORKERS = 2  # this process's runner for these settings has a pool of two
    running, peak, lock = 0, 0, threading.Lock()
    real_ocr_page = page_extraction.ocr_page

    def counting_ocr_page(*args, **kwargs):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            return real_ocr_page(*args, **kwargs)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(page_extraction, "ocr_page", counting_ocr_page)
    pdfs = [build_pdf(tmp_path / f"book{n}.pdf", [hindi_page(count=3, start=n)] * 2) for n in range(3)]
    uploads = [threading.Thread(target=upload, args=(client_for(user), pdf)) for pdf in pdfs]
    for thread in uploads:
        thread.start()
    for thread in uploads:
        thread.join()
    assert book_runner().wait_idle(timeout=120)

    assert Book.objects.filter(status=Book.Status.COMPLETED).count() == 3
    assert BookPage.objects.count() == 6
    assert peak == 2  # three books, six pages, never more than OCR_WORKERS at once


def test_an_upload_is_refused_while_this_process_cannot_read_books(
    api, monkeypatch, tmp_path, digital_english_pdf
):
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))  # an empty folder: no tesseract model

    response, body = upload(api, digital_english_pdf, language="english")

    (error,) = events_only(parse_stream(body))
    assert response.status_code == 503
    assert error.data["code"] == "ocr_unavailable" and "Devanagari" in error.data["details"]
    assert not Book.objects.exists()
    assert not any((tmp_path / "media").rglob("*.pdf"))
