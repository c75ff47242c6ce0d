"""Publishing a book's events to its stored log, and following that log live.

Publishing wakes streams in this process at once; streams in other processes find new
events on their next poll of the log (SSE_POLL_SECONDS).
"""

import threading
import time
from collections.abc import Iterator

from django.db import transaction
from django.db.models import F

from audiobooks.events import TERMINAL_EVENTS, Event
from audiobooks.models import Book, BookEvent


class _EventSignal:
    """Lets streams sleep until their book has a new event in this process."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._versions: dict[int, int] = {}

    def version(self, book_id: int) -> int:
        with self._condition:
            return self._versions.get(book_id, 0)

    def notify(self, book_id: int) -> None:
        with self._condition:
            self._versions[book_id] = self._versions.get(book_id, 0) + 1
            self._condition.notify_all()

    def wait(self, book_id: int, seen_version: int, timeout: float) -> None:
        with self._condition:
            self._condition.wait_for(lambda: self._versions.get(book_id, 0) != seen_version, timeout)


event_signal = _EventSignal()


def publish_event(*, book_id: int, event: Event) -> BookEvent:
    """Store `event` as the book's next event. Joins an open transaction if there is one."""
    with transaction.atomic():
        # The UPDATE holds the book's row lock until commit, so sequence numbers never collide.
        Book.objects.filter(pk=book_id).update(last_event_seq=F("last_event_seq") + 1)
        seq = Book.objects.values_list("last_event_seq", flat=True).get(pk=book_id)
        stored = BookEvent.objects.create(book_id=book_id, seq=seq, name=event.name, data=event.payload())
        transaction.on_commit(lambda: event_signal.notify(book_id))
    return stored


def follow_events(
    *, book_id: int, after_seq: int, heartbeat_seconds: float, poll_seconds: float
) -> Iterator[BookEvent | None]:
    """Yield the book's events after `after_seq`, then new ones as they come.

    Yields None when `heartbeat_seconds` pass with nothing to send, so the caller can write
    a keep-alive. Ends after a terminal event, or when the book is gone or no longer
    processing and every event has been sent.
    """
    last_seq = after_seq
    last_output = time.monotonic()
    while True:
        version = event_signal.version(book_id)
        # Read the status before the events: a book that finished did so in the same
        # transaction as its terminal event, so that event is then already visible.
        status = Book.objects.filter(pk=book_id).values_list("status", flat=True).first()
        events = list(BookEvent.objects.filter(book_id=book_id, seq__gt=last_seq).order_by("seq"))
        for event in events:
            yield event
            last_seq = event.seq
            if event.name in TERMINAL_EVENTS:
                return
        if events:
            last_output = time.monotonic()
            continue
        if status != Book.Status.PROCESSING:
            return
        if time.monotonic() - last_output >= heartbeat_seconds:
            yield None
            last_output = time.monotonic()
        until_heartbeat = heartbeat_seconds - (time.monotonic() - last_output)
        event_signal.wait(book_id, version, timeout=max(0.0, min(poll_seconds, until_heartbeat)))
