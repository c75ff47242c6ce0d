"""What one reader may cost: books being read at once and pages a day (each a setting).
A limit that is reached is a 429 saying when to try again."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from audiobooks.errors import BookError, ErrorCode
from audiobooks.models import Book

# A processing book takes a minute or so; asking again sooner mostly finds it still going.
BOOKS_IN_FLIGHT_RETRY_SECONDS = 30


def check_user_limits(*, user, new_pages: int) -> None:
    """Raise a 429 BookError if `user` starting a book of `new_pages` pages would pass
    BOOKS_IN_FLIGHT_PER_USER or PAGES_PER_USER_PER_DAY."""
    processing = Book.objects.filter(user=user, status=Book.Status.PROCESSING).count()
    if processing >= settings.BOOKS_IN_FLIGHT_PER_USER:
        raise BookError(
            ErrorCode.BOOKS_IN_FLIGHT,
            "Too many books being read",
            f"{processing} of your books are being read; the limit is {settings.BOOKS_IN_FLIGHT_PER_USER}."
            " Try again when one is done, or cancel one.",
            retry_after=BOOKS_IN_FLIGHT_RETRY_SECONDS,
        )
    if new_pages > settings.PAGES_PER_USER_PER_DAY:  # waiting would not help: no Retry-After
        raise BookError(
            ErrorCode.TOO_MANY_PAGES,
            "Too many pages",
            f"This book has {new_pages} pages; at most {settings.PAGES_PER_USER_PER_DAY} pages"
            " can be read for one reader in 24 hours.",
        )
    since = timezone.now() - timedelta(days=1)
    today = Book.objects.filter(user=user, created_at__gte=since)
    used = today.aggregate(pages=Sum("total_pages"))["pages"] or 0
    if used + new_pages > settings.PAGES_PER_USER_PER_DAY:
        oldest = today.order_by("created_at").values_list("created_at", flat=True).first()
        frees_up = (oldest + timedelta(days=1) - timezone.now()).total_seconds() if oldest else 0
        raise BookError(
            ErrorCode.DAILY_PAGES,
            "Daily page limit reached",
            f"This book has {new_pages} pages and {used} of your {settings.PAGES_PER_USER_PER_DAY}"
            " pages for the last 24 hours are used.",
            retry_after=max(1, int(frees_up) + 1),
        )
