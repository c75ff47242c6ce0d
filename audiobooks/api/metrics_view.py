"""`GET /metrics`: the Prometheus metrics of every worker of this server (metrics.py), and
books by status from the database. Answered only to METRICS_ALLOWED_NETWORKS (loopback by
default), by the address that connected: a scraper asks the server itself (nginx does not
pass /metrics on), so a forwarded address would only be a way to pretend to be loopback."""

import ipaddress
import os

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from audiobooks.db_connections import release_connection
from audiobooks.errors import ErrorCode
from audiobooks.models import Book


class BooksByStatus:
    """A collector counting books by status when scraped."""

    def collect(self):
        family = GaugeMetricFamily("audiobooks_books", "Books by status", labels=["status"])
        try:
            counts = dict(Book.objects.values_list("status").annotate(count=Count("id")).order_by())
        finally:
            release_connection()
        for status in Book.Status.values:
            family.add_metric([status], counts.get(status, 0))
        yield family


def allowed(request: HttpRequest) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network) for network in settings.METRICS_ALLOWED_NETWORKS)


def process_metrics() -> bytes:
    """Every gunicorn worker's numbers, added up (their files in PROMETHEUS_MULTIPROC_DIR);
    this process's alone where there is no such folder (a test, a management command)."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return generate_latest(registry)


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        return JsonResponse(
            {
                "error": "Forbidden",
                "details": "Metrics are served to METRICS_ALLOWED_NETWORKS only.",
                "code": str(ErrorCode.PERMISSION_DENIED),
            },
            status=403,
        )
    books = CollectorRegistry()
    books.register(BooksByStatus())
    return HttpResponse(process_metrics() + generate_latest(books), content_type=CONTENT_TYPE_LATEST)
