"""The Celery app for scale-out: `celery -A backend worker` runs book jobs (see
audiobooks/jobs/tasks.py) when CELERY_BROKER_URL is set. Its settings are the CELERY_* names
in backend/settings.py."""

import logging
import os

from celery import Celery
from celery.signals import worker_init, worker_ready, worker_shutting_down

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

app = Celery("backend")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["audiobooks.jobs"])


logger = logging.getLogger(__name__)


@worker_init.connect
def refuse_to_start_unless_it_can_read_books(**_) -> None:
    """A worker without tesseract's models (or pdftoppm, or writable storage) would take books
    and fail every page: it exits instead, saying what is missing, before taking any."""
    from audiobooks.readiness import checks_for_ocr, failed_checks

    failed = failed_checks(checks_for_ocr())
    if failed:
        logger.critical("this worker cannot read books, so it takes none: %s", failed)
        raise SystemExit(1)


@worker_init.connect
def serve_metrics(**_) -> None:
    """The worker's own metrics (pages, OCR seconds, pages in flight) on WORKER_METRICS_BIND."""
    from django.conf import settings
    from prometheus_client import start_http_server

    if not settings.WORKER_METRICS_BIND:
        return
    host, _, port = settings.WORKER_METRICS_BIND.rpartition(":")
    try:
        start_http_server(int(port), addr=host or "127.0.0.1")
    except OSError as exc:  # another worker on this host has the port: it goes without
        logger.warning("metrics not served on %s: %s", settings.WORKER_METRICS_BIND, exc)
    else:
        logger.info("metrics served on http://%s/metrics", settings.WORKER_METRICS_BIND)


@worker_ready.connect
def start_book_maintenance(**_) -> None:
    """Keep this worker's book leases fresh and take up books whose worker died."""
    from audiobooks.jobs.runners import start_maintenance

    start_maintenance()


@worker_shutting_down.connect
def say_the_worker_is_stopping(**_) -> None:
    """A page whose tesseract was stopped with the worker is left for the resumed book, not
    stored as failed (pages/page_store.py)."""
    from audiobooks.publishing.stream_signal import event_signal

    event_signal.closing = True
