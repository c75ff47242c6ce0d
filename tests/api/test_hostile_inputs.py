"""Hostile and broken requests against a real server: each gets its exact status and
code, the server answers the next request, and no temporary upload file is left."""

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest
import requests

from tests.support.live_client import (
    BOOK_ENDPOINTS,
    Bystander,
    ResponsivenessProbe,
    auth,
    bystander_with_a_book,
    upload_stream,
    wait_for_book,
    worker_peak_rss_mb,
)
from tests.support.live_server import ROOT
from tests.support.pdf_factory import (
    blank_pages_pdf,
    build_pdf,
    encrypted_pdf,
    english_page,
    huge_page_pdf,
    image_bomb_pdf,
    text_without_unicode_map_pdf,
    vector_text_pdf,
    with_user_unit,
    zero_page_pdf,
)
from tests.support.sse_client import events_only, read_messages

pytestmark = pytest.mark.server

MAX_UPLOAD_BYTES = 8 * 1024 * 1024  # the live test server's BOOK_MAX_UPLOAD_BYTES


@dataclass
class Ctx:
    server: object
    token: str
    tmp: Path
    good_pdf: Path

    def post(self, files=None, data=None, headers=None, token=None) -> requests.Response:
        return requests.post(
            f"{self.server.url}/api/books/upload-sse/",
            headers={**auth(token or self.token), **(headers or {})},
            files=files,
            data=data,
            timeout=120,
        )

    def upload_file(self, content: bytes, name: str = "book.pdf", **data) -> requests.Response:
        return self.post(files={"file": (name, content, "application/pdf")}, data=data)


@dataclass
class RawResponse:
    status_code: int
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


def refused_before_its_body(ctx: Ctx, head: str) -> RawResponse:
    """Send only a request's head and read the answer: a server that waited for the body
    it announced would never answer, and the socket timeout would fail the test."""
    host, port = ctx.server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head.encode())
        answer = sock.makefile("rb")
        status = int(answer.readline().split()[1])
        while answer.readline() not in (b"\r\n", b""):
            pass  # headers
        return RawResponse(status, answer.read())


def oversized_by_content_length(ctx: Ctx) -> RawResponse:
    return refused_before_its_body(
        ctx,
        "POST /api/books/upload-sse/ HTTP/1.1\r\nHost: localhost\r\n"
        f"Authorization: Bearer {ctx.token}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
        f"Content-Length: {MAX_UPLOAD_BYTES * 4}\r\nConnection: close\r\n\r\n",
    )


