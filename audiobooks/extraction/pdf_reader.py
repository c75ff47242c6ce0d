"""Parsing a PDF in a child process with limits, so a hostile file hurts only that child.

A crafted PDF can make a parser take gigabytes (a small content stream that inflates to
1.2 GB), abort the whole process (pdfium's allocator), or spin for many seconds (a large
file with no cross-reference table). Counting pages, reading text layers and the fallback
parser therefore run in a child with an address-space limit, a CPU-time limit per request
and a wall-clock timeout; a child that dies or overruns is an ordinary outcome for the
caller (`PdfRejected` when counting, `PdfReaderFailed` for a page), and the next request
starts a fresh child. A reader's children serve a whole book, each one request at a time;
a second child starts only when requests overlap (a text-layer book read by two workers).

The child speaks newline-delimited JSON on its stdin and stdout:

    python -m audiobooks.extraction.pdf_reader PATH MEMORY_BYTES CPU_SECONDS
"""

from __future__ import annotations

import dataclasses
import json
import math
import resource
import select
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from audiobooks.extraction.pdf_file import PageFacts, PdfRejected, check_framing


@dataclass(frozen=True)
class ReaderLimits:
    memory_bytes: int = 1024 * 1024 * 1024  # the child's address space
    cpu_seconds: int = 20  # CPU time for one request
    timeout: float = 30.0  # wall-clock seconds for one request, start-up included


def reader_limits_from(settings) -> ReaderLimits:
    """The limits named by PDF_READER_MEMORY_MB, PDF_READER_CPU_SECONDS, PDF_READER_TIMEOUT."""
    return ReaderLimits(
        memory_bytes=settings.PDF_READER_MEMORY_MB * 1024 * 1024,
        cpu_seconds=settings.PDF_READER_CPU_SECONDS,
        timeout=settings.PDF_READER_TIMEOUT,
    )


class PdfReaderFailed(RuntimeError):
    """The reader died or overran its limits on a request."""


def count_pages(path: str | Path, *, limits: ReaderLimits = ReaderLimits()) -> int:
    """The PDF's page count, or PdfRejected (a reader that failed on it: `corrupt`)."""
    check_framing(path)
    with PdfReader(path, limits=limits) as reader:
        try:
            return reader.count()
        except PdfReaderFailed as exc:
            raise PdfRejected("corrupt", f"The PDF cannot be read: {exc}") from exc


# The most PDF reader children a book's pages are parsed by at once: two cores' worth for a
# digital book, while a hostile file can take at most twice its memory limit.
READER_CHILDREN = 2


