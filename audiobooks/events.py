"""The SSE event contract: one class per event, its fields are the payload.

The job publishes these, the stream formats them, the tests check their shape against
them. Fields may be added, never renamed (see ARCHITECTURE.md).
"""

from dataclasses import asdict, dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Event:
    name: ClassVar[str]

    def payload(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Status(Event):
    name: ClassVar[str] = "status"
    stage: str  # validating | stored | extracting | saving
    message: str


@dataclass(frozen=True)
class ProcessingStarted(Event):
    name: ClassVar[str] = "processing_started"
    book_id: int
    total_pages: int
    message: str


@dataclass(frozen=True)
class PageProgress(Event):
    name: ClassVar[str] = "page_progress"
    book_id: int
    current_page: int  # pages done so far; never goes back
    total_pages: int
    progress: int  # 0-100
    message: str
    extracted_chars: int
    page_number: int | None  # the page just done; None on the opening event
    method: str | None  # "text" or "ocr"


@dataclass(frozen=True)
class Completed(Event):
    name: ClassVar[str] = "completed"
    book_id: int
    title: str
    author: str
    total_pages: int
    message: str
    pages_ocr: int
    pages_text: int
    failed_pages: list[int]
    duration_s: float
    text_url: str = ""  # the book's narration text (GET it for text/plain)


@dataclass(frozen=True)
class Error(Event):
    name: ClassVar[str] = "error"
    error: str
    details: str
    code: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.name: cls for cls in (Status, ProcessingStarted, PageProgress, Completed, Error)
}
# A stream ends after one of these.
TERMINAL_EVENTS = frozenset({Completed.name, Error.name})


def page_progress(
    *,
    book_id: int,
    pages_done: int,
    total_pages: int,
    page_number: int | None = None,
    method: str | None = None,
    extracted_chars: int = 0,
) -> PageProgress:
    if page_number is None:
        message = f"Starting {total_pages} pages"
    else:
        message = f"Page {page_number} done ({pages_done} of {total_pages})"
    return PageProgress(
        book_id=book_id,
        current_page=pages_done,
        total_pages=total_pages,
        progress=int(pages_done * 100 / total_pages) if total_pages else 100,
        message=message,
        extracted_chars=extracted_chars,
        page_number=page_number,
        method=method,
    )
