"""Reading a page: its pixels (page_pixels.py) read by tesseract, read again with
orientation detection when they read badly; and boxes of a page, to check a text layer or
to read what a broken font holds."""

import json
import logging
import math
import os
import sys
import tempfile
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from PIL import Image

from audiobooks.extraction.external_tools import ToolFailed, ToolTimedOut, tool_output
from audiobooks.extraction.latin_rescue import SHEET_GAP, rescue_latin_words, sheet_of
from audiobooks.extraction.page_pixels import image_is_blank, page_image, render_page
from audiobooks.extraction.tesseract_words import (
    PAGE_SEGMENTATION,
    PAGE_SEGMENTATION_WITH_ORIENTATION,
    Deadline,
    Tesseract,
    Word,
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
    cleaning: str = ""  # what was done to the scan before OCR (scan_cleanup.py), said for the page's reason


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
    scanned: bool = False,
) -> OcrReading:
    """Rasterize one page and OCR it, reading it again with orientation detection when it
    reads badly. A page that is one image of at least `dpi` (`whole_page_image_px`) is
    read from that image's own pixels instead; a `scanned` page first has its dark borders
    whitened and is turned level when it lies askew (scan_cleanup.py), as a page drawn from
    text never needs.
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
        cleaned_path, cleaning = cleaned_image(image.path, workdir, deadline) if scanned else (image.path, "")
        tesseract = Tesseract(workdir, deadline, dpi=image.dpi)
        read = partial(read_text, tesseract, cleaned_path, language=language, rescue_language=rescue_language)
        reading = read(psm=PAGE_SEGMENTATION)
        if reading.confidence is None or reading.confidence < ROTATION_CHECK_CONFIDENCE:
            # A page lying turned reads as noise. Segmentation with orientation detection
            # turns each block upright (tesseract's page-wide detection, psm 0, gives up
            # on Devanagari pages: "too few characters").
            sideways = read(psm=PAGE_SEGMENTATION_WITH_ORIENTATION)
            if sideways.confidence is not None and sideways.confidence > (reading.confidence or 0):
                reading = sideways
    return replace(reading, cleaning=cleaning)


def cleaned_image(image_path: str, workdir: str, deadline: Deadline) -> tuple[str, str]:
    """The scan with its dark borders whitened and turned level (scan_cleanup.py, run in a
    child process), and what was done to it; as it is, "", when it needed neither or the
    child failed."""
    cleaned_path = os.path.join(workdir, "cleaned.pgm")
    command = [sys.executable, "-m", "audiobooks.extraction.scan_cleanup", image_path, cleaned_path]
    try:
        done = json.loads(tool_output(command, timeout=deadline.left()))
    except ToolTimedOut as exc:
        raise TimeoutError("Page timeout: rendering and OCR took longer than allowed") from exc
    except (ToolFailed, ValueError) as exc:
        logger.warning("could not clean %s for OCR: %s", image_path, exc)
        return image_path, ""
    steps = [f"turned {done['turned']:+.1f}° to lie level"] if done["turned"] else []
    steps += [f"its dark border ({done['border_share']:.0%} of it) whitened"] if done["border_share"] else []
    if not steps:
        return image_path, ""
    return cleaned_path, f"the scan {' and '.join(steps)} for OCR"


def read_boxes(
    pdf_path: str | Path,
    page_number: int,
    *,
    boxes_pt: list[tuple[float, float, float, float]],
    language: str,
    rescue_language: str | None = None,
    dpi: int,
    timeout: float,
) -> list[str]:
    """OCR of boxes of the page, each (left, top, right, bottom) in points from its top left
    as shown, in one run of tesseract (its model loads in 0.1 s, about what a band costs to
    read): the page rendered once over all of them, the boxes stacked a gap apart, and the
    words found given to the box they lie in. English words `language` misread are read
    again with `rescue_language`, as on a whole page."""
    deadline = Deadline(timeout)
    pixels = [tuple(max(0, round(points * dpi / 72)) for points in box) for box in boxes_pt]
    left, top = min(box[0] for box in pixels), min(box[1] for box in pixels)
    right, bottom = max(box[2] for box in pixels), max(box[3] for box in pixels)
    with tempfile.TemporaryDirectory(prefix="ocr-boxes-") as workdir:
        crop = (left, top, max(1, right - left), max(1, bottom - top))
        image_path = render_page(
            pdf_path, page_number, dpi=dpi, workdir=workdir, deadline=deadline, crop=crop
        )
        with Image.open(image_path) as rendered:
            # Within what was rendered: a crop past the page's edge would be filled black.
            width, height = rendered.size
            moved = [
                (
                    x0 - left,
                    y0 - top,
                    max(x0 - left + 1, min(width, x1 - left)),
                    max(y0 - top + 1, min(height, y1 - top)),
                )
                for x0, y0, x1, y1 in pixels
            ]
            sheet, spans = sheet_of(rendered, moved)
        sheet_path = os.path.join(workdir, "boxes.pgm")
        sheet.save(sheet_path)
        tesseract = Tesseract(workdir, deadline)
        words = tesseract.read_words(sheet_path, language=language, psm=PAGE_SEGMENTATION)
        if rescue_language:
            words = rescue_latin_words(tesseract, sheet_path, words, language=rescue_language)
    return [page_text([word for word in words if within_rows(word, span)]) for span in spans]


def within_rows(word: Word, span: tuple[int, int]) -> bool:
    """The word's middle lies in the rows `span`, or in the gap's half next to them."""
    middle = word.top + word.height / 2
    return span[0] - SHEET_GAP / 2 <= middle < span[1] + SHEET_GAP / 2
