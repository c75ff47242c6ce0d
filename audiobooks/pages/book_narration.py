"""A book's narration, derived from its stored pages: computed once, by the book's job, when
the book completes, and kept on the book; a book that stopped otherwise (failed, cancelled)
or completed before narrations were kept gets it on first request, kept until a retry."""

import logging

from audiobooks.models import Book
from audiobooks.narration.book_text import narrate

logger = logging.getLogger(__name__)


def compute_narration(*, book: Book) -> dict:
    pages = list(book.pages.order_by("page_number").values_list("page_number", "text_content"))
    return narrate(pages, outline=book.outline)


def narration_at_completion(*, book: Book) -> dict | None:
    """The narration to store as the book completes. A narration that cannot be made must
    not stop a book whose pages are all read: it is logged and left to the first request."""
    try:
        return compute_narration(book=book)
    except Exception:
        logger.exception("book %s: narration not made at completion", book.pk)
        return None


def narration_of(*, book: Book) -> dict:
    """The stored narration of a book that is not processing, made and kept if it has none."""
    if book.narration is None:
        book.narration = compute_narration(book=book)
        Book.objects.filter(pk=book.pk, status=book.status).update(narration=book.narration)
    return book.narration
