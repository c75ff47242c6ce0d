"""Slow clients: a body sent slowly straight to gunicorn is cut off at BODY_READ_SECONDS,
while nginx in front reads it whole first, so the same slow upload through nginx succeeds."""

import json
import socket
import threading
import time
import uuid

import pytest

from tests.support.live_client import ResponsivenessProbe, bystander_with_a_book, worker_peak_rss_mb
from tests.support.live_server import start_server, stop_server
from tests.support.pdf_factory import build_pdf, english_page
from tests.support.service_processes import Nginx

pytestmark = pytest.mark.server

BODY_READ_SECONDS = 2


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start_server(tmp_path_factory.mktemp("slow"), BODY_READ_SECONDS=str(BODY_READ_SECONDS))
    yield live
    stop_server(live.process)


@pytest.fixture(scope="module")
def token(server) -> str:
    return server.token("slow-sender")


@pytest.fixture(scope="module")
def upload_body(tmp_path_factory) -> tuple[bytes, str]:
    """A real multipart upload of a small digital PDF, and its content type."""
    pdf = build_pdf(tmp_path_factory.mktemp("pdf") / "one.pdf", [english_page()]).read_bytes()
    boundary = uuid.uuid4().hex
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="one.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + pdf
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def send_slowly(
    address: str, token: str, body: bytes, content_type: str, *, pause: float
) -> tuple[int, dict]:
    """POST the upload with a pause halfway through its body; the status and JSON answer."""
    host, port = address.removeprefix("http://").split(":")
    head = (
        f"POST /api/books/ HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        sock.sendall(head + body[: len(body) // 2])
        time.sleep(pause)  # the slow client: nothing more for a while
        try:
            sock.sendall(body[len(body) // 2 :])
        except OSError:
            pass  # the server may have answered and closed already
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, payload = answer.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    payload = payload.split(b"\r\n", 1)[1] if b"Transfer-Encoding: chunked" in head else payload
    return status, json.loads(payload[: payload.rindex(b"}") + 1])


def test_slow_bodies_straight_to_gunicorn_are_cut_off_and_hold_no_one_up(server, token, upload_body):
    body, content_type = upload_body
    answers: list[tuple[int, dict]] = []
    bystander = bystander_with_a_book(server, "slow-bystander")

    def slow_client() -> None:
        answers.append(send_slowly(server.url, token, body, content_type, pause=3 * BODY_READ_SECONDS))

    clients = [threading.Thread(target=slow_client) for _ in range(20)]
    with ResponsivenessProbe(server, bystander) as probe:
        for client in clients:
            client.start()
        for client in clients:
            client.join(60)

    assert [status for status, _ in answers] == [408] * 20
    assert {answer["code"] for _, answer in answers} == {"body_too_slow"}
    assert probe.answered_at_once(), probe.summary()
    assert worker_peak_rss_mb(server) < 300


def test_through_nginx_the_same_slow_upload_arrives_whole_and_is_accepted(
    server, token, upload_body, tmp_path
):
    body, content_type = upload_body
    proxy = Nginx(tmp_path, backend_addr=server.url.removeprefix("http://"))
    try:
        status, answer = send_slowly(proxy.url, token, body, content_type, pause=2 * BODY_READ_SECONDS)
    finally:
        proxy.stop()

    assert (status, answer["status"]) == (202, "processing"), answer
