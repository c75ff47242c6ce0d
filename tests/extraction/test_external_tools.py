"""Programs run by posix_spawn with a deadline: their output, why they failed, and under
gevent, waited for without holding the event loop (a live-server worker's case)."""

import os
import re
import resource
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from audiobooks.extraction.external_tools import (
    MEMORY_LIMIT_MB,
    ToolFailed,
    ToolTimedOut,
    run_tool,
    tool_output,
)
from audiobooks.extraction.pdf_reader import PdfReader
from audiobooks.extraction.tesseract_words import Deadline, Tesseract, page_text
from tests.support.live_server import ROOT
from tests.support.pdf_factory import build_pdf, english_page, render_scan


def test_a_programs_output_is_returned():
    assert tool_output(["echo", "read", "me"], timeout=30) == "read me\n"


def test_a_failure_says_why_in_the_programs_last_lines_of_errors_and_its_exit():
    errors = "; ".join(f"echo line {number} >&2" for number in range(1, 6))
    with pytest.raises(ToolFailed, match=r"^sh failed \(exit status 3\): line 3 / line 4 / line 5$"):
        run_tool(["sh", "-c", f"{errors}; exit 3"], timeout=30)
    with pytest.raises(ToolFailed, match=r"killed by signal 9"):
        run_tool(["sh", "-c", "kill -9 $$"], timeout=30)


def test_a_missing_program_is_named():
    with pytest.raises(ToolFailed, match="no-such-program-here is not installed"):
        run_tool(["no-such-program-here", "--version"], timeout=30)


def test_a_program_that_asks_for_more_memory_than_its_limit_is_refused_it():
    # As a poppler decoding a crafted PDF's giant image would: the allocation fails, the server is spared.
    hog = f"bytearray({MEMORY_LIMIT_MB + 512} * 2**20); print('allocated')"
    with pytest.raises(ToolFailed, match="MemoryError"):
        tool_output([sys.executable, "-c", hog], timeout=60)
    assert tool_output([sys.executable, "-c", "bytearray(64 * 2**20); print('allocated')"], timeout=60)


def still_running(pattern: str) -> str:
    return subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout


def test_at_its_deadline_the_program_and_its_own_children_are_stopped():
    marker = f"sleep 31.{uuid.uuid4().int % 1000:03d}"  # a sleep no other test runs

    with pytest.raises(ToolTimedOut):
        run_tool(["sh", "-c", f"{marker} & {marker}"], timeout=0.5)

    deadline = time.monotonic() + 10  # SIGKILL is quick, but not instant
    while still_running(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert still_running(marker) == ""


def test_a_program_whose_reader_stops_reading_stops_too():
    # Python ignores SIGPIPE; a program must not inherit that, or `pdfimages -list | head`
    # would run to the end of a page that draws an image a million times.
    # (A shell loop, like pdfimages, carries on after failed writes: only SIGPIPE stops it.)
    assert tool_output(["sh", "-c", "while :; do echo y; done | head -n 2"], timeout=10) == "y\ny\n"


def test_tesseract_reads_with_a_folder_of_models_only(tmp_path, monkeypatch):
    """TESSDATA_PREFIX may hold only the models (README): the words come back all the same."""
    listing = tool_output(["tesseract", "--list-langs"], timeout=30, merge_stderr=True)
    tessdata = Path(re.search(r'"(.+?)/?"', listing).group(1))
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "eng.traineddata").symlink_to(tessdata / "eng.traineddata")
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path / "models"))
    image = tmp_path / "page.png"
    render_scan(("Reading a book aloud",)).save(image)

    words = Tesseract(str(tmp_path), Deadline(60)).read_words(str(image), language="eng", psm=3)

    assert "Reading a book aloud" in page_text(words)


@pytest.fixture
def descriptors_past_1024():
    """This process holding more descriptors than select() can watch, as a worker with a
    thousand streams does: any descriptor opened now is numbered past 1024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))  # fails loudly if it cannot
    held = []
    try:
        held += [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
        yield
    finally:
        for descriptor in held:
            os.close(descriptor)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_programs_and_the_pdf_reader_work_with_descriptors_past_1024(descriptors_past_1024, tmp_path):
    pdf = build_pdf(tmp_path / "book.pdf", [english_page()])

    with PdfReader(pdf) as pages:
        assert pages.count() == 1
    assert tool_output(["echo", "still fine"], timeout=30) == "still fine\n"


def test_under_gevent_programs_run_side_by_side_and_their_exit_statuses_survive_the_loop_reaping():
    # gevent's own subprocess first: from then on the event loop reaps every child that
    # exits, ours included; each program's status must still come back right.
    script = textwrap.dedent(
        """
        from gevent import monkey; monkey.patch_all()
        import subprocess, time, gevent
        from audiobooks.extraction.external_tools import ToolFailed, run_tool
        subprocess.run(["true"])
        def status(number):
            try:
                run_tool(["sh", "-c", f"sleep 0.2; exit {number % 2}"], timeout=60)
                return "ok"
            except ToolFailed:
                return "failed"
        started = time.monotonic()
        runs = [gevent.spawn(status, number) for number in range(20)]
        gevent.joinall(runs)
        print(time.monotonic() - started, [run.value for run in runs].count("ok"))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    seconds, succeeded = done.stdout.split()

    assert done.returncode == 0, done.stderr
    assert int(succeeded) == 10  # the even ones
    assert float(seconds) < 20 * 0.2 / 2  # side by side: one after another would take 4 s
