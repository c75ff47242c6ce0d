"""Runs book jobs in the background, never inside a response.

`book_runner()` gives this process's runner, chosen by the settings:

- embedded (no CELERY_BROKER_URL): `InProcessRunner`, each book on a thread of this
  process (a greenlet under gunicorn's gevent worker);
- scale-out: `CeleryRunner`; the web process only enqueues, and a Celery worker's task
  (tasks.py) runs the book with `run`.

Either way a book runs through this process's `BookWorker`: the pages of all its books
share one pool of OCR_WORKERS, so ten uploads still use only as many tesseract processes
as the machine has cores (and take turns in it, see extract_pages). `start_maintenance`
renews the leases of the process's books and takes up books whose process died; beside it,
once an hour, the event logs of books finished long ago are pruned (publishing/event_retention.py).
"""

import contextvars
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from django.conf import settings
from django.db import connections

from audiobooks import metrics
from audiobooks.errors import BookError, ErrorCode
from audiobooks.jobs import lease
from audiobooks.jobs.book_job import process_book
from audiobooks.publishing.event_retention import prune_events
from audiobooks.readiness import checks_for_ocr, failed_checks
from backend.celery import app as celery_app

logger = logging.getLogger(__name__)

# How often the maintenance thread prunes old books' event logs (EVENT_RETENTION_DAYS).
PRUNE_EVERY_SECONDS = 3600

# The Celery task that runs a book (tasks.py); named, so enqueueing needs no import of it.
RUN_BOOK_TASK = "audiobooks.run_book"


class BookRunner(Protocol):
    def submit(self, book_id: int, *, replacing: str | None = None) -> bool:
        """Have the book run in the background; False if it was already running here."""

    def run(self, book_id: int, *, replacing: str | None = None) -> None:
        """Run the book in the calling thread."""

    def wait_idle(self, timeout: float) -> bool:
        """Wait for this process's background books; True when none is left."""

    def check_can_read_books(self) -> None:
        """Raise (503 ocr_unavailable) if books given to this runner could not be read."""


class CountedPagePool(ThreadPoolExecutor):
    """The page pool, counting the pages handed to it and not finished (pages in flight);
    a page runs in its book's context, so its log lines name the book (log_context.py)."""

    def submit(self, fn, /, *args, **kwargs):
        metrics.PAGES_IN_FLIGHT.inc()
        future = super().submit(contextvars.copy_context().run, fn, *args, **kwargs)
        future.add_done_callback(lambda _: metrics.PAGES_IN_FLIGHT.dec())
        return future


class BookWorker:
    """Runs books in this process, each at most once at a time, on one shared page pool."""

    def __init__(self, *, page_workers: int) -> None:
        # Its threads start only as pages arrive.
        self.page_executor = CountedPagePool(max_workers=page_workers, thread_name_prefix="page")
        self._lock = threading.Lock()
        self._running: set[int] = set()

    def run(self, book_id: int, *, replacing: str | None = None) -> None:
        """Run the book's job in the calling thread, unless this process already runs it (a
        message delivered twice must not OCR every page twice). Errors reach the caller."""
        with self._lock:
            if book_id in self._running:
                logger.info("book %s is already running in this process", book_id)
                return
            self._running.add(book_id)
        try:
            process_book(book_id=book_id, executor=self.page_executor, replacing=replacing)
        finally:
            connections.close_all()
            with self._lock:
                self._running.discard(book_id)

    def active_book_ids(self) -> list[int]:
        with self._lock:
            return list(self._running)


class InProcessRunner:
    """Each book on a background thread of this process."""

    def __init__(self, worker: BookWorker) -> None:
        self.worker = worker
        self._lock = threading.Lock()
        self._threads: dict[int, threading.Thread] = {}
        self._run_again: set[int] = set()

    def submit(self, book_id: int, *, replacing: str | None = None) -> bool:
        """Start the book's job. If this process is still running it (say, cancelled and at
        once retried, its last page in flight), start it again when that run ends."""
        with self._lock:
            if book_id in self._threads:
                self._run_again.add(book_id)
                return False
            thread = threading.Thread(
                target=self._run_in_background, args=(book_id, replacing), name=f"book-{book_id}", daemon=True
            )
            self._threads[book_id] = thread
        thread.start()
        return True

    def run(self, book_id: int, *, replacing: str | None = None) -> None:
        self.worker.run(book_id, replacing=replacing)

    def _run_in_background(self, book_id: int, replacing: str | None) -> None:
        try:
            self.worker.run(book_id, replacing=replacing)
        except Exception:  # nobody else would hear of it
            logger.exception("book job %s crashed", book_id)
        finally:
            with self._lock:
                self._threads.pop(book_id, None)
                again = book_id in self._run_again
                self._run_again.discard(book_id)
            if again:
                self.submit(book_id)

    def check_can_read_books(self) -> None:
        # This process reads the books: it takes none it would fail page by page.
        failed = failed_checks(checks_for_ocr())
        if failed:
            raise BookError(
                ErrorCode.OCR_UNAVAILABLE,
                "Books cannot be read here now",
                "; ".join(f"{name}: {detail}" for name, detail in failed.items()),
            )

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        for thread in list(self._threads.values()):
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            return not self._threads


