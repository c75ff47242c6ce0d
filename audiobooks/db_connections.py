"""Database connections held only while they are used.

A request's connection goes back (to the pool, or closed) as soon as its view has answered,
not when the client has read the whole answer: a slow reader, or a stream that lasts an
hour, would otherwise hold one all that time. Streams also give theirs back between reads
of the event log (publishing/event_log.py).
"""

from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponseBase


def release_connection() -> None:
    """Give this thread's (greenlet's) connection back; the next query takes one again."""
    # Asked on every wake of every stream: most have no connection open to give back.
    if connection.connection is not None and not connection.in_atomic_block:
        connection.close()


def release_after_view(get_response: Callable[[HttpRequest], HttpResponseBase]):
    """Middleware, outermost: by the time the answer comes back here it is rendered, and
    every other middleware (the session's save among them) is done with the database."""

    def middleware(request: HttpRequest) -> HttpResponseBase:
        response = get_response(request)
        release_connection()
        return response

    return middleware
