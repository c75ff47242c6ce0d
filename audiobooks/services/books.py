"""Creating, cancelling, retrying and deleting books."""

import os
import uuid

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from audiobooks import events
from audiobooks.errors import BookError, ErrorCode
from audiobooks.models import Book
from audiobooks.services.book_job import fail_book
from audiobooks.services.events import publish_event
from audiobooks.services.pdf_processor_ocr import PdfRejected, count_pages
from audiobooks.services.runner import runner
from audiobooks.storage import PdfStorageError
from audiobooks.utils.uploads import too_large

REJECTIONS = {
    "not_pdf": (ErrorCode.NOT_PDF, "Invalid file type", "Only PDF files are allowed."),
    "encrypted": (ErrorCode.ENCRYPTED, "Encrypted PDF", "Remove the password protection and upload again."),
    "corrupt": (ErrorCode.CORRUPT, "Corrupt PDF", "The file could not be read as a PDF."),
    "no_pages": (ErrorCode.NO_PAGES, "Empty PDF", "The PDF has no pages."),
}


def inspect_upload(*, upload: UploadedFile) -> int:
    """Check an uploaded file is a readable PDF within the limits; return its page count."""
    if upload.size > settings.BOOK_MAX_UPLOAD_BYTES:
        raise too_large()
    if upload.size == 0:
        raise BookError(ErrorCode.NOT_PDF, "Invalid file type", "The file is empty.")
    try:
        total_pages = count_pages(upload.temporary_file_path())
    except PdfRejected as exc:
        code, error, details = REJECTIONS[exc.reason]
        if exc.reason == "corrupt":  # say what is wrong with it: truncated, unparsable, ...
            details = f"{details} {exc}"
        raise BookError(code, error, details) from exc
    if total_pages > settings.BOOK_MAX_PAGES:
        raise BookError(
            ErrorCode.TOO_MANY_PAGES,
            "Too many pages",
            f"The PDF has {total_pages} pages; the limit is {settings.BOOK_MAX_PAGES}.",
        )
    return total_pages


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
) -> Book:
    """Validate the upload, store it, create the book and start its job in the background."""
    total_pages = inspect_upload(upload=upload)
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
    upload.seek(0)
    try:
        book.pdf.save(f"{uuid.uuid4().hex}.pdf", upload, save=False)
    except PdfStorageError as exc:
        raise BookError(
            ErrorCode.STORAGE_UNAVAILABLE,
            "Storage unavailable",
            "The PDF could not be stored; try again later.",
        ) from exc
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
            transaction.on_commit(lambda: runner.submit(book.pk), robust=True)
    except BaseException:
        book.pdf.delete(save=False)
        raise
    return book


def cancel_book(*, book: Book) -> None:
    """Stop a processing book; its job notices before its next page. Pages so far stay."""
    done = book.pages.count()
    stopped = fail_book(
        book=book,
        code=ErrorCode.CANCELLED,
        error="Cancelled",
        details=f"Cancelled by its owner with {done} of {book.total_pages} pages stored.",
    )
    if not stopped:
        raise BookError(
            ErrorCode.NOT_CANCELLABLE,
            "Not processing",
            f"The book is {book.status}; only a processing book can be cancelled.",
        )


def retry_book(*, book: Book) -> int:
    """Process a failed or cancelled book again, skipping its stored pages. Returns the
    sequence number the retry's events come after."""
    retryable = (Book.Status.FAILED, Book.Status.CANCELLED)
    done = book.pages.count()
    with transaction.atomic():
        reopened = Book.objects.filter(pk=book.pk, status__in=retryable).update(
            status=Book.Status.PROCESSING, error_code="", error_message="", finished_at=None, worker_id=""
        )
        if not reopened:
            raise BookError(
                ErrorCode.NOT_RETRYABLE,
                "Nothing to retry",
                f"The book is {book.status}; only a failed or cancelled book can be retried.",
            )
        event = publish_event(
            book_id=book.pk,
            event=events.Status(
                stage="stored", message=f"Retrying: {done} of {book.total_pages} pages already stored"
            ),
        )
        transaction.on_commit(lambda: runner.submit(book.pk), robust=True)
    return event.seq - 1


def delete_book(*, book: Book) -> None:
    book.pdf.delete(save=False)
    book.delete()
