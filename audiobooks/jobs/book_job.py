"""The book job: claim the book → the pages still to do → extract them, storing them as they
land, in batches → finish the book.

Idempotent by page number, so running it again on a half-done book only does the rest.
"""

import contextvars
import logging
import time
from concurrent.futures import Executor

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audiobooks import events, log_context
from audiobooks.errors import ErrorCode
from audiobooks.extraction.page_extraction import ExtractionOptions, extract_pages, options_for_book
from audiobooks.extraction.pdf_reader import READER_CHILDREN, PdfReader, PdfReaderFailed, reader_limits_from
from audiobooks.jobs import lease
from audiobooks.models import Book, BookPage
from audiobooks.pages.book_narration import narration_at_completion
from audiobooks.pages.page_store import PageStore
from audiobooks.publishing.event_log import publish_event
from audiobooks.storage.original_pdfs import PdfStorageError, local_path

logger = logging.getLogger(__name__)


def process_book(*, book_id: int, executor: Executor | None = None, replacing: str | None = None) -> None:
    """Run the book's job if its lease can be had; `replacing` names a dead holder. Every
    log line of the job, its page threads' too, carries the book's and its owner's ids (in
    a context of its own, so they do not stay on the calling thread)."""
    contextvars.copy_context().run(run_job, book_id=book_id, executor=executor, replacing=replacing)


def run_job(*, book_id: int, executor: Executor | None, replacing: str | None) -> None:
    log_context.book_id.set(book_id)
    book = claim(book_id=book_id, replacing=replacing)
    if book is None:
        return
    log_context.user_id.set(book.user_id)
    started = time.monotonic()
    if not book.pdf.storage.exists(book.pdf.name):
        fail_book(
            book=book, code=ErrorCode.FILE_MISSING, error="The original PDF is gone.", details=book.pdf.name
        )
        return
    Book.objects.filter(pk=book.pk, started_at=None).update(started_at=timezone.now())
    # A page read again comes first; a failed or cancelled book's missing pages follow it.
    missing = pages_to_do(book)
    pages = [book.reread["page"], *missing] if book.reread else missing
    store = PageStore(
        book=book,
        pages_done=book.total_pages - len(missing),
        replace_corrections=bool(book.reread and book.reread["replace_correction"]),
    )
    announce_start(book, pages_done=store.pages_done)
    # Completed only with every page stored: an extraction stopped short (this process is
    # shutting down) leaves the book processing, for the process that resumes it.
    extracted = extract(book, pages=pages, store=store, executor=executor)
    if extracted and book.pages.count() == book.total_pages and lease.holds(book_id=book.pk):
        complete_book(book=book, duration_s=time.monotonic() - started)


def claim(*, book_id: int, replacing: str | None) -> Book | None:
    """The book, if this process could take its lease; None if another holds it."""
    if not lease.claim(book_id=book_id, replacing=replacing):
        holder = Book.objects.filter(pk=book_id).values_list("status", "worker_id").first()
        logger.info("book %s not claimed: (status, holder) is %s", book_id, holder)
        return None
    book = Book.objects.get(pk=book_id)
    if book.takeovers > settings.BOOK_MAX_TAKEOVERS:
        # Something in this book kills or hangs the process that reads it: stop, not loop.
        fail_book(
            book=book,
            code=ErrorCode.TOO_MANY_TAKEOVERS,
            error="Reading this book kept stopping.",
            details=f"The process reading it died or stopped answering {book.takeovers} times;"
            " it is not resumed again by itself. Retry it to try once more.",
        )
        return None
    return book


def pages_to_do(book: Book) -> list[int]:
    stored = set(book.pages.values_list("page_number", flat=True))
    return [number for number in range(1, book.total_pages + 1) if number not in stored]


def announce_start(book: Book, *, pages_done: int) -> None:
    publish_event(
        book_id=book.pk, event=events.Status(stage="extracting", message="Extracting text from pages...")
    )
    publish_event(
        book_id=book.pk,
        event=events.ProcessingStarted(
            book_id=book.pk, total_pages=book.total_pages, message=f"Processing {book.total_pages} pages"
        ),
    )
    publish_event(
        book_id=book.pk,
        event=events.page_progress(book_id=book.pk, pages_done=pages_done, total_pages=book.total_pages),
    )


