"""Reading a page's pixels: pdftoppm renders it (or pdfimages hands over a scanner's own
pixels), tesseract reads it.

Pages are rasterized one at a time by pdftoppm into a temporary greyscale PGM that
tesseract reads: memory does not grow with the book, no pixels pass through Python
(which would block a gevent worker's event loop), and pdftoppm streams embedded images,
so a decompression bomb costs it megabytes (measured: 13 MB for a 35,000 x 35,000 image
that made pdfium's in-process renderer take 2 GB).

A page that is one scanned image is read from that image's own pixels, which pdfimages
writes out: poppler's rendering of a scan, even at its own resolution, moves and smooths
pixels, and on the real Devanagari scans measured here that alone cost up to 2.5 points of
CER. Those pixels do pass through Python, once, to be checked against a thumbnail of the
page and turned grey (measured: 65 ms for a 300-dpi A4 colour scan, against 1-2 s of OCR).
"""

import logging
import math
import os
import subprocess
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PIL import Image, ImageChops, ImageStat

from audiobooks.extraction.latin_rescue import rescue_latin_words
from audiobooks.extraction.tesseract_words import (
    PAGE_SEGMENTATION,
    PAGE_SEGMENTATION_WITH_ORIENTATION,
    Deadline,
    Tesseract,
    mean_confidence,
    page_text,
    uncertain_words,
)

logger = logging.getLogger(__name__)

# Below this mean word confidence a page may be turned: orientation detection decides.
ROTATION_CHECK_CONFIDENCE = 50.0
# A page whose darkest pixel is this light or lighter holds no ink.
BLANK_PAGE_DARKEST = 128
# A scan's own pixels are used when they look like pdftoppm's thumbnail of the page
# THUMBNAIL_WIDTH wide: both shrunk to COMPARED_WIDTH (poppler's thumbnail loses thin
# strokes), within THUMBNAIL_MAX_DIFFERENCE mean grey levels. Measured on the 19 real scans:
# at most 5.3 apart, and 190-250 with the scan inverted, as a mask or a decode array can.
THUMBNAIL_WIDTH = 100
COMPARED_WIDTH = 25
THUMBNAIL_MAX_DIFFERENCE = 8.0
# A scan within this share of the dpi asked for is read at its own size: a 299.99-dpi
# scan is not resampled to 300.
OWN_PIXELS_SLACK = 0.01


def dpi_within_budget(width_pt: float, height_pt: float, *, dpi: int, max_pixels: int) -> int:
    """The highest dpi up to `dpi` at which the page stays within `max_pixels`."""
    square_inches = (width_pt / 72) * (height_pt / 72)
    if square_inches <= 0:
        return dpi
    return max(1, min(dpi, math.floor(math.sqrt(max_pixels / square_inches))))


@dataclass(frozen=True)
class OcrReading:
    text: str
    confidence: float | None  # the mean word confidence, 0-100; None with no word
    uncertain_words: tuple[str, ...] = ()  # for a proofreader to check (tesseract_words.py)


def read_text(
    tesseract: Tesseract, image_path: str, *, language: str, rescue_language: str | None, psm: int
) -> OcrReading:
    """OCR one image. With `rescue_language`, the words `language` misread as stray symbols
    are read again with it (latin_rescue.py)."""
    words = tesseract.read_words(image_path, language=language, psm=psm)
    if rescue_language:
        words = rescue_latin_words(tesseract, image_path, words, language=rescue_language)
    return OcrReading(page_text(words), mean_confidence(words), uncertain_words(words))


def run_poppler(command: list[str], deadline: Deadline) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=deadline.left())
    except subprocess.TimeoutExpired as exc:
        raise TimeoutError("Page timeout: rendering took longer than allowed") from exc
    except subprocess.CalledProcessError as exc:
        detail = exc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(f"{command[0]} could not read the page: {detail[-1] if detail else exc}") from exc