def chunked_body(ctx: Ctx) -> RawResponse:
    return refused_before_its_body(
        ctx,
        "POST /api/books/upload-sse/ HTTP/1.1\r\nHost: localhost\r\n"
        f"Authorization: Bearer {ctx.token}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    )


def expired_token(ctx: Ctx) -> str:
    now = int(time.time())
    claims = {"token_type": "access", "exp": now - 60, "iat": now - 3600, "jti": "expired", "user_id": "1"}
    return jwt.encode(claims, ctx.server.env["DJANGO_SECRET_KEY"], algorithm="HS256")


def completed_book(ctx: Ctx) -> int:
    with upload_stream(ctx.server, ctx.token, ctx.good_pdf, language="english") as response:
        return events_only(read_messages(response.iter_content(None)))[-1].data["book_id"]


def stream_of(response: requests.Response) -> list:
    return events_only(read_messages([response.content]))


# Each case: (request maker, status, code).
REJECTED: dict[str, tuple[Callable[[Ctx], requests.Response | RawResponse], int, str]] = {
    "non-pdf named .pdf": (lambda c: c.upload_file(b"<html>not a pdf</html>" * 40), 415, "not_pdf"),
    "pdf header then garbage": (
        lambda c: c.upload_file(b"%PDF-1.7\n" + bytes(range(256)) * 64),
        422,
        "corrupt",
    ),
    "truncated pdf": (lambda c: c.upload_file(c.good_pdf.read_bytes()[:1500]), 422, "corrupt"),
    "user password": (
        lambda c: c.upload_file(encrypted_pdf(c.good_pdf.read_bytes(), user_password="pw")),
        422,
        "encrypted",
    ),
    "zero pages": (lambda c: c.upload_file(zero_page_pdf()), 422, "no_pages"),
    "3000 pages": (
        lambda c: c.upload_file(blank_pages_pdf(c.tmp / "many.pdf", 3000).read_bytes()),
        422,
        "too_many_pages",
    ),
    "0-byte file": (lambda c: c.upload_file(b""), 415, "not_pdf"),
    "over the limit by content-length": (oversized_by_content_length, 413, "too_large"),
    "over the limit, body sent": (
        lambda c: c.upload_file(b"%PDF-1.7\n" + b"0" * MAX_UPLOAD_BYTES),
        413,
        "too_large",
    ),
    "chunked body": (chunked_body, 411, "length_required"),
    "no file field": (lambda c: c.post(data={"title": "x"}), 400, "no_file"),
    "two files": (
        lambda c: c.post(
            files=[("file", ("a.pdf", c.good_pdf.read_bytes())), ("file", ("b.pdf", c.good_pdf.read_bytes()))]
        ),
        400,
        "invalid_field",
    ),
    "wrong field name": (lambda c: c.post(files={"pdf": ("a.pdf", c.good_pdf.read_bytes())}), 400, "no_file"),
    "unknown language": (
        lambda c: c.upload_file(c.good_pdf.read_bytes(), language="martian"),
        400,
        "invalid_field",
    ),
    "unknown ocr mode": (
        lambda c: c.upload_file(c.good_pdf.read_bytes(), ocr_mode="psychic"),
        400,
        "invalid_field",
    ),
    "10,000-character title": (
        lambda c: c.upload_file(c.good_pdf.read_bytes(), title="क" * 10_000),
        400,
        "invalid_field",
    ),
    "json instead of multipart": (
        lambda c: c.post(data=json.dumps({"file": "x"}), headers={"Content-Type": "application/json"}),
        400,
        "no_file",
    ),
    "invalid jwt": (lambda c: c.post(data={}, token="not-a-jwt"), 401, "invalid_token"),
    "expired jwt": (lambda c: c.post(data={}, token=expired_token(c)), 401, "invalid_token"),
    "malformed authorization header": (
        lambda c: requests.post(
            f"{c.server.url}/api/books/upload-sse/", headers={"Authorization": "Bearer"}, timeout=10
        ),
        401,
        "authentication_failed",
    ),
    "no token": (
        lambda c: requests.post(f"{c.server.url}/api/books/upload-sse/", timeout=10),
        401,
        "not_authenticated",
    ),
    "get on the upload endpoint": (
        lambda c: requests.get(f"{c.server.url}/api/books/upload-sse/", headers=auth(c.token), timeout=10),
        405,
        "method_not_allowed",
    ),
    "cancel of a finished book": (
        lambda c: requests.post(
            f"{c.server.url}/api/books/{completed_book(c)}/cancel/", headers=auth(c.token), timeout=10
        ),
        409,
        "not_cancellable",
    ),
    "retry of a finished book": (
        lambda c: requests.post(
            f"{c.server.url}/api/books/{completed_book(c)}/retry/", headers=auth(c.token), timeout=10
        ),
        409,
        "not_retryable",
    ),
    "garbage last-event-id": (
        lambda c: requests.get(
            f"{c.server.url}/api/books/{completed_book(c)}/events/",
            headers={**auth(c.token), "Last-Event-ID": "'; DROP TABLE books;--"},
            timeout=10,
        ),
        400,
        "invalid_field",
    ),
}


@pytest.fixture(scope="module")
def ctx(server, tmp_path_factory) -> Ctx:
    tmp = tmp_path_factory.mktemp("hostile")
    return Ctx(server, server.token("hostile-reader"), tmp, build_pdf(tmp / "good.pdf", [english_page()]))


@pytest.fixture
def server_stays_healthy(ctx):
    yield
    assert (
        requests.get(f"{ctx.server.url}/api/books/", headers=auth(ctx.token), timeout=10).status_code == 200
    )
    deadline = time.monotonic() + 60  # a worker releases an upload's temp file as its request ends
    while list(ctx.server.upload_tmp.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not list(ctx.server.upload_tmp.iterdir()), "a temporary upload file was left behind"


@pytest.mark.parametrize("case", REJECTED)
def test_rejected_with_exact_status_and_code(ctx, server_stays_healthy, case):
    make, status, code = REJECTED[case]

    response = make(ctx)

    assert response.status_code == status, response.text[:300]
    body = response.json()
    assert body["code"] == code and body["error"]


def test_sse_clients_get_rejections_as_an_error_event(ctx, server_stays_healthy):
    response = ctx.post(files={"file": ("a.pdf", b"nope")}, headers={"Accept": "text/event-stream"})

    assert response.status_code == 415
    (error,) = stream_of(response)
    assert (error.event, error.data["code"]) == ("error", "not_pdf")


@pytest.mark.parametrize("method, url", BOOK_ENDPOINTS)
def test_another_users_book_is_404_everywhere(ctx, server_stays_healthy, method, url):
    stranger = ctx.server.token("hostile-stranger")
    book_id = completed_book(ctx)

    response = requests.request(
        method, ctx.server.url + url.format(id=book_id), headers=auth(stranger), timeout=10
    )

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


ACCEPTED: dict[str, Callable[[Ctx], tuple[bytes, str]]] = {
    "owner password only": lambda c: (
        encrypted_pdf(c.good_pdf.read_bytes(), user_password="", owner_password="owner"),
        "book.pdf",
    ),
    "gigapixel image page": lambda c: (image_bomb_pdf(c.tmp / "bomb.pdf").read_bytes(), "bomb.pdf"),
    "huge /UserUnit page": lambda c: (
        with_user_unit(c.good_pdf, c.tmp / "uu.pdf", 75_000).read_bytes(),
        "uu.pdf",
    ),
    "huge mediabox page": lambda c: (
        huge_page_pdf(c.tmp / "huge.pdf", side_pt=14_400).read_bytes(),
        "huge.pdf",
    ),
    "text drawn as vectors only": lambda c: (
        vector_text_pdf(c.tmp / "vector.pdf", english_page(count=4).lines).read_bytes(),
        "vector.pdf",
    ),
    "text layer without unicode map": lambda c: (
        text_without_unicode_map_pdf(c.tmp / "nomap.pdf", english_page(count=4).lines).read_bytes(),
        "nomap.pdf",
    ),
    "file name with ../ and NUL": lambda c: (c.good_pdf.read_bytes(), "../../etc/passwd\x00.pdf"),
    "unicode file name": lambda c: (c.good_pdf.read_bytes(), "मेरी किताब 📖.pdf"),
}


@pytest.mark.parametrize("case", ACCEPTED)
def test_strange_but_valid_pdfs_are_processed_to_the_end(ctx, server_stays_healthy, case):
    content, name = ACCEPTED[case](ctx)

    response = ctx.upload_file(content, name=name, language="english")

    assert response.status_code == 200
    stream = stream_of(response)
    assert stream[-1].event == "completed", stream[-1].data
    book = wait_for_book(ctx.server, ctx.token, stream[-1].data["book_id"])
    assert book["status"] == "completed"
    assert "/" not in book["original_filename"] and "\x00" not in book["original_filename"]
    if case == "unicode file name":
        assert book["original_filename"] == name
    if case in ("text drawn as vectors only", "text layer without unicode map"):
        page = requests.get(book["pages_url"] + "1/", headers=auth(ctx.token), timeout=10).json()
        assert "quick brown fox" in page["text_content"]
    stored = list((ctx.server.workdir / "media").rglob("*"))
    assert all(path.resolve().is_relative_to((ctx.server.workdir / "media").resolve()) for path in stored)


def refresh_of_a_deleted_user(ctx: Ctx) -> requests.Response:
    ctx.server.token("soon-deleted")
    tokens = requests.post(
        f"{ctx.server.url}/api/auth/token/",
        data={"username": "soon-deleted", "password": "kitaab-padhna-2026"},
        timeout=30,
    ).json()
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.contrib.auth.models import User;"
            " User.objects.filter(username='soon-deleted').delete()",
        ],
        cwd=ROOT,
        env=ctx.server.env,
        check=True,
        capture_output=True,
    )
    return requests.post(
        f"{ctx.server.url}/api/auth/token/refresh/", data={"refresh": tokens["refresh"]}, timeout=30
    )


