"""The floor the streams bench compares the app with: `GET /api/books/{id}/events/` answered
by a bare WSGI app in front of the app, on the same gunicorn gevent worker. It follows the
book through the app's own feed and writes the same bytes, but skips everything a stream's
request otherwise passes through (Django's handler and middleware, DRF, the token, the
ownership check, the stream quota, the delivery metric). No authentication: a bench's server
only (`start_server(..., wsgi_app="bench.stream_floor")`). Every other request goes to the app.

What 1000 followers cost here is what they would cost however cheap the app's own request
path were made, while streams are served by a gevent worker.
"""

import re
from collections.abc import Iterator

from django.conf import settings

from backend.wsgi import application as app

EVENTS_PATH = re.compile(r"/api/books/(\d+)/events/")


def bare_stream(book_id: int) -> Iterator[bytes]:
    # Imported once backend.wsgi has set Django up: the app's modules need its settings.
    from audiobooks.api.sse import PING, RETRY_MS, event_wire
    from audiobooks.publishing.event_log import follow_events

    yield f"retry: {RETRY_MS}\n\n".encode()
    for batch in follow_events(
        book_id=book_id,
        after_seq=0,
        heartbeat_seconds=settings.SSE_HEARTBEAT_SECONDS,
        poll_seconds=settings.SSE_POLL_SECONDS,
    ):
        yield PING.encode() if batch is None else b"".join(map(event_wire, batch))


def application(environ, start_response):
    match = EVENTS_PATH.fullmatch(environ.get("PATH_INFO", ""))
    if match is None or environ["REQUEST_METHOD"] != "GET":
        return app(environ, start_response)
    start_response("200 OK", [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")])
    return bare_stream(int(match[1]))
