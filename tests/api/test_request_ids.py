"""Every request has an id, sent back as X-Request-ID; log lines carry it with the reader's
and the book's ids — as JSON objects with LOG_FORMAT=json, gunicorn's own lines included."""

import contextvars
import json
import logging

import pytest
import requests
from django.test import Client

from audiobooks import log_context
from tests.support.live_client import auth
from tests.support.live_server import start_server, stop_server
from tests.support.service_processes import wait_until
from tests.support.sse_client import events_only, read_messages

pytestmark = pytest.mark.django_db


def test_a_request_without_an_id_is_given_one():
    response = Client().get("/healthz")

    assert len(response["X-Request-ID"]) == 32 and int(response["X-Request-ID"], 16) >= 0


def test_a_sane_id_from_the_client_or_proxy_is_kept_and_a_forged_one_replaced():
    kept = Client().get("/healthz", HTTP_X_REQUEST_ID="nginx-4f2a.77")
    replaced = Client().get("/healthz", HTTP_X_REQUEST_ID='x" level=ERROR fake')

    assert kept["X-Request-ID"] == "nginx-4f2a.77"
    assert replaced["X-Request-ID"] != 'x" level=ERROR fake' and len(replaced["X-Request-ID"]) == 32


def record_in(ids: dict) -> logging.LogRecord:
    """A log record made where the context holds `ids`, through the context filter."""
    record = logging.LogRecord("audiobooks.jobs", logging.INFO, __file__, 1, "page %s done", (3,), None)

    def log() -> None:
        for name in ("book_id", "user_id", "request_id"):
            getattr(log_context, name).set(ids.get(name))
        log_context.ContextFilter().filter(record)

    contextvars.copy_context().run(log)
    return record


def test_a_json_line_has_time_level_logger_message_and_the_ids():
    line = json.loads(log_context.JsonFormatter().format(record_in({"book_id": 7, "request_id": "abc"})))

    assert (
        line["level"] == "INFO" and line["logger"] == "audiobooks.jobs" and line["message"] == "page 3 done"
    )
    assert (line["book_id"], line["user_id"], line["request_id"]) == (7, None, "abc")
    assert line["time"].endswith("+00:00")


def test_a_text_line_names_only_the_ids_it_knows():
    assert record_in({"book_id": 7, "user_id": 2}).context == " [book=7 user=2]"
    assert record_in({}).context == ""


@pytest.mark.server
def test_with_log_format_json_every_line_is_json_and_a_books_story_can_be_followed(
    tmp_path, digital_english_pdf
):
    server = start_server(tmp_path / "json-logs", LOG_FORMAT="json")
    try:
        token = server.token("logged-reader")
        with open(digital_english_pdf, "rb") as handle:
            response = requests.post(
                f"{server.url}/api/books/upload-sse/",
                headers={**auth(token), "Accept": "text/event-stream", "X-Request-ID": "upload-123"},
                files={"file": handle},
                data={"language": "english"},
                stream=True,
                timeout=120,
            )
            stream = events_only(read_messages(response.iter_content(chunk_size=None)))
        book_id = stream[-1].data["book_id"]
        # gunicorn writes the access line after the last byte went out: wait for it.
        wait_until(
            lambda: "upload-sse" in server.log(), timeout=30, what="no access line", log=server.log_path
        )
        lines = [json.loads(line) for line in server.log().splitlines() if line.strip()]
    finally:
        stop_server(server.process)

    assert response.headers["X-Request-ID"] == "upload-123"
    upload = [line for line in lines if line["request_id"] == "upload-123"]
    assert any("POST /api/books/upload-sse/" in line["message"] for line in upload)  # the access log
    assert all(line["user_id"] is not None for line in upload if line["logger"] == "gunicorn.access")
    assert all(line["book_id"] == book_id for line in upload if line["logger"] == "gunicorn.access")
    job = [line for line in lines if "extracted 2 pages" in line["message"]]
    assert [(line["book_id"], line["user_id"]) for line in job] == [(book_id, upload[-1]["user_id"])]
