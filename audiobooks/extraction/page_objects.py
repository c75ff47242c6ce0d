"""One walk over what a page draws: its text objects, images and forms, through pdfium's C
calls (a Python wrapper per object cost a digital book most of its reading time; a page
printed by Chromium draws each glyph as an object of its own, 2,000 on a page).

Everything the engine asks of a page's objects comes from this one walk: the fonts of its
text, whether all of it is invisible, the scan's resolution, whether the page is nothing but
one image, and where each text object's ink lies (glyph_spacing.py). Runs in the PDF
reader's child (pdf_reader.py), like everything that parses the file.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import pypdfium2.raw as pdfium_raw

# Forms (an OCR layer is often one) are looked into this deep.
FORM_DEPTH = 8
# Text and images are taken from the page and forms one deep, as a page draws them.
CONTENT_DEPTH = 2
# A scanner's page with its OCR layer: an image and a text object a word or a line. A page
# drawing more objects than this is not looked at as a scan.
WHOLE_PAGE_MAX_OBJECTS = 5000

Box = tuple[float, float, float, float]  # left, bottom, right, top


class TextObject(NamedTuple):
    order: int  # in the content stream, among the page's text objects
    left: float
    right: float
    font: str  # its base font name, subset prefix kept: each subset has its own map


class ImageObject(NamedTuple):
    handle: object  # its FPDF_PAGEOBJECT, for the questions asked of a page's only image
    bounds: Box
    pixels: tuple[int, int] | None  # None when pdfium cannot size it
    level: int  # 0 on the page itself, 1 inside a form, and so on


@dataclass
class PageObjects:
    # With `ink` (page_objects): the text objects by FPDF_PAGEOBJECT address.
    texts: dict[int, TextObject] = field(default_factory=dict)
    images: list[ImageObject] = field(default_factory=list)
    fonts: set[str] = field(default_factory=set)  # the base fonts of its text, as embedded
    has_text: bool = False
    has_visible_text: bool = False
    # Whether every object, as deep as FORM_DEPTH, is an image, invisible text or a form
    # looked into, and there are at most WHOLE_PAGE_MAX_OBJECTS: a scanner's page.
    only_images_and_hidden_text: bool = True

    @property
    def font_names(self) -> tuple[str, ...]:
        """The base fonts the page's text is set in, subset prefixes (`ABCDEF+`) dropped."""
        return tuple(sorted({font.split("+")[-1] for font in self.fonts if font}))

    @property
    def text_invisible(self) -> bool:
        """The page has text, all drawn invisible: an OCR layer, as scanners lay one over a scan."""
        return self.has_text and not self.has_visible_text


def address(handle) -> int:
    """A pdfium handle's address, to know the same object again (0 for none)."""
    return ctypes.addressof(handle.contents) if handle else 0


class _Walk:
    def __init__(self, *, ink: bool, ink_for_font: Callable[[str], bool] = lambda font: False) -> None:
        self.ink = ink
        self.ink_for_font = ink_for_font
        self.found = PageObjects()
        self.count = 0
        self.fonts: dict[int, str] = {}  # font names by FPDF_FONT address
        self.box = [ctypes.c_float() for _ in range(4)]
        self.pixels = (ctypes.c_uint(), ctypes.c_uint())

    def visit(self, handle, level: int) -> None:
        self.count += 1
        if self.count > WHOLE_PAGE_MAX_OBJECTS:
            self.found.only_images_and_hidden_text = False
        kind = pdfium_raw.FPDFPageObj_GetType(handle)
        if kind == pdfium_raw.FPDF_PAGEOBJ_FORM:
            if level >= FORM_DEPTH - 1:
                self.found.only_images_and_hidden_text = False  # what it draws was not all seen
                return
            for index in range(pdfium_raw.FPDFFormObj_CountObjects(handle)):
                self.visit(pdfium_raw.FPDFFormObj_GetObject(handle, index), level + 1)
        elif kind == pdfium_raw.FPDF_PAGEOBJ_TEXT:
            found = self.found
            visible = (
                pdfium_raw.FPDFTextObj_GetTextRenderMode(handle) != pdfium_raw.FPDF_TEXTRENDERMODE_INVISIBLE
            )
            if visible:
                found.only_images_and_hidden_text = False
            if level < CONTENT_DEPTH:
                font = self.font_name(handle)
                found.fonts.add(font)
                found.has_text = True
                found.has_visible_text |= visible
                if self.ink:
                    left, _, right, _ = self.bounds(handle)
                    found.texts[address(handle)] = TextObject(len(found.texts), left, right, font)
        elif kind == pdfium_raw.FPDF_PAGEOBJ_IMAGE:
            wide, high = self.pixels
            sized = pdfium_raw.FPDFImageObj_GetImagePixelSize(handle, wide, high)
            pixels = (wide.value, high.value) if sized else None
            self.found.images.append(ImageObject(handle, self.bounds(handle), pixels, level))
        else:
            self.found.only_images_and_hidden_text = False

    def bounds(self, handle) -> Box:
        left, bottom, right, top = self.box
        if not pdfium_raw.FPDFPageObj_GetBounds(handle, left, bottom, right, top):
            return (0.0, 0.0, 0.0, 0.0)
        return (left.value, bottom.value, right.value, top.value)

    def font_name(self, handle) -> str:
        font = pdfium_raw.FPDFTextObj_GetFont(handle)
        key = address(font)
        if key not in self.fonts:
            size = pdfium_raw.FPDFFont_GetBaseFontName(font, None, 0) if font else 0
            buffer = ctypes.create_string_buffer(size)
            if size:
                pdfium_raw.FPDFFont_GetBaseFontName(font, buffer, size)
            self.fonts[key] = buffer.value.decode("utf-8", "replace")
            if not self.ink and self.ink_for_font(self.fonts[key]):
                raise _InkNeeded
        return self.fonts[key]


class _InkNeeded(Exception):
    """A walk without ink met a font whose text needs it."""


def page_objects(
    page_handle, *, ink: bool, ink_for_font: Callable[[str], bool] = lambda font: False
) -> PageObjects:
    """Walk the page's objects (FPDF_PAGE `page_handle`); with `ink`, or on meeting a font
    `ink_for_font` picks, keep each text object's place (what spacing Devanagari needs, at a
    cost a page of English is spared). A walk that meets such a font starts again with ink:
    on a page set in it, that is at its first text object."""
    try:
        return _walk(page_handle, _Walk(ink=ink, ink_for_font=ink_for_font))
    except _InkNeeded:
        return _walk(page_handle, _Walk(ink=True))


def _walk(page_handle, walk: _Walk) -> PageObjects:
    for index in range(pdfium_raw.FPDFPage_CountObjects(page_handle)):
        walk.visit(pdfium_raw.FPDFPage_GetObject(page_handle, index), 0)
    return walk.found
