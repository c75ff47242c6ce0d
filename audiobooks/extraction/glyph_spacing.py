"""Devanagari words spaced by where their glyphs' ink lies, not by pdfium's guess.

pdfium puts a space wherever the next character starts right of where it thinks the last
one ended. A Devanagari cluster is often several glyphs of which only one maps to text
(Chromium's `का` is the letter's glyph, mapped to `का`, then the vowel sign's, mapped to
nothing), and a vowel sign below a letter is narrower than it: so pdfium splits words
after most clusters (`कहा नी`, `रा जस्था न`), and a page printed by Chromium came out 9%
apart from its text. Devanagari letters of a word touch through their headline, so the
gap between the ink of everything drawn so far in the word (unmapped glyphs included) and
the next character's ink says where a word ends; a glyph drawn with no ink between them
is a space (Chromium draws its spaces).
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

import pypdfium2.raw as pdfium_raw

from audiobooks.extraction.page_objects import Box, TextObject, address
from audiobooks.extraction.text_layer import is_devanagari

# A word ends where the ink stops for more than this share of the font size: a space is a
# quarter of it or more, letters of one word touch or overlap.
WORD_GAP_EM = 0.1
# A danda follows its word with a little white before it; a space before it is a full one.
DANDA_GAP_EM = 0.3
DANDAS = "\u0964\u0965"
# Punctuation that follows its word: pdfium puts a space before it when it comes in another
# font (LibreOffice sets `shopping,` with the comma in the Devanagari font).
CLOSING = DANDAS + ",.;:!?)]}'\"\u2019\u201d"
# Glyphs looked at between two characters' objects: a cluster's unmapped vowel signs and a
# space are a few; a page whose objects jump about is spaced by its characters' boxes alone.
MOST_GLYPHS_BETWEEN = 8
LINE_END_HYPHEN_CODE = 0x02  # what pdfium's text has for a hyphen it took away at a line end
LINE_END_HYPHEN = chr(LINE_END_HYPHEN_CODE)


class CharInk:
    """A text page's characters' boxes, objects and sizes, asked for as the spacing needs
    them, and its text objects (by FPDF_PAGEOBJECT address, and in the walk's order)."""

    def __init__(self, text_page, texts: dict[int, TextObject]) -> None:
        self.text_page = text_page
        self.texts = texts
        self.by_order = list(texts.values())  # the walk numbered them in the order it met them
        self.edges = [ctypes.c_double() for _ in range(4)]
        self.sizes: dict[int, float] = {}  # font sizes by text object: one size a run

    def box(self, index: int) -> Box:
        left, right, bottom, top = self.edges
        pdfium_raw.FPDFText_GetCharBox(self.text_page, index, left, right, bottom, top)
        return left.value, bottom.value, right.value, top.value

    def object_at(self, index: int) -> int:
        return address(pdfium_raw.FPDFText_GetTextObject(self.text_page, index))

    def font_size(self, index: int, owner: int) -> float:
        """The character's font size on the page: its Tf size scaled by its matrix (cairo
        sets 1 Tf and scales the matrix; Chromium scales by 0.75 from CSS pixels)."""
        if owner not in self.sizes:
            matrix = pdfium_raw.FS_MATRIX()
            pdfium_raw.FPDFText_GetMatrix(self.text_page, index, matrix)
            scale = math.sqrt(abs(matrix.a * matrix.d - matrix.b * matrix.c)) or 1.0
            self.sizes[owner] = pdfium_raw.FPDFText_GetFontSize(self.text_page, index) * scale
        return self.sizes[owner]

    def characters(self, within: Box) -> Iterator[tuple[int, str, Box | None]]:
        """(index, character, its box; None for a space) of the text page's characters, as
        FPDFText_GetBoundedText gives them for `within` (the page's box): a character outside
        it, or one pdfium leaves out of its text (control codes), is skipped; a pair of
        surrogates is one character, at the first one's index; a hyphen pdfium took away at
        a line end is LINE_END_HYPHEN."""
        page, count = self.text_page, pdfium_raw.FPDFText_CountChars(self.text_page)
        index = 0
        while index < count:
            code, at = pdfium_raw.FPDFText_GetUnicode(page, index), index
            index += 1
            if pdfium_raw.FPDFText_GetTextIndexFromCharIndex(page, at) < 0 and code != LINE_END_HYPHEN_CODE:
                continue
            if 0xD800 <= code < 0xDC00 and index < count:
                low = pdfium_raw.FPDFText_GetUnicode(page, index)
                if 0xDC00 <= low < 0xE000:
                    code, index = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00), index + 1
            box = None if chr(code).isspace() else self.box(at)
            if box is None or inside(box, within):
                yield at, chr(code), box

    def generated(self, index: int) -> bool:
        return pdfium_raw.FPDFText_IsGenerated(self.text_page, index) == 1


