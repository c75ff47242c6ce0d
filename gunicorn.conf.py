"""gunicorn settings for long-lived SSE streams (`make run` uses this file)."""

import os
import re
from pathlib import Path

# Loopback unless told otherwise: in front of it belongs nginx (see the README), and `make
# run`'s demo account has a well-known password.
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# gunicorn's control socket (for `gunicornc`) defaults to one path per user, so a second
# instance on the host takes it over and the first to stop deletes it for everyone. Each
# instance gets its own, named after what it binds; `off` runs without one.
_var_dir = Path(os.environ.get("APP_VAR_DIR", Path(__file__).resolve().parent / "var"))
_bind_name = re.sub(r"[^A-Za-z0-9.-]+", "_", bind)
_own_control_socket = _var_dir / "run" / f"gunicorn-{_bind_name}.ctl"
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", str(_own_control_socket))
control_socket_disable = control_socket == "off"
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


if os.environ.get("LOG_FORMAT") == "json":
    from gunicorn.glogging import Logger

    class JsonLogger(Logger):
        """gunicorn's own lines (its boot, the access log) as JSON objects too, with the
        request's ids (audiobooks/log_context.py)."""

        def setup(self, cfg):
            super().setup(cfg)
            from audiobooks.log_context import ContextFilter, JsonFormatter

            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.setFormatter(JsonFormatter())
                    handler.addFilter(ContextFilter())

    logger_class = JsonLogger


def on_starting(server):
    """Each worker writes its metrics to files in PROMETHEUS_MULTIPROC_DIR, and `/metrics`
    adds up every worker's: a folder of this server's own, its metric files removed as it
    starts."""

    folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or _var_dir / "run" / f"metrics-{_bind_name}")
    folder.mkdir(parents=True, exist_ok=True)
    for old_numbers in folder.glob("*.db"):  # the files prometheus-client writes, only
        old_numbers.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)  # the workers forked next inherit it


def child_exit(server, worker):
    """A worker's gauges (open streams, pages in flight) leave the sums when it exits."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker):
    """Load everything a request needs before the worker takes its first one; take up books
    a dead process left half done and keep this worker's leases fresh (unless Celery workers
    run the books); end open streams cleanly on SIGTERM."""
    import signal
    import time

    import gevent
    from django.conf import settings

    from audiobooks.jobs.runners import start_maintenance
    from audiobooks.publishing.stream_signal import event_signal
    from backend.wsgi import warm_up

    started = time.monotonic()
    try:
        status = warm_up()
    except Exception:  # the worker still serves; its first request then loads what is missing
        worker.log.exception("Worker %s: the warm-up request failed", worker.pid)
    else:
        seconds = time.monotonic() - started
        worker.log.info("Worker %s ready: warm-up request answered %s in %.2f s", worker.pid, status, seconds)

    if not settings.CELERY_BROKER_URL:
        start_maintenance()

    # gunicorn leaves its listening sockets inheritable (for its own re-exec), and programs a
    # worker starts with posix_spawn (extraction/external_tools.py) would hold the port open.
    for listener in worker.sockets:
        os.set_inheritable(listener.fileno(), False)

    def handle_exit(sig, frame):
        worker.handle_exit(sig, frame)
        # Said at once (a plain assignment is safe here): a page whose tesseract got the same
        # signal must be seen as stopped, not failed. The waking waits: locks are not for
        # signal handlers.
        event_signal.closing = True
        gevent.spawn(event_signal.close_streams)

    signal.signal(signal.SIGTERM, handle_exit)