def render_page(
    pdf_path: str | Path,
    page_number: int,
    *,
    dpi: int | None,
    workdir: str,
    deadline: Deadline,
    band: tuple[int, int] | None = None,
    width_px: int | None = None,
) -> str:
    """Rasterize one page (or only the rows `band` = (first, count) of its pixels) to a
    greyscale PGM with pdftoppm at `dpi`, or `width_px` wide; returns the image's path.

    PGM, not PNG: 4x faster to write (measured 66 vs 260 ms a page). pdftoppm is called
    directly rather than through pdf2image, which runs pdfinfo before every page.
    """
    output_base = os.path.join(workdir, "page" if width_px is None else "thumbnail")
    size = ["-r", str(dpi)] if width_px is None else ["-scale-to-x", str(width_px), "-scale-to-y", "-1"]
    command = ["pdftoppm", *size, "-f", str(page_number), "-l", str(page_number)]
    # -cropbox: the page as a viewer shows it and as the pixel budget measured it (pdfium's
    # size); poppler's default, the MediaBox, can be made many times bigger than the page.
    command += ["-cropbox", "-gray", "-singlefile", str(pdf_path), output_base]
    if band:
        command[1:1] = ["-y", str(band[0]), "-H", str(band[1]), "-W", "1000000"]
    run_poppler(command, deadline)
    image_path = f"{output_base}.pgm"
    if not os.path.exists(image_path):
        raise RuntimeError("pdftoppm produced no image for the page")
    return image_path


@dataclass(frozen=True)
class PageImage:
    path: str
    dpi: int | None  # known for a scan's own pixels; tesseract estimates it for a rendering


def page_image(
    pdf_path: str | Path,
    page_number: int,
    *,
    dpi: int,
    width_pt: float,
    whole_page_image_px: tuple[int, int] | None,
    max_pixels: int,
    workdir: str,
    deadline: Deadline,
) -> PageImage:
    """The page's pixels to read at `dpi`: the scan's own when the page is one image with
    at least that many (shrunk to it), within `max_pixels`; pdftoppm's rendering otherwise."""
    if whole_page_image_px and math.prod(whole_page_image_px) <= max_pixels:
        scale = dpi / (whole_page_image_px[0] / (width_pt / 72))
        if scale <= 1 + OWN_PIXELS_SLACK:
            own = own_scan_pixels(
                pdf_path,
                page_number,
                size_px=whole_page_image_px,
                scale=1.0 if scale >= 1 - OWN_PIXELS_SLACK else scale,
                workdir=workdir,
                deadline=deadline,
            )
            if own:
                return PageImage(own, dpi)
    return PageImage(render_page(pdf_path, page_number, dpi=dpi, workdir=workdir, deadline=deadline), None)


def own_scan_pixels(
    pdf_path: str | Path,
    page_number: int,
    *,
    size_px: tuple[int, int],
    scale: float,
    workdir: str,
    deadline: Deadline,
) -> str | None:
    """The page's one image, as stored, scaled by `scale` (at most 1), as a greyscale PGM
    (see the module's docstring); None when pdfimages gives anything else or its pixels
    do not look like the rendered page (THUMBNAIL_MAX_DIFFERENCE)."""
    output_base = os.path.join(workdir, "scan")
    run_poppler(
        ["pdfimages", "-f", str(page_number), "-l", str(page_number), str(pdf_path), output_base], deadline
    )
    extracted = sorted(Path(workdir).glob("scan-*"))
    if len(extracted) != 1:
        return None
    with Image.open(extracted[0]) as stored:
        if stored.size != tuple(size_px):
            return None
        scan = stored.convert("L")
    thumbnail_path = render_page(
        pdf_path, page_number, dpi=None, width_px=THUMBNAIL_WIDTH, workdir=workdir, deadline=deadline
    )
    with Image.open(thumbnail_path) as thumbnail:
        compared = (COMPARED_WIDTH, max(1, round(COMPARED_WIDTH * thumbnail.height / thumbnail.width)))
        shrunk = (image.resize(compared, Image.Resampling.BOX) for image in (scan, thumbnail))
        difference = ImageStat.Stat(ImageChops.difference(*shrunk)).mean[0]
    if difference > THUMBNAIL_MAX_DIFFERENCE:
        logger.info(
            "page %s of %s: its image differs from the page (%.1f), rendered instead",
            page_number,
            pdf_path,
            difference,
        )
        return None
    if scale < 1:
        scan = scan.resize(
            (max(1, round(scan.width * scale)), max(1, round(scan.height * scale))), Image.Resampling.LANCZOS
        )
    image_path = f"{output_base}.pgm"
    scan.save(image_path)
    return image_path


