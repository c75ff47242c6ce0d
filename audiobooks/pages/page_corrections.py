"""A reader's correction of a page, kept beside what extraction read.

`text_content` is the page's text for everything downstream (the page API, the narration);
`extracted_text` stays what extraction read. Each correction bumps the page's `version`,
and one made against an older version is refused, so two editors never overwrite each
other unseen. The book's stored narration is dropped, to be made again from the corrected
pages on its next request (pages/book_narration.py).
"""

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Length
from django.utils import timezone

from audiobooks.errors import BookError, ErrorCode
from audiobooks.models import Book, BookPage


def correct_page(*, page: BookPage, text: str | None, editor, expected_version: int) -> BookPage:
    """Store `text` as the page's correction, or with None go back to the extracted text.
    BookError 412 `version_conflict` when the page is no longer at `expected_version`."""
    if text is not None and len(text) > settings.PAGE_TEXT_MAX_CHARS:
        raise BookError(
            ErrorCode.INVALID_FIELD,
            "Page text too long",
            f"A page holds at most {settings.PAGE_TEXT_MAX_CHARS} characters.",
        )
    if text is None:
        change = {"text_content": F("extracted_text"), "char_count": Length("extracted_text")}
        change |= {"edited_at": None, "edited_by": None}
    else:
        change = {
            "text_content": text,
            "char_count": len(text),
            "edited_at": timezone.now(),
            "edited_by": editor,
        }
    with transaction.atomic():
        changed = BookPage.objects.filter(pk=page.pk, version=expected_version).update(
            version=F("version") + 1, **change
        )
        if not changed:
            current = BookPage.objects.filter(pk=page.pk).values_list("version", flat=True).first()
            raise BookError(
                ErrorCode.VERSION_CONFLICT,
                "The page changed meanwhile",
                f"You edited version {expected_version}; it is at version {current} now."
                " Load it again and redo the correction on that.",
            )
        Book.objects.filter(pk=page.book_id).update(narration=None)
    page.refresh_from_db()
    return page
