"""Turn a PDF into page texts: the text layer when it holds real text, Tesseract otherwise.

A plain library: it knows nothing of Django, HTTP, models or events. Callers pass a path,
a Tesseract language, a mode and a `progress_callback` that sees each page as it finishes.

Pages are rasterized one at a time by pdftoppm straight into a temporary file that
tesseract reads, so memory does not grow with the book, and no pixels pass through
Python (which would block a gevent worker's event loop).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, as_completed
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
import pytesseract
from pdf2image import convert_from_path
from pdfminer.pdfdocument import PDFEncryptionError
from pdfplumber.utils.exceptions import PdfminerException

logger = logging.getLogger(__name__)

# Tesseract's OpenMP threads fight each other on a small machine (one Hindi page: 9.3 s
# with the default, 4.2 s with one thread on 2 cores); parallelism belongs across pages.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

MODES = ("auto", "ocr", "text")
METHOD_TEXT = "text"
METHOD_OCR = "ocr"
PDF_MAGIC = b"%PDF-"
# The PDF spec lets a header start after some junk; readers look in the first 1 KiB.
PDF_MAGIC_WINDOW = 1024
# Fewer letters than this on a page means its text layer is a stray label over a scan.
MIN_TEXT_LAYER_LETTERS = 20
MAX_BAD_CHAR_SHARE = 0.02

# pdfium is not thread-safe; its calls are short, so they take turns.
_pdfium_lock = threading.Lock()


class PdfRejected(Exception):
    """The file is not a PDF this library can read. `reason` is a stable key."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason  # not_pdf | encrypted | corrupt | no_pages


@dataclass(frozen=True)
class PageResult:
    page_number: int
    text: str
    method: str  # METHOD_TEXT or METHOD_OCR
    confidence: float | None = None  # Tesseract's mean word confidence, 0-100
    error: str = ""

    @property
    def chars(self) -> int:
        return len(self.text)


ProgressCallback = Callable[[PageResult], None]


def looks_like_pdf(head: bytes) -> bool:
    return PDF_MAGIC in head[:PDF_MAGIC_WINDOW]


def count_pages(source: str | Path | bytes) -> int:
    """Open the PDF (a path or its bytes) and return its page count, or raise PdfRejected."""
    if isinstance(source, bytes):
        head = source[:PDF_MAGIC_WINDOW]
    else:
        with open(source, "rb") as handle:
            head = handle.read(PDF_MAGIC_WINDOW)
    if not looks_like_pdf(head):
        raise PdfRejected("not_pdf", "The file does not start like a PDF.")
    with _pdfium_lock:
        try:
            document = pdfium.PdfDocument(source)
        except pdfium.PdfiumError as exc:
            raise explain_unreadable(source) from exc
        try:
            pages = len(document)
        finally:
            document.close()
    if pages == 0:
        raise PdfRejected("no_pages", "The PDF has no pages.")
    return pages


def explain_unreadable(source: str | Path | bytes) -> PdfRejected:
    """Why pdfium could not open a file. pdfium's own error code is global state that a
    previous document can leave behind, so pdfminer gives the reason instead."""
    try:
        with pdfplumber.open(BytesIO(source) if isinstance(source, bytes) else source) as pdf:
            pages = len(pdf.pages)
    except PdfminerException as exc:
        if exc.args and isinstance(exc.args[0], PDFEncryptionError):
            return PdfRejected("encrypted", "The PDF is protected by a password.")
        return PdfRejected("corrupt", f"The PDF cannot be read: {exc.args[0] if exc.args else exc}")
    except Exception as exc:
        return PdfRejected("corrupt", f"The PDF cannot be read: {exc}")
    if pages == 0:
        return PdfRejected("no_pages", "The PDF has no pages.")
    return PdfRejected("corrupt", "The PDF cannot be read by the renderer.")


def read_text_layer(pdf_path: str | Path, page_number: int) -> str:
    with _pdfium_lock:
        document = pdfium.PdfDocument(pdf_path)
        try:
            page = document[page_number - 1]
            text_page = page.get_textpage()
            text = text_page.get_text_bounded()
            text_page.close()
            page.close()
        finally:
            document.close()
    return text


