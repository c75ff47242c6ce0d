"""Celery tasks: a book job on a worker process (used when CELERY_BROKER_URL is set)."""

from celery import shared_task

from audiobooks.jobs.runners import RUN_BOOK_TASK, book_runner


@shared_task(name=RUN_BOOK_TASK)
def run_book(book_id: int, replacing: str | None = None) -> None:
    # acks_late: the message is acknowledged only when this returns, so a worker killed
    # mid-book leaves it to be delivered again; the job resumes from the stored pages. An
    # unexpected error is raised on to Celery, which logs it with the task.
    book_runner().run(book_id, replacing=replacing)
