"""Celery tasks: a book job on a worker process (used when CELERY_BROKER_URL is set)."""

from celery import shared_task

from audiobooks.services.runner import runner


@shared_task(name="audiobooks.run_book")
def run_book(book_id: int, replacing: str | None = None) -> None:
    # acks_late: the message is acknowledged only when this returns, so a worker killed
    # mid-book leaves it to be delivered again; the job resumes from the stored pages.
    runner.run(book_id, replacing=replacing)
