# Loaded with Django so `shared_task`s bind to this app and enqueueing (send_task) uses its broker.
from backend.celery import app as celery_app

__all__ = ("celery_app",)