class CeleryRunner:
    """Books go to Celery workers; `run` is what a worker's task calls."""

    def __init__(self, worker: BookWorker) -> None:
        self.worker = worker

    def submit(self, book_id: int, *, replacing: str | None = None) -> bool:
        celery_app.send_task(RUN_BOOK_TASK, args=[book_id], kwargs={"replacing": replacing})
        return True

    def run(self, book_id: int, *, replacing: str | None = None) -> None:
        self.worker.run(book_id, replacing=replacing)

    def check_can_read_books(self) -> None:
        pass  # the Celery workers read them, and one that cannot exits before taking any

    def wait_idle(self, timeout: float) -> bool:
        return True  # nothing runs in the background of this process


# Made on first use, once per process: Celery's pool threads may all ask at once.
_made_lock = threading.Lock()
_workers: dict[int, BookWorker] = {}
_runners: dict[tuple[str, int], BookRunner] = {}


def _book_worker() -> BookWorker:
    with _made_lock:
        if settings.OCR_WORKERS not in _workers:
            _workers[settings.OCR_WORKERS] = BookWorker(page_workers=settings.OCR_WORKERS)
        return _workers[settings.OCR_WORKERS]


def book_runner() -> BookRunner:
    """This process's runner for the current settings (made on first use)."""
    worker = _book_worker()
    key = (settings.CELERY_BROKER_URL, settings.OCR_WORKERS)
    with _made_lock:
        if key not in _runners:
            _runners[key] = CeleryRunner(worker) if settings.CELERY_BROKER_URL else InProcessRunner(worker)
        return _runners[key]


def recover_orphans() -> list[int]:
    """Take up processing books whose process died; returns their ids."""
    taken = []
    for book_id, dead_holder in lease.orphaned_books():
        logger.warning("resuming book %s (was held by %r)", book_id, dead_holder or "nobody")
        if book_runner().submit(book_id, replacing=dead_holder):
            taken.append(book_id)
    return taken


_maintenance: list[threading.Thread] = []


def start_maintenance() -> None:
    """Recover orphans now, then keep this process's leases fresh and look for orphans
    every third of a lease. Once per process, however often it is called."""
    with _made_lock:
        if _maintenance:
            return
        _maintenance.append(threading.Thread(target=_maintain, name="book-maintenance", daemon=True))
        # On a thread of its own: a long first pruning must not delay the lease renewals.
        _maintenance.append(threading.Thread(target=_prune_hourly, name="event-pruning", daemon=True))
    for thread in _maintenance:
        thread.start()


def prune_if_due(*, pruned_at: float) -> float:
    """Prune old books' event logs if PRUNE_EVERY_SECONDS have passed since `pruned_at` (a
    time.monotonic()); returns when they were last pruned."""
    if settings.EVENT_RETENTION_DAYS <= 0 or time.monotonic() - pruned_at < PRUNE_EVERY_SECONDS:
        return pruned_at
    if deleted := prune_events(older_than_days=settings.EVENT_RETENTION_DAYS):
        logger.info("pruned %s events of books finished long ago", deleted)
    return time.monotonic()


def _prune_hourly() -> None:
    pruned_at = float("-inf")
    while True:
        try:
            pruned_at = prune_if_due(pruned_at=pruned_at)
        except Exception:
            logger.exception("pruning old events failed; trying again in an hour")
            pruned_at = time.monotonic()
        finally:
            connections.close_all()
        time.sleep(max(1.0, PRUNE_EVERY_SECONDS - (time.monotonic() - pruned_at)))


def _maintain() -> None:
    period = settings.BOOK_LEASE_SECONDS / 3
    while True:
        try:
            lease.renew(book_ids=_book_worker().active_book_ids())
            recover_orphans()
        except Exception:
            logger.exception("book maintenance failed; trying again in %.0fs", period)
        finally:
            connections.close_all()
        time.sleep(period)
