"""`manage.py prune_events [--days N]`: keep only the last event of books finished more than
N days ago (EVENT_RETENTION_DAYS by default). The maintenance thread of every web process
(embedded) and Celery worker does the same once an hour."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audiobooks.publishing.event_retention import prune_events


class Command(BaseCommand):
    help = "Delete the event logs of books finished long ago, all but each book's last event."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=float, default=None, help="default: EVENT_RETENTION_DAYS")

    def handle(self, *args, days: float | None, **options) -> None:
        days = settings.EVENT_RETENTION_DAYS if days is None else days
        if days <= 0:
            raise CommandError("Retention is off (EVENT_RETENTION_DAYS=0); pass --days N to prune anyway.")
        deleted = prune_events(older_than_days=days)
        self.stdout.write(f"Deleted {deleted} events of books finished more than {days:g} days ago.")
