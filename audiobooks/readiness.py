"""Is this process ready to take books? Each check named, for `GET /readyz` and for a Celery
worker deciding whether to start.

Checks: the database answers; the upload and PDF folders are writable (or Cloudinary is
configured); tesseract runs and has every model a book's language needs (languages.py);
pdftoppm runs; the broker and the event bus answer, when configured. A failed check says
why in a line, never with a secret (no URL, no password).
"""

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection

from audiobooks.db_connections import release_connection
from audiobooks.extraction.external_tools import ToolFailed, ToolTimedOut, tool_output
from audiobooks.extraction.languages import OCR_MODELS

logger = logging.getLogger(__name__)

# Each tool and service gets this long to answer; an orchestrator polls more often than this.
CHECK_SECONDS = 5.0


class NotReady(Exception):
    """A check failed; the message says why."""


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str

    def as_json(self) -> dict:
        return {"ok": self.ok, "detail": self.detail}


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        release_connection()
    return connection.vendor


def check_storage() -> str:
    folders = [Path(settings.FILE_UPLOAD_TEMP_DIR or tempfile.gettempdir())]
    if not settings.CLOUDINARY_URL:
        folders.append(Path(settings.MEDIA_ROOT))
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".readyz-"):
                pass
        except OSError as exc:
            raise NotReady(f"{folder} is not writable: {exc.strerror}") from exc
    where = "Cloudinary (configured, not probed)" if settings.CLOUDINARY_URL else "local disk"
    return f"uploads and PDFs writable ({where})"


def required_models() -> set[str]:
    """Every tesseract model some book language reads with, and `osd`: a turned page is read
    again with orientation detection (ocr.py), which without it goes on, worse, with a warning."""
    models = {"osd"}
    for choice in OCR_MODELS.values():
        for language in (choice.language, choice.rescue_language):
            models.update((language or "").split("+"))
    return models - {""}


def tool_answer(*command: str) -> str:
    """What the program writes to its output and errors (`pdftoppm -v` answers on stderr)."""
    try:
        return tool_output(list(command), timeout=CHECK_SECONDS, merge_stderr=True)
    except ToolTimedOut as exc:
        raise NotReady(f"{command[0]} did not answer in {CHECK_SECONDS:g} s") from exc
    except ToolFailed as exc:
        raise NotReady(str(exc)) from exc


def check_tesseract() -> str:
    installed = set(tool_answer("tesseract", "--list-langs").split("\n")[1:]) - {""}
    missing = required_models() - installed
    if missing:
        where = os.environ.get("TESSDATA_PREFIX", "tesseract's default tessdata")
        raise NotReady(f"models missing from {where}: {', '.join(sorted(missing))}")
    return f"models {', '.join(sorted(required_models()))} installed"


def check_pdftoppm() -> str:
    """pdftoppm, and poppler's pdfimages beside it (a scan's own pixels, extraction/page_pixels.py)."""
    tool_answer("pdfimages", "-v")
    return tool_answer("pdftoppm", "-v").strip().splitlines()[0]


def check_broker() -> str:
    from backend.celery import app

    with app.connection_for_write() as broker:
        try:
            broker.ensure_connection(max_retries=1, timeout=CHECK_SECONDS)
        except Exception as exc:  # kombu raises the transport's own errors
            raise NotReady(f"the broker does not answer: {type(exc).__name__}") from exc
    return f"{broker.transport_cls} answers"


def check_event_bus() -> str:
    import redis

    try:
        redis.Redis.from_url(settings.EVENTS_REDIS_URL, socket_timeout=CHECK_SECONDS).ping()
    except redis.RedisError as exc:
        raise NotReady(f"Redis does not answer: {type(exc).__name__}") from exc
    return "Redis answers"


def checks_for_ocr() -> dict[str, Callable[[], str]]:
    """What reading a book needs on this machine, whatever the process."""
    return {"tesseract": check_tesseract, "pdftoppm": check_pdftoppm, "storage": check_storage}


def checks_for_web() -> dict[str, Callable[[], str]]:
    checks = {"database": check_database, **checks_for_ocr()}
    if settings.CELERY_BROKER_URL:
        checks["broker"] = check_broker
    if settings.EVENTS_REDIS_URL:
        checks["event_bus"] = check_event_bus
    return checks


def failed_checks(checks: dict[str, Callable[[], str]]) -> dict[str, str]:
    """The checks that failed, each with why."""
    return {name: result.detail for name, result in run_checks(checks).items() if not result.ok}


def run_checks(checks: dict[str, Callable[[], str]]) -> dict[str, CheckResult]:
    results = {}
    for name, check in checks.items():
        try:
            results[name] = CheckResult(True, check())
        except NotReady as exc:
            results[name] = CheckResult(False, str(exc))
        except Exception as exc:  # a check that breaks is a failed check, not a 500
            # Its kind only: a driver's message can name internal hosts and users.
            logger.warning("readiness check %s failed: %s", name, exc)
            results[name] = CheckResult(False, f"{type(exc).__name__} (see the server's log)")
    return results