def json_sign_in(ctx: Ctx, body: str) -> requests.Response:
    return requests.post(
        f"{ctx.server.url}/api/auth/token/",
        data=body.encode(),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )


# Bodies that once were 500s with a traceback: (request maker, status, code).
MALFORMED: dict[str, tuple[Callable[[Ctx], requests.Response], int, str]] = {
    "1100 multipart fields": (
        lambda c: c.post(data={f"field{n}": "x" for n in range(1100)}),
        400,
        "bad_request",
    ),
    "10 MB json body": (
        lambda c: json_sign_in(c, json.dumps({"username": "a" * 10_000_000, "password": "x"})),
        413,
        "too_large",
    ),
    "json nested 100,000 deep": (
        lambda c: json_sign_in(c, "[" * 100_000 + "]" * 100_000),
        400,
        "bad_request",
    ),
    "refresh token of a deleted user": (refresh_of_a_deleted_user, 401, "invalid_token"),
}


@pytest.fixture(scope="module")
def bystander(ctx) -> Bystander:
    return bystander_with_a_book(ctx.server, "hostile-bystander")


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_requests_are_client_errors_that_hold_no_one_up(ctx, bystander, server_stays_healthy, case):
    make, status, code = MALFORMED[case]

    with ResponsivenessProbe(ctx.server, bystander) as probe:
        response = make(ctx)

    assert (response.status_code, response.json()["code"]) == (status, code), response.text[:300]
    assert probe.answered_at_once(), probe.summary()
    assert worker_peak_rss_mb(ctx.server) < 400
