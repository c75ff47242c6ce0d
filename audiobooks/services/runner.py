"""Runs book jobs in the background of this process, never inside a response.

Each book gets a coordinator thread (a greenlet under gunicorn's gevent worker); the
pages of every book share one pool of OCR_WORKERS, so ten uploads still use only as many
tesseract processes as the machine has cores.
"""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections

from audiobooks.services.book_job import process_book

logger = logging.getLogger(__name__)


class InProcessRunner:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._page_executor: ThreadPoolExecutor | None = None
        self._jobs: set[threading.Thread] = set()

    @property
    def page_executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._page_executor is None:
                self._page_executor = ThreadPoolExecutor(
                    max_workers=settings.OCR_WORKERS, thread_name_prefix="page"
                )
            return self._page_executor

    def submit(self, book_id: int) -> None:
        job = threading.Thread(target=self._run, args=(book_id,), name=f"book-{book_id}", daemon=True)
        with self._lock:
            self._jobs.add(job)
        job.start()

    def _run(self, book_id: int) -> None:
        try:
            process_book(book_id=book_id, executor=self.page_executor)
        except Exception:
            logger.exception("book job %s crashed", book_id)
        finally:
            connections.close_all()
            with self._lock:
                self._jobs.discard(threading.current_thread())

    def wait_idle(self, timeout: float) -> bool:
        """Wait for running jobs to finish (tests and shutdown). True when none is left."""
        with self._lock:
            jobs = list(self._jobs)
        for job in jobs:
            job.join(timeout)
        with self._lock:
            return not self._jobs


runner = InProcessRunner()
