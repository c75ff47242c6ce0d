"""One read of a book's log per process, shared by its streams; one stream re-reads on a timer."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audiobooks import events
from audiobooks.models import Book, BookEvent
from audiobooks.publishing.book_feed import BookFeed, BookFeeds
from audiobooks.publishing.event_log import publish_event
from audiobooks.publishing.stream_signal import event_signal
from tests.support.model_factories import make_book

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(user) -> Book:
    return make_book(user, status=Book.Status.PROCESSING, pages=2, stored=0)


def status(message: str) -> events.Status:
    return events.Status(stage="extracting", message=message)


def reads(feed: BookFeed, *, poll_seconds: float = 60.0) -> int:
    """How many queries one catch-up made."""
    with CaptureQueriesContext(connection) as queries:
        feed.catch_up(version=event_signal.version(feed.book_id), poll_seconds=poll_seconds)
    return len(queries)


def test_the_log_is_read_once_per_announcement_for_every_stream(book, django_capture_on_commit_callbacks):
    feed = BookFeed(book.pk)
    with django_capture_on_commit_callbacks(execute=True):  # publishing announces at commit
        publish_event(book_id=book.pk, event=status("one"))

    assert reads(feed) == 2  # the status, then the events
    assert reads(feed) == 0  # another stream, nothing announced since: from memory
    with django_capture_on_commit_callbacks(execute=True):
        publish_event(book_id=book.pk, event=status("two"))
    assert reads(feed) == 2

    assert [event.data["message"] for event in feed.after(0)] == ["one", "two"]
    assert [event.data["message"] for event in feed.after(1)] == ["two"]
    assert feed.processing


def test_events_nobody_announced_are_found_on_the_timer_and_wake_the_streams(book):
    feed = BookFeed(book.pk)
    reads(feed)
    Book.objects.filter(pk=book.pk).update(last_event_seq=1)
    BookEvent.objects.create(book=book, seq=1, name="status", data={"message": "from elsewhere"})
    before = event_signal.version(book.pk)

    assert reads(feed, poll_seconds=60.0) == 0  # not due yet
    assert reads(feed, poll_seconds=0.0) == 2

    assert [event.seq for event in feed.after(0)] == [1]
    assert event_signal.version(book.pk) > before  # the sleeping streams are woken


def test_a_finished_books_feed_says_so_with_its_terminal_event(book):
    feed = BookFeed(book.pk)
    Book.objects.filter(pk=book.pk).update(status=Book.Status.CANCELLED)
    publish_event(book_id=book.pk, event=events.Error(error="Cancelled", details="", code="cancelled"))

    reads(feed)

    assert not feed.processing and feed.after(0)[-1].name == "error"


def test_one_stream_of_a_book_polls_and_another_takes_over_when_it_leaves(book):
    feeds = BookFeeds()
    first, second = object(), object()
    feed = feeds.join(book.pk)
    assert feeds.join(book.pk) is feed and feed.followers == 2

    assert feed.polls(first) and not feed.polls(second)
    woken = event_signal.version(book.pk)
    feeds.leave(feed, first)
    assert event_signal.version(book.pk) > woken and feed.polls(second)

    feeds.leave(feed, second)
    assert feeds.join(book.pk) is not feed  # the last stream gone, its feed went too
