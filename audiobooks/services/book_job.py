"""The book job: extract every page not yet stored, saving each page and its event as it lands.

Idempotent by page number, so running it again on a half-done book only does the rest.
"""

import logging
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audiobooks import events
from audiobooks.errors import ErrorCode
from audiobooks.models import Book, BookPage
from audiobooks.services import book_lease
from audiobooks.services.events import publish_event
from audiobooks.services.pdf_processor_ocr import ExtractionOptions, PageResult, extract_pages
from audiobooks.storage import PdfStorageError, local_path

logger = logging.getLogger(__name__)

TESSERACT_LANGUAGES = {
    Book.Language.HINDI: "hin+eng",
    Book.Language.ENGLISH: "eng",
    Book.Language.HINGLISH: "hin+eng",
}


def extraction_options(book: Book) -> ExtractionOptions:
    return ExtractionOptions(
        language=TESSERACT_LANGUAGES[book.language],
        mode=book.ocr_mode,
        require_devanagari=book.language == Book.Language.HINDI,
        dpi=settings.OCR_DPI,
        ocr_timeout=settings.OCR_PAGE_TIMEOUT,
        max_pixels=settings.OCR_MAX_PIXELS,
    )


def process_book(*, book_id: int, executor=None, replacing: str | None = None) -> None:
    """Run the book's job if its lease can be had; `replacing` names a dead holder."""
    if not book_lease.claim(book_id=book_id, replacing=replacing):
        return
    book = Book.objects.get(pk=book_id)
    started = time.monotonic()
    if not book.pdf.storage.exists(book.pdf.name):
        fail_book(
            book=book, code=ErrorCode.FILE_MISSING, error="The original PDF is gone.", details=book.pdf.name
        )
        return

    Book.objects.filter(pk=book.pk, started_at=None).update(started_at=timezone.now())
    stored = set(book.pages.values_list("page_number", flat=True))
    pages_done = len(stored)
    publish_event(
        book_id=book.pk, event=events.Status(stage="extracting", message="Extracting text from pages...")
    )
    publish_event(
        book_id=book.pk,
        event=events.ProcessingStarted(
            book_id=book.pk,
            total_pages=book.total_pages,
            message=f"Processing {book.total_pages} pages",
        ),
    )
    publish_event(
        book_id=book.pk,
        event=events.page_progress(book_id=book.pk, pages_done=pages_done, total_pages=book.total_pages),
    )

    still_held = True  # checked with each page stored; it also tells extract_pages to stop

    def store_page(result: PageResult) -> None:
        nonlocal pages_done, still_held
        with transaction.atomic():
            # Cancelled, deleted or taken over since the page started: it is not ours to store.
            still_held = book_lease.holds(book_id=book.pk)
            if not still_held:
                return
            _, created = BookPage.objects.update_or_create(
                book_id=book.pk,
                page_number=result.page_number,
                defaults=dict(
                    text_content=result.text,
                    method=result.method,
                    char_count=result.chars,
                    ocr_confidence=result.confidence,
                    error=result.error,
                ),
            )
            pages_done += created
            publish_event(
                book_id=book.pk,
                event=events.page_progress(
                    book_id=book.pk,
                    pages_done=pages_done,
                    total_pages=book.total_pages,
                    page_number=result.page_number,
                    method=result.method,
                    extracted_chars=result.chars,
                ),
            )

    try:
        with local_path(book.pdf) as pdf_path:
            extract_pages(
                pdf_path,
                pages=[n for n in range(1, book.total_pages + 1) if n not in stored],
                options=extraction_options(book),
                executor=executor,
                in_flight=settings.OCR_WORKERS,
                progress_callback=store_page,
                should_stop=lambda: not still_held,
            )
    except PdfStorageError as exc:
        logger.warning("book %s: %s", book.pk, exc)
        fail_book(
            book=book,
            code=ErrorCode.STORAGE_UNAVAILABLE,
            error="The original PDF could not be read from storage.",
            details=str(exc),
        )
        return
    except Exception as exc:
        logger.exception("book %s failed", book.pk)
        fail_book(book=book, code=ErrorCode.OCR_FAILED, error="Text extraction failed.", details=str(exc))
        return
    if book_lease.holds(book_id=book.pk):
        complete_book(book=book, duration_s=time.monotonic() - started)


def finish_book(*, book: Book, status: str, event: events.Event, **fields) -> bool:
    """Move a processing book to `status` and publish its terminal event, atomically.
    False when the book was no longer processing (cancelled or deleted meanwhile)."""
    with transaction.atomic():
        finished = Book.objects.filter(pk=book.pk, status=Book.Status.PROCESSING).update(
            status=status, worker_id="", finished_at=timezone.now(), **fields
        )
        if finished:
            publish_event(book_id=book.pk, event=event)
    return bool(finished)


def complete_book(*, book: Book, duration_s: float) -> None:
    publish_event(book_id=book.pk, event=events.Status(stage="saving", message="Saving the book..."))
    pages = book.pages.all()
    finish_book(
        book=book,
        status=Book.Status.COMPLETED,
        event=events.Completed(
            book_id=book.pk,
            title=book.title,
            author=book.author,
            total_pages=book.total_pages,
            message="Upload completed successfully!",
            pages_ocr=pages.filter(method=BookPage.Method.OCR, error="").count(),
            pages_text=pages.filter(method=BookPage.Method.TEXT, error="").count(),
            failed_pages=list(pages.exclude(error="").values_list("page_number", flat=True)),
            duration_s=round(duration_s, 2),
        ),
    )


def fail_book(*, book: Book, code: ErrorCode, error: str, details: str = "") -> bool:
    return finish_book(
        book=book,
        status=Book.Status.CANCELLED if code == ErrorCode.CANCELLED else Book.Status.FAILED,
        event=events.Error(error=error, details=details, code=code),
        error_code=code,
        error_message=f"{error} {details}".strip(),
    )
