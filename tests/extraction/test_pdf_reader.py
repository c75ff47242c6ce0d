"""The PDF reader's child processes: one per request in flight, up to its `children`."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from audiobooks.extraction.pdf_reader import PdfReader
from tests.support.pdf_factory import ENGLISH_LINES, build_pdf, english_page


@pytest.fixture
def started(monkeypatch) -> list:
    """The reader children started, in order."""
    children = []
    start = PdfReader._start_child

    def recorded(reader):
        children.append(start(reader))
        return children[-1]

    monkeypatch.setattr(PdfReader, "_start_child", recorded)
    return children


@pytest.fixture
def two_pages(tmp_path):
    return build_pdf(tmp_path / "book.pdf", [english_page(count=2), english_page(count=2, start=2)])


def test_requests_one_after_another_share_one_child(two_pages, started):
    with PdfReader(two_pages, children=2) as reader:
        texts = [reader.layer(page).text for page in (1, 2, 1)]

    assert ENGLISH_LINES[0] in texts[0] and ENGLISH_LINES[2] in texts[1]
    assert len(started) == 1


def test_a_second_child_serves_a_request_while_the_first_is_busy(two_pages, started, monkeypatch):
    first_busy, second_answered = threading.Event(), threading.Event()
    ask = PdfReader._ask

    def page_one_waits(reader, child, request):
        if request.get("page") == 1:
            first_busy.set()
            assert second_answered.wait(timeout=60)
        return ask(reader, child, request)

    monkeypatch.setattr(PdfReader, "_ask", page_one_waits)
    with PdfReader(two_pages, children=2) as reader, ThreadPoolExecutor(1) as pool:
        first = pool.submit(reader.layer, 1)
        assert first_busy.wait(timeout=60)
        second = reader.layer(2)  # page 1's child is busy: answered by another
        second_answered.set()
        assert ENGLISH_LINES[0] in first.result(timeout=60).text
        assert ENGLISH_LINES[2] in second.text

    assert len({child.pid for child in started}) == 2
    assert all(child.poll() is not None for child in started)  # closing the reader stopped both


def test_closing_waits_for_the_request_in_flight_then_stops_its_child(two_pages, started, monkeypatch):
    asked, answer = threading.Event(), threading.Event()
    ask = PdfReader._ask

    def held(reader, child, request):
        asked.set()
        assert answer.wait(timeout=60)
        return ask(reader, child, request)

    monkeypatch.setattr(PdfReader, "_ask", held)
    reader = PdfReader(two_pages)
    with ThreadPoolExecutor(2) as pool:
        page = pool.submit(reader.layer, 1)
        assert asked.wait(timeout=60)
        closing = pool.submit(reader.close)
        with pytest.raises(TimeoutError):  # closing waits for the answer
            closing.result(timeout=0.5)
        answer.set()
        assert ENGLISH_LINES[0] in page.result(timeout=60).text
        closing.result(timeout=60)

    assert [child.poll() is not None for child in started] == [True]


def test_a_request_cut_off_midway_leaves_no_answer_for_the_next_one(two_pages, started, monkeypatch):
    ask = PdfReader._ask
    asked = []

    def cut_off_first(reader, child, request):
        asked.append(request)
        if len(asked) == 1:  # the child answers, but nobody reads it
            child.stdin.write(json.dumps(request).encode() + b"\n")
            child.stdin.flush()
            raise TimeoutError("cut off")
        return ask(reader, child, request)

    monkeypatch.setattr(PdfReader, "_ask", cut_off_first)
    with PdfReader(two_pages) as reader:
        with pytest.raises(TimeoutError):
            reader.layer(1)
        second = reader.layer(2).text

    assert ENGLISH_LINES[2] in second and ENGLISH_LINES[0] not in second
    assert len(started) == 2
