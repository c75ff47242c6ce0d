"""What an operator watches, as Prometheus metrics: served at `/metrics` (api/metrics_view.py)
and, by a Celery worker, on WORKER_METRICS_BIND.

Each gunicorn worker writes its numbers to files in PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py
sets it per server), and `/metrics` adds up every worker's, whichever worker answers. Books
by status are counted from the database when scraped.
"""

from prometheus_client import Counter, Gauge, Histogram

PAGES = Counter(
    "audiobooks_pages",
    "Pages finished, by method (text, ocr) and outcome (read, failed)",
    ["method", "outcome"],
)
PAGE_SECONDS = Histogram(
    "audiobooks_page_seconds",
    "Seconds one page took to read (its layer checked, or rendered and OCRed), by method",
    ["method"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120),
)
PAGES_IN_FLIGHT = Gauge(
    "audiobooks_pages_in_flight",
    "Pages handed to a process's page pool and not finished (waiting or being read)",
    multiprocess_mode="livesum",
)
OPEN_STREAMS = Gauge("audiobooks_open_streams", "Event streams open", multiprocess_mode="livesum")
EVENT_DELIVERY_SECONDS = Histogram(
    "audiobooks_event_delivery_seconds",
    "From an event's storing to its writing on a stream (each stream counts)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
UPLOAD_REJECTIONS = Counter("audiobooks_upload_rejections", "Uploads refused, by error code", ["code"])
