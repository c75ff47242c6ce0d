"""A page drawn as a picture for a person to look at (the proofreading view), by the same
tools and limits as the pages read for OCR: poppler in a process of its own, with a
deadline, and no more pixels than OCR_MAX_PIXELS however the page is shaped."""

import math
import re
import tempfile
from pathlib import Path

from audiobooks.extraction.external_tools import ToolFailed, ToolTimedOut, tool_output


class PageNotDrawn(Exception):
    """The page could not be drawn; the message says why."""


def page_size_pt(pdf_path: str | Path, page_number: int, *, timeout: float) -> tuple[float, float]:
    """The page's width and height as a viewer shows it (its CropBox, turned by /Rotate)."""
    command = ["pdfinfo", "-box", "-f", str(page_number), "-l", str(page_number), str(pdf_path)]
    info = run_poppler(command, timeout)
    # A box may start below or left of the origin (a bleed): its numbers can be negative.
    crop = re.search(r"CropBox:\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)\s+(-?[\d.]+)", info)
    rotation = re.search(r"rot:\s+(\d+)", info)
    if not crop:
        raise PageNotDrawn(f"no size for page {page_number}")
    x0, y0, x1, y1 = map(float, crop.groups())
    width, height = abs(x1 - x0), abs(y1 - y0)
    return (height, width) if rotation and int(rotation[1]) % 180 else (width, height)


def draw_page(
    pdf_path: str | Path, page_number: int, *, width_px: int, max_pixels: int, timeout: float
) -> bytes:
    """The page as a PNG about `width_px` wide (narrower if its pixels would pass `max_pixels`)."""
    width_pt, height_pt = page_size_pt(pdf_path, page_number, timeout=timeout)
    if width_pt <= 0 or height_pt <= 0:
        raise PageNotDrawn(f"page {page_number} has no area")
    # Exactly `width_px` wide, unless the page's shape would make that more than max_pixels.
    width_px = max(1, min(width_px, math.floor(math.sqrt(max_pixels * width_pt / height_pt))))
    with tempfile.TemporaryDirectory(prefix="page-drawing-") as workdir:
        output = Path(workdir) / "page"
        command = ["pdftoppm", "-scale-to-x", str(width_px), "-scale-to-y", "-1"]
        command += ["-f", str(page_number), "-l", str(page_number)]
        run_poppler([*command, "-cropbox", "-png", "-singlefile", str(pdf_path), str(output)], timeout)
        picture = output.with_suffix(".png")
        if not picture.exists():
            raise PageNotDrawn(f"pdftoppm drew nothing for page {page_number}")
        return picture.read_bytes()


def run_poppler(command: list[str], timeout: float) -> str:
    """What the poppler program writes, or PageNotDrawn saying why it could not."""
    try:
        return tool_output(command, timeout=timeout)
    except ToolTimedOut as exc:
        raise PageNotDrawn(f"{command[0]} took longer than {timeout:g} s") from exc
    except ToolFailed as exc:
        raise PageNotDrawn(str(exc)) from exc
