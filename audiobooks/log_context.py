"""Which request, reader and book a log line is about, and the two line formats.

The ids live in context variables, which every thread and every gevent greenlet has its
own copy of: the request middleware sets the request id (and the book id of a book URL),
authentication the reader's, a book's job its book's, and the page pool hands the job's
to the threads reading its pages. `LOG_FORMAT=json` writes one JSON object per line with
them; the default text line appends the ones that are set.
"""

import contextvars
import json
import logging
from datetime import UTC, datetime

request_id = contextvars.ContextVar("request_id", default="")
user_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("user_id", default=None)
book_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("book_id", default=None)


class ContextFilter(logging.Filter):
    """Puts the ids of the current context on every record (None where unknown)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or None
        record.user_id = user_id.get()
        record.book_id = book_id.get()
        ids = {"book": record.book_id, "user": record.user_id, "request": record.request_id}
        shown = " ".join(f"{name}={value}" for name, value in ids.items() if value is not None)
        record.context = f" [{shown}]" if shown else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, book_id, user_id, request_id
    (and the traceback, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "book_id": getattr(record, "book_id", None),
            "user_id": getattr(record, "user_id", None),
            "request_id": getattr(record, "request_id", None),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)
