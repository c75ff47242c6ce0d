"""Runs book jobs in the background, never inside a response.

Embedded default (InProcessRunner): each book gets a coordinator thread (a greenlet under
gunicorn's gevent worker) in the web process. With CELERY_BROKER_URL (CeleryRunner): the
web process only enqueues; a Celery worker's task thread runs the book with `run`.

Either way the pages of every book a process runs share one pool of OCR_WORKERS, so ten
uploads still use only as many tesseract processes as the machine has cores (and take
turns in it, see extract_pages). A maintenance thread renews the leases of the process's
books and takes up books whose process died.
"""

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections

from audiobooks.services import book_lease
from audiobooks.services.book_job import process_book

logger = logging.getLogger(__name__)


class InProcessRunner:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._page_executor: ThreadPoolExecutor | None = None
        self._jobs: dict[int, threading.Thread] = {}
        self._run_again: set[int] = set()
        self._running: set[int] = set()
        self._maintenance: threading.Thread | None = None

    @property
    def page_executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._page_executor is None:
                self._page_executor = ThreadPoolExecutor(
                    max_workers=settings.OCR_WORKERS, thread_name_prefix="page"
                )
            return self._page_executor

    def submit(self, book_id: int, *, replacing: str | None = None) -> bool:
        """Start the book's job. If this process is still running it (say, cancelled and at
        once retried, its last page in flight), start it again when that run ends."""
        with self._lock:
            if book_id in self._jobs:
                self._run_again.add(book_id)
                return False
            job = threading.Thread(
                target=self._run, args=(book_id, replacing), name=f"book-{book_id}", daemon=True
            )
            self._jobs[book_id] = job
        job.start()
        return True

    def _run(self, book_id: int, replacing: str | None) -> None:
        try:
            self.run(book_id, replacing=replacing)
        finally:
            with self._lock:
                self._jobs.pop(book_id, None)
                again = book_id in self._run_again
                self._run_again.discard(book_id)
            if again:
                self.submit(book_id)

    def run(self, book_id: int, *, replacing: str | None = None) -> None:
        """Run the book's job in the calling thread, unless this process already runs it
        (a message delivered twice must not OCR every page twice)."""
        with self._lock:
            if book_id in self._running:
                logger.info("book %s is already running in this process", book_id)
                return
            self._running.add(book_id)
        try:
            process_book(book_id=book_id, executor=self.page_executor, replacing=replacing)
        except Exception:
            logger.exception("book job %s crashed", book_id)
        finally:
            connections.close_all()
            with self._lock:
                self._running.discard(book_id)

    def active_book_ids(self) -> list[int]:
        with self._lock:
            return list(self._running)

    def recover_orphans(self) -> list[int]:
        """Take up processing books whose process died; returns their ids."""
        taken = []
        for book_id, dead_holder in book_lease.orphaned_books():
            logger.warning("resuming book %s (was held by %r)", book_id, dead_holder or "nobody")
            if self.submit(book_id, replacing=dead_holder):
                taken.append(book_id)
        return taken

    def start_maintenance(self) -> None:
        """Recover orphans now, then keep leases fresh and look for orphans periodically."""
        with self._lock:
            if self._maintenance is not None:
                return
            self._maintenance = threading.Thread(target=self._maintain, name="book-maintenance", daemon=True)
        self._maintenance.start()

    def _maintain(self) -> None:
        period = settings.BOOK_LEASE_SECONDS / 3
        while True:
            try:
                book_lease.renew(book_ids=self.active_book_ids())
                self.recover_orphans()
            except Exception:
                logger.exception("book maintenance failed; trying again in %.0fs", period)
            finally:
                connections.close_all()
            time.sleep(period)

    def wait_idle(self, timeout: float) -> bool:
        """Wait for running jobs to finish (tests and shutdown). True when none is left."""
        deadline = time.monotonic() + timeout
        for job in list(self._jobs.values()):
            job.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            return not self._jobs


class CeleryRunner(InProcessRunner):
    """Books go to Celery workers; `run` is what a worker's task calls."""

    def submit(self, book_id: int, *, replacing: str | None = None) -> bool:
        from audiobooks.tasks import run_book

        run_book.delay(book_id, replacing=replacing)
        return True


runner = CeleryRunner() if settings.CELERY_BROKER_URL else InProcessRunner()
