"""Storing a book's extracted pages, with their `page_progress` events, in batches, while
the job still holds the book."""

import time

from django.db import transaction
from django.db.models import F

from audiobooks import events, metrics
from audiobooks.extraction.page_extraction import PageResult
from audiobooks.jobs import lease
from audiobooks.models import Book, BookPage
from audiobooks.publishing.event_log import publish_events
from audiobooks.publishing.stream_signal import event_signal

# A page waits at most this long for others to be written with it, so the stream stays
# live; a text-layer book's pages, done in a millisecond each, go a hundred at a time.
BATCH_SECONDS = 0.25
BATCH_PAGES = 100
# Between pages the lease is read at most this often: a cancel is seen this soon, and a
# text-layer book's pages (a few ms each) do not each pay for a query of the book's row.
STOP_CHECK_SECONDS = 0.1
PAGE_FIELDS = [
    "text_content",
    "extracted_text",
    "method",
    "char_count",
    "ocr_confidence",
    "uncertain_words",
    "error",
    "text_truncated",
    "method_reason",
]


class PageStore:
    """Keeps the count of stored pages and whether the book is still this job's.

    Pages are written in batches: each batch's pages and events in one transaction, the
    lease checked and the event sequence numbers taken once per batch. A batch is written
    when its first page has waited `batch_seconds` (the extraction asks `flush_due` before
    it waits for a page) or it holds `batch_pages`, and by `flush` at the end. Only while
    this process holds the book's lease: once the book is cancelled, deleted or taken over,
    nothing more is stored and `still_ours` turns false, which tells the extraction to stop.
    """

    def __init__(
        self,
        *,
        book: Book,
        pages_done: int,
        batch_seconds: float = BATCH_SECONDS,
        batch_pages: int = BATCH_PAGES,
        stop_check_seconds: float = STOP_CHECK_SECONDS,
        replace_corrections: bool = False,
    ) -> None:
        self.book = book
        self.replace_corrections = replace_corrections
        self.pages_done = pages_done
        self.still_ours = True
        self.batch_seconds = batch_seconds
        self.batch_pages = batch_pages
        self._pending: list[PageResult] = []
        self._first_pending_at = 0.0
        self.stop_check_seconds = stop_check_seconds
        self._next_stop_check = 0.0

    def store(self, result: PageResult) -> None:
        if result.error and event_signal.closing:
            # This process is stopping, and its tesseract and pdftoppm were stopped with it:
            # the page did not fail, it is left for whoever resumes the book.
            self.still_ours = False
            return
        metrics.PAGES.labels(result.method, "failed" if result.error else "read").inc()
        metrics.PAGE_SECONDS.labels(result.method).observe(result.seconds)
        if not self.still_ours:
            return
        if not self._pending:
            self._first_pending_at = time.monotonic()
        self._pending.append(result)
        if len(self._pending) >= self.batch_pages:
            self.flush()
        else:
            self.flush_due()

    def flush_due(self) -> float | None:
        """Write the batch if its first page has waited long enough; the seconds until the
        waiting batch is due (None when nothing waits)."""
        if not self._pending:
            return None
        left = self._first_pending_at + self.batch_seconds - time.monotonic()
        if left > 0:
            return left
        self.flush()
        return None

    def flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        with transaction.atomic():
            self.still_ours = lease.holds(book_id=self.book.pk, lock=True)
            if not self.still_ours:
                return
            progress = self._write_pages(batch)
            publish_events(book_id=self.book.pk, events=progress)
        self.pages_done = progress[-1].current_page  # counted once the batch is in

    def _write_pages(self, batch: list[PageResult]) -> list[events.PageProgress]:
        """Upsert the batch's pages (the last result of a page written twice wins) and make
        their progress events, counting each page once."""
        latest = {result.page_number: result for result in batch}
        # The batch's pages already stored (read again), locked until the batch commits: a
        # correction saved meanwhile waits, then finds a new version (412) instead of being
        # overwritten or losing its mark.
        rows = list(
            BookPage.objects.select_for_update()
            .filter(book_id=self.book.pk, page_number__in=list(latest))
            .values_list("page_number", "text_content", "edited_at")
        )
        stored = {number for number, _, _ in rows}
        corrected = {number: text for number, text, edited in rows if edited is not None}
        BookPage.objects.bulk_create(
            [page_row(self.book.pk, result) for result in latest.values()],
            update_conflicts=True,
            unique_fields=["book", "page_number"],
            update_fields=PAGE_FIELDS,
        )
        self._settle_read_again_pages(stored, corrected)
        progress, pages_done = [], self.pages_done
        for result in batch:
            pages_done += result.page_number not in stored
            stored.add(result.page_number)
            progress.append(
                events.page_progress(
                    book_id=self.book.pk,
                    pages_done=pages_done,
                    total_pages=self.book.total_pages,
                    page_number=result.page_number,
                    method=result.method,
                    extracted_chars=result.chars,
                )
            )
        return progress

    def _settle_read_again_pages(self, read_again: set[int], corrected: dict[int, str]) -> None:
        """A page read again has a new version (an editor on the old one gets a 412), and
        keeps its reader's correction as its text unless told to replace it."""
        pages = BookPage.objects.filter(book_id=self.book.pk)
        pages.filter(page_number__in=read_again).update(version=F("version") + 1)
        if self.replace_corrections:
            pages.filter(page_number__in=corrected).update(edited_at=None, edited_by=None)
            return
        for page_number, text in corrected.items():
            pages.filter(page_number=page_number).update(text_content=text, char_count=len(text))

    def should_stop(self) -> bool:
        """Has the book been cancelled, deleted or taken over? Asked between pages, so a
        cancel is seen within `stop_check_seconds`, not when the batch is written. Or is
        this process stopping?"""
        if event_signal.closing:
            self.still_ours = False
        if self.still_ours and time.monotonic() >= self._next_stop_check:
            self.still_ours = lease.holds(book_id=self.book.pk)
            self._next_stop_check = time.monotonic() + self.stop_check_seconds
        return not self.still_ours


def page_row(book_id: int, result: PageResult) -> BookPage:
    return BookPage(
        book_id=book_id,
        page_number=result.page_number,
        text_content=result.text,
        extracted_text=result.text,
        method=result.method,
        char_count=result.chars,
        ocr_confidence=result.confidence,
        uncertain_words=list(result.uncertain_words),
        error=result.error,
        text_truncated=result.truncated,
        method_reason=result.reason[:200],
    )