def text_layer_is_usable(text: str, *, require_devanagari: bool = False) -> bool:
    """True when a text layer holds real text worth trusting over OCR."""
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < MIN_TEXT_LAYER_LETTERS:
        return False
    bad = text.count("(cid:") + sum(
        1 for ch in text if ch in "\ufffd\ufffe" or (unicodedata.category(ch) == "Cc" and ch not in "\n\r\t")
    )
    if bad / len(text) > MAX_BAD_CHAR_SHARE:
        return False
    if require_devanagari:
        devanagari = sum(1 for ch in letters if "\u0900" <= ch <= "\u097f")
        if devanagari / len(letters) < 0.5:
            return False
    return True


def clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def ocr_page(
    pdf_path: str | Path, page_number: int, *, language: str, dpi: int, timeout: float
) -> tuple[str, float | None]:
    """Rasterize one page and OCR it; returns (text, mean word confidence)."""
    with tempfile.TemporaryDirectory(prefix="ocr-page-") as workdir:
        image_paths = convert_from_path(
            str(pdf_path),
            dpi=dpi,
            first_page=page_number,
            last_page=page_number,
            output_folder=workdir,
            paths_only=True,
            grayscale=True,
            fmt="png",
            timeout=timeout,
        )
        if not image_paths:
            raise RuntimeError("pdftoppm produced no image for the page")
        # One tesseract run writes both the text and the per-word confidences.
        output_base = os.path.join(workdir, "ocr")
        pytesseract.pytesseract.run_tesseract(
            image_paths[0],
            output_base,
            extension="txt tsv",
            lang=language,
            config="--psm 6 -c tessedit_create_tsv=1",
            timeout=timeout,
        )
        text = Path(f"{output_base}.txt").read_text(encoding="utf-8")
        tsv = Path(f"{output_base}.tsv").read_text(encoding="utf-8")
    return text, mean_confidence(tsv)


def mean_confidence(tsv: str) -> float | None:
    scores = []
    for row in tsv.splitlines()[1:]:
        columns = row.split("\t")
        if len(columns) == 12 and columns[11].strip():
            confidence = float(columns[10])
            if confidence >= 0:
                scores.append(confidence)
    return round(sum(scores) / len(scores), 1) if scores else None


def extract_page(
    pdf_path: str | Path,
    page_number: int,
    *,
    language: str = "hin+eng",
    mode: str = "auto",
    require_devanagari: bool = False,
    dpi: int = 150,
    ocr_timeout: float = 120.0,
) -> PageResult:
    """Extract one page. Never raises: a failure is a PageResult with `error` set."""
    method = METHOD_TEXT
    try:
        if mode != "ocr":
            layer = read_text_layer(pdf_path, page_number)
            if mode == "text" or text_layer_is_usable(layer, require_devanagari=require_devanagari):
                return PageResult(page_number, clean_text(layer), METHOD_TEXT)
        method = METHOD_OCR
        text, confidence = ocr_page(pdf_path, page_number, language=language, dpi=dpi, timeout=ocr_timeout)
        return PageResult(page_number, clean_text(text), METHOD_OCR, confidence)
    except Exception as exc:  # one bad page must not stop the book
        logger.warning("page %s of %s failed: %s", page_number, pdf_path, exc)
        return PageResult(page_number, "", method, error=f"{type(exc).__name__}: {exc}")


def extract_pages(
    pdf_path: str | Path,
    *,
    pages: Iterable[int],
    language: str = "hin+eng",
    mode: str = "auto",
    require_devanagari: bool = False,
    dpi: int = 150,
    ocr_timeout: float = 120.0,
    executor: Executor | None = None,
    progress_callback: ProgressCallback | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> list[PageResult]:
    """Extract `pages`, in parallel on `executor` when given, reporting each as it finishes.

    The callback runs in the caller's thread, in completion order. `should_stop` is asked
    between pages; once it says yes, pages not yet started are dropped.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    options = dict(
        language=language,
        mode=mode,
        require_devanagari=require_devanagari,
        dpi=dpi,
        ocr_timeout=ocr_timeout,
    )
    results: list[PageResult] = []

    def finish(result: PageResult) -> None:
        results.append(result)
        if progress_callback:
            progress_callback(result)

    started = time.monotonic()
    if executor is None:
        for page_number in pages:
            if should_stop():
                break
            finish(extract_page(pdf_path, page_number, **options))
    else:
        futures: list[Future] = [
            executor.submit(extract_page, pdf_path, page_number, **options) for page_number in pages
        ]
        for future in as_completed(futures):
            finish(future.result())
            if should_stop():
                for pending in futures:
                    pending.cancel()
                break
    logger.info("extracted %d pages of %s in %.1fs", len(results), pdf_path, time.monotonic() - started)
    return results