@dataclass(frozen=True)
class CodeKinds:
    """Which of a legacy encoding's codes (legacy_fonts.py) are letters and signs (glyphs of
    a Devanagari word, spaced by ink), dandas and punctuation that follows its word; other
    codes (digits, a slash) are spaced as Latin."""

    letters: frozenset[str]
    closing: frozenset[str]
    dandas: frozenset[str]
    typed_before: frozenset[str] = frozenset()  # marks typed before the letter they are drawn on

    @classmethod
    def of(cls, meanings: Mapping[str, str], typed_before: frozenset[str] = frozenset()) -> CodeKinds:
        """The kinds, from what each one-character code stands for."""

        def is_letter(meaning: str) -> bool:
            if not meaning:  # a glyph drawn with a letter's (Chanakya's kerning after क)
                return True
            signs = (is_devanagari(ch) or "\ue000" <= ch <= "\uf8ff" for ch in meaning)  # or a stand-in
            return any(signs) and meaning not in DANDAS and not meaning.isdigit()

        return cls(
            frozenset(code for code, meaning in meanings.items() if is_letter(meaning)),
            frozenset(code for code, meaning in meanings.items() if meaning in CLOSING),
            frozenset(code for code, meaning in meanings.items() if meaning in DANDAS),
            typed_before,
        )


# A font that holds no legacy codes: its characters are what they are.
NO_CODES = CodeKinds(frozenset(), frozenset(), frozenset())


class Character(NamedTuple):
    text: str
    font: str | None  # None for a space or a line break, "" for a font not known
    box: Box | None = None  # its ink, in the page's space; None for a space or a line break


def inside(box: Box, within: Box) -> bool:
    """The box's middle lies within `within` (as FPDFText_GetBoundedText keeps characters)."""
    middle_x, middle_y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return within[0] <= middle_x <= within[2] and within[1] <= middle_y <= within[3]


def respace_devanagari(
    text_page,
    texts: dict[int, TextObject],
    *,
    within: Box,
    coded: Mapping[str, CodeKinds] = MappingProxyType({}),
) -> list[Character]:
    """The text page's characters within `within` (the page's box) with their fonts and
    boxes, the spaces pdfium made up next to Devanagari and before punctuation decided by
    ink (`किया,`, `राजा-रानी`). In `coded` fonts (legacy ones, by font: a code is a glyph), letters'
    codes count as Devanagari, and punctuation's as the punctuation it stands for."""
    ink = CharInk(text_page, texts)
    out: list[Character] = []
    previous = None  # (index, text object address, ink right of its word, spaced by ink)
    held_space = False  # pdfium's generated space after it, kept unless the ink says otherwise
    characters = list(ink.characters(within))
    for at, (index, ch, box) in enumerate(characters):
        if ch == " " and previous and ink.generated(index):
            held_space = True
            continue
        if ch.isspace() or ch == LINE_END_HYPHEN:  # line breaks, and the spaces the PDF has
            if held_space:
                out.append(Character(" ", None))
            out.append(Character(ch, out[-1].font if ch == LINE_END_HYPHEN and out else None))
            previous, held_space = None, False
            continue
        owner = ink.object_at(index)
        font = texts[owner].font if owner in texts else ""
        kinds = coded.get(font, NO_CODES)
        devanagari = is_devanagari(ch) or ch in kinds.letters
        word_right = box[2]
        if previous:
            if devanagari or previous[3] or ch in CLOSING or ch in kinds.closing:
                danda = ch in DANDAS or ch in kinds.dandas
                left = ink_left(characters, at, kinds)
                space = ends_word(ink, previous, owner=owner, left=left, danda=danda)
            else:
                space = held_space
            if space:
                out.append(Character(" ", None))
            else:
                word_right = max(previous[2], word_right)
        out.append(Character(ch, font, box))
        previous, held_space = (index, owner, word_right, devanagari), False
    return out


def ink_left(characters: list[tuple[int, str, Box | None]], at: int, kinds: CodeKinds) -> float:
    """Where the character's word goes on from: its ink's left, or, for a mark typed before
    its letter (drawn on it, right of where it is typed), its letter's."""
    _, ch, box = characters[at]
    if ch in kinds.typed_before and at + 1 < len(characters):
        _, letter, letter_box = characters[at + 1]
        if letter in kinds.letters and letter_box:
            return letter_box[0]
    return box[0]


def ends_word(
    ink: CharInk,
    previous: tuple[int, int, float, bool],
    *,
    owner: int,
    left: float,
    danda: bool,
) -> bool:
    """Whether a word ends between the previous character and this one, on a line (one of
    them Devanagari, or this one punctuation that follows its word)."""
    before, before_owner, word_right, _ = previous
    gap = (DANDA_GAP_EM if danda else WORD_GAP_EM) * ink.font_size(before, before_owner)
    texts = ink.texts
    first, last = (texts[held].order if held in texts else -1 for held in (before_owner, owner))
    if 0 <= first < last <= first + MOST_GLYPHS_BETWEEN:
        # The glyphs drawn between the two characters' objects map to no text: vowel signs
        # of the previous cluster, or a space.
        between = ink.by_order[first:last]
        if any(glyph.left == glyph.right and left - glyph.left > gap for glyph in between[1:]):
            return True  # a glyph without ink, and white after it: a space the ink before overhangs
        word_right = max([word_right, *(glyph.right for glyph in between)])
    return left - word_right > gap
