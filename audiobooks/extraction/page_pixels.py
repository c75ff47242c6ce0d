"""A page's pixels for OCR: a scanner's own, or pdftoppm's rendering of the page.

Pages are rasterized one at a time by pdftoppm into a temporary greyscale PGM that
tesseract reads: memory does not grow with the book, and pdftoppm streams embedded
images, so a decompression bomb costs it megabytes (measured: 13 MB for a 35,000 x 35,000
image that made pdfium's in-process renderer take 2 GB).

A page that is nothing but one scan (pdf_file.whole_page_image) is read from the image as
stored instead: poppler's rendering of a scan, even at its own resolution, moves and
smooths pixels, and on the 19 real Devanagari scans measured here that alone cost up to
2.5 points of CER. pdfimages writes that image out, but only after `pdfimages -list`,
which decodes nothing, has shown it is the one image on the page (a soft mask, or an image
in an annotation or a pattern, would be decoded too: a 20,000-pixel-square soft mask is
1.2 GB). The pixels pass through Python once, to be compared with pdftoppm's thumbnail of
the page and made grey; scans above OWN_PIXELS_MOST are rendered as before, which bounds
what that costs a gevent worker's event loop. Any doubt renders the page.
"""

import math
import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageStat

from audiobooks.extraction.external_tools import ToolFailed, ToolTimedOut, tool_output
from audiobooks.extraction.tesseract_words import Deadline

# A page whose darkest pixel is this light or lighter holds no ink.
BLANK_PAGE_DARKEST = 128
# A scan of more pixels than this (an A4 page at 350 dpi) is rendered rather than read
# from its own pixels: Python would hold a gevent worker's loop while loading it (measured:
# 65 ms for an A4 colour scan at 300 dpi, 8.7 million pixels).
OWN_PIXELS_MOST = 12_000_000
# A scan within this share of the dpi asked for is read at its own size: a 299.99-dpi
# scan is not resampled to 300.
OWN_PIXELS_SLACK = 0.01
# A scan's own pixels are used when they look like pdftoppm's thumbnail of the page
# (THUMBNAIL_SIDE pixels on its longer side): both shrunk to COMPARED_WIDTH, since poppler's
# thumbnail drops thin strokes, within THUMBNAIL_MAX_DIFFERENCE mean grey levels. Measured
# on the 19 real scans: at most 5.0 apart; 188-252 with the scan inverted, as a stencil
# mask's bits are. The check is there for such a negative, not for small differences.
THUMBNAIL_SIDE = 300
COMPARED_WIDTH = 16
THUMBNAIL_MAX_DIFFERENCE = 30.0
# `pdfimages -list`: two lines of header, then a row an image drawn:
# page num type width height color comp bpc enc interp object ID x-ppi y-ppi size ratio
LIST_HEADER_LINES = 2


# Tesseract is told a scan's resolution from this up. On the 19 real scans, all read at
# 300 dpi, it then read 5 better and 3 worse; told 150 (up to about 170) on generated
# 150-dpi two-column pages, it ran the columns together line by line (4 of a book's 9
# pages), which it did not when left to estimate the resolution.
TOLD_DPI_FROM = 300


@dataclass(frozen=True)
class PageImage:
    path: str
    dpi: int | None  # told for a scan's own pixels (TOLD_DPI_FROM); else tesseract estimates it


def page_image(
    pdf_path: str | Path,
    page_number: int,
    *,
    dpi: int,
    width_pt: float,
    whole_page_image_px: tuple[int, int] | None,
    workdir: str,
    deadline: Deadline,
) -> PageImage:
    """The page's pixels to read at `dpi`: the scan's own when the page is one image with
    at least that many (shrunk to it), pdftoppm's rendering otherwise."""
    if whole_page_image_px and math.prod(whole_page_image_px) <= OWN_PIXELS_MOST:
        scale = dpi / (whole_page_image_px[0] / (width_pt / 72))
        if scale <= 1 + OWN_PIXELS_SLACK:
            own = own_pixels(
                pdf_path,
                page_number,
                size_px=whole_page_image_px,
                scale=1.0 if scale >= 1 - OWN_PIXELS_SLACK else scale,
                workdir=workdir,
                deadline=deadline,
            )
            if own:
                return PageImage(own, dpi if dpi >= TOLD_DPI_FROM else None)
    return PageImage(render_page(pdf_path, page_number, dpi=dpi, workdir=workdir, deadline=deadline), None)


