"""Reading books: every query is scoped to the owner, so another user's book is a 404."""

from django.db import connection
from django.db.models import Count, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from audiobooks.errors import BookError, ErrorCode
from audiobooks.models import Book, BookPage
from audiobooks.pages.book_narration import narration_of


def books_for_user(*, user, status: str | None = None) -> QuerySet[Book]:
    # Meta.ordering is dropped by the GROUP BY of the annotation, so order here.
    # A narration runs to megabytes: only the text endpoint loads it.
    books = (
        Book.objects.filter(user=user)
        .defer("narration")
        .annotate(pages_done=Count("pages"))
        .order_by("-created_at", "-id")
    )
    if status:
        books = books.filter(status=status)
    return books


def get_book_for_user(*, user, book_id: int) -> Book:
    return get_object_or_404(books_for_user(user=user), pk=book_id)


# The widest integer id a database here holds: a larger one names no row (and SQLite would
# refuse it as a query parameter).
LARGEST_ID = 2**63 - 1


def is_possible_id(value: int) -> bool:
    """Could `value` be a row's id? Ask the database only if so."""
    return 0 < value <= LARGEST_ID


def ensure_own_book(*, user, book_id: int) -> None:
    """404 unless the user owns the book: one indexed lookup in plain SQL, not the page count
    `get_book_for_user` adds, nor the ORM, whose building of the query costs more CPU than
    running it (a thousand streams of one book open at once, bench/streams.py)."""
    meta, quote = Book._meta, connection.ops.quote_name
    owner = quote(meta.get_field("user").column)
    query = f"SELECT 1 FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = %s AND {owner} = %s"
    if not is_possible_id(book_id) or not _found(query, book_id, user.pk):
        raise Http404("No Book matches the given query.")


def _found(query: str, *params) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone() is not None


def pages_of(*, book: Book) -> QuerySet[BookPage]:
    return book.pages.order_by("page_number")


def page_for_user(*, user, book_id: int, page_number: int) -> BookPage:
    """A stored page of the user's book; 404 for another's book or a page not stored (yet)."""
    ensure_own_book(user=user, book_id=book_id)  # which also refuses an id no row can have
    page = (
        BookPage.objects.filter(book_id=book_id, page_number=page_number).select_related("edited_by").first()
    )
    if page is None:
        raise BookError(ErrorCode.NOT_FOUND, "Page not found", f"Page {page_number} is not stored (yet).")
    return page


def narration_for_user(*, user, book_id: int) -> dict:
    """The book's narration with its id; BookError while it is still being read."""
    book = get_book_for_user(user=user, book_id=book_id)
    if book.status == Book.Status.PROCESSING:
        raise BookError(
            ErrorCode.STILL_PROCESSING,
            "Still processing",
            f"{book.pages_done} of {book.total_pages} pages are read;"
            " the text is ready when the book completes.",
        )
    return {"book_id": book.pk, **narration_of(book=book)}
