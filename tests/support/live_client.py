"""HTTP helpers for tests against a real server process."""

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.support.pdf_factory import build_pdf, english_page
from tests.support.sse_client import Message, read_messages

# Every endpoint that names a book: each must answer 404 to anyone but its owner.
BOOK_ENDPOINTS = [
    ("get", "/api/books/{id}/"),
    ("delete", "/api/books/{id}/"),
    ("get", "/api/books/{id}/pages/"),
    ("get", "/api/books/{id}/pages/1/"),
    ("get", "/api/books/{id}/events/"),
    ("get", "/api/books/{id}/pdf/"),
    ("get", "/api/books/{id}/text/"),
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


def upload_in_background(server, token, pdf_path, **fields) -> dict:
    """The non-streaming upload (202) with the upload's `fields`: the new book's JSON."""
    with open(pdf_path, "rb") as handle:
        response = requests.post(
            f"{server.url}/api/books/", headers=auth(token), files={"file": handle}, data=fields, timeout=60
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


@dataclass(frozen=True)
class Bystander:
    """Another user, with a finished book whose event stream can be replayed."""

    token: str
    book_id: int


def bystander_with_a_book(server, username: str) -> Bystander:
    token = server.token(username)
    pdf = build_pdf(server.workdir / f"{username}.pdf", [english_page()])
    with upload_stream(server, token, pdf, language="english") as response:
        finished = read_until(response, lambda message: message.event in ("completed", "error"))[-1]
    assert finished.event == "completed", finished.data
    return Bystander(token, finished.data["book_id"])


class ResponsivenessProbe:
    """Another user's requests and streams, one after another on a thread, each timed, while
    something else happens: `with ResponsivenessProbe(server, bystander) as probe: ...`, then
    `assert probe.answered_at_once(), probe.summary()`. The request lists the bystander's books;
    the stream replays their finished book's events to `completed`."""

    # What "at once" means for a request that normally takes milliseconds. What the probe is
    # for is a frozen event loop, which holds answers for seconds; with both cores hogged
    # (make test-under-load) the probe's own thread once waited 0.52 s for a core.
    AT_ONCE_SECONDS = 1.0

    def __init__(self, server, bystander: Bystander) -> None:
        self.server = server
        self.bystander = bystander
        self.seconds: dict[str, list[float]] = {"request": [], "stream": []}
        self.duration = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._probe, daemon=True)

    def _request_answered(self) -> bool:
        url = f"{self.server.url}/api/books/"
        return requests.get(url, headers=auth(self.bystander.token), timeout=60).status_code == 200

    def _stream_answered(self) -> bool:
        with events_stream(self.server, self.bystander.token, self.bystander.book_id, timeout=60) as response:
            if response.status_code != 200:
                return False
            return read_until(response, lambda message: message.event == "completed")[-1].event == "completed"

    def _probe(self) -> None:
        while not self._stop.is_set():
            for kind, answered in (("request", self._request_answered), ("stream", self._stream_answered)):
                started = time.monotonic()
                try:
                    ok = answered()
                except requests.RequestException:
                    ok = False
                self.seconds[kind].append(time.monotonic() - started if ok else float("inf"))
            self._stop.wait(0.05)

    @property
    def slowest(self) -> float:
        return max(max(times) for times in self.seconds.values())

    def answered_at_once(self) -> bool:
        """Every request and stream answered within AT_ONCE_SECONDS, or, on a machine slowed
        by other work, within a quarter of the time the probe ran. A frozen event loop holds
        them for as long as the freeze, which is most of what the bad input takes."""
        enough = all(len(times) >= 2 for times in self.seconds.values())
        return enough and self.slowest < max(self.AT_ONCE_SECONDS, self.duration / 4)

    def summary(self) -> str:
        """What a failed `answered_at_once` needs to say: the slowest answers against the bound."""
        bound = max(self.AT_ONCE_SECONDS, self.duration / 4)
        slowest = {kind: sorted(times, reverse=True)[:5] for kind, times in self.seconds.items()}
        counts = {kind: len(times) for kind, times in self.seconds.items()}
        return f"slowest {slowest} of {counts}; bound {bound:.2f} s over a {self.duration:.1f} s probe"

    def __enter__(self) -> "ResponsivenessProbe":
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        # At least two rounds, however quickly the watched work ended.
        deadline = time.monotonic() + 60
        while min(map(len, self.seconds.values())) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        self._stop.set()
        self._thread.join(timeout=60)
        self.duration = time.monotonic() - self._started


def worker_pid(server) -> int:
    """The pid of the server's (one) gunicorn worker process."""
    master = server.process.pid
    return int(Path(f"/proc/{master}/task/{master}/children").read_text().split()[0])


def worker_peak_rss_mb(server) -> float:
    """The high-water mark of the memory of the server's (one) gunicorn worker process."""
    status = Path(f"/proc/{worker_pid(server)}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024