def own_pixels(
    pdf_path: str | Path,
    page_number: int,
    *,
    size_px: tuple[int, int],
    scale: float,
    workdir: str,
    deadline: Deadline,
) -> str | None:
    """The page's one image as stored, scaled by `scale` (at most 1), as a greyscale PGM;
    None when pdfimages lists anything but that image, fails, or gives pixels that do not
    look like the page (inverted ones)."""
    rows = listed_images(pdf_path, page_number, deadline=deadline)
    # From the reader child as JSON: a list, not a tuple.
    if len(rows) != 1 or rows[0][2] != "image" or [int(n) for n in rows[0][3:5]] != list(size_px):
        return None
    output_base = os.path.join(workdir, "scan")
    command = ["pdfimages", "-f", str(page_number), "-l", str(page_number), str(pdf_path), output_base]
    try:
        run_poppler(command, deadline)
    except RuntimeError:
        return None
    extracted = sorted(Path(workdir).glob("scan-*"))
    if len(extracted) != 1:
        return None
    with Image.open(extracted[0]) as stored:
        scan = stored.convert("L")
    if not looks_like_page(scan, pdf_path, page_number, workdir=workdir, deadline=deadline):
        return None
    if scale < 1:
        size = (max(1, round(scan.width * scale)), max(1, round(scan.height * scale)))
        scan = scan.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    image_path = f"{output_base}.pgm"
    scan.save(image_path)
    return image_path


def listed_images(pdf_path: str | Path, page_number: int, *, deadline: Deadline) -> list[list[str]]:
    """The rows of `pdfimages -list` for the page, at most two: `head` stops it there, since
    a page can draw an image a million times."""
    listing = f'pdfimages -list -f "$1" -l "$1" "$2" | head -n {LIST_HEADER_LINES + 2}'
    output = run_poppler(["sh", "-c", listing, "sh", str(page_number), str(pdf_path)], deadline)
    return [line.split() for line in output.splitlines()[LIST_HEADER_LINES:]]


def looks_like_page(
    scan: Image.Image, pdf_path: str | Path, page_number: int, *, workdir: str, deadline: Deadline
) -> bool:
    """Whether `scan` shrunk to a thumbnail is within THUMBNAIL_MAX_DIFFERENCE of the page's."""
    thumbnail_path = render_page(
        pdf_path, page_number, dpi=None, longer_side_px=THUMBNAIL_SIDE, workdir=workdir, deadline=deadline
    )
    with Image.open(thumbnail_path) as thumbnail:
        compared = (COMPARED_WIDTH, max(1, round(COMPARED_WIDTH * thumbnail.height / thumbnail.width)))
        shrunk = (image.resize(compared, Image.Resampling.BOX) for image in (scan, thumbnail))
        return ImageStat.Stat(ImageChops.difference(*shrunk)).mean[0] <= THUMBNAIL_MAX_DIFFERENCE


def run_poppler(command: list[str], deadline: Deadline) -> str:
    """What the program writes to its output; a page timeout, or RuntimeError saying why it failed."""
    try:
        return tool_output(command, timeout=deadline.left())
    except ToolTimedOut as exc:
        raise TimeoutError("Page timeout: rendering took longer than allowed") from exc
    except ToolFailed as exc:
        raise RuntimeError(f"could not read the page: {exc}") from exc


def render_page(
    pdf_path: str | Path,
    page_number: int,
    *,
    dpi: int | None,
    workdir: str,
    deadline: Deadline,
    crop: tuple[int, int, int, int] | None = None,
    longer_side_px: int | None = None,
) -> str:
    """Rasterize one page (or only the pixels `crop` = (left, top, width, height) of it) to a
    greyscale PGM with pdftoppm at `dpi`, or as a thumbnail `longer_side_px` on its longer
    side; returns the image's path.

    PGM, not PNG: 4x faster to write (measured 66 vs 260 ms a page). pdftoppm is called
    directly rather than through pdf2image, which runs pdfinfo before every page.
    """
    output_base = os.path.join(workdir, "page" if longer_side_px is None else "thumbnail")
    size = ["-r", str(dpi)] if longer_side_px is None else ["-scale-to", str(longer_side_px)]
    command = ["pdftoppm", *size, "-f", str(page_number), "-l", str(page_number)]
    # -cropbox: the page as a viewer shows it and as the pixel budget measured it (pdfium's
    # size); poppler's default, the MediaBox, can be made many times bigger than the page.
    command += ["-cropbox", "-gray", "-singlefile", str(pdf_path), output_base]
    if crop:
        command[1:1] = ["-x", str(crop[0]), "-y", str(crop[1]), "-W", str(crop[2]), "-H", str(crop[3])]
    run_poppler(command, deadline)
    image_path = f"{output_base}.pgm"
    if not os.path.exists(image_path):
        raise RuntimeError("pdftoppm produced no image for the page")
    return image_path


def image_is_blank(image_path: str) -> bool:
    """No pixel darker than mid-grey: nothing to read, and tesseract with its orientation
    check would spend most of a second a page finding that out (a blank book is cheap to make)."""
    with Image.open(image_path) as image:
        darkest, _ = image.getextrema()
    return darkest >= BLANK_PAGE_DARKEST
