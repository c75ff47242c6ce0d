"""Wakes the streams of this process that follow a book when that book has a new event."""

import threading


class StreamSignal:
    """Lets streams sleep until their own book has a new event in this process.

    A book's sleepers share one `threading.Event`, set (and replaced) at the book's next
    version: under gevent's monkey-patching that is gevent's Event, which wakes a thousand
    sleepers in one pass of the loop, where a Condition hands its lock to each in turn."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[int, int] = {}
        self._next_version: dict[int, threading.Event] = {}
        self._waiters: dict[int, int] = {}
        self.closing = False

    def close_streams(self) -> None:
        """The process is shutting down: every stream ends now, so its client re-attaches
        (with Last-Event-ID) to a process that stays, rather than being cut off later."""
        self.closing = True
        self.wake_all()

    def wake_all(self) -> None:
        with self._lock:
            for book_id in list(self._next_version):
                self._bump(book_id)

    def version(self, book_id: int) -> int:
        # Unlocked: reading one dict entry is atomic, and this is asked twice on every wake
        # of every stream. The lock orders the writers.
        return self._versions.get(book_id, 0)

    def notify(self, book_id: int) -> None:
        with self._lock:
            self._bump(book_id)

    def _bump(self, book_id: int) -> None:
        """A new version for the book, waking its sleepers. Call with the lock held."""
        self._versions[book_id] = self._versions.get(book_id, 0) + 1
        sleepers = self._next_version.pop(book_id, None)
        if sleepers is not None:
            sleepers.set()

    def waiting(self, book_id: int) -> int:
        """How many streams of this process wait for the book's next event."""
        with self._lock:
            return self._waiters.get(book_id, 0)

    def wait(self, book_id: int, seen_version: int, timeout: float) -> None:
        with self._lock:
            # `closing` too: a shutdown that came just before this wait must not be slept through.
            if self.closing or self._versions.get(book_id, 0) != seen_version:
                return
            sleepers = self._next_version.setdefault(book_id, threading.Event())
            self._waiters[book_id] = self._waiters.get(book_id, 0) + 1
        try:
            sleepers.wait(timeout)
        finally:
            with self._lock:
                self._waiters[book_id] -= 1
                if not self._waiters[book_id]:
                    del self._waiters[book_id]
                    if self._next_version.get(book_id) is sleepers:
                        del self._next_version[book_id]


# One per process: every stream and every publisher of this process meets here.
event_signal = StreamSignal()
