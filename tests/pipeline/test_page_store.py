"""Storing extracted pages with their progress events, only while the job still holds the book."""

import pytest

from audiobooks.extraction.page_extraction import METHOD_OCR, METHOD_TEXT, PageResult
from audiobooks.jobs import lease
from audiobooks.models import Book, BookEvent, BookPage
from audiobooks.pages.page_store import PageStore
from audiobooks.publishing.stream_signal import event_signal
from tests.support.model_factories import make_book

pytestmark = pytest.mark.django_db

ANOTHER_HOLDER = "some-other-host:4242:12345"


def claimed_book(user, *, pages: int = 4, stored: int = 0) -> Book:
    book = make_book(user, status=Book.Status.PROCESSING, pages=pages, stored=stored)
    assert lease.claim(book_id=book.pk)
    return book


@pytest.fixture
def book(user) -> Book:
    return claimed_book(user)


def progress_events(book: Book) -> list[dict]:
    return [e.data for e in BookEvent.objects.filter(book=book, name="page_progress").order_by("seq")]


def test_storing_a_page_saves_it_and_publishes_its_progress(book):
    store = PageStore(book=book, pages_done=0, batch_seconds=0)

    store.store(PageResult(2, "दूसरा पृष्ठ", METHOD_OCR, confidence=88.0))

    page = BookPage.objects.get(book=book, page_number=2)
    assert (page.text_content, page.method, page.char_count, page.ocr_confidence, page.error) == (
        "दूसरा पृष्ठ",
        METHOD_OCR,
        len("दूसरा पृष्ठ"),
        88.0,
        "",
    )
    assert progress_events(book) == [
        {
            "book_id": book.pk,
            "current_page": 1,
            "total_pages": 4,
            "progress": 25,
            "message": "Page 2 done (1 of 4)",
            "extracted_chars": len("दूसरा पृष्ठ"),
            "page_number": 2,
            "method": METHOD_OCR,
        }
    ]
    assert store.pages_done == 1
    assert not store.should_stop()


def test_each_stored_page_counts_once_and_gets_the_next_event_seq(book):
    store = PageStore(book=book, pages_done=0, batch_seconds=0)

    for number in (3, 1, 4, 2):  # pages finish in any order
        store.store(PageResult(number, f"page {number}", METHOD_TEXT))

    done = [(e["page_number"], e["current_page"], e["progress"]) for e in progress_events(book)]
    assert done == [(3, 1, 25), (1, 2, 50), (4, 3, 75), (2, 4, 100)]
    assert list(BookEvent.objects.filter(book=book).values_list("seq", flat=True)) == [1, 2, 3, 4]
    assert Book.objects.get(pk=book.pk).last_event_seq == 4
    assert BookPage.objects.filter(book=book).count() == 4


def test_storing_the_same_page_again_updates_it_without_counting_it_twice(book):
    store = PageStore(book=book, pages_done=0, batch_seconds=0)
    store.store(PageResult(1, "", METHOD_OCR, error="TimeoutExpired: tesseract"))

    store.store(PageResult(1, "second try", METHOD_TEXT))

    page = BookPage.objects.get(book=book, page_number=1)
    assert (page.text_content, page.method, page.error, page.ocr_confidence) == (
        "second try",
        METHOD_TEXT,
        "",
        None,
    )
    assert BookPage.objects.filter(book=book).count() == 1
    assert store.pages_done == 1
    assert [e["current_page"] for e in progress_events(book)] == [1, 1]


def test_a_resumed_book_counts_on_from_its_stored_pages(user):
    book = claimed_book(user, pages=3, stored=2)
    store = PageStore(book=book, pages_done=2, batch_seconds=0)

    store.store(PageResult(3, "last page", METHOD_TEXT))

    [event] = progress_events(book)
    assert (event["current_page"], event["progress"], event["message"]) == (3, 100, "Page 3 done (3 of 3)")
    assert BookPage.objects.filter(book=book).count() == 3


def cancel(book: Book) -> None:
    Book.objects.filter(pk=book.pk).update(status=Book.Status.CANCELLED)


def take_over(book: Book) -> None:
    Book.objects.filter(pk=book.pk).update(worker_id=ANOTHER_HOLDER)


def delete(book: Book) -> None:
    Book.objects.filter(pk=book.pk).delete()


