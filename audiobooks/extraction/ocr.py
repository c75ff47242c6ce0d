"""Reading a page's pixels: pdftoppm renders it, tesseract reads it.

Pages are rasterized one at a time by pdftoppm into a temporary greyscale PGM that
tesseract reads: memory does not grow with the book, no pixels pass through Python
(which would block a gevent worker's event loop), and pdftoppm streams embedded images,
so a decompression bomb costs it megabytes (measured: 13 MB for a 35,000 x 35,000 image
that made pdfium's in-process renderer take 2 GB).
"""

import logging
import math
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import pytesseract
from PIL import Image

logger = logging.getLogger(__name__)

# Below this mean word confidence a page may be turned: orientation detection decides.
ROTATION_CHECK_CONFIDENCE = 50.0
# A page whose darkest pixel is this light or lighter holds no ink.
BLANK_PAGE_DARKEST = 128


def dpi_within_budget(width_pt: float, height_pt: float, *, dpi: int, max_pixels: int) -> int:
    """The highest dpi up to `dpi` at which the page stays within `max_pixels`."""
    square_inches = (width_pt / 72) * (height_pt / 72)
    if square_inches <= 0:
        return dpi
    return max(1, min(dpi, math.floor(math.sqrt(max_pixels / square_inches))))


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds left, at least a sliver: pytesseract reads 0 as 'no timeout'."""
        left = self.ends - time.monotonic()
        if left <= 0:
            raise TimeoutError("Page timeout: rendering and OCR took longer than allowed")
        return max(left, 0.001)


def run_tesseract(
    image_path: str, workdir: str, *, language: str, deadline: _Deadline
) -> tuple[str, float | None]:
    """OCR one image; returns (text, mean word confidence). One run writes both."""
    output_base = os.path.join(workdir, "ocr")
    pytesseract.pytesseract.run_tesseract(
        image_path,
        output_base,
        extension="txt tsv",
        lang=language,
        config="--psm 6 -c tessedit_create_tsv=1",
        timeout=deadline.left(),
    )
    text = Path(f"{output_base}.txt").read_text(encoding="utf-8")
    tsv = Path(f"{output_base}.tsv").read_text(encoding="utf-8")
    return text, mean_confidence(tsv)


def detected_rotation(image_path: str, *, deadline: _Deadline) -> int:
    """Degrees (clockwise) tesseract's orientation detection says the image must turn."""
    try:
        osd = pytesseract.image_to_osd(image_path, config="--psm 0", timeout=deadline.left())
    except pytesseract.TesseractError:  # too little text to tell
        return 0
    match = re.search(r"Rotate: (\d+)", osd)
    return int(match.group(1)) if match else 0


def render_page(
    pdf_path: str | Path, page_number: int, *, dpi: int, workdir: str, deadline: _Deadline
) -> str:
    """Rasterize one page to a greyscale PGM with pdftoppm; returns the image's path.

    PGM, not PNG: 4x faster to write (measured 66 vs 260 ms a page). pdftoppm is called
    directly rather than through pdf2image, which runs pdfinfo before every page.
    """
    output_base = os.path.join(workdir, "page")
    command = ["pdftoppm", "-r", str(dpi), "-f", str(page_number), "-l", str(page_number)]
    # -cropbox: the page as a viewer shows it and as the pixel budget measured it (pdfium's
    # size); poppler's default, the MediaBox, can be made many times bigger than the page.
    command += ["-cropbox", "-gray", "-singlefile", str(pdf_path), output_base]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=deadline.left())
    except subprocess.TimeoutExpired as exc:
        raise TimeoutError("Page timeout: rendering took longer than allowed") from exc
    except subprocess.CalledProcessError as exc:
        detail = exc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"pdftoppm could not render the page: {detail[-1] if detail else exc}") from exc
    image_path = f"{output_base}.pgm"
    if not os.path.exists(image_path):
        raise RuntimeError("pdftoppm produced no image for the page")
    return image_path


def ocr_page(
    pdf_path: str | Path,
    page_number: int,
    *,
    width_pt: float,
    height_pt: float,
    language: str,
    dpi: int,
    max_pixels: int,
    timeout: float,
) -> tuple[str, float | None]:
    """Rasterize one page and OCR it, turning it upright first when it reads badly.
    `timeout` bounds rendering and OCR together; a page above `max_pixels` at `dpi` is
    rendered at a lower dpi."""
    deadline = _Deadline(timeout)
    budget_dpi = dpi_within_budget(width_pt, height_pt, dpi=dpi, max_pixels=max_pixels)
    if budget_dpi < dpi:
        logger.warning("page %s of %s is huge: rendering at %d dpi", page_number, pdf_path, budget_dpi)
    with tempfile.TemporaryDirectory(prefix="ocr-page-") as workdir:
        image_path = render_page(pdf_path, page_number, dpi=budget_dpi, workdir=workdir, deadline=deadline)
        if image_is_blank(image_path):
            return "", None
        text, confidence = run_tesseract(image_path, workdir, language=language, deadline=deadline)
        if confidence is None or confidence < ROTATION_CHECK_CONFIDENCE:
            rotation = detected_rotation(image_path, deadline=deadline)
            if rotation:
                upright_path = os.path.join(workdir, "upright.pgm")
                with Image.open(image_path) as image:
                    image.rotate(-rotation, expand=True).save(upright_path)
                text, confidence = run_tesseract(upright_path, workdir, language=language, deadline=deadline)
    return text, confidence


def image_is_blank(image_path: str) -> bool:
    """No pixel darker than mid-grey: nothing to read, and tesseract with its orientation
    check would spend most of a second a page finding that out (a blank book is cheap to make)."""
    with Image.open(image_path) as image:
        darkest, _ = image.getextrema()
    return darkest >= BLANK_PAGE_DARKEST


def mean_confidence(tsv: str) -> float | None:
    scores = []
    for row in tsv.splitlines()[1:]:
        columns = row.split("\t")
        if len(columns) == 12 and columns[11].strip():
            confidence = float(columns[10])
            if confidence >= 0:
                scores.append(confidence)
    return round(sum(scores) / len(scores), 1) if scores else None
