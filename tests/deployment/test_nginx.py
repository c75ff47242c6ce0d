"""The stream through a real nginx running the site config in nginx/, in front of gunicorn."""

import socket
import threading

import pytest
import requests

from tests.support.live_client import assert_live_page_by_page, auth, events_stream, upload_in_background
from tests.support.pdf_factory import build_pdf, hindi_page, scanned_hindi_book
from tests.support.service_processes import Nginx
from tests.support.sse_client import events_only, read_messages

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def nginx(server, tmp_path_factory):
    proxy = Nginx(tmp_path_factory.mktemp("nginx"), backend_addr=server.url.removeprefix("http://"))
    yield proxy
    proxy.stop()


@pytest.fixture(scope="module")
def four_pages(tmp_path_factory):
    return scanned_hindi_book(tmp_path_factory.mktemp("pdfs") / "four.pdf", pages=4, lines=8)


def test_page_progress_arrives_through_nginx_as_it_happens(server, nginx, token, four_pages):
    """The upload streams through nginx while a second client follows the same book
    straight from gunicorn: each event reaches both at (nearly) the same moment."""
    direct: list = []

    def follow_directly(book_id: int) -> None:
        with events_stream(server, token, book_id) as response:
            direct.extend(events_only(read_messages(response.iter_content(chunk_size=None))))

    with open(four_pages, "rb") as pdf:
        response = requests.post(
            f"{nginx.url}/api/books/upload-sse/",
            headers={**auth(token), "Accept": "text/event-stream"},
            files={"file": pdf},
            data={"title": "Through nginx"},
            stream=True,
            timeout=120,
        )
    follower = None
    through_nginx = []
    with response:
        assert response.status_code == 200
        assert response.headers["Server"].startswith("nginx")
        for message in read_messages(response.iter_content(chunk_size=None)):
            if message.event is None:
                continue
            through_nginx.append(message)
            if follower is None and "book_id" in message.data:
                follower = threading.Thread(target=follow_directly, args=(message.data["book_id"],))
                follower.start()
    follower.join(timeout=60)

    assert through_nginx[-1].event == "completed"
    direct_arrival = {m.id: m.arrived for m in direct}
    pages = [m for m in through_nginx if m.event == "page_progress" and m.data["page_number"]]
    assert [m.data["current_page"] for m in pages] == [1, 2, 3, 4]
    # nginx handed each page over as it came, not buffered until later pages or the end.
    assert_live_page_by_page([m.arrived for m in pages], [direct_arrival[m.id] for m in pages])


def test_a_heartbeat_passes_through_nginx(nginx, token, tmp_path):
    """An idle stream's keep-alive comments are not held back by the proxy either."""
    book = upload_in_background(nginx, token, build_pdf(tmp_path / "one.pdf", [hindi_page(count=4)]))
    with events_stream(nginx, token, book["id"], timeout=60) as response:
        messages = list(read_messages(response.iter_content(chunk_size=None)))
    assert response.headers["Server"].startswith("nginx")
    assert messages[0].retry == 3000
    assert events_only(messages)[-1].event == "completed"


def test_nginx_refuses_a_body_over_the_upload_limit_with_413(nginx, token):
    """Refused from the Content-Length alone: not one byte of the body reaches gunicorn."""
    with socket.create_connection(("127.0.0.1", nginx.port), timeout=10) as sock:
        sock.sendall(
            (
                "POST /api/books/upload-sse/ HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{nginx.port}\r\n"
                f"Authorization: Bearer {token}\r\n"
                "Content-Type: multipart/form-data; boundary=x\r\n"
                f"Content-Length: {52 * 1024 * 1024}\r\n\r\n"
            ).encode()
        )
        status_line = sock.recv(4096).split(b"\r\n", 1)[0]
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"


def test_the_internal_endpoints_are_not_served_to_the_internet_but_health_is(nginx):
    base = f"http://127.0.0.1:{nginx.port}"

    assert requests.get(f"{base}/readyz", timeout=10).status_code == 404
    assert requests.get(f"{base}/metrics", timeout=10).status_code == 404
    assert requests.get(f"{base}/healthz", timeout=10).json() == {"status": "alive"}
