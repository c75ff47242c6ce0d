"""HTTP helpers for tests against a real server process."""

import re
import threading
import time
from pathlib import Path

import requests

from tests.support.sse_client import Message, read_messages

# Every endpoint that names a book: each must answer 404 to anyone but its owner.
BOOK_ENDPOINTS = [
    ("get", "/api/books/{id}/"),
    ("delete", "/api/books/{id}/"),
    ("get", "/api/books/{id}/pages/"),
    ("get", "/api/books/{id}/pages/1/"),
    ("get", "/api/books/{id}/events/"),
    ("get", "/api/books/{id}/pdf/"),
    ("post", "/api/books/{id}/cancel/"),
    ("post", "/api/books/{id}/retry/"),
]


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def upload_stream(server, token, pdf_path, **fields) -> requests.Response:
    with open(pdf_path, "rb") as handle:
        return requests.post(
            f"{server.url}/api/books/upload-sse/",
            headers={**auth(token), "Accept": "text/event-stream"},
            files={"file": handle},
            data=fields,
            stream=True,
            timeout=120,
        )


def upload_in_background(server, token, pdf_path) -> dict:
    """The non-streaming upload (202): the new book's JSON."""
    with open(pdf_path, "rb") as handle:
        response = requests.post(
            f"{server.url}/api/books/", headers=auth(token), files={"file": handle}, timeout=30
        )
    assert response.status_code == 202, response.text
    return response.json()


def events_stream(
    server, token, book_id: int, *, last_event_id: int = 0, timeout: float = 120
) -> requests.Response:
    """The book's event stream (replayed after `last_event_id`, then live), unread."""
    return requests.get(
        f"{server.url}/api/books/{book_id}/events/",
        headers={**auth(token), "Accept": "text/event-stream", "Last-Event-ID": str(last_event_id)},
        stream=True,
        timeout=timeout,
    )


def read_until(response: requests.Response, stop) -> list[Message]:
    """Read a stream's messages until `stop(message)` is true (or the stream ends)."""
    messages = []
    for message in read_messages(response.iter_content(chunk_size=None)):
        messages.append(message)
        if stop(message):
            break
    return messages


def page_done(message: Message, pages: int = 1) -> bool:
    return message.event == "page_progress" and message.data["current_page"] >= pages


def assert_live_page_by_page(arrived: list[float], stored: list[float]) -> None:
    """`arrived[i]` is when the client got a page's event, `stored[i]` when that page was
    stored (or reached a reference client), pages in the order they were read, one at a time.
    Each event reached the client before the next page was stored, and the last one within
    the longest time a page took: live, page by page, however fast or busy this machine is."""
    assert len(arrived) == len(stored) >= 2
    for page, (got, next_stored) in enumerate(zip(arrived, stored[1:], strict=False), start=1):
        assert got < next_stored, f"page {page} arrived {got - next_stored:.2f} s after the next was stored"
    longest_page = max(later - earlier for earlier, later in zip(stored, stored[1:], strict=False))
    assert arrived[-1] - stored[-1] < longest_page, "the last page arrived late"


def wait_for_book(server, token, book_id: int, *, timeout: float = 120) -> dict:
    """Poll the book until it is no longer processing; returns its JSON."""
    deadline = time.monotonic() + timeout
    while True:
        book = requests.get(f"{server.url}/api/books/{book_id}/", headers=auth(token), timeout=10).json()
        if book["status"] != "processing" or time.monotonic() > deadline:
            return book
        time.sleep(0.3)


def stored_page_numbers(server, token, book_id: int) -> list[int]:
    url = f"{server.url}/api/books/{book_id}/pages/?page_size=1000"
    numbers = []
    while url:
        body = requests.get(url, headers=auth(token), timeout=10).json()
        numbers += [page["page_number"] for page in body["results"]]
        url = body["next"]
    return numbers


class ResponsivenessProbe:
    """Another user's requests, one after another on a thread, each timed, while something
    else happens: `with ResponsivenessProbe(server, token) as probe: ...`, then
    `assert probe.answered_at_once(), probe.seconds`."""

    # What "at once" means on an idle machine, for a request that normally takes milliseconds.
    AT_ONCE_SECONDS = 0.5

    def __init__(self, server, token: str) -> None:
        self.url = f"{server.url}/api/books/"
        self.headers = auth(token)
        self.seconds: list[float] = []
        self.duration = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._probe, daemon=True)

    def _probe(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            status = requests.get(self.url, headers=self.headers, timeout=60).status_code
            self.seconds.append(time.monotonic() - started if status == 200 else float("inf"))
            self._stop.wait(0.05)

    @property
    def slowest(self) -> float:
        return max(self.seconds)

    def answered_at_once(self) -> bool:
        """Every request answered within AT_ONCE_SECONDS, or, on a machine slowed by other
        work, within a quarter of the time the probe ran. A frozen event loop holds a request
        for as long as the freeze, which is most of what the bad input takes."""
        return len(self.seconds) >= 3 and self.slowest < max(self.AT_ONCE_SECONDS, self.duration / 4)

    def __enter__(self) -> "ResponsivenessProbe":
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
        self.duration = time.monotonic() - self._started


def worker_peak_rss_mb(server) -> float:
    """The high-water mark of the memory of the server's (one) gunicorn worker process."""
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
    status = Path(f"/proc/{children[0]}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024
