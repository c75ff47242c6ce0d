"""One reader of a book's event log per process, shared by every stream of that book.

A thousand streams following one book would each read the log after every event, and
each re-read it on a timer besides. Here the first stream to want events a publish
announced reads them, once, for all of them; the others take them from memory. The timer
re-read (the safety net for a publish whose wake-up was lost) is one stream's duty per
book, not every stream's: the others sleep until woken or their heartbeat is due.
"""

import bisect
import threading
import time

from audiobooks.db_connections import release_connection
from audiobooks.models import Book, BookEvent
from audiobooks.publishing.stream_signal import event_signal


class BookFeed:
    """A book's events as this process has read them (all of them, from the first), and
    whether the book was still processing when they were read."""

    def __init__(self, book_id: int) -> None:
        self.book_id = book_id
        self.events: list[BookEvent] = []
        self.seqs: list[int] = []
        self.processing = True
        self._read_version: int | None = None
        self._read_at = float("-inf")
        self._reading = threading.Lock()
        self.followers = 0
        self.poller: object | None = None  # the stream that re-reads the log on a timer

    def catch_up(self, *, version: int, poll_seconds: float) -> None:
        """Read what the log has that this feed has not, unless it was read since the
        signal last changed (`version`) and less than `poll_seconds` ago."""
        if self._read_recently(version, poll_seconds):  # most wakes: without taking the lock
            return
        with self._reading:
            if self._read_recently(version, poll_seconds):
                return
            try:
                # The status first: a book finishes in the same transaction as its terminal
                # event, so once the status says finished, that event is in the read below.
                processing = Book.objects.filter(pk=self.book_id, status=Book.Status.PROCESSING).exists()
                new = list(
                    BookEvent.objects.filter(
                        book_id=self.book_id, seq__gt=self.seqs[-1] if self.seqs else 0
                    ).order_by("seq")
                )
            finally:
                # A stream holds no connection while it waits: given back here, where it was
                # taken, not on every wake of every stream (most read nothing).
                release_connection()
            self.events += new
            self.seqs += [event.seq for event in new]
            self.processing = processing
            on_the_timer = version == self._read_version
            # `version` was taken before this read: a publish since then is read next time.
            self._read_version, self._read_at = version, time.monotonic()
        if new and on_the_timer:
            event_signal.notify(self.book_id)  # nobody announced these: wake the sleeping streams

    def _read_recently(self, version: int, poll_seconds: float) -> bool:
        return version == self._read_version and time.monotonic() - self._read_at < poll_seconds

    def after(self, seq: int) -> list[BookEvent]:
        return self.events[bisect.bisect_right(self.seqs, seq) :]

    def polls(self, stream: object) -> bool:
        """Is `stream` the one that re-reads the log on a timer? The first to ask is."""
        if self.poller is None:
            self.poller = stream
        return self.poller is stream


class BookFeeds:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._feeds: dict[int, BookFeed] = {}

    def join(self, book_id: int) -> BookFeed:
        with self._lock:
            feed = self._feeds.setdefault(book_id, BookFeed(book_id))
            feed.followers += 1
            return feed

    def leave(self, feed: BookFeed, stream: object) -> None:
        with self._lock:
            feed.followers -= 1
            if not feed.followers:
                self._feeds.pop(feed.book_id, None)
            elif feed.poller is stream:
                feed.poller = None
                event_signal.notify(feed.book_id)  # another stream takes the timer on waking


# One per process, like the signal: every stream of a book in this process shares its feed.
book_feeds = BookFeeds()
