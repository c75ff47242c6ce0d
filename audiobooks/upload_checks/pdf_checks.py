"""Is the upload a readable PDF within the limits? Decided before anything is stored."""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from audiobooks.errors import BookError, ErrorCode
from audiobooks.extraction.pdf_file import PdfRejected
from audiobooks.extraction.pdf_reader import count_pages, reader_limits_from
from audiobooks.upload_checks.size_limit import too_large

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
        total_pages = count_pages(upload.temporary_file_path(), limits=reader_limits_from(settings))
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
