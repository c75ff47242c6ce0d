"""Opening a PDF: is it one, how many pages, and each page's text layer and size.

What parses the file (pdfium, and pdfminer for the files pdfium cannot open) runs in the
PDF reader's child process (pdf_reader.py), never in a web or job process; that child
serves one request at a time, so pdfium, which is not thread-safe, needs no lock.
"""

from __future__ import annotations

import bisect
import ctypes
import math
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw

from audiobooks.extraction.glyph_spacing import (
    LINE_END_HYPHEN,
    Character,
    CodeKinds,
    respace_devanagari,
)
from audiobooks.extraction.legacy_fonts import (
    ENCODINGS,
    DecodedText,
    LegacyEncoding,
    decode_fonts,
    holds_legacy_codes,
    named_encoding,
    named_legacy_fonts,
)
from audiobooks.extraction.page_objects import CONTENT_DEPTH, Box, PageObjects, page_objects
from audiobooks.extraction.text_layer import is_devanagari

PDF_MAGIC = b"%PDF-"
PDF_END = b"%%EOF"
# The PDF spec lets a header start after some junk; readers look in the first 1 KiB.
PDF_MAGIC_WINDOW = 1024
# Where the end marker must be: files padded with NULs or followed by a download's HTML
# error page still read whole; a file cut short rarely has an earlier revision's end this
# close to the cut.
PDF_END_WINDOW = 64 * 1024
# How far (a share of the page's longer side) an image's edges may lie from the page's
# and it still counts as the whole page.
WHOLE_PAGE_SLACK = 0.01
WHOLE_PAGE_MAX_ANNOTATIONS = 100
CLIP_MOST_POINTS = 64  # a scan's clip is a rectangle; a clip path of more segments is not a scan's


