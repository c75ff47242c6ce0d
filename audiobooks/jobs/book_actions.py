"""What an owner does to a book: create it from an upload, cancel, retry or delete it."""

import os
import uuid

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet

from audiobooks import events
from audiobooks.errors import BookError, ErrorCode
from audiobooks.jobs.book_job import finish_book
from audiobooks.jobs.runners import book_runner
from audiobooks.models import Book, BookPage
from audiobooks.pages.page_pictures import forget_pictures
from audiobooks.publishing.event_log import publish_event
from audiobooks.storage.original_pdfs import PdfStorageError
from audiobooks.upload_checks.pdf_checks import inspect_upload
from audiobooks.upload_checks.user_limits import check_user_limits


def create_book_from_upload(
    *,
    user,
    upload: UploadedFile,
    title: str = "",
    author: str = "",
    language: str = Book.Language.HINDI,
    category: str = "",
    description: str = "",
    ocr_mode: str = Book.OcrMode.AUTO,
    within_user_limits: bool = True,
) -> Book:
    """Validate the upload, store it, create the book and start its job in the background.
    `within_user_limits`: refuse it (429) past the reader's limits; an operator's bulk
    import (import_book) is not held to them."""
    book_runner().check_can_read_books()
    total_pages = inspect_upload(upload=upload)
    if within_user_limits:
        check_user_limits(user=user, new_pages=total_pages)
    original_name = (upload.name or "book.pdf").replace("\x00", "")[:255]
    book = Book(
        user=user,
        title=title or os.path.splitext(original_name)[0][:255] or "Untitled",
        author=author or "Unknown",
        language=language,
        category=category or "general",
        description=description,
        ocr_mode=ocr_mode,
        original_filename=original_name,
        total_pages=total_pages,
    )
    store_original(book=book, upload=upload)
    try:
        with transaction.atomic():
            book.save()
            publish_event(
                book_id=book.pk,
                event=events.Status(stage="validating", message=f"File validated: {total_pages} pages"),
            )
            publish_event(
                book_id=book.pk,
                event=events.Status(stage="stored", message="File stored, starting extraction..."),
            )
            transaction.on_commit(lambda: book_runner().submit(book.pk), robust=True)
    except BaseException:  # no half-saved book: its file goes too
        book.pdf.delete(save=False)
        raise
    return book


def store_original(*, book: Book, upload: UploadedFile) -> None:
    """Put the uploaded PDF in storage under a random name (the book is not saved yet)."""
    upload.seek(0)
    try:
        book.pdf.save(f"{uuid.uuid4().hex}.pdf", upload, save=False)
    except PdfStorageError as exc:
        raise BookError(
            ErrorCode.STORAGE_UNAVAILABLE,
            "Storage unavailable",
            "The PDF could not be stored; try again later.",
        ) from exc


def cancel_book(*, book: Book) -> None:
    """Stop a processing book; its job notices before its next page. Pages so far stay.
    The stream's last event is an `error` with code `cancelled`, as the contract says."""
    details = f"Cancelled by its owner with {book.pages.count()} of {book.total_pages} pages stored."
    stopped = finish_book(
        book=book,
        status=Book.Status.CANCELLED,
        event=events.Error(error="Cancelled", details=details, code=ErrorCode.CANCELLED),
        error_code=ErrorCode.CANCELLED,
        error_message=details,
    )
    if not stopped:
        raise BookError(
            ErrorCode.NOT_CANCELLABLE,
            "Not processing",
            f"The book is {book.status}; only a processing book can be cancelled.",
        )


def retry_book(*, book: Book) -> int:
    """Process a failed or cancelled book again: the pages that failed are read again (what
    failed them, a missing model say, is what a retry is for), those read are kept, and so
    is a failed page a reader has since typed in. Returns the sequence number the retry's
    events come after."""
    kept = book.pages.count() - pages_to_read_again(book).count()
    return reopen_book(
        book=book,
        reopenable=(Book.Status.FAILED, Book.Status.CANCELLED),
        message=f"Retrying: {kept} of {book.total_pages} pages already stored",
        read_failed_pages_again=True,
    )


def reread_page(
    *, book: Book, page_number: int, language: str, ocr_mode: str, replace_correction: bool = False
) -> int:
    """Read one page of a book that is not processing again with `language` and `ocr_mode`.
    The new reading replaces the page's extracted text; a reader's correction stays the
    page's text unless `replace_correction`. Returns the sequence number its events come after."""
    if not 1 <= page_number <= book.total_pages:
        raise BookError(ErrorCode.NOT_FOUND, "Page not found", f"The book has pages 1 to {book.total_pages}.")
    return reopen_book(
        book=book,
        reopenable=(Book.Status.COMPLETED, Book.Status.FAILED, Book.Status.CANCELLED),
        message=f"Reading page {page_number} again ({language}, {ocr_mode})",
        reread={
            "page": page_number,
            "language": language,
            "ocr_mode": ocr_mode,
            "replace_correction": replace_correction,
        },
    )


def pages_to_read_again(book: Book) -> QuerySet[BookPage]:
    """A book's failed pages, but one a reader has typed in: a retry reads them again."""
    return book.pages.exclude(error="").filter(edited_at=None)


def reopen_book(
    *,
    book: Book,
    reopenable: tuple[str, ...],
    message: str,
    reread: dict | None = None,
    read_failed_pages_again: bool = False,
) -> int:
    """Put a finished book back to processing and start its job; its stream goes on after
    the returned sequence number. With `read_failed_pages_again`, its failed pages (but one
    a reader has typed in) are dropped, so the job reads them like the missing ones."""
    # Before the transaction: the checks run programs, and the transaction holds SQLite's
    # write lock, which other greenlets of this worker would wait on.
    if book.status in reopenable:
        check_user_limits(user=book.user, new_pages=0)
        book_runner().check_can_read_books()  # reopened by a runner that cannot OCR, every page would fail
    with transaction.atomic():
        reopened = Book.objects.filter(pk=book.pk, status__in=reopenable).update(
            status=Book.Status.PROCESSING,
            error_code="",
            error_message="",
            finished_at=None,
            worker_id="",
            takeovers=0,
            narration=None,  # made again from the pages when the book completes
            reread=reread,
        )
        if not reopened:
            raise BookError(
                ErrorCode.NOT_RETRYABLE,
                "Not now",
                f"The book is {book.status}; this needs a book that is {' or '.join(reopenable)}.",
            )
        if read_failed_pages_again:
            pages_to_read_again(book).delete()
        event = publish_event(book_id=book.pk, event=events.Status(stage="stored", message=message))
        transaction.on_commit(lambda: book_runner().submit(book.pk), robust=True)
    return event.seq - 1


def delete_book(*, book: Book) -> None:
    book.pdf.delete(save=False)
    forget_pictures(book_id=book.pk)
    book.delete()
