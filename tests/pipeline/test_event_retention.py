"""Event logs of books finished long ago keep only their last event; a client re-attaching
with a pruned id gets that event, the book's state, and then the end."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from audiobooks import events
from audiobooks.jobs.runners import PRUNE_EVERY_SECONDS, prune_if_due
from audiobooks.models import Book, BookEvent
from audiobooks.publishing.event_log import follow_events, publish_events
from audiobooks.publishing.event_retention import PRUNE_BATCH_ROWS, prune_events
from tests.support.model_factories import make_book
from tests.support.sse_client import events_only, parse_stream

pytestmark = pytest.mark.django_db


def read_book(user, *, status: str, finished_days_ago: float | None, events_before_the_end: int = 5) -> Book:
    """A book with its log: progress events, then its terminal one (none while processing)."""
    book = make_book(user, status=Book.Status.PROCESSING, pages=2)
    progress = [events.Status(stage="extracting", message=f"step {n}") for n in range(events_before_the_end)]
    completed = events.Completed(
        book_id=book.pk,
        title=book.title,
        author=book.author,
        total_pages=2,
        message="Upload completed successfully!",
        pages_ocr=2,
        pages_text=0,
        failed_pages=[],
        duration_s=1.0,
    )
    failed = events.Error(error="Text extraction failed.", details="boom", code="ocr_failed")
    cancelled = events.Error(error="Cancelled", details="by its owner", code="cancelled")
    terminal = {
        Book.Status.COMPLETED: [completed],
        Book.Status.FAILED: [failed],
        Book.Status.CANCELLED: [cancelled],
        Book.Status.PROCESSING: [],
    }[status]
    publish_events(book_id=book.pk, events=progress + terminal)
    finished_at = None if finished_days_ago is None else timezone.now() - timedelta(days=finished_days_ago)
    Book.objects.filter(pk=book.pk).update(status=status, finished_at=finished_at)
    book.refresh_from_db()
    return book


def logged_seqs(book: Book) -> list[int]:
    return list(BookEvent.objects.filter(book=book).values_list("seq", flat=True))


def test_books_finished_before_the_retention_keep_only_their_last_event(user):
    old = {
        status: read_book(user, status=status, finished_days_ago=31)
        for status in (Book.Status.COMPLETED, Book.Status.FAILED, Book.Status.CANCELLED)
    }
    recent = read_book(user, status=Book.Status.COMPLETED, finished_days_ago=29)
    reading = read_book(user, status=Book.Status.PROCESSING, finished_days_ago=None)

    deleted = prune_events(older_than_days=30)

    assert deleted == 3 * 5
    for book in old.values():
        assert logged_seqs(book) == [book.last_event_seq]
    assert logged_seqs(recent) == list(range(1, 7))
    assert logged_seqs(reading) == list(range(1, 6))


def test_a_client_re_attaching_with_a_pruned_id_gets_the_books_last_event_then_the_end(user):
    book = read_book(user, status=Book.Status.FAILED, finished_days_ago=40)
    prune_events(older_than_days=30)

    batches = list(follow_events(book_id=book.pk, after_seq=2, heartbeat_seconds=60, poll_seconds=60))

    (only,) = [event for batch in batches for event in batch]
    assert (only.seq, only.name, only.data["code"]) == (book.last_event_seq, "error", "ocr_failed")


def test_pruning_goes_in_batches_until_nothing_is_left(user):
    book = read_book(
        user, status=Book.Status.COMPLETED, finished_days_ago=31, events_before_the_end=PRUNE_BATCH_ROWS + 7
    )

    assert prune_events(older_than_days=30) == PRUNE_BATCH_ROWS + 7
    assert logged_seqs(book) == [book.last_event_seq]
    assert prune_events(older_than_days=30) == 0


def test_the_command_prunes_with_the_retention_setting_or_the_days_given(user, settings, capsys):
    settings.EVENT_RETENTION_DAYS = 30
    book = read_book(user, status=Book.Status.COMPLETED, finished_days_ago=10)

    call_command("prune_events")
    kept = logged_seqs(book)
    call_command("prune_events", "--days", "7")

    assert kept == list(range(1, 7))
    assert logged_seqs(book) == [6]
    assert "Deleted 5 events of books finished more than 7 days ago." in capsys.readouterr().out


def test_the_maintenance_thread_prunes_once_an_hour_and_not_when_retention_is_off(user, settings):
    settings.EVENT_RETENTION_DAYS = 30
    first = read_book(user, status=Book.Status.COMPLETED, finished_days_ago=31)

    pruned_at = prune_if_due(pruned_at=float("-inf"))
    second = read_book(user, status=Book.Status.COMPLETED, finished_days_ago=31)
    not_yet = prune_if_due(pruned_at=pruned_at)
    settings.EVENT_RETENTION_DAYS = 0
    off = prune_if_due(pruned_at=pruned_at - PRUNE_EVERY_SECONDS)

    assert logged_seqs(first) == [first.last_event_seq]
    assert not_yet == pruned_at and off == pruned_at - PRUNE_EVERY_SECONDS
    assert len(logged_seqs(second)) == 6


def test_over_http_a_re_attach_with_a_pruned_id_gets_the_last_event_then_the_end(api, user):
    book = read_book(user, status=Book.Status.COMPLETED, finished_days_ago=40)
    prune_events(older_than_days=30)

    response = api.get(
        f"/api/books/{book.pk}/events/", HTTP_LAST_EVENT_ID="2", HTTP_ACCEPT="text/event-stream"
    )

    (only,) = events_only(parse_stream(b"".join(response.streaming_content)))
    assert (only.id, only.event, only.data["pages_ocr"]) == (book.last_event_seq, "completed", 2)