class PdfRejected(Exception):
    """The file is not a PDF this library can read. `reason` is a stable key."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason  # not_pdf | encrypted | corrupt | no_pages


def looks_like_pdf(head: bytes) -> bool:
    return PDF_MAGIC in head[:PDF_MAGIC_WINDOW]


def check_framing(path: str | Path) -> None:
    """Raise PdfRejected unless the file starts like a PDF and ends with %%EOF: cheap checks
    on its first KiB and last 64 KiB, made before any parser sees it."""
    with open(path, "rb") as handle:
        head = handle.read(PDF_MAGIC_WINDOW)
        handle.seek(max(0, os.fstat(handle.fileno()).st_size - PDF_END_WINDOW))
        tail = handle.read()
    if not looks_like_pdf(head):
        raise PdfRejected("not_pdf", "The file does not start like a PDF.")
    # pdfium rebuilds a cut-off file from what is left, which would quietly lose pages.
    if PDF_END not in tail:
        raise PdfRejected("corrupt", "The PDF is truncated: it does not end with %%EOF.")


def open_and_count(path: str | Path) -> int:
    """Open the PDF with pdfium and return its page count, or raise PdfRejected. Parses the
    file: run it where a hostile PDF can do no harm (pdf_reader.py)."""
    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise explain_unreadable(path) from exc
    try:
        pages = len(document)
    finally:
        document.close()
    if pages == 0:
        raise PdfRejected("no_pages", "The PDF has no pages.")
    return pages


def explain_unreadable(path: str | Path) -> PdfRejected:
    """Why pdfium could not open a file. pdfium's own error code is global state that a
    previous document can leave behind, so pdfminer gives the reason instead."""
    import pdfplumber  # only for the files pdfium cannot open
    from pdfminer.pdfdocument import PDFEncryptionError
    from pdfplumber.utils.exceptions import PdfminerException

    try:
        with pdfplumber.open(path) as pdf:
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


Span = tuple[float, float]  # (top, bottom) in points from the top of the page as shown
ShownBox = tuple[float, float, float, float]  # (left, top, right, bottom), so, from its top left


@dataclass(frozen=True)
class PageFacts:
    text: str  # the text layer
    width_pt: float
    height_pt: float
    scan_dpi: float | None  # the resolution of an image covering most of the page
    font_names: tuple[str, ...] = ()  # the base fonts its text is set in
    text_lines_pt: tuple[Span, ...] = ()  # where the text layer's lines lie, top to bottom
    # (width, height) in pixels when the page is one upright image covering it (whole_page_image)
    whole_page_image_px: tuple[int, int] | None = None
    text_invisible: bool = False  # all its text is invisible: an OCR layer
    # For each of text_lines_pt, the fonts of its Devanagari characters (their own names,
    # subset prefixes kept: a subset's map is its own).
    line_fonts: tuple[tuple[str, ...], ...] = ()
    decoded: tuple[str, ...] = ()  # the legacy encodings its text was decoded from
    # Where its Devanagari text in each font lies, in its text and on the page: a broken
    # font's passages are read by OCR, the rest of the page from its layer.
    font_passages: tuple[FontPassage, ...] = ()
    decoded_fonts: tuple[str, ...] = ()  # the fonts whose legacy codes were decoded

    @classmethod
    def from_json(cls, fields: dict) -> PageFacts:
        """The facts as the reader child sent them (dataclasses.asdict, through JSON)."""
        passages = tuple(
            FontPassage(font, start, end, tuple(box)) for font, start, end, box in fields["font_passages"]
        )
        return cls(**{**fields, "font_passages": passages})


class FontPassage(NamedTuple):
    """Text set in one font, the spaces and line breaks after it included."""

    font: str
    start: int  # where it lies in the page's text
    end: int
    box_pt: ShownBox  # its ink


def scan_dpi(objects: PageObjects, page_area_pt: float) -> float | None:
    """The resolution (pixels per inch, both ways) of the biggest image on the page, if it
    covers at least half of it: a scanned page's own resolution. Or, for a scan stored in
    strips (as some scanners and converters cut a page), the resolution of the strips that
    together cover at least half of it. Reads no pixels."""
    best = None
    strips: Counter[int] = Counter()  # the area of the smaller images, by resolution
    for image in objects.images:
        left, bottom, right, top = image.bounds
        placed_area = (right - left) * (top - bottom)
        # An image pdfium cannot size says nothing of a scan.
        if placed_area <= 0 or image.pixels is None or image.level >= CONTENT_DEPTH:
            continue
        dpi = math.sqrt(image.pixels[0] * image.pixels[1] / placed_area) * 72
        if placed_area >= page_area_pt / 2:
            # Of images placed alike (areas within 1% of the page), the sharpest: a
            # compressed scan's (MRC) text mask lies over a background of a quarter its
            # resolution.
            found = (round(placed_area / page_area_pt * 100), dpi)
            best = max(best or found, found)
        else:
            strips[round(dpi)] += placed_area
    if best:
        return round(best[1], 1)
    dpi, covered = max(strips.items(), key=lambda item: item[1], default=(0, 0.0))
    return float(dpi) if covered >= page_area_pt / 2 else None


def whole_page_image(page: pdfium.PdfPage, objects: PageObjects) -> tuple[int, int] | None:
    """The pixel size of the page's image when the page is nothing but that image: drawn
    on the page itself (not in a form another transform could flip), upright, edge to edge,
    unclipped, with square pixels, and beside it only invisible text (an OCR layer) and no
    annotation that draws. A scanner's page, whose own pixels OCR reads (page_pixels.py)."""
    if not objects.only_images_and_hidden_text or len(objects.images) != 1 or objects.images[0].level != 0:
        return None
    if page.get_rotation() != 0 or draws_annotations(page):
        return None
    image = objects.images[0]
    matrix = pdfium_raw.FS_MATRIX()
    if not pdfium_raw.FPDFPageObj_GetMatrix(image.handle, matrix) or image.pixels is None:
        return None
    if matrix.b or matrix.c or matrix.a <= 0 or matrix.d <= 0:
        return None
    page_box = page.get_bbox()  # what pdfium and poppler show: the CropBox within the MediaBox
    if not (covers(image.bounds, page_box, exactly=True) and covers(clip_bounds(image.handle), page_box)):
        return None
    pixels_wide, pixels_high = image.pixels
    if abs(pixels_wide / matrix.a - pixels_high / matrix.d) > WHOLE_PAGE_SLACK * pixels_wide / matrix.a:
        return None  # a fax's 200 x 100 dpi, which pdfimages would hand over squashed
    return pixels_wide, pixels_high


def draws_annotations(page: pdfium.PdfPage) -> bool:
    """Any annotation a renderer draws (a typed note, a stamp, a form field), or too many to look at."""
    count = pdfium_raw.FPDFPage_GetAnnotCount(page.raw)
    if count > WHOLE_PAGE_MAX_ANNOTATIONS:
        return True
    for index in range(count):
        annotation = pdfium_raw.FPDFPage_GetAnnot(page.raw, index)
        try:
            subtype = pdfium_raw.FPDFAnnot_GetSubtype(annotation)
        finally:
            pdfium_raw.FPDFPage_CloseAnnot(annotation)
        if subtype not in (pdfium_raw.FPDF_ANNOT_LINK, pdfium_raw.FPDF_ANNOT_POPUP):
            return True
    return False


