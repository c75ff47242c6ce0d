"""The Celery app for scale-out: `celery -A backend worker` runs book jobs (see
audiobooks/jobs/tasks.py) when CELERY_BROKER_URL is set. Its settings are the CELERY_* names
in backend/settings.py."""

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")

app = Celery("backend")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["audiobooks.jobs"])


@worker_ready.connect
def start_book_maintenance(**_) -> None:
    """Keep this worker's book leases fresh and take up books whose worker died."""
    from audiobooks.jobs.runners import start_maintenance

    start_maintenance()
