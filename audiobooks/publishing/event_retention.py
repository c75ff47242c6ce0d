"""Pruning the event logs of books finished long ago: each keeps only its last event.

A book's log grows by about (pages + 8) events and is only replayed by a client that
re-attaches. Once a book has been finished for EVENT_RETENTION_DAYS, only its last event
stays — `completed`, or the `error` it failed or was cancelled with, the book's state as a
stream tells it — so a client re-attaching with a pruned id gets that event and then the
end of the stream, as it would have after the whole replay.
"""

import time
from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from audiobooks.models import Book, BookEvent

# Rows deleted at once: SQLite holds its write lock, and a gevent worker its event loop,
# for one batch only; the loop runs other work between batches.
PRUNE_BATCH_ROWS = 1000


def prunable_events(*, older_than_days: float):
    cutoff = timezone.now() - timedelta(days=older_than_days)
    return BookEvent.objects.exclude(book__status=Book.Status.PROCESSING).filter(
        book__finished_at__lt=cutoff, seq__lt=F("book__last_event_seq")
    )


def prune_events(*, older_than_days: float) -> int:
    """Delete every event but the last of books finished more than `older_than_days` ago;
    returns how many were deleted."""
    deleted = 0
    while True:
        batch = list(
            prunable_events(older_than_days=older_than_days).values_list("pk", flat=True)[:PRUNE_BATCH_ROWS]
        )
        if not batch:
            return deleted
        deleted += BookEvent.objects.filter(pk__in=batch).delete()[0]
        time.sleep(0)  # under gevent: let streams and requests run between batches
