"""Storing a book's extracted pages, each with its `page_progress` event, while the job
still holds the book."""

from django.db import transaction

from audiobooks import events
from audiobooks.extraction.page_extraction import PageResult
from audiobooks.jobs import lease
from audiobooks.models import Book, BookPage
from audiobooks.publishing.event_log import publish_event


class PageStore:
    """Keeps the count of stored pages and whether the book is still this job's.

    Each page is stored in one transaction with its event, and only while this process
    holds the book's lease: once the book is cancelled, deleted or taken over, nothing more
    is stored and `still_ours` turns false, which tells the extraction to stop.
    """

    def __init__(self, *, book: Book, pages_done: int) -> None:
        self.book = book
        self.pages_done = pages_done
        self.still_ours = True

    def store(self, result: PageResult) -> None:
        with transaction.atomic():
            self.still_ours = lease.holds(book_id=self.book.pk, lock=True)
            if not self.still_ours:
                return
            _, created = BookPage.objects.update_or_create(
                book_id=self.book.pk,
                page_number=result.page_number,
                defaults=dict(
                    text_content=result.text,
                    method=result.method,
                    char_count=result.chars,
                    ocr_confidence=result.confidence,
                    error=result.error,
                    text_truncated=result.truncated,
                    method_reason=result.reason[:200],
                ),
            )
            self.pages_done += created
            publish_event(
                book_id=self.book.pk,
                event=events.page_progress(
                    book_id=self.book.pk,
                    pages_done=self.pages_done,
                    total_pages=self.book.total_pages,
                    page_number=result.page_number,
                    method=result.method,
                    extracted_chars=result.chars,
                ),
            )

    def should_stop(self) -> bool:
        return not self.still_ours
