"""Whether a page's text layer holds real text worth trusting over OCR, and tidying it."""

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from audiobooks.extraction.legacy_fonts import LEGACY_FONT_NAMES, holds_legacy_codes

# Fewer letters than this on a page means its text layer is a stray label over a scan.
MIN_TEXT_LAYER_LETTERS = 20
# Unicode's control codes (Cc) but the line break and the tab, which text keeps.
CONTROL_CODES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
MAX_BAD_CHAR_SHARE = 0.02
# Prose, Hindi or English, is 3-8% punctuation and symbols; a font whose codes map to ASCII
# in the order its glyphs were first used (a Type3 font without a Unicode map) gives
# `!"#$%&'()$*+`, about 70%. A contents page of dot leaders passes this share too, and is OCRed.
MAX_SYMBOL_SHARE = 0.3
# Hindi prose has a virama (conjunct) every 30-50 characters; a long Devanagari layer with
# almost none, or with vowel signs that start words, lost its conjuncts in a broken
# ToUnicode map.
VIRAMA = "\u094d"
MIN_DEVANAGARI_FOR_CONJUNCT_CHECK = 150
MIN_VIRAMA_SHARE = 0.002
MAX_ORPHAN_SIGN_SHARE = 0.02
# Legacy Hindi fonts draw Devanagari from Latin codes: their layers read as Latin gibberish.
# Those of legacy_fonts.py are decoded before the layer is judged (a page whose layer still
# names one drew none of its characters), the others refused by name.
SYMBOL_INSIDE = re.compile(r"[\u0900-\u097f][0-9/=+<>@#$%^&*|\\~`]|[0-9/=+<>@#$%^&*|\\~`][\u0900-\u097f]")
MAX_SYMBOL_WORD_SHARE = 0.01
# A Devanagari layer is checked against OCR of a band of its page: over this share of edits
# per character, the layer is refused (see disagreement_with_ocr).
MAX_OCR_DISAGREEMENT = 0.02
# Nukta, chandrabindu (as anusvara), zero-width joiner and non-joiner: see as_ocr_spells.
OCR_BLIND_MARKS = {0x093C: None, 0x0901: 0x0902, 0x200C: None, 0x200D: None}
ALIGNMENT_SLACK = 6
MIN_SAMPLE_LETTERS = 40
# An OCR layer over a scan must hold the lines OCR finds in the middle of the scan: a line
# is found when it matches a stretch of the layer this well (0-100), and this share of the
# band's letters must be found. Loose, since tesseract misreads hard scans (29% CER on the
# real ones) and runs columns together, where the layer may be better than it: a layer of
# a stamp, a header or another script's guesses matches next to nothing.
MIN_LINE_MATCH = 50
MIN_FOUND_SHARE = 0.3


DEVANAGARI_LETTER = re.compile("[\u0900-\u097f]")


def is_devanagari(ch: str) -> bool:
    return "\u0900" <= ch <= "\u097f"


def is_devanagari_sign(ch: str) -> bool:
    """A vowel sign, virama or other mark that can only follow a consonant."""
    return is_devanagari(ch) and unicodedata.category(ch) in ("Mn", "Mc")


def devanagari_is_sound(text: str) -> bool:
    """False when Devanagari text shows a broken font map: conjuncts lost, signs orphaned."""
    devanagari = count_chars(text, is_devanagari)
    if "\u25cc" in text:  # a dotted circle: a sign with nothing to sit on
        return False
    words = text.split()
    orphans = sum(1 for word in words if is_devanagari_sign(word[0]))
    if words and orphans / len(words) > MAX_ORPHAN_SIGN_SHARE:
        return False
    if devanagari >= MIN_DEVANAGARI_FOR_CONJUNCT_CHECK:
        return text.count(VIRAMA) / devanagari >= MIN_VIRAMA_SHARE
    return True


def count_chars(text: str, kind: Callable[[str], bool]) -> int:
    """How many of the text's characters are of `kind`. Asked once per distinct character:
    a page of a few thousand characters has a hundred or so, and every page of a digital
    book is judged, by several checks."""
    return sum(count for ch, count in char_counts(text).items() if kind(ch))


@lru_cache(maxsize=8)
def char_counts(text: str) -> Mapping[str, int]:
    """Each distinct character's count, read-only: shared by the checks of one page."""
    return MappingProxyType(Counter(text))


def is_unmapped(ch: str) -> bool:
    """A replacement character or a control code that is no line break or tab: a glyph the
    font gave no Unicode for."""
    return ch in "\ufffd\ufffe" or (unicodedata.category(ch) == "Cc" and ch not in "\n\r\t")


