"""A page's picture for the proofreading view: drawn from the book's PDF (extraction/
page_drawing.py) once per width and format, kept on disk with the book's other files, and
named by an ETag, so a browser that has it asks with If-None-Match and gets a 304.

Widths are rounded up to a multiple of WIDTH_STEP within [MIN_WIDTH, MAX_WIDTH]: a client
cannot make a page drawn in a thousand sizes. At most DRAWING_AT_ONCE pages are drawn at
once per process; the rest wait their turn.
"""

import io
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from PIL import Image

from audiobooks.errors import BookError, ErrorCode
from audiobooks.extraction.page_drawing import PageNotDrawn, draw_page
from audiobooks.gevent_worker import off_the_event_loop
from audiobooks.models import Book
from audiobooks.storage.original_pdfs import local_path

MIN_WIDTH, MAX_WIDTH, WIDTH_STEP, DEFAULT_WIDTH = 200, 2000, 100, 1000
DRAWING_AT_ONCE = 2
_drawing = threading.BoundedSemaphore(DRAWING_AT_ONCE)


@dataclass(frozen=True)
class PagePicture:
    path: Path
    content_type: str
    etag: str


def picture_width(requested: str | None) -> int:
    try:
        width = int(requested) if requested else DEFAULT_WIDTH
    except ValueError as exc:
        raise BookError(
            ErrorCode.INVALID_FIELD, "Invalid width", "width must be a number of pixels."
        ) from exc
    width = min(MAX_WIDTH, max(MIN_WIDTH, width))
    return -(-width // WIDTH_STEP) * WIDTH_STEP


def wants_webp(*, requested: str | None, accept: str) -> bool:
    """`?type=webp|png`, else WebP when the client accepts it (browsers do)."""
    if requested not in (None, "", "png", "webp"):
        raise BookError(ErrorCode.INVALID_FIELD, "Invalid type", "type must be png or webp.")
    return requested == "webp" if requested else "image/webp" in accept


def pictures_folder(book_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "page-pictures" / str(book_id)


def describe_picture(*, book: Book, page_number: int, width: int, webp: bool) -> PagePicture:
    """Where the picture is (or will be kept), its type and its ETag; 404 past the book's pages."""
    if not 1 <= page_number <= book.total_pages:
        raise BookError(ErrorCode.NOT_FOUND, "Page not found", f"The book has pages 1 to {book.total_pages}.")
    extension = "webp" if webp else "png"
    path = pictures_folder(book.pk) / f"{page_number}-{width}.{extension}"
    return PagePicture(path, f"image/{extension}", f'"{book.pk}-{page_number}-{width}-{extension}"')


def ensure_drawn(*, book: Book, picture: PagePicture, page_number: int, width: int) -> PagePicture:
    """The picture, drawn now if this process has not kept it yet."""
    if picture.path.exists():
        return picture
    with _drawing:
        if not picture.path.exists():
            _draw(book=book, picture=picture, page_number=page_number, width=width)
    return picture


def _draw(*, book: Book, picture: PagePicture, page_number: int, width: int) -> None:
    try:
        with local_path(book.pdf) as pdf_path:
            png = draw_page(
                pdf_path,
                page_number,
                width_px=width,
                max_pixels=settings.OCR_MAX_PIXELS,
                timeout=settings.OCR_PAGE_TIMEOUT,
            )
    except PageNotDrawn as exc:
        raise BookError(ErrorCode.CORRUPT, "The page cannot be drawn", str(exc)) from exc
    image = off_the_event_loop(_as_webp, png) if picture.content_type == "image/webp" else png
    picture.path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and moved in: a reader never gets half a file.
    with tempfile.NamedTemporaryFile(dir=picture.path.parent, delete=False) as out:
        out.write(image)
    os.replace(out.name, picture.path)


def _as_webp(png: bytes) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).save(out, "WEBP", quality=80, method=4)
    return out.getvalue()


def forget_pictures(*, book_id: int) -> None:
    shutil.rmtree(pictures_folder(book_id), ignore_errors=True)