def clip_bounds(handle) -> Box | None:
    """The box around the object's (FPDF_PAGEOBJECT's) clip path's points; None when it has
    no clip path."""
    clip = pdfium_raw.FPDFPageObj_GetClipPath(handle)
    if not clip:
        return None
    xs, ys = [], []
    x, y = ctypes.c_float(), ctypes.c_float()
    for path in range(pdfium_raw.FPDFClipPath_CountPaths(clip)):
        segments = pdfium_raw.FPDFClipPath_CountPathSegments(clip, path)
        if segments > CLIP_MOST_POINTS:
            return (0.0, 0.0, 0.0, 0.0)  # no scanner's clip: covers nothing
        for index in range(segments):
            segment = pdfium_raw.FPDFClipPath_GetPathSegment(clip, path, index)
            if pdfium_raw.FPDFPathSegment_GetPoint(segment, x, y):
                xs.append(x.value)
                ys.append(y.value)
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def covers(box: Box | None, page_box: Box, *, exactly: bool = False) -> bool:
    """`box` reaches every edge of `page_box` (`exactly`: and no further), within
    WHOLE_PAGE_SLACK of its longer side. None, no box, reaches everywhere."""
    if box is None:
        return True
    slack = WHOLE_PAGE_SLACK * max(page_box[2] - page_box[0], page_box[3] - page_box[1])
    beyond = [page_box[0] - box[0], page_box[1] - box[1], box[2] - page_box[2], box[3] - page_box[3]]
    return all(-slack <= by <= (slack if exactly else math.inf) for by in beyond)


def shown_box(page: pdfium.PdfPage) -> Callable[[float, float, float, float], ShownBox]:
    """Where a box (left, bottom, right, top) lies on the page as shown, as (left, top, right,
    bottom) from its top left corner: its CropBox within its MediaBox, turned clockwise by
    /Rotate. A page is turned because it was drawn sideways, so on a page turned a quarter a
    box's x is what is shown as height."""
    box_left, box_bottom, box_right, box_top = page.get_bbox()  # inherits the boxes; get_cropbox does not
    return {
        0: lambda x0, y0, x1, y1: (x0 - box_left, box_top - y1, x1 - box_left, box_top - y0),
        90: lambda x0, y0, x1, y1: (y0 - box_bottom, x0 - box_left, y1 - box_bottom, x1 - box_left),
        180: lambda x0, y0, x1, y1: (box_right - x1, y0 - box_bottom, box_right - x0, y1 - box_bottom),
        270: lambda x0, y0, x1, y1: (box_top - y1, box_right - x1, box_top - y0, box_right - x0),
    }[page.get_rotation()]


def text_lines(text_page: pdfium.PdfTextPage, shown: Callable[..., ShownBox]) -> tuple[Span, ...]:
    """The text layer's lines as vertical spans, top to bottom: its text runs, those that
    overlap vertically merged."""
    boxes = (shown(*text_page.get_rect(index)) for index in range(text_page.count_rects()))
    spans = sorted((top, bottom) for _, top, _, bottom in boxes)
    lines: list[Span] = []
    for top, bottom in spans:
        if lines and top < lines[-1][1]:
            lines[-1] = (lines[-1][0], max(lines[-1][1], bottom))
        else:
            lines.append((top, bottom))
    return tuple(lines)


def fonts_by_line(
    passages: tuple[FontPassage, ...], text: str, lines: tuple[Span, ...]
) -> tuple[tuple[str, ...], ...]:
    """For each line, the fonts its Devanagari is set in ("" for one not known)."""
    found: list[set[str]] = [set() for _ in lines]
    tops = [top for top, _ in lines]
    for passage in passages:
        _, top, _, bottom = passage.box_pt
        line = bisect.bisect_right(tops, (top + bottom) / 2) - 1
        if line >= 0 and any(map(is_devanagari, text[passage.start : passage.end])):
            found[line].add(passage.font)
    return tuple(tuple(sorted(fonts)) for fonts in found)


# A hostile outline can hold millions of entries, or titles of megabytes; a book's
# chapters are far fewer and their titles short.
OUTLINE_MAX_ENTRIES = 2000
OUTLINE_TITLE_CHARS = 300


