"""Following a book's stored event log: replay, live wake-ups, heartbeats and the ends of a stream."""

import queue
import threading
import time

import pytest
from django.db import connection, transaction

from audiobooks import events
from audiobooks.models import Book
from audiobooks.publishing.event_log import BATCH_EVENTS, follow_events, publish_event, publish_events
from audiobooks.publishing.stream_signal import StreamSignal, event_signal
from tests.support.model_factories import make_book

# The follower runs in its own thread with its own connection, and closes it between waits.
pytestmark = pytest.mark.django_db(transaction=True)

POLL_SECONDS = 30.0  # far longer than any test may take: only the signal can wake a follower in time
QUICK = 5.0  # how long an answer due "at once" may take on a busy machine


class Follower:
    """`follow_events` running in a thread, each event it yields (or None, a heartbeat) put
    on a queue as it comes."""

    def __init__(self, book_id: int, *, after_seq: int = 0, heartbeat_seconds: float = 60.0) -> None:
        self.book_id = book_id
        self.items: queue.Queue = queue.Queue()
        self.ended = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(
            target=self._run, args=(after_seq, heartbeat_seconds), name=f"follower-{book_id}", daemon=True
        )
        self.thread.start()

    def _run(self, after_seq: int, heartbeat_seconds: float) -> None:
        try:
            for item in follow_events(
                book_id=self.book_id,
                after_seq=after_seq,
                heartbeat_seconds=heartbeat_seconds,
                poll_seconds=POLL_SECONDS,
            ):
                for event in [None] if item is None else item:
                    self.items.put(event)
        except BaseException as exc:
            self.error = exc
        finally:
            connection.close()
            self.ended.set()

    def next(self, timeout: float = QUICK):
        try:
            return self.items.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"the follower yielded nothing in {timeout}s") from None

    def wait_until_sleeping(self, timeout: float = QUICK) -> None:
        """Until the follower waits on the signal, so what happens next can only reach it by a wake-up."""
        deadline = time.monotonic() + timeout
        while not event_signal.waiting(self.book_id):
            assert not self.ended.is_set(), "the follower ended instead of waiting"
            assert time.monotonic() < deadline, "the follower never waited"
            time.sleep(0.002)

    def wait_until_ended(self, timeout: float = QUICK) -> list:
        assert self.ended.wait(timeout), f"the follower was still running after {timeout}s"
        assert self.error is None, self.error
        return self.remaining()

    def remaining(self) -> list:
        items = []
        while not self.items.empty():
            items.append(self.items.get_nowait())
        return items


@pytest.fixture
def follow():
    """Start followers; whatever is still running at the end is shut down, and the signal reopened."""
    assert not event_signal.closing
    started: list[Follower] = []

    def start(book_id: int, **options) -> Follower:
        follower = Follower(book_id, **options)
        started.append(follower)
        return follower

    yield start
    deadline = time.monotonic() + 2 * QUICK
    event_signal.closing = True
    while any(not f.ended.is_set() for f in started) and time.monotonic() < deadline:
        event_signal.wake_all()  # again and again: a follower may not be waiting yet
        for follower in started:
            follower.ended.wait(0.05)
    event_signal.closing = False
    assert all(f.ended.is_set() for f in started), "a follower did not end at shutdown"


@pytest.fixture
def book(user) -> Book:
    return make_book(user, status=Book.Status.PROCESSING, pages=2, stored=0)


def status(message: str) -> events.Status:
    return events.Status(stage="extracting", message=message)


def completed(book: Book) -> events.Completed:
    return events.Completed(
        book_id=book.pk,
        title=book.title,
        author=book.author,
        total_pages=book.total_pages,
        message="done",
        pages_ocr=2,
        pages_text=0,
        failed_pages=[],
        duration_s=1.5,
    )


def failed(book: Book) -> events.Error:
    return events.Error(error="Extraction failed", details="boom", code="extraction_failed")


def finish(book: Book, event: events.Event, *, status: str) -> None:
    """As the job ends a book: its terminal event and its new status in one transaction."""
    with transaction.atomic():
        publish_event(book_id=book.pk, event=event)
        Book.objects.filter(pk=book.pk).update(status=status)


def test_stored_events_after_the_given_seq_are_replayed_in_order(book, follow):
    for number in range(1, 5):
        publish_event(book_id=book.pk, event=status(f"step {number}"))

    follower = follow(book.pk, after_seq=2)

    replayed = [follower.next(), follower.next()]
    assert [(e.seq, e.name, e.data["message"]) for e in replayed] == [
        (3, "status", "step 3"),
        (4, "status", "step 4"),
    ]
    follower.wait_until_sleeping()  # a processing book: the stream stays open for what comes next
    assert follower.remaining() == []


