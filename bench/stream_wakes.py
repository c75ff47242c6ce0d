"""What one stream's wake costs in a web worker's process, beside a bare gevent wake.

    python -m bench.stream_wakes OUT.json

Run by `make bench BOOKS=streams` in a process of its own (gevent's monkey-patching, as in a
gunicorn gevent worker, and a SQLite database of its own). STREAMS greenlets follow one book
(`follow_events` through `encode_stream`, what `GET /api/books/{id}/events/` runs, without
its socket), EVENTS events are published one at a time, and the process's CPU is divided
by events × streams. The baseline is the same number of greenlets woken the same number of
times by a gevent Event, waited on with a timeout as the streams wait (their heartbeat).
What neither counts: gunicorn's write of each chunk and the kernel's send.
"""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402

import gevent  # noqa: E402

STREAMS = 1000
EVENTS = 20
GAP_SECONDS = 0.05  # between events: every stream is asleep again before the next


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def per_wake_us(spent: float) -> float:
    return spent / (STREAMS * EVENTS) * 1e6


def bare_wakes() -> float:
    current = [threading.Event()]

    def sleeper() -> None:
        for _ in range(EVENTS):
            current[0].wait(60)

    sleepers = [gevent.spawn(sleeper) for _ in range(STREAMS)]
    gevent.sleep(0.5)
    before = cpu_seconds()
    for _ in range(EVENTS):
        woken, current[0] = current[0], threading.Event()
        woken.set()
        gevent.sleep(GAP_SECONDS)
    spent = cpu_seconds() - before
    gevent.joinall(sleepers)
    return per_wake_us(spent)


def stream_wakes() -> float:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from audiobooks.api.sse import encode_stream
    from audiobooks.events import PageProgress
    from audiobooks.models import Book
    from audiobooks.publishing.event_log import follow_events, publish_events

    call_command("migrate", verbosity=0)
    reader = get_user_model().objects.create(username="bench-wakes")
    book = Book.objects.create(user=reader, title="Wakes", total_pages=EVENTS, status=Book.Status.PROCESSING)
    delivered = [0]

    def stream() -> None:
        for chunk in encode_stream(
            follow_events(book_id=book.pk, after_seq=0, heartbeat_seconds=60, poll_seconds=60)
        ):
            delivered[0] += chunk.count(b"id: ")

    streams = [gevent.spawn(stream) for _ in range(STREAMS)]
    gevent.sleep(1)
    before = cpu_seconds()
    for number in range(1, EVENTS + 1):
        progress = PageProgress(
            book_id=book.pk,
            current_page=number,
            total_pages=EVENTS,
            progress=100 * number // EVENTS,
            message=f"Page {number} done",
            extracted_chars=1000,
            page_number=number,
            method="ocr",
        )
        publish_events(book_id=book.pk, events=[progress])
        gevent.sleep(GAP_SECONDS)
    spent = cpu_seconds() - before
    gevent.killall(streams)
    if delivered[0] != STREAMS * EVENTS:
        raise RuntimeError(f"{delivered[0]} events delivered, not {STREAMS * EVENTS}")
    return per_wake_us(spent)


def main(out: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        os.environ.update(
            DJANGO_SETTINGS_MODULE="backend.settings",
            DJANGO_SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-production"),
            SQLITE_PATH=os.path.join(folder, "db.sqlite3"),
            MEDIA_ROOT=os.path.join(folder, "media"),
        )
        import django

        django.setup()
        result = {"bare_us": bare_wakes(), "stream_us": stream_wakes(), "streams": STREAMS, "events": EVENTS}
    with open(out, "w") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main(sys.argv[1])