def is_symbol(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


@dataclass(frozen=True)
class LayerVerdict:
    usable: bool
    reason: str  # why, for the page's `method_reason`
    text: str | None = None  # the page's text, when it is not the layer as it is


def legacy_encoding(text: str, font_names: tuple[str, ...]) -> str | None:
    """The legacy Hindi font the layer is set in (Devanagari drawn from Latin codes), if any:
    by its fonts' names, or by the Latin words such fonts make of common Hindi ones."""
    for name in font_names:
        if LEGACY_FONT_NAMES.search(name):
            return f"set in the legacy Hindi font {name}"
    if holds_legacy_codes(text):
        return "Latin codes of a legacy Hindi font (e.g. 'gS' for है, 'dk' for का)"
    return None


def symbols_in_devanagari_words(text: str) -> float:
    """The share of Devanagari words with a digit or ASCII symbol inside (`कि=या`, `सि/र्फ1`):
    a font map that turned vowel signs into ASCII."""
    words = [word.strip(".,;:!?\"'()[]") for word in text.split() if DEVANAGARI_LETTER.search(word)]
    broken = sum(1 for word in words if SYMBOL_INSIDE.search(word))
    return broken / len(words) if words else 0.0


def judge_text_layer(
    text: str, *, require_devanagari: bool = False, font_names: tuple[str, ...] = ()
) -> LayerVerdict:
    """Whether a text layer holds real text worth trusting over OCR, and why (not)."""
    letters = count_chars(text, str.isalpha)
    if letters < MIN_TEXT_LAYER_LETTERS:
        return LayerVerdict(False, "no text layer" if not letters else "too few letters in the text layer")
    bad = text.count("(cid:") + count_chars(text, is_unmapped)
    if bad / len(text) > MAX_BAD_CHAR_SHARE:
        return LayerVerdict(False, "text layer refused: glyphs without a Unicode mapping")
    printed = len(text) - count_chars(text, str.isspace)
    if count_chars(text, is_symbol) / printed > MAX_SYMBOL_SHARE:
        return LayerVerdict(False, "text layer refused: mostly symbols, not letters")
    if legacy := legacy_encoding(text, font_names):
        return LayerVerdict(False, f"text layer refused: {legacy}")
    devanagari = is_mostly_devanagari(text)
    if require_devanagari and not devanagari:
        return LayerVerdict(False, "text layer refused: a Hindi book's layer that is not Devanagari")
    if devanagari:
        if not devanagari_is_sound(text):
            return LayerVerdict(
                False, "text layer refused: broken Devanagari (conjuncts lost or signs orphaned)"
            )
        if symbols_in_devanagari_words(text) > MAX_SYMBOL_WORD_SHARE:
            return LayerVerdict(False, "text layer refused: digits and symbols inside Devanagari words")
    return LayerVerdict(True, "text layer")


def disagreement_with_ocr(layer: str, sample: str) -> float | None:
    """How far OCR of a band of the page (`sample`) is from the parts of the layer it aligns
    with: edits per character of the sample. None when the band held too little to tell.
    A sound layer is 0-1% from OCR; a font map that glues words or swaps signs, 3% and more.
    Each block OCR found is aligned on its own: across two columns the band holds lines
    of both, which lie apart in the layer."""
    layer = " ".join(as_ocr_spells(layer).split())
    blocks = [" ".join(as_ocr_spells(block).split()) for block in sample.split("\n\n")]
    blocks = [block for block in blocks if block]
    if sum(ch.isalpha() for block in blocks for ch in block) < MIN_SAMPLE_LETTERS:
        return None
    edits = 0
    for block in blocks:
        aligned = fuzz.partial_ratio_alignment(block, layer)
        edits += fewest_edits(block, layer, start=aligned.dest_start, end=aligned.dest_end)
    return edits / sum(len(block) for block in blocks)


def as_ocr_spells(text: str) -> str:
    """`text` without the marks Tesseract's Devanagari model drops or swaps whatever the
    page shows (measured on a decoded Kruti Dev book whose layer is exact: फ़ read as फ,
    ँ as ं, ZWNJ added after a virama), so that they do not count against a layer."""
    return unicodedata.normalize("NFD", text).translate(OCR_BLIND_MARKS)


def fewest_edits(block: str, layer: str, *, start: int, end: int) -> int:
    """Edits from `block` to the layer between `start` and `end`, each end moved up to
    ALIGNMENT_SLACK characters where that takes fewer: the best-scoring alignment often
    stops a few characters short of the block's first or last word, which counted as edits."""
    starts = range(max(0, start - ALIGNMENT_SLACK), min(start + ALIGNMENT_SLACK, end) + 1)
    ends = range(max(start, end - ALIGNMENT_SLACK), min(len(layer), end + ALIGNMENT_SLACK) + 1)
    return min(
        Levenshtein.distance(block, layer[first:last]) for first in starts for last in ends if first <= last
    )


def lacks_scan_text(layer: str, sample: str) -> bool | None:
    """Whether the lines OCR read in a band of a scan (`sample`) are mostly missing from its
    text layer: a layer of a stamp, a watermark or a header, or another script's guess at
    the letters. None when the band held too little to tell."""
    layer = " ".join(layer.split())
    lines = [" ".join(line.split()) for line in sample.splitlines() if line.strip()]
    letters = [sum(ch.isalpha() for ch in line) for line in lines]
    if sum(letters) < MIN_SAMPLE_LETTERS:
        return None
    matched = [fuzz.partial_ratio(line, layer) >= MIN_LINE_MATCH for line in lines]
    found = sum(count for count, match in zip(letters, matched, strict=True) if match)
    return found / sum(letters) < MIN_FOUND_SHARE


def is_mostly_devanagari(text: str) -> bool:
    return letters_mostly(text, is_devanagari)


def is_mostly_latin(text: str) -> bool:
    return letters_mostly(text, str.isascii)


def letters_mostly(text: str, in_script: Callable[[str], bool]) -> bool:
    """At least half the text's letters are in the script."""
    letters = count_chars(text, str.isalpha)
    return bool(letters) and count_chars(text, lambda ch: ch.isalpha() and in_script(ch)) / letters >= 0.5


def clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = CONTROL_CODES.sub("", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()
