"""Reading a page: its pixels (page_pixels.py) read by tesseract, read again with
orientation detection when they read badly; and a band of a page, to check a text layer."""

import logging
import math
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from audiobooks.extraction.latin_rescue import rescue_latin_words
from audiobooks.extraction.page_pixels import image_is_blank, page_image, render_page
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
    rescue_language: str | None = None,
    dpi: int,
    timeout: float,
) -> str:
    """OCR of a band of the page, across its width, `span_pt` points from the top; English
    words `language` misread read again with `rescue_language`, as on a whole page."""
    deadline = Deadline(timeout)
    top, bottom = (round(points * dpi / 72) for points in span_pt)
    with tempfile.TemporaryDirectory(prefix="ocr-band-") as workdir:
        band = (top, max(1, bottom - top))
        image_path = render_page(
            pdf_path, page_number, dpi=dpi, workdir=workdir, deadline=deadline, band=band
        )
        tesseract = Tesseract(workdir, deadline)
        reading = read_text(
            tesseract, image_path, language=language, rescue_language=rescue_language, psm=PAGE_SEGMENTATION
        )
    return reading.text
