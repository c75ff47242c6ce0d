"""Stable error codes: the `code` field of every error body and `error` event.

Clients branch on the code, so a code is never renamed; new ones may be added.
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    NO_FILE = "no_file"
    INVALID_FIELD = "invalid_field"
    NOT_PDF = "not_pdf"
    TOO_LARGE = "too_large"
    ENCRYPTED = "encrypted"
    CORRUPT = "corrupt"
    NO_PAGES = "no_pages"
    TOO_MANY_PAGES = "too_many_pages"
    OCR_FAILED = "ocr_failed"
    FILE_MISSING = "file_missing"
    TOO_MANY_TAKEOVERS = "too_many_takeovers"
    STORAGE_UNAVAILABLE = "storage_unavailable"
    CANCELLED = "cancelled"
    NOT_CANCELLABLE = "not_cancellable"
    NOT_RETRYABLE = "not_retryable"
    STILL_PROCESSING = "still_processing"
    LENGTH_REQUIRED = "length_required"
    BODY_TOO_SLOW = "body_too_slow"
    NOT_AUTHENTICATED = "not_authenticated"
    INVALID_TOKEN = "invalid_token"
    AUTHENTICATION_FAILED = "authentication_failed"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    BAD_REQUEST = "bad_request"
    THROTTLED = "throttled"
    BOOKS_IN_FLIGHT = "books_in_flight"
    DAILY_PAGES = "daily_pages"
    TOO_MANY_STREAMS = "too_many_streams"
    SIGN_IN_LOCKED = "sign_in_locked"
    SERVER_ERROR = "server_error"
    OCR_UNAVAILABLE = "ocr_unavailable"
    VERSION_CONFLICT = "version_conflict"
    VERSION_REQUIRED = "version_required"


HTTP_STATUS = {
    ErrorCode.NO_FILE: 400,
    ErrorCode.INVALID_FIELD: 400,
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.NOT_AUTHENTICATED: 401,
    ErrorCode.INVALID_TOKEN: 401,
    ErrorCode.AUTHENTICATION_FAILED: 401,
    ErrorCode.PERMISSION_DENIED: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.CANCELLED: 409,
    ErrorCode.NOT_CANCELLABLE: 409,
    ErrorCode.NOT_RETRYABLE: 409,
    ErrorCode.STILL_PROCESSING: 409,
    ErrorCode.LENGTH_REQUIRED: 411,
    ErrorCode.VERSION_CONFLICT: 412,
    ErrorCode.VERSION_REQUIRED: 428,
    ErrorCode.BODY_TOO_SLOW: 408,
    ErrorCode.TOO_LARGE: 413,
    ErrorCode.NOT_PDF: 415,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.ENCRYPTED: 422,
    ErrorCode.CORRUPT: 422,
    ErrorCode.NO_PAGES: 422,
    ErrorCode.TOO_MANY_PAGES: 422,
    ErrorCode.OCR_FAILED: 422,
    ErrorCode.FILE_MISSING: 422,
    ErrorCode.TOO_MANY_TAKEOVERS: 422,
    ErrorCode.THROTTLED: 429,
    ErrorCode.BOOKS_IN_FLIGHT: 429,
    ErrorCode.DAILY_PAGES: 429,
    ErrorCode.TOO_MANY_STREAMS: 429,
    ErrorCode.SIGN_IN_LOCKED: 429,
    ErrorCode.SERVER_ERROR: 500,
    ErrorCode.STORAGE_UNAVAILABLE: 503,
    ErrorCode.OCR_UNAVAILABLE: 503,
}


class BookError(Exception):
    """A request or a book that cannot go on, with what to tell the client."""

    def __init__(
        self, code: ErrorCode, error: str, details: str = "", *, retry_after: int | None = None
    ) -> None:
        super().__init__(f"{code}: {error}")
        self.code = code
        self.error = error
        self.details = details
        self.retry_after = retry_after  # seconds, for a limit that frees up by itself

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]

    def body(self) -> dict:
        return {"error": self.error, "details": self.details, "code": str(self.code)}
