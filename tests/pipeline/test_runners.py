"""The runners: one per process and settings, a book run once at a time, run again when it
was submitted while running, and sent to Celery by the task's name."""

import threading

import pytest

from audiobooks.jobs import runners
from audiobooks.jobs.runners import BookWorker, CeleryRunner, InProcessRunner, book_runner

DEADLINE = 30.0


@pytest.fixture
def jobs(monkeypatch):
    """process_book replaced by a recorder that holds each run until `release` is set."""
    calls: list[tuple[int, str | None]] = []
    started, release = threading.Semaphore(0), threading.Event()

    def process_book(*, book_id, executor, replacing):
        calls.append((book_id, replacing))
        started.release()
        assert release.wait(DEADLINE)

    monkeypatch.setattr(runners, "process_book", process_book)
    yield calls, started, release
    release.set()


def test_the_runner_is_chosen_by_the_settings_and_made_once(settings):
    settings.CELERY_BROKER_URL = ""
    in_process = book_runner()
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    celery = book_runner()

    assert isinstance(in_process, InProcessRunner) and isinstance(celery, CeleryRunner)
    assert celery.worker is in_process.worker  # one page pool per process
    settings.CELERY_BROKER_URL = ""
    assert book_runner() is in_process


def test_a_book_already_running_in_this_process_is_not_run_twice(jobs):
    calls, started, release = jobs
    worker = BookWorker(page_workers=1)
    first = threading.Thread(target=worker.run, args=(7,))
    first.start()
    assert started.acquire(timeout=DEADLINE)

    worker.run(7)  # a second delivery of the same book, while the first still runs

    release.set()
    first.join(DEADLINE)
    assert calls == [(7, None)]
    assert worker.active_book_ids() == []


def test_a_book_submitted_while_it_runs_runs_once_more_after(jobs):
    calls, started, release = jobs
    runner = InProcessRunner(BookWorker(page_workers=1))

    assert runner.submit(8, replacing="dead-holder") is True
    assert started.acquire(timeout=DEADLINE)
    assert runner.submit(8) is False  # retried at once, its last page still in flight
    release.set()

    assert started.acquire(timeout=DEADLINE)
    assert runner.wait_idle(timeout=DEADLINE)
    assert calls == [(8, "dead-holder"), (8, None)]


def test_celery_gets_the_book_by_the_task_name(monkeypatch):
    sent = []
    monkeypatch.setattr(runners.celery_app, "send_task", lambda name, **kw: sent.append((name, kw)))

    assert CeleryRunner(BookWorker(page_workers=1)).submit(9, replacing="gone") is True
    assert sent == [("audiobooks.run_book", {"args": [9], "kwargs": {"replacing": "gone"}})]
