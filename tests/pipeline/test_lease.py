"""Book leases: who may extract a book, and when a book counts as abandoned."""

import os
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from audiobooks.jobs import lease
from audiobooks.jobs.book_actions import retry_book
from audiobooks.jobs.book_job import claim
from audiobooks.models import Book, BookEvent
from tests.support.model_factories import make_book

pytestmark = pytest.mark.django_db

HOST = socket.gethostname()
ANOTHER_HOST_HOLDER = "some-other-host:4242:12345"


def no_such_pid() -> int:
    """A pid no process can have: one above the kernel's limit."""
    return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1


def dead_holder_ids() -> list[str]:
    """Holders on this host that are gone: a pid that does not exist, and this process's own pid
    with other start ticks (the pid was reused by a different process)."""
    return [f"{HOST}:{no_such_pid()}:12345", f"{HOST}:{os.getpid()}:not-my-start-ticks"]


@pytest.fixture
def processing_book(user) -> Book:
    return make_book(user, status=Book.Status.PROCESSING, stored=0)


def hold(book: Book, worker_id: str, *, age: timedelta = timedelta(0)) -> None:
    """Give the book's lease to `worker_id`, last renewed `age` ago."""
    Book.objects.filter(pk=book.pk).update(worker_id=worker_id, heartbeat_at=timezone.now() - age)


def expired() -> timedelta:
    return lease.lease() + timedelta(seconds=5)


def holder_of(book: Book) -> str:
    return Book.objects.values_list("worker_id", flat=True).get(pk=book.pk)


def test_the_worker_id_names_this_host_pid_and_process_start():
    host, pid, start_ticks = lease.current_worker_id().split(":")
    assert (host, pid) == (HOST, str(os.getpid()))
    assert start_ticks == Path(f"/proc/{os.getpid()}/stat").read_text().rsplit(")", 1)[1].split()[19]
    assert not lease.holder_is_gone(lease.current_worker_id())


def test_claiming_a_free_processing_book_takes_its_lease(processing_book):
    before = timezone.now()

    assert lease.claim(book_id=processing_book.pk)

    processing_book.refresh_from_db()
    assert processing_book.worker_id == lease.current_worker_id()
    assert processing_book.heartbeat_at >= before
    assert lease.holds(book_id=processing_book.pk)


def test_claiming_a_book_this_process_already_holds_succeeds_again(processing_book):
    assert lease.claim(book_id=processing_book.pk)
    assert lease.claim(book_id=processing_book.pk)
    assert holder_of(processing_book) == lease.current_worker_id()


def test_a_fresh_lease_of_another_holder_is_not_claimed(processing_book):
    hold(processing_book, ANOTHER_HOST_HOLDER, age=timedelta(seconds=1))

    assert not lease.claim(book_id=processing_book.pk)

    assert holder_of(processing_book) == ANOTHER_HOST_HOLDER
    assert not lease.holds(book_id=processing_book.pk)


def test_a_lease_not_renewed_for_longer_than_the_lease_time_is_claimed_by_another(processing_book):
    hold(processing_book, ANOTHER_HOST_HOLDER, age=expired())

    assert lease.claim(book_id=processing_book.pk)

    assert holder_of(processing_book) == lease.current_worker_id()


def test_the_lease_time_comes_from_the_setting(settings, processing_book):
    settings.BOOK_LEASE_SECONDS = 3600
    hold(processing_book, ANOTHER_HOST_HOLDER, age=timedelta(minutes=10))
    assert not lease.claim(book_id=processing_book.pk)

    settings.BOOK_LEASE_SECONDS = 60
    assert lease.claim(book_id=processing_book.pk)


def test_claim_replacing_a_named_holder_takes_its_fresh_lease(processing_book):
    hold(processing_book, ANOTHER_HOST_HOLDER)

    assert not lease.claim(book_id=processing_book.pk, replacing="yet-another-host:1:1")
    assert lease.claim(book_id=processing_book.pk, replacing=ANOTHER_HOST_HOLDER)
    assert holder_of(processing_book) == lease.current_worker_id()


@pytest.mark.parametrize("dead_holder", dead_holder_ids(), ids=["pid-gone", "pid-reused"])
def test_a_holder_on_this_host_whose_process_is_gone_is_replaced_at_once(processing_book, dead_holder):
    hold(processing_book, dead_holder)  # renewed just now, so only its death frees it
    assert lease.holder_is_gone(dead_holder)

    assert lease.claim(book_id=processing_book.pk)

    assert holder_of(processing_book) == lease.current_worker_id()


def test_a_holder_on_another_host_is_never_taken_for_dead(processing_book):
    holder = f"some-other-host:{no_such_pid()}:12345"  # that pid means nothing here
    hold(processing_book, holder)

    assert not lease.holder_is_gone(holder)
    assert not lease.claim(book_id=processing_book.pk)
    assert holder_of(processing_book) == holder


@pytest.mark.parametrize("worker_id", ["", "no-colons", f"{HOST}:not-a-pid:1", f"{HOST}::"])
def test_a_malformed_holder_is_not_taken_for_dead(worker_id):
    assert not lease.holder_is_gone(worker_id)


@pytest.mark.parametrize("status", [Book.Status.COMPLETED, Book.Status.CANCELLED, Book.Status.FAILED])
@pytest.mark.parametrize(
    "holder", ["", ANOTHER_HOST_HOLDER, dead_holder_ids()[0]], ids=["free", "expired", "dead"]
)
def test_a_book_that_is_not_processing_is_never_claimed(user, status, holder):
    book = make_book(user, status=status, stored=0)
    hold(book, holder, age=expired())

    assert not lease.claim(book_id=book.pk)

    assert holder_of(book) == holder
    assert not lease.holds(book_id=book.pk)


