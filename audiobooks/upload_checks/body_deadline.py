"""A request body must arrive within BODY_READ_SECONDS, so a client that sends it slowly, or
not at all, holds a connection of a gevent worker that long at most. Behind nginx, which
reads the whole body before passing it on (see nginx/), bodies arrive at once and this
never triggers; it bounds a client talking to gunicorn directly."""

import time
from collections.abc import Callable

from django.core.exceptions import SuspiciousOperation

from audiobooks.gevent_worker import in_gevent_worker


class BodyTooSlow(SuspiciousOperation):
    """The body did not arrive in time (a 408 from the API, a 400 from Django's own views)."""


class DeadlineInput:
    """`wsgi.input` that gives up on the body once its deadline has passed."""

    def __init__(self, stream, *, seconds: float) -> None:
        self.stream = stream
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def _read(self, read: Callable, *args):
        import gevent

        left = self.deadline - time.monotonic()
        too_slow = BodyTooSlow(f"The request body did not arrive within {self.seconds:g} s.")
        if left <= 0:
            raise too_slow
        with gevent.Timeout(left, too_slow):
            return read(*args)

    def read(self, *args):
        return self._read(self.stream.read, *args)

    def readline(self, *args):
        return self._read(self.stream.readline, *args)


def with_body_deadline(app: Callable, *, seconds: float) -> Callable:
    """The WSGI app, its request bodies read against a deadline when it runs in a gevent
    worker (elsewhere nothing can interrupt a blocked read, so the body is read as is)."""

    def application(environ, start_response):
        if in_gevent_worker():
            environ["wsgi.input"] = DeadlineInput(environ["wsgi.input"], seconds=seconds)
        return app(environ, start_response)

    return application
