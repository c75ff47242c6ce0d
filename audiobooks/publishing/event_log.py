"""Publishing a book's events to its stored log, and following that log live.

Publishing wakes streams in this process at once (stream_signal.py), and in other
processes through the Redis event bus when EVENTS_REDIS_URL is set (redis_bus.py); without
it, one stream per book in each process finds them on its next poll of the log
(SSE_POLL_SECONDS) and wakes the others (book_feed.py).
"""

import time
from collections.abc import Iterator

from django.db import transaction
from django.db.models import F

from audiobooks.events import TERMINAL_EVENTS, Event
from audiobooks.models import Book, BookEvent
from audiobooks.publishing.book_feed import book_feeds
from audiobooks.publishing.redis_bus import event_bus
from audiobooks.publishing.stream_signal import event_signal

# The most events a stream writes as one chunk (a page_progress event is about 250 bytes).
BATCH_EVENTS = 100


def publish_event(*, book_id: int, event: Event) -> BookEvent:
    """Store `event` as the book's next event. Joins an open transaction if there is one."""
    return publish_events(book_id=book_id, events=[event])[0]


def publish_events(*, book_id: int, events: list[Event]) -> list[BookEvent]:
    """Store `events` as the book's next ones, in order, taking their sequence numbers at
    once. Joins an open transaction if there is one; streams are woken once, at commit."""
    with transaction.atomic():
        # The UPDATE holds the book's row lock until commit, so sequence numbers never collide.
        Book.objects.filter(pk=book_id).update(last_event_seq=F("last_event_seq") + len(events))
        last = Book.objects.values_list("last_event_seq", flat=True).get(pk=book_id)
        stored = BookEvent.objects.bulk_create(
            BookEvent(book_id=book_id, seq=seq, name=event.name, data=event.payload())
            for seq, event in enumerate(events, start=last - len(events) + 1)
        )
        transaction.on_commit(lambda: _announce(book_id))
    return stored


def _announce(book_id: int) -> None:
    event_signal.notify(book_id)
    if event_bus is not None:
        event_bus.announce(book_id)


def follow_events(
    *, book_id: int, after_seq: int, heartbeat_seconds: float, poll_seconds: float
) -> Iterator[list[BookEvent] | None]:
    """Yield the book's events after `after_seq`, then new ones as they come, in batches:
    what one read found, so a stream writes a batch of stored pages as one chunk.

    Yields None when `heartbeat_seconds` pass with nothing to send, so the caller can write
    a keep-alive. Ends when the book is no longer processing (or gone) and every event has
    been sent, which is right after its terminal event, or when the process shuts down.
    The log is read through the book's feed, shared by every stream of it in this process.
    """
    if event_bus is not None:
        event_bus.listen(on_event=event_signal.notify, on_reconnect=event_signal.wake_all)
    feed = book_feeds.join(book_id)
    stream = object()
    try:
        last_seq, last_output = after_seq, time.monotonic()
        while not event_signal.closing:
            version = event_signal.version(book_id)
            feed.catch_up(version=version, poll_seconds=poll_seconds)
            events = feed.after(last_seq)
            # A long replay goes out in slices, so a client that reads slowly holds at most one.
            for start in range(0, len(events), BATCH_EVENTS):
                batch = events[start : start + BATCH_EVENTS]
                yield batch
                last_seq = batch[-1].seq
            # A terminal event ends the stream unless the book was retried after it.
            if not feed.processing and (not events or events[-1].name in TERMINAL_EVENTS):
                return
            if events:
                last_output = time.monotonic()
                continue
            if time.monotonic() - last_output >= heartbeat_seconds:
                yield None
                last_output = time.monotonic()
            until_heartbeat = max(0.0, heartbeat_seconds - (time.monotonic() - last_output))
            timeout = min(poll_seconds, until_heartbeat) if feed.polls(stream) else until_heartbeat
            event_signal.wait(book_id, version, timeout=timeout)
    finally:
        book_feeds.leave(feed, stream)