# Which legacy codes are letters, punctuation and dandas: the same for every page.
CODE_KINDS = {
    encoding.name: CodeKinds.of(encoding.single_codes, encoding.typed_before) for encoding in ENCODINGS
}


class SpacedText(NamedTuple):
    text: str
    font_names: tuple[str, ...]
    line_fonts: tuple[tuple[str, ...], ...] = ()
    decoded: tuple[str, ...] = ()
    font_passages: tuple[FontPassage, ...] = ()
    decoded_fonts: tuple[str, ...] = ()


def is_legacy_named(font: str) -> bool:
    return named_encoding(font) is not None


def spaced_and_decoded(
    page: pdfium.PdfPage,
    text_page: pdfium.PdfTextPage,
    text: str,
    objects: PageObjects,
    lines: tuple[Span, ...],
    shown: Callable[..., ShownBox],
    *,
    devanagari: bool,
    coded: bool,
) -> SpacedText:
    """A page's text and fonts (PageFacts): its Devanagari spaced by ink, and what legacy
    fonts hold decoded (their names left out of the font names, since their text is not
    their codes any more). The codes of a font not named as a legacy one are spaced as
    pdfium spaces them: its glyphs may be Latin letters, which do not touch. `coded`: the
    text holds legacy codes (holds_legacy_codes). `objects` hold their ink when the page
    holds Devanagari, codes, or a font named as a legacy one."""
    named = named_legacy_fonts(objects.fonts)
    suspect = bool(named) or coded
    if not devanagari and not suspect:
        return SpacedText(text, objects.font_names)
    pieces, decoded = decoded_pieces(text_page, objects, page.get_bbox(), named, suspect=suspect)
    texts = decoded.texts if decoded else tuple(text for _, text, _ in pieces)
    passages = font_passages(pieces, texts, shown)
    line_fonts = fonts_by_line(passages, "".join(texts), lines)
    if not decoded:
        return SpacedText("".join(texts), objects.font_names, line_fonts, (), passages)
    names = {font.split("+")[-1] for font in decoded.fonts}
    font_names = tuple(font for font in objects.font_names if font not in names)
    return SpacedText(
        "".join(texts), font_names, line_fonts, decoded.encodings, passages, tuple(sorted(decoded.fonts))
    )


def decoded_pieces(
    text_page: pdfium.PdfTextPage,
    objects: PageObjects,
    within: Box,
    named: dict[str, LegacyEncoding],
    *,
    suspect: bool,
) -> tuple[list[tuple[str | None, str, Box | None]], DecodedText | None]:
    """The page's pieces in one font (font_pieces), spaced by ink, and what legacy fonts
    among them hold decoded. A font found legacy by its codes, not its name, is spaced
    again by ink as its codes: kept if its words still read as that encoding's (a Kruti Dev
    font by another name, whose glyphs touch), else spaced as pdfium spaces them (Latin
    glyphs showing the codes, which do not touch)."""
    pieces = font_pieces(spaced_characters(text_page, objects, within, named))
    decoded = decode_fonts([(font, text) for font, text, _ in pieces]) if suspect else None
    if decoded and decoded.fonts.keys() - named.keys():
        respaced = font_pieces(spaced_characters(text_page, objects, within, dict(decoded.fonts)))
        again = decode_fonts([(font, text) for font, text, _ in respaced])
        if again and again.fonts.keys() == decoded.fonts.keys():
            return respaced, again
    return pieces, decoded


def font_pieces(characters: list[Character]) -> list[tuple[str | None, str, Box | None]]:
    """(font, text, its ink) of each run of characters in one font on one line, in the
    text's order: a space or a line break goes with the characters before it."""
    pieces: list[tuple[str | None, list[str], Box | None]] = []
    for ch in characters:
        font = pieces[-1][0] if ch.font is None and pieces else ch.font
        if pieces and pieces[-1][0] == font and not pieces[-1][1][-1].endswith("\n"):
            _, held, box = pieces[-1]
            held.append(ch.text)
            pieces[-1] = (font, held, union(box, ch.box))
        else:
            pieces.append((font, [ch.text], ch.box))
    return [(font, "".join(held), box) for font, held, box in pieces]


def union(box: Box | None, other: Box | None) -> Box | None:
    if box is None or other is None:
        return box or other
    return min(box[0], other[0]), min(box[1], other[1]), max(box[2], other[2]), max(box[3], other[3])


