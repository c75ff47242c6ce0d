"""Every request gets an id (the client's `X-Request-ID` when it is a sane one, else a new
one), sent back as `X-Request-ID` and put on every log line of the request, with the book
id of a book URL (log_context.py)."""

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from audiobooks import log_context

# What a proxy or client may choose as an id: short, and nothing that could forge a log line.
CLIENT_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        given = request.headers.get("X-Request-ID", "")
        request.request_id = given if CLIENT_ID.fullmatch(given) else uuid.uuid4().hex
        # A keep-alive connection's next request runs on the same greenlet: start clean.
        log_context.request_id.set(request.request_id)
        log_context.user_id.set(None)
        log_context.book_id.set(None)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        if "book_id" in view_kwargs:
            log_context.book_id.set(view_kwargs["book_id"])