def ocr_page(
    pdf_path: str | Path,
    page_number: int,
    *,
    width_pt: float,
    height_pt: float,
    language: str,
    rescue_language: str | None = None,
    dpi: int,
    max_pixels: int,
    timeout: float,
    whole_page_image_px: tuple[int, int] | None = None,
) -> OcrReading:
    """Rasterize one page and OCR it, reading it again with orientation detection when it
    reads badly. A page that is one image of at least `dpi` (`whole_page_image_px`) is
    read from that image's own pixels instead.
    `timeout` bounds rendering and OCR together; a page above `max_pixels` at `dpi` is
    rendered at a lower dpi."""
    deadline = Deadline(timeout)
    budget_dpi = dpi_within_budget(width_pt, height_pt, dpi=dpi, max_pixels=max_pixels)
    if budget_dpi < dpi:
        logger.warning("page %s of %s is huge: rendering at %d dpi", page_number, pdf_path, budget_dpi)
    with tempfile.TemporaryDirectory(prefix="ocr-page-") as workdir:
        image = page_image(
            pdf_path,
            page_number,
            dpi=budget_dpi,
            width_pt=width_pt,
            whole_page_image_px=whole_page_image_px,
            max_pixels=max_pixels,
            workdir=workdir,
            deadline=deadline,
        )
        if image_is_blank(image.path):
            return OcrReading("", None)
        tesseract = Tesseract(workdir, deadline, dpi=image.dpi)
        read = partial(read_text, tesseract, image.path, language=language, rescue_language=rescue_language)
        reading = read(psm=PAGE_SEGMENTATION)
        if reading.confidence is None or reading.confidence < ROTATION_CHECK_CONFIDENCE:
            # A page lying turned reads as noise. Segmentation with orientation detection
            # turns each block upright (tesseract's page-wide detection, psm 0, gives up
            # on Devanagari pages: "too few characters").
            turned = read(psm=PAGE_SEGMENTATION_WITH_ORIENTATION)
            if turned.confidence is not None and turned.confidence > (reading.confidence or 0):
                reading = turned
    return reading


def read_band(
    pdf_path: str | Path,
    page_number: int,
    *,
    span_pt: tuple[float, float],
    language: str,
    dpi: int,
    timeout: float,
) -> str:
    """OCR of a band of the page, across its width, `span_pt` points from the top."""
    deadline = Deadline(timeout)
    top, bottom = (round(points * dpi / 72) for points in span_pt)
    with tempfile.TemporaryDirectory(prefix="ocr-band-") as workdir:
        band = (top, max(1, bottom - top))
        image_path = render_page(
            pdf_path, page_number, dpi=dpi, workdir=workdir, deadline=deadline, band=band
        )
        words = Tesseract(workdir, deadline).read_words(image_path, language=language, psm=PAGE_SEGMENTATION)
    return page_text(words)


def image_is_blank(image_path: str) -> bool:
    """No pixel darker than mid-grey: nothing to read, and tesseract with its orientation
    check would spend most of a second a page finding that out (a blank book is cheap to make)."""
    with Image.open(image_path) as image:
        darkest, _ = image.getextrema()
    return darkest >= BLANK_PAGE_DARKEST