def extraction_options(book: Book) -> ExtractionOptions:
    """The book's settings, or those a page is read again with."""
    reread = book.reread or {}
    return options_for_book(
        reread.get("language", book.language),
        mode=reread.get("ocr_mode", book.ocr_mode),
        dpi=settings.OCR_DPI,
        ocr_timeout=settings.OCR_PAGE_TIMEOUT,
        max_pixels=settings.OCR_MAX_PIXELS,
        reader_limits=reader_limits_from(settings),
        max_page_chars=settings.PAGE_TEXT_MAX_CHARS,
    )


def extract(book: Book, *, pages: list[int], store: PageStore, executor: Executor | None) -> bool:
    """Extract `pages` into `store`; False when the book failed as a whole (then it is marked
    failed). A page that fails alone is stored with its error and does not stop the book."""
    options = extraction_options(book)
    try:
        # One PDF reader for the outline and every page. A text-layer page is mostly its
        # child's parsing, so a digital book's pages are parsed side by side.
        children = min(READER_CHILDREN, settings.OCR_WORKERS)
        with (
            local_path(book.pdf) as pdf_path,
            PdfReader(pdf_path, limits=options.reader_limits, children=children) as pdf_pages,
        ):
            save_outline(book, pdf_pages=pdf_pages)
            try:
                extract_pages(
                    pdf_path,
                    pages=pages,
                    options=options,
                    executor=executor,
                    in_flight=settings.OCR_WORKERS,
                    progress_callback=store.store,
                    should_stop=store.should_stop,
                    on_waiting=store.flush_due,
                    pdf_pages=pdf_pages,
                )
            finally:
                store.flush()  # the pages read are kept, even when the rest failed
    except PdfStorageError as exc:
        logger.warning("book %s: %s", book.pk, exc)
        fail_book(
            book=book,
            code=ErrorCode.STORAGE_UNAVAILABLE,
            error="The original PDF could not be read from storage.",
            details=str(exc),
        )
        return False
    except Exception as exc:
        logger.exception("book %s failed", book.pk)
        fail_book(book=book, code=ErrorCode.OCR_FAILED, error="Text extraction failed.", details=str(exc))
        return False
    return True


def save_outline(book: Book, *, pdf_pages: PdfReader) -> None:
    """Keep the PDF's bookmarks for the narration's chapters; a book whose outline cannot be
    read is narrated without one (and the reader starts a fresh child for the pages)."""
    try:
        book.outline = pdf_pages.outline()
    except PdfReaderFailed as exc:
        logger.warning("book %s: outline not read: %s", book.pk, exc)
        book.outline = []
    Book.objects.filter(pk=book.pk).update(outline=book.outline)


def finish_book(*, book: Book, status: str, event: events.Event, **fields) -> bool:
    """Move a processing book to `status` and publish its terminal event, atomically.
    False when the book was no longer processing (cancelled or deleted meanwhile)."""
    with transaction.atomic():
        finished = Book.objects.filter(pk=book.pk, status=Book.Status.PROCESSING).update(
            status=status, worker_id="", finished_at=timezone.now(), reread=None, **fields
        )
        if finished:
            publish_event(book_id=book.pk, event=event)
    return bool(finished)


def complete_book(*, book: Book, duration_s: float) -> None:
    """The book is done: `completed`, with the pages that failed alone, unless no page was
    read at all (say, a language's model missing): then it failed, with the first error."""
    pages = book.pages.all()
    failed = pages.exclude(error="").order_by("page_number")
    if book.total_pages and failed.count() == book.total_pages:
        first = failed.first()
        fail_book(
            book=book,
            code=ErrorCode.OCR_FAILED,
            error="No page could be read.",
            details=f"All {book.total_pages} pages failed; page {first.page_number}: {first.error}",
        )
        return
    publish_event(book_id=book.pk, event=events.Status(stage="saving", message="Saving the book..."))
    # The narration is made with the book's row locked: a correction saved meanwhile waits,
    # then drops it (to be made again), instead of being lost under an older narration.
    with transaction.atomic():
        list(Book.objects.select_for_update().filter(pk=book.pk).values_list("pk"))
        finish_completed(book=book, pages=pages, duration_s=duration_s)


def finish_completed(*, book: Book, pages, duration_s: float) -> None:
    finish_book(
        book=book,
        status=Book.Status.COMPLETED,
        narration=narration_at_completion(book=book),
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
            text_url=reverse("book-text", kwargs={"book_id": book.pk}),
        ),
    )


def fail_book(*, book: Book, code: ErrorCode, error: str, details: str = "") -> bool:
    return finish_book(
        book=book,
        status=Book.Status.FAILED,
        event=events.Error(error=error, details=details, code=code),
        error_code=code,
        error_message=f"{error} {details}".strip(),
    )
