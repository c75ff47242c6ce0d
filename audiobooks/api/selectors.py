"""Reading books: every query is scoped to the owner, so another user's book is a 404."""

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from audiobooks.models import Book, BookPage


def books_for_user(*, user, status: str | None = None) -> QuerySet[Book]:
    # Meta.ordering is dropped by the GROUP BY of the annotation, so order here.
    books = Book.objects.filter(user=user).annotate(pages_done=Count("pages")).order_by("-created_at", "-id")
    if status:
        books = books.filter(status=status)
    return books


def get_book_for_user(*, user, book_id: int) -> Book:
    return get_object_or_404(books_for_user(user=user), pk=book_id)


def pages_of(*, book: Book) -> QuerySet[BookPage]:
    return book.pages.order_by("page_number")