def test_a_finished_book_replays_its_log_and_ends(book, follow):
    publish_event(book_id=book.pk, event=status("started"))
    publish_event(book_id=book.pk, event=events.page_progress(book_id=book.pk, pages_done=1, total_pages=2))
    finish(book, completed(book), status=Book.Status.COMPLETED)

    follower = follow(book.pk, after_seq=0)

    replayed = follower.wait_until_ended()
    assert [(e.seq, e.name) for e in replayed] == [(1, "status"), (2, "page_progress"), (3, "completed")]


def test_an_event_published_from_another_thread_wakes_the_waiting_follower_at_once(book, follow):
    publish_event(book_id=book.pk, event=status("before"))
    follower = follow(book.pk, after_seq=1)
    follower.wait_until_sleeping()

    published_at = time.monotonic()
    publish_event(book_id=book.pk, event=status("live"))
    delivered = follower.next(timeout=QUICK)
    took = time.monotonic() - published_at

    assert (delivered.seq, delivered.data["message"]) == (2, "live")
    assert took < QUICK < POLL_SECONDS, f"delivered after {took:.1f}s: by the poll, not the signal"


def test_events_published_while_the_follower_is_busy_are_not_lost(book, follow):
    follower = follow(book.pk, after_seq=0)
    follower.wait_until_sleeping()

    for number in range(1, 6):
        publish_event(book_id=book.pk, event=status(f"burst {number}"))

    assert [follower.next().seq for _ in range(5)] == [1, 2, 3, 4, 5]


def test_the_follower_yields_a_heartbeat_when_nothing_happens(book, follow):
    started = time.monotonic()
    follower = follow(book.pk, after_seq=0, heartbeat_seconds=0.3)

    first = follower.next(timeout=QUICK)
    took = time.monotonic() - started
    second = follower.next(timeout=QUICK)

    assert first is None and second is None
    assert 0.25 <= took < QUICK  # after the heartbeat time, long before the poll time


@pytest.mark.parametrize(
    "terminal, final_status",
    [(completed, Book.Status.COMPLETED), (failed, Book.Status.FAILED), (failed, Book.Status.CANCELLED)],
    ids=["completed", "failed", "cancelled"],
)
def test_the_stream_ends_right_after_a_terminal_event_of_a_finished_book(
    book, follow, terminal, final_status
):
    follower = follow(book.pk, after_seq=0)
    follower.wait_until_sleeping()

    finish(book, terminal(book), status=final_status)

    assert follower.next().name == terminal(book).name
    assert follower.wait_until_ended() == []


def test_a_terminal_event_does_not_end_the_stream_of_a_book_processing_again(book, follow):
    """A retried book: its old `error` is in the log, yet the new run's events still follow."""
    publish_event(book_id=book.pk, event=failed(book))
    follower = follow(book.pk, after_seq=0)

    assert follower.next().name == "error"
    follower.wait_until_sleeping()
    publish_event(book_id=book.pk, event=status("retrying"))
    assert follower.next().data["message"] == "retrying"
    assert not follower.ended.is_set()


def test_the_stream_ends_when_the_book_finishes_without_a_new_event(book, follow):
    follower = follow(book.pk, after_seq=0)
    follower.wait_until_sleeping()

    Book.objects.filter(pk=book.pk).update(status=Book.Status.CANCELLED)
    event_signal.notify(book.pk)

    assert follower.wait_until_ended() == []


def test_closing_the_streams_at_shutdown_ends_a_waiting_follower(book, follow):
    follower = follow(book.pk, after_seq=0)
    follower.wait_until_sleeping()

    event_signal.close_streams()

    assert follower.wait_until_ended() == []


def test_a_follower_started_during_shutdown_ends_at_once_without_reading(book, follow):
    publish_event(book_id=book.pk, event=status("stored"))
    event_signal.closing = True  # the fixture reopens the signal

    follower = follow(book.pk, after_seq=0)

    assert follower.wait_until_ended() == []


def test_a_shutdown_just_before_a_wait_is_not_slept_through():
    """A stream that checked for shutdown a moment before it began to wait still ends at once."""
    signal = StreamSignal()
    signal.close_streams()  # nobody waits yet: there is no one for it to wake

    started = time.monotonic()
    signal.wait(1, signal.version(1), timeout=POLL_SECONDS)

    assert time.monotonic() - started < QUICK


def test_a_long_replay_comes_in_slices_so_a_slow_client_holds_one_at_a_time(book):
    publish_events(book_id=book.pk, events=[status(f"step {n}") for n in range(1, 2 * BATCH_EVENTS + 11)])
    finish(book, completed(book), status=Book.Status.COMPLETED)

    batches = list(
        follow_events(book_id=book.pk, after_seq=0, heartbeat_seconds=60, poll_seconds=POLL_SECONDS)
    )

    assert [len(batch) for batch in batches] == [BATCH_EVENTS, BATCH_EVENTS, 11]
    assert [event.seq for batch in batches for event in batch] == list(range(1, 2 * BATCH_EVENTS + 12))