class PdfReader:
    """The parent's side: requests to up to `children` child processes that hold the book's
    PDF open. Safe to share between threads: beyond `children`, requests take turns."""

    def __init__(
        self, pdf_path: str | Path, *, limits: ReaderLimits = ReaderLimits(), children: int = 1
    ) -> None:
        self.pdf_path = str(pdf_path)
        self.limits = limits
        self._children = children
        self._turns = threading.BoundedSemaphore(children)
        self._lock = threading.Lock()
        # The children not serving a request; None for one not started (or stopped). The
        # last one back is the next one out, so a second child starts only on overlap.
        self._idle: list[subprocess.Popen | None] = [None] * children

    def count(self) -> int:
        answer = self._request({"op": "count"})
        if "rejected" in answer:
            raise PdfRejected(answer["rejected"], answer["message"])
        return answer["pages"]

    def outline(self) -> list[dict]:
        """The PDF's bookmarks: {"title", "page", "level"} each (see pdf_file.outline_entries)."""
        answer = self._request({"op": "outline"})
        if "rejected" in answer:
            raise PdfReaderFailed(answer["message"])
        return answer["outline"]

    def layer(self, page_number: int) -> PageFacts:
        """The page's text layer, size and scan resolution (see PdfPages.layer)."""
        return PageFacts.from_json(self._request({"op": "layer", "page": page_number})["page"])

    def _request(self, request: dict) -> dict:
        with self._turns:
            with self._lock:
                child = self._idle.pop()
            try:
                if child is None or child.poll() is not None:
                    child = self._start_child()
                try:
                    line, ready = self._ask(child, request)
                except BaseException:  # a timeout or an exit mid-request: its answer would be the next one's
                    stop_child(child)
                    child = None
                    raise
                if not line:
                    stop_child(child)
                    failed, child = child, None
                    raise PdfReaderFailed(self._why_not(failed, answered=ready))
            finally:
                with self._lock:
                    self._idle.append(child)
        answer = json.loads(line)
        if "error" in answer:
            raise PdfReaderFailed(answer["error"])
        return answer

    def _start_child(self) -> subprocess.Popen:
        limits = self.limits
        command = [sys.executable, "-m", __name__, self.pdf_path, str(limits.memory_bytes)]
        return subprocess.Popen(
            [*command, str(limits.cpu_seconds)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )

    def _ask(self, child: subprocess.Popen, request: dict) -> tuple[bytes, bool]:
        """The child's answer line (empty if it died or overran) and whether it answered in time."""
        try:
            child.stdin.write(json.dumps(request).encode() + b"\n")
            child.stdin.flush()
        except BrokenPipeError:
            pass  # it died; reading says why
        # poll, not select: a worker holding a thousand streams has descriptors past
        # select's limit of 1024.
        watch = select.poll()
        watch.register(child.stdout, select.POLLIN)
        ready = bool(watch.poll(self.limits.timeout * 1000))
        return (child.stdout.readline() if ready else b""), ready

    def _why_not(self, child: subprocess.Popen, *, answered: bool) -> str:
        if not answered:
            return f"reading it took longer than {self.limits.timeout:g} s"
        if child.returncode == -signal.SIGXCPU:
            return f"reading it took more than {self.limits.cpu_seconds} s of CPU"
        memory_mb = self.limits.memory_bytes // (1024 * 1024)
        how = f"signal {-child.returncode}" if child.returncode < 0 else f"exit status {child.returncode}"
        return f"the PDF reader died ({how}); reading it may need more than its {memory_mb} MB"

    def close(self) -> None:
        """Stops the children, once the requests they serve are answered."""
        for _ in range(self._children):
            self._turns.acquire()
        try:
            with self._lock:
                children, self._idle = self._idle, [None] * self._children
            for child in children:
                if child is not None:
                    stop_child(child)
        finally:
            for _ in range(self._children):
                self._turns.release()

    def __enter__(self) -> PdfReader:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def stop_child(child: subprocess.Popen) -> None:
    if child.poll() is None:
        child.kill()
    child.wait()
    for pipe in (child.stdin, child.stdout):
        pipe.close()


def serve(pdf_path: str, memory_bytes: int, cpu_seconds: int) -> None:
    """The child's loop: one JSON answer per request line, until stdin closes."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    from audiobooks.extraction.pdf_file import PdfiumPages, open_and_count

    pages = PdfiumPages(pdf_path)
    for line in sys.stdin.buffer:
        request = json.loads(line)
        # A CPU budget per request: SIGXCPU ends the child once this one has used it up.
        usage = resource.getrusage(resource.RUSAGE_SELF)
        budget = math.ceil(usage.ru_utime + usage.ru_stime) + cpu_seconds
        resource.setrlimit(resource.RLIMIT_CPU, (budget, resource.getrlimit(resource.RLIMIT_CPU)[1]))
        try:
            if request["op"] == "count":
                answer = {"pages": open_and_count(pdf_path)}
            elif request["op"] == "outline":
                answer = {"outline": pages.outline()}
            else:
                answer = {"page": dataclasses.asdict(pages.layer(request["page"]))}
        except PdfRejected as exc:
            answer = {"rejected": exc.reason, "message": str(exc)}
        except Exception as exc:
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.buffer.write(json.dumps(answer).encode() + b"\n")
        sys.stdout.buffer.flush()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
