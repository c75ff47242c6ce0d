"""Server-Sent Events: wire formatting, the DRF renderer, and the streaming response."""

import json
import time
from collections.abc import Callable, Iterable, Iterator

from django.http import StreamingHttpResponse
from rest_framework.renderers import BaseRenderer

from audiobooks import metrics
from audiobooks.events import Error
from audiobooks.models import BookEvent
from audiobooks.publishing.stream_signal import event_signal

# Tells EventSource-style clients how long to wait before reconnecting (ms).
RETRY_MS = 3000
PING = ": ping\n\n"
SHUTTING_DOWN = ": server shutting down; re-attach with Last-Event-ID\n\n"


def format_event(event_type: str, data: dict, event_id: int | None = None) -> str:
    lines = [] if event_id is None else [f"id: {event_id}"]
    lines.append(f"event: {event_type}")
    lines.append(f"data: {json.dumps(data, ensure_ascii=False)}")
    return "\n".join(lines) + "\n\n"


def event_wire(event: BookEvent) -> bytes:
    """A stored event on the wire. Formatted once per instance: a book's feed hands the same
    instances to every stream of the book in this process (book_feed.py)."""
    wire = event.__dict__.get("_wire")
    if wire is None:
        wire = event.__dict__["_wire"] = format_event(event.name, event.data, event.seq).encode()
    return wire


def encode_stream(batches: Iterable[list[BookEvent] | None]) -> Iterator[bytes]:
    """Wire bytes for a followed event log, one chunk per batch; None items become
    keep-alive comments."""
    opened = time.time()
    yield f"retry: {RETRY_MS}\n\n".encode()
    for batch in batches:
        if batch is None:
            yield PING.encode()
            continue
        now = time.time()
        for event in batch:
            # Live events only: a replay's are as old as the book, not late.
            if (stored := event.created_at.timestamp()) >= opened:
                metrics.EVENT_DELIVERY_SECONDS.observe(now - stored)
        yield b"".join(map(event_wire, batch))
    if event_signal.closing:
        yield SHUTTING_DOWN.encode()


class _ClosingStream:
    """The wire bytes, and `on_close` called when the response is closed: after the last
    byte, or when the client went away, even before the first."""

    def __init__(self, chunks: Iterator[bytes], on_close: Callable[[], None]) -> None:
        self.chunks, self.on_close = chunks, on_close
        self.closed = False
        metrics.OPEN_STREAMS.inc()

    def __iter__(self) -> Iterator[bytes]:
        return self.chunks

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.chunks.close()
        finally:
            metrics.OPEN_STREAMS.dec()
            self.on_close()


def event_stream_response(
    events: Iterable[list[BookEvent] | None], *, on_close: Callable[[], None] = lambda: None
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        _ClosingStream(encode_stream(events), on_close), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event through at once
    return response


class EventStreamRenderer(BaseRenderer):
    """Lets DRF accept `Accept: text/event-stream` (otherwise 406) and renders error bodies
    as one `error` event, so an SSE client reads a rejection the same way as a failure."""

    media_type = "text/event-stream"
    format = "event-stream"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, dict) and {"error", "code"} <= data.keys():
            payload = Error(error=data["error"], details=data.get("details", ""), code=data["code"]).payload()
            return format_event(Error.name, payload).encode()
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()
