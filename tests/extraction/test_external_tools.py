"""Programs run by posix_spawn with a deadline: their output, why they failed, and under
gevent, waited for without holding the event loop (a live-server worker's case)."""

import os
import subprocess
import sys
import textwrap
import uuid

import pytest

from audiobooks.extraction.external_tools import ToolFailed, ToolTimedOut, run_tool, tool_output
from audiobooks.extraction.pdf_reader import PdfReader
from tests.support.live_server import ROOT
from tests.support.pdf_factory import build_pdf, english_page


def test_a_programs_output_is_returned():
    assert tool_output(["echo", "read", "me"], timeout=30) == "read me\n"


def test_a_failure_says_why_in_the_programs_last_line_of_errors():
    with pytest.raises(ToolFailed, match=r"sh failed: the last line"):
        run_tool(["sh", "-c", "echo first >&2; echo the last line >&2; exit 3"], timeout=30)


def test_a_missing_program_is_named():
    with pytest.raises(ToolFailed, match="no-such-program-here is not installed"):
        run_tool(["no-such-program-here", "--version"], timeout=30)


def test_at_its_deadline_the_program_and_its_own_children_are_stopped():
    marker = f"31.{uuid.uuid4().int % 1000:03d}"  # a sleep no other test runs

    with pytest.raises(ToolTimedOut):
        run_tool(["sh", "-c", f"sleep {marker} & sleep {marker}"], timeout=0.5)

    left = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True).stdout
    assert left == ""


@pytest.fixture
def descriptors_past_1024():
    """This process holding more descriptors than select() can watch, as a worker with a
    thousand streams does: any descriptor opened now is numbered past 1024."""
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    yield
    for descriptor in held:
        os.close(descriptor)


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
