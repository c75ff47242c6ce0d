"""Every error leaves as `{error, details, code}` (or one SSE `error` event), never a traceback."""

import logging

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import InvalidToken

from audiobooks import metrics
from audiobooks.errors import HTTP_STATUS, BookError, ErrorCode
from audiobooks.upload_checks.body_deadline import BodyTooSlow

logger = logging.getLogger(__name__)

DRF_CODES: list[tuple[type[Exception], ErrorCode, str]] = [
    # Django refuses these while parsing a body: over DATA_UPLOAD_MAX_MEMORY_SIZE, or more
    # than DATA_UPLOAD_MAX_NUMBER_FIELDS / _FILES parts.
    (RequestDataTooBig, ErrorCode.TOO_LARGE, "Request too large"),
    (BodyTooSlow, ErrorCode.BODY_TOO_SLOW, "Request body too slow"),
    (SuspiciousOperation, ErrorCode.BAD_REQUEST, "Malformed request"),
    (InvalidToken, ErrorCode.INVALID_TOKEN, "Invalid or expired token"),
    (exceptions.NotAuthenticated, ErrorCode.NOT_AUTHENTICATED, "Authentication required"),
    (exceptions.AuthenticationFailed, ErrorCode.AUTHENTICATION_FAILED, "Authentication failed"),
    (exceptions.PermissionDenied, ErrorCode.PERMISSION_DENIED, "Permission denied"),
    (exceptions.NotFound, ErrorCode.NOT_FOUND, "Not found"),
    (Http404, ErrorCode.NOT_FOUND, "Not found"),
    (exceptions.MethodNotAllowed, ErrorCode.METHOD_NOT_ALLOWED, "Method not allowed"),
    (exceptions.UnsupportedMediaType, ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Unsupported media type"),
    (exceptions.Throttled, ErrorCode.THROTTLED, "Too many requests"),
    (exceptions.ValidationError, ErrorCode.INVALID_FIELD, "Invalid field"),
    (exceptions.ParseError, ErrorCode.BAD_REQUEST, "Malformed request"),
]


def describe(detail) -> str:
    """Flatten DRF's nested error detail into one readable line."""
    if isinstance(detail, dict):
        return "; ".join(f"{field}: {describe(value)}" for field, value in detail.items())
    if isinstance(detail, list):
        return " ".join(describe(item) for item in detail)
    return str(detail)


def api_exception_handler(exc, context) -> Response | None:
    response = error_response(exc, context)
    if getattr(context.get("view"), "counts_upload_rejections", False):
        metrics.UPLOAD_REJECTIONS.labels(response.data["code"]).inc()
    return response


def error_response(exc, context) -> Response:
    if isinstance(exc, BookError):
        response = Response(exc.body(), status=exc.http_status)
        if exc.retry_after is not None:
            response["Retry-After"] = str(exc.retry_after)
        return response
    for exc_type, code, error in DRF_CODES:
        if isinstance(exc, exc_type):
            status = getattr(exc, "status_code", HTTP_STATUS[code])
            details = "" if isinstance(exc, Http404) else describe(getattr(exc, "detail", str(exc)))
            response = Response({"error": error, "details": details, "code": str(code)}, status=status)
            if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
                response["Retry-After"] = str(int(exc.wait))
            auth_header = getattr(exc, "auth_header", None)
            if auth_header:
                response["WWW-Authenticate"] = auth_header
            return response
    logger.exception("unhandled error in %s", context.get("view"))
    return Response(
        {"error": "Internal error", "details": "", "code": str(ErrorCode.SERVER_ERROR)}, status=500
    )


def json_not_found(request, exception=None) -> JsonResponse:
    return JsonResponse({"error": "Not found", "details": request.path, "code": "not_found"}, status=404)


def json_server_error(request) -> JsonResponse:
    return JsonResponse({"error": "Internal error", "details": "", "code": "server_error"}, status=500)
