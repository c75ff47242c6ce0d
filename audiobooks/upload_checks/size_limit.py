"""Refuses an over-limit upload as it arrives, not after it is all on disk."""

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler

from audiobooks.errors import BookError, ErrorCode

# Room for the multipart boundaries and the small form fields around the file.
MULTIPART_OVERHEAD = 1024 * 1024


def too_large() -> BookError:
    limit_mb = settings.BOOK_MAX_UPLOAD_BYTES / (1024 * 1024)
    return BookError(ErrorCode.TOO_LARGE, "File too large", f"Maximum file size is {limit_mb:g} MB.")


class LimitedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > settings.BOOK_MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD:
            raise too_large()
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.BOOK_MAX_UPLOAD_BYTES:
            self.file.close()  # a closed NamedTemporaryFile is removed from disk
            raise too_large()
        return super().receive_data_chunk(raw_data, start)