@pytest.mark.parametrize(
    "lose_the_lease", [cancel, take_over, delete], ids=["cancelled", "taken-over", "deleted"]
)
def test_once_the_lease_is_lost_nothing_is_stored_and_the_extraction_is_told_to_stop(book, lose_the_lease):
    store = PageStore(book=book, pages_done=0, batch_seconds=0)
    store.store(PageResult(1, "kept", METHOD_TEXT))
    assert not store.should_stop()

    lose_the_lease(book)
    store.store(PageResult(2, "too late", METHOD_TEXT))
    store.store(PageResult(1, "overwritten too late", METHOD_TEXT))

    assert store.should_stop()
    assert store.pages_done == 1
    assert not BookPage.objects.filter(book_id=book.pk, page_number=2).exists()
    assert not BookPage.objects.filter(book_id=book.pk, text_content="overwritten too late").exists()
    assert [e["page_number"] for e in progress_events(book)] == ([] if lose_the_lease is delete else [1])


def test_a_cancel_is_seen_between_pages_before_any_batch_is_written(book):
    store = PageStore(book=book, pages_done=0, batch_seconds=60, stop_check_seconds=0)
    store.store(PageResult(1, "waiting for its batch", METHOD_TEXT))
    assert not store.should_stop()

    cancel(book)

    assert store.should_stop()


def test_between_pages_the_lease_is_read_at_most_once_a_while(book, django_assert_num_queries):
    store = PageStore(book=book, pages_done=0, stop_check_seconds=60)
    assert not store.should_stop()
    cancel(book)

    with django_assert_num_queries(0):  # a text-layer book asks twice a page
        assert not any(store.should_stop() for _ in range(100))


def test_a_store_whose_book_was_never_claimed_stores_nothing(user):
    book = make_book(user, status=Book.Status.PROCESSING, pages=2, stored=0)
    store = PageStore(book=book, pages_done=0, batch_seconds=0)

    store.store(PageResult(1, "text", METHOD_TEXT))

    assert store.should_stop()
    assert not BookPage.objects.filter(book=book).exists()
    assert not BookEvent.objects.filter(book=book).exists()


def test_pages_wait_for_their_batch_and_are_written_together_with_consecutive_events(book):
    store = PageStore(book=book, pages_done=0, batch_seconds=60)

    for number in (2, 1, 2):  # page 2 read twice: its last reading is kept, counted once
        store.store(PageResult(number, f"page {number}", METHOD_TEXT))
    assert not BookPage.objects.filter(book=book).exists()
    assert 59 < store.flush_due() <= 60  # due in a minute: nothing written yet

    store.flush()

    assert [(e["page_number"], e["current_page"]) for e in progress_events(book)] == [(2, 1), (1, 2), (2, 2)]
    assert list(BookEvent.objects.filter(book=book).values_list("seq", flat=True)) == [1, 2, 3]
    assert BookPage.objects.filter(book=book).count() == 2
    assert store.flush_due() is None


def test_a_full_batch_is_written_at_once_and_a_due_one_when_asked(book):
    store = PageStore(book=book, pages_done=0, batch_seconds=60, batch_pages=2)
    store.store(PageResult(1, "one", METHOD_TEXT))
    store.store(PageResult(2, "two", METHOD_TEXT))
    assert BookPage.objects.filter(book=book).count() == 2

    store.batch_seconds = 0
    store.store(PageResult(3, "three", METHOD_TEXT))
    assert BookPage.objects.filter(book=book).count() == 3


def test_a_batch_whose_lease_was_lost_meanwhile_is_dropped(book):
    store = PageStore(book=book, pages_done=0, batch_seconds=60)
    store.store(PageResult(1, "read before the cancel", METHOD_TEXT))
    cancel(book)

    store.flush()

    assert store.should_stop()
    assert not BookPage.objects.filter(book=book).exists()
    assert not BookEvent.objects.filter(book=book).exists()


@pytest.fixture
def stopping():
    """This process is shutting down (gunicorn's SIGTERM), as its children were told too."""
    event_signal.closing = True
    yield
    event_signal.closing = False


def test_a_page_that_failed_because_the_process_is_stopping_is_left_for_the_resumed_book(book, stopping):
    store = PageStore(book=book, pages_done=0, batch_seconds=0)

    store.store(PageResult(1, "", METHOD_OCR, error="TesseractError: (-15, '')"))

    assert not BookPage.objects.filter(book=book).exists()
    assert store.should_stop()
