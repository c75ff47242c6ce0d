"""A request body must arrive within BODY_READ_SECONDS, so a client that sends it slowly, or
not at all, holds a connection of a gevent worker that long at most. Behind nginx, which
reads the whole body before passing it on (see nginx/), bodies arrive at once and this
never triggers; it bounds a client talking to gunicorn directly.

A body the app did not read (an upload refused from its headers, a JSON body over the size
limit) is discarded here after the answer is sent, in large reads with the event loop free
between them: gunicorn would discard it 1 KB at a time without yielding, which froze every
request and stream for 0.5 s per 10 MB."""

import time
from collections.abc import Callable, Iterable

from django.core.exceptions import SuspiciousOperation

from audiobooks.gevent_worker import in_gevent_worker

# Discarding a refused body: this much a read, and at most this much before the connection
# is closed instead (the client has its answer; a longer body is not worth reading).
DISCARD_CHUNK_BYTES = 256 * 1024
DISCARD_MAX_BYTES = 64 * 1024 * 1024


class BodyTooSlow(SuspiciousOperation):
    """The body did not arrive in time (a 408 from the API, a 400 from Django's own views)."""


class DeadlineInput:
    """`wsgi.input` that gives up on the body once its deadline has passed."""

    def __init__(self, stream, *, seconds: float, length: int | None) -> None:
        self.stream = stream
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.unread = length  # None: not known (a chunked body) until the end is read

    def _read(self, read: Callable, *args):
        import gevent

        left = self.deadline - time.monotonic()
        too_slow = BodyTooSlow(f"The request body did not arrive within {self.seconds:g} s.")
        if left <= 0:
            raise too_slow
        with gevent.Timeout(left, too_slow):
            data = read(*args)
        if self.unread is not None or not data:
            self.unread = max(0, (self.unread or 0) - len(data))
        return data

    def read(self, *args):
        return self._read(self.stream.read, *args)

    def readline(self, *args):
        return self._read(self.stream.readline, *args)

    def discard_unread(self) -> None:
        """Read and drop the rest of the body, yielding between reads. If it is too long or
        too slow, gunicorn is told the body failed, so it closes the connection."""
        import gevent

        discarded = 0
        try:
            while self.unread != 0 and discarded < DISCARD_MAX_BYTES:
                discarded += len(self.read(DISCARD_CHUNK_BYTES))
                gevent.sleep(0)
        except (BodyTooSlow, OSError):
            pass
        if self.unread != 0:
            self.stream.failed = True  # gunicorn's Body: where the next request starts is unknown


class DiscardAfterAnswer:
    """The app's answer; once it is sent, the unread rest of the request body is discarded."""

    def __init__(self, answer: Iterable[bytes], body: DeadlineInput) -> None:
        self.answer = answer
        self.body = body

    def __iter__(self):
        return iter(self.answer)

    def close(self) -> None:
        try:
            if hasattr(self.answer, "close"):
                self.answer.close()
        finally:
            self.body.discard_unread()


def declared_length(wsgi_env) -> int | None:
    if wsgi_env.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        return None
    try:
        return max(0, int(wsgi_env.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def connection_closes(wsgi_env) -> bool:
    """The client asked that the connection end with this answer: gunicorn then closes it
    without reading the rest of the body, and nothing need be discarded."""
    connection = wsgi_env.get("HTTP_CONNECTION", "").lower()
    if wsgi_env.get("SERVER_PROTOCOL") == "HTTP/1.0":
        return "keep-alive" not in connection
    return "close" in connection


def with_body_deadline(app: Callable, *, seconds: float) -> Callable:
    """The WSGI app, its request bodies read against a deadline when it runs in a gevent
    worker (elsewhere nothing can interrupt a blocked read, so the body is read as is)."""

    def application(wsgi_env, start_response):
        if not in_gevent_worker():
            return app(wsgi_env, start_response)
        body = DeadlineInput(wsgi_env["wsgi.input"], seconds=seconds, length=declared_length(wsgi_env))
        wsgi_env["wsgi.input"] = body
        answer = app(wsgi_env, start_response)
        # Most answers come after their body was read: they go back unwrapped, so that a
        # file answer keeps gunicorn's sendfile.
        if body.unread == 0 or connection_closes(wsgi_env):
            return answer
        return DiscardAfterAnswer(answer, body)

    return application
