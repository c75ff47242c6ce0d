"""`/metrics`: Prometheus text for loopback (and METRICS_ALLOWED_NETWORKS) only; pages by
method and outcome with their seconds, books by status, upload rejections by code, open
streams and how late events reached them — read after real uploads in this process."""

import threading
import time

import pytest
import requests
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from audiobooks.extraction import page_extraction
from audiobooks.jobs.runners import book_runner
from audiobooks.models import Book
from tests.support.live_client import upload_stream
from tests.support.live_server import start_server, stop_server
from tests.support.model_factories import make_book
from tests.support.pdf_factory import build_pdf, hindi_page
from tests.support.sse_client import events_only, parse_stream, read_messages

pytestmark = pytest.mark.django_db(transaction=True)


def scrape(**meta) -> dict[tuple[str, tuple], float]:
    """The samples of `/metrics`: (name, sorted labels) → value."""
    response = Client().get("/metrics", **meta)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def upload(api, pdf_path) -> list:
    with open(pdf_path, "rb") as handle:
        response = api.post(
            "/api/books/upload-sse/", {"file": handle, "language": "english"}, format="multipart"
        )
    return events_only(parse_stream(b"".join(response.streaming_content)))


def test_metrics_are_refused_to_an_address_outside_the_allowed_networks():
    response = Client().get("/metrics", REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_an_allowed_network_may_scrape(settings):
    settings.METRICS_ALLOWED_NETWORKS = ["203.0.113.0/24"]

    assert Client().get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 200
    assert Client().get("/metrics").status_code == 403  # loopback is no longer in the list


def test_a_forwarded_loopback_address_does_not_open_the_metrics(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}  # as behind nginx

    response = Client().get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert response.status_code == 403


def test_books_are_counted_by_status(user):
    make_book(user, status=Book.Status.COMPLETED)
    make_book(user, status=Book.Status.COMPLETED)
    make_book(user, status=Book.Status.FAILED)

    samples = scrape()

    assert samples[("audiobooks_books", (("status", "completed"),))] == 2
    assert samples[("audiobooks_books", (("status", "failed"),))] == 1
    assert samples[("audiobooks_books", (("status", "processing"),))] == 0


def test_an_upload_counts_its_pages_their_seconds_and_how_late_its_events_reached_the_stream(
    api, digital_english_pdf
):
    before = scrape()
    text_read = ("audiobooks_pages_total", (("method", "text"), ("outcome", "read")))
    text_seconds = ("audiobooks_page_seconds_count", (("method", "text"),))

    stream = upload(api, digital_english_pdf)
    after = scrape()

    assert stream[-1].event == "completed"
    assert after[text_read] - before.get(text_read, 0) == 2
    assert after[text_seconds] - before.get(text_seconds, 0) == 2
    delivered = ("audiobooks_event_delivery_seconds_count", ())
    assert 0 < after[delivered] - before.get(delivered, 0) <= len(stream)  # live ones, not the replay
    assert after[("audiobooks_open_streams", ())] == before.get(("audiobooks_open_streams", ()), 0)
    assert after[("audiobooks_pages_in_flight", ())] == 0


def test_a_page_that_failed_is_counted_as_failed(api, settings, tmp_path):
    settings.OCR_PAGE_TIMEOUT = 0.001  # tesseract cannot finish
    failed = ("audiobooks_pages_total", (("method", "ocr"), ("outcome", "failed")))
    before = scrape().get(failed, 0)

    upload(api, build_pdf(tmp_path / "scan.pdf", [hindi_page()]))

    assert scrape()[failed] - before == 1


def test_open_streams_and_pages_in_flight_count_while_they_last(api, monkeypatch, digital_english_pdf):
    opened, in_flight = ("audiobooks_open_streams", ()), ("audiobooks_pages_in_flight", ())
    streams_before = scrape().get(opened, 0)
    released, read_page = threading.Event(), page_extraction.extract_page
    monkeypatch.setattr(
        page_extraction, "extract_page", lambda *a, **k: released.wait(60) and read_page(*a, **k)
    )
    with open(digital_english_pdf, "rb") as handle:
        book_id = api.post("/api/books/", {"file": handle, "language": "english"}, format="multipart").json()[
            "id"
        ]
    stream = api.get(f"/api/books/{book_id}/events/")
    deadline = time.monotonic() + 60
    while scrape().get(in_flight, 0) < 1:  # the page is handed to the pool, then held
        assert time.monotonic() < deadline, "no page was ever in flight"
        time.sleep(0.05)

    during = scrape()
    released.set()
    messages = events_only(parse_stream(b"".join(stream.streaming_content)))
    stream.close()
    assert book_runner().wait_idle(timeout=60)
    after = scrape()

    assert during[opened] == streams_before + 1 and during[in_flight] >= 1
    assert messages[-1].event == "completed"
    assert (after[opened], after[in_flight]) == (streams_before, 0)


def test_a_refused_upload_is_counted_by_its_code(api, tmp_path):
    not_a_pdf = tmp_path / "notes.pdf"
    not_a_pdf.write_text("plain text, not a PDF")
    rejected = ("audiobooks_upload_rejections_total", (("code", "not_pdf"),))
    before = scrape().get(rejected, 0)

    with open(not_a_pdf, "rb") as handle:
        response = api.post("/api/books/upload-sse/", {"file": handle}, format="multipart")

    assert (response.status_code, response.json()["code"]) == (415, "not_pdf")
    assert scrape()[rejected] - before == 1


@pytest.mark.server
def test_any_of_two_web_workers_answers_with_the_sums_of_both(tmp_path, digital_english_pdf):
    server = start_server(tmp_path / "two-workers", WEB_CONCURRENCY="2")
    try:
        token = server.token("metrics-reader")
        with upload_stream(server, token, digital_english_pdf, language="english") as response:
            stream = events_only(read_messages(response.iter_content(chunk_size=None)))
        # New connections, so either worker may answer; each must tell the same sums.
        scrapes = [
            requests.get(f"{server.url}/metrics", headers={"Connection": "close"}, timeout=30).text
            for _ in range(8)
        ]
    finally:
        stop_server(server.process)

    assert stream[-1].event == "completed"
    assert all('audiobooks_pages_total{method="text",outcome="read"} 2.0' in text for text in scrapes)
    assert all('audiobooks_books{status="completed"} 1.0' in text for text in scrapes)


def test_a_refused_retry_is_not_an_upload_rejection(api, user):
    book = make_book(user, status=Book.Status.COMPLETED)
    refused = ("audiobooks_upload_rejections_total", (("code", "not_retryable"),))

    response = api.post(f"/api/books/{book.pk}/retry/")

    assert (response.status_code, response.json()["code"]) == (409, "not_retryable")
    assert scrape().get(refused, 0) == 0