def test_a_book_that_does_not_exist_is_not_claimed():
    assert not lease.claim(book_id=987654)
    assert not lease.holds(book_id=987654)


def test_renew_moves_the_heartbeat_only_of_the_books_this_process_holds(user):
    ours, theirs = (make_book(user, status=Book.Status.PROCESSING, stored=0) for _ in range(2))
    hold(ours, lease.current_worker_id(), age=timedelta(seconds=30))
    hold(theirs, ANOTHER_HOST_HOLDER, age=timedelta(seconds=30))
    before = {book.pk: Book.objects.get(pk=book.pk).heartbeat_at for book in (ours, theirs)}

    lease.renew(book_ids=[ours.pk, theirs.pk])

    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert ours.heartbeat_at > before[ours.pk]
    assert timezone.now() - ours.heartbeat_at < timedelta(seconds=5)
    assert theirs.heartbeat_at == before[theirs.pk]
    assert theirs.worker_id == ANOTHER_HOST_HOLDER


def test_holds_turns_false_once_the_book_is_cancelled(processing_book):
    assert lease.claim(book_id=processing_book.pk)

    Book.objects.filter(pk=processing_book.pk).update(status=Book.Status.CANCELLED)

    assert not lease.holds(book_id=processing_book.pk)


def test_holds_turns_false_once_another_process_takes_the_book_over(processing_book):
    assert lease.claim(book_id=processing_book.pk)

    hold(processing_book, ANOTHER_HOST_HOLDER)

    assert not lease.holds(book_id=processing_book.pk)
    assert not lease.claim(book_id=processing_book.pk)


def test_orphaned_books_lists_expired_and_dead_holder_books_but_not_live_ones(user):
    def processing(worker_id: str, *, age: timedelta = timedelta(0)) -> Book:
        book = make_book(user, status=Book.Status.PROCESSING, stored=0)
        hold(book, worker_id, age=age)
        return book

    dead_holder = dead_holder_ids()[0]
    expired_book = processing(ANOTHER_HOST_HOLDER, age=expired())
    dead_holder_book = processing(dead_holder)
    never_started = processing("")
    Book.objects.filter(pk=never_started.pk).update(heartbeat_at=None, created_at=timezone.now() - expired())
    fresh = processing(ANOTHER_HOST_HOLDER)
    just_created = processing("")
    Book.objects.filter(pk=just_created.pk).update(heartbeat_at=None)
    ours = processing(lease.current_worker_id(), age=expired())  # its own job renews or resumes it
    finished = make_book(user, status=Book.Status.COMPLETED, stored=0)
    hold(finished, dead_holder, age=expired())

    orphans = lease.orphaned_books()

    assert sorted(orphans) == sorted(
        [(expired_book.pk, ANOTHER_HOST_HOLDER), (dead_holder_book.pk, dead_holder), (never_started.pk, "")]
    )
    listed = {book_id for book_id, _ in orphans}
    assert listed.isdisjoint({fresh.pk, just_created.pk, ours.pk, finished.pk})


def test_an_orphaned_book_can_be_claimed_from_the_holder_it_was_listed_with(user):
    book = make_book(user, status=Book.Status.PROCESSING, stored=0)
    hold(book, dead_holder_ids()[0])
    [(book_id, holder)] = lease.orphaned_books()

    assert lease.claim(book_id=book_id, replacing=holder or None)

    assert holder_of(book) == lease.current_worker_id()
    assert lease.orphaned_books() == []


def takeovers_of(book: Book) -> int:
    return Book.objects.values_list("takeovers", flat=True).get(pk=book.pk)


def test_only_taking_a_book_from_another_holder_counts_as_a_takeover(processing_book):
    lease.claim(book_id=processing_book.pk)  # free
    lease.claim(book_id=processing_book.pk)  # already ours
    hold(processing_book, dead_holder_ids()[0])
    lease.claim(book_id=processing_book.pk)  # from a dead holder
    hold(processing_book, ANOTHER_HOST_HOLDER, age=expired())
    lease.claim(book_id=processing_book.pk)  # from one silent past its lease

    assert takeovers_of(processing_book) == 2


def test_a_book_that_keeps_stopping_its_reader_is_failed_not_resumed_again(processing_book, settings):
    settings.BOOK_MAX_TAKEOVERS = 2
    resumed = []
    for _ in range(3):
        hold(processing_book, dead_holder_ids()[0])
        resumed.append(claim(book_id=processing_book.pk, replacing=None) is not None)

    book = Book.objects.get(pk=processing_book.pk)
    last = BookEvent.objects.filter(book=book).last()
    assert resumed == [True, True, False]
    assert (book.status, book.error_code) == (Book.Status.FAILED, "too_many_takeovers")
    assert (last.name, last.data["code"]) == ("error", "too_many_takeovers")


def test_a_retry_starts_the_count_again(processing_book, settings):
    settings.BOOK_MAX_TAKEOVERS = 0
    hold(processing_book, dead_holder_ids()[0])

    assert claim(book_id=processing_book.pk, replacing=None) is None  # failed: one takeover too many
    retry_book(book=Book.objects.get(pk=processing_book.pk))
    assert takeovers_of(processing_book) == 0
