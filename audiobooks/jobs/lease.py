"""Which process extracts a book. A job holds its book's lease and renews it while it
works; a processing book whose lease ran out, or whose holder on this host is gone (a
kill -9), is taken up again by the next process that looks — from its stored pages."""

import os
import socket
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.db.models import Case, F, Q, When
from django.utils import timezone

from audiobooks.models import Book


def _process_start_ticks(pid: int) -> str | None:
    """The kernel's start time of a live `pid` (None if it is gone or a zombie), so a
    reused pid is not taken for the old process."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    state, start_ticks = fields[0], fields[19]
    return None if state in ("Z", "X") else start_ticks


@cache
def _worker_id_for(pid: int) -> str:
    return f"{socket.gethostname()}:{pid}:{_process_start_ticks(pid)}"


def current_worker_id() -> str:
    # Keyed by pid: a forked gunicorn worker is a new holder, not its parent.
    return _worker_id_for(os.getpid())


def holder_is_gone(worker_id: str) -> bool:
    """True when the holder ran on this host and that process no longer exists."""
    host, _, rest = worker_id.partition(":")
    pid, _, start_ticks = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    return _process_start_ticks(int(pid)) != start_ticks


def claim(*, book_id: int, replacing: str | None = None) -> bool:
    """Take the book's lease if it is free, expired, ours, held by `replacing`, or held by
    a process on this host that no longer exists."""
    now = timezone.now()
    free = Q(worker_id="") | Q(worker_id=current_worker_id()) | Q(heartbeat_at__lt=now - lease())
    if replacing:
        free |= Q(worker_id=replacing)
    # Taking it from another holder (dead, or silent past its lease) is a takeover.
    from_another = Case(
        When(worker_id__in=("", current_worker_id()), then=F("takeovers")), default=F("takeovers") + 1
    )
    if Book.objects.filter(free, pk=book_id, status=Book.Status.PROCESSING).update(
        worker_id=current_worker_id(), heartbeat_at=now, takeovers=from_another
    ):
        return True
    # A redelivered task finds the book still held by the worker that was killed running it.
    holder = Book.objects.filter(pk=book_id).values_list("worker_id", flat=True).first()
    if replacing is None and holder and holder_is_gone(holder):
        return claim(book_id=book_id, replacing=holder)
    return False


def renew(*, book_ids: list[int]) -> None:
    Book.objects.filter(pk__in=book_ids, worker_id=current_worker_id()).update(heartbeat_at=timezone.now())


def holds(*, book_id: int, lock: bool = False) -> bool:
    """Is the book still processing under this process's lease? With `lock` (inside a
    transaction), its row stays locked until the transaction ends, so a cancel or a
    takeover cannot slip in between this answer and what the caller writes."""
    books = Book.objects.select_for_update() if lock else Book.objects
    return books.filter(pk=book_id, status=Book.Status.PROCESSING, worker_id=current_worker_id()).exists()


def lease() -> timedelta:
    return timedelta(seconds=settings.BOOK_LEASE_SECONDS)


def orphaned_books() -> list[tuple[int, str]]:
    """Processing books nobody is working on: (book id, its dead holder or "")."""
    now = timezone.now()
    candidates = Book.objects.filter(status=Book.Status.PROCESSING).exclude(worker_id=current_worker_id())
    orphans = []
    for book_id, worker_id, heartbeat_at, created_at in candidates.values_list(
        "pk", "worker_id", "heartbeat_at", "created_at"
    ):
        last_sign_of_life = heartbeat_at or created_at
        if last_sign_of_life < now - lease() or (worker_id and holder_is_gone(worker_id)):
            orphans.append((book_id, worker_id))
    return orphans
