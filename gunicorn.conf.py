"""gunicorn settings for long-lived SSE streams (`make run` uses this file)."""

import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# gevent: one worker holds many open streams; tesseract and pdftoppm run as cooperative
# subprocesses. One worker per machine by default: its page pool already uses every core.
worker_class = "gevent"
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "1000"))
# A gevent worker keeps answering its heartbeat while streams are open; this only catches
# a worker that is truly stuck.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
# On SIGTERM (a deploy, `docker stop`) open streams end at once with a comment telling the
# client to re-attach with Last-Event-ID, so this only bounds ordinary requests.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()


def post_worker_init(worker):
    """Take up books a dead process left half done and keep this worker's leases fresh
    (unless Celery workers run the books); end open streams cleanly on SIGTERM."""
    import signal

    import gevent
    from django.conf import settings

    from audiobooks.services.events import event_signal
    from audiobooks.services.runner import runner

    if not settings.CELERY_BROKER_URL:
        runner.start_maintenance()

    def handle_exit(sig, frame):
        worker.handle_exit(sig, frame)
        gevent.spawn(event_signal.close_streams)  # locks are not for signal handlers

    signal.signal(signal.SIGTERM, handle_exit)