def font_passages(
    pieces: list[tuple[str | None, str, Box | None]], texts: tuple[str, ...], shown: Callable[..., ShownBox]
) -> tuple[FontPassage, ...]:
    """The pieces with ink, where their `texts` (as decoded) lie."""
    passages, at = [], 0
    for (font, _, box), text in zip(pieces, texts, strict=True):
        if font is not None and box:
            passages.append(FontPassage(font, at, at + len(text), shown(*box)))
        at += len(text)
    return tuple(passages)


def spaced_characters(
    text_page: pdfium.PdfTextPage, objects: PageObjects, within: Box, coded: dict[str, LegacyEncoding]
) -> list[Character]:
    """respace_devanagari, the characters of `coded` fonts spaced as their encodings' codes."""
    kinds = {font: CODE_KINDS[encoding.name] for font, encoding in coded.items()}
    characters = respace_devanagari(text_page.raw, objects.texts, within=within, coded=kinds)
    # A code `-` at a line end is taken by pdfium for a hyphen, as a hyphen is.
    hyphen = Character("-\n", None)
    return [hyphen._replace(font=ch.font) if ch.text == LINE_END_HYPHEN else ch for ch in characters]


def outline_entries(document: pdfium.PdfDocument) -> list[dict]:
    """The PDF's outline (bookmarks) as {"title", "page", "level"} in outline order; `page`
    counts from 1 and is None for an entry that points nowhere in this file."""
    entries = []
    for bookmark in document.get_toc(max_depth=4):
        if len(entries) >= OUTLINE_MAX_ENTRIES:
            break
        dest = bookmark.get_dest()  # pdfium resolves a GoTo action's destination too
        index = dest.get_index() if dest is not None else None
        page = index + 1 if index is not None and index < len(document) else None
        entries.append(
            {
                "title": " ".join(bookmark.get_title().split())[:OUTLINE_TITLE_CHARS],
                "page": page,
                "level": bookmark.level,
            }
        )
    return entries


class PdfiumPages:
    """A book's pages through one pdfium handle, reopened every REOPEN_EVERY pages.

    pdfium keeps what it parsed of every page for the life of a handle (measured: +15 MB
    over 120 scanned pages), while opening a handle per page costs more than reading the
    page (5 ms against under 1 ms for a text layer). Parses the file: run it where a
    hostile PDF can do no harm (pdf_reader.py).
    """

    REOPEN_EVERY = 20

    def __init__(self, pdf_path: str | Path) -> None:
        self.pdf_path = pdf_path
        self._document: pdfium.PdfDocument | None = None
        self._pages_served = 0

    def document(self) -> pdfium.PdfDocument:
        if self._document is None or self._pages_served >= self.REOPEN_EVERY:
            self.close()
            self._document = pdfium.PdfDocument(self.pdf_path)
        return self._document

    def outline(self) -> list[dict]:
        return outline_entries(self.document())

    def layer(self, page_number: int) -> PageFacts:
        """The page's text layer, its size in points (as pdftoppm will render it) and the
        resolution of the scan that fills it, if one does."""
        document = self.document()
        self._pages_served += 1
        page = document[page_number - 1]
        try:
            width, height = page.get_size()
            text_page = page.get_textpage()
            try:
                text = text_page.get_text_bounded()
                devanagari = any(map(is_devanagari, text))
                coded = holds_legacy_codes(text)
                objects = page_objects(page.raw, ink=devanagari or coded, ink_for_font=is_legacy_named)
                shown = shown_box(page)
                lines = text_lines(text_page, shown)
                spaced = spaced_and_decoded(
                    page, text_page, text, objects, lines, shown, devanagari=devanagari, coded=coded
                )
            finally:
                text_page.close()
            return PageFacts(
                # pdfium marks a word hyphenated at a line end with \x02 and runs the two
                # lines together, with whatever text follows (on a page's last line, its
                # footer): the hyphen and the line break go back, as printed.
                spaced.text.replace(LINE_END_HYPHEN, "-\n"),
                width,
                height,
                scan_dpi(objects, width * height),
                spaced.font_names,
                lines,
                whole_page_image(page, objects),
                objects.text_invisible,
                spaced.line_fonts,
                spaced.decoded,
                spaced.font_passages,
                spaced.decoded_fonts,
            )
        finally:
            page.close()

    def close(self) -> None:
        if self._document is not None:
            self._document.close()
        self._document, self._pages_served = None, 0
