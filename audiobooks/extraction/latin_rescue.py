"""Latin words on a Devanagari page, read again with a Latin model.

Tesseract's Devanagari script model reads Devanagari best (on real scans measured here it
beat `hin`, and `hin+eng` by far), but it reads an English word as digits, dandas and
stray ASCII. Adding `eng` to the page's models fixes those words and spoils Devanagari
ones (`संस्कृति` read as `Hepfa`). So the page is read with the Devanagari model alone, and
only the words it could not read as Devanagari letters are read again with `eng`: cut out
of the page, stacked one under another on one sheet, read in one tesseract run, and taken
where `eng` is sure of a Latin word.
"""

import os
import re
from dataclasses import replace

from PIL import Image

from audiobooks.extraction.tesseract_words import Tesseract, Word

DEVANAGARI_LETTER = re.compile(r"[\u0904-\u0939\u0958-\u0961\u0972-\u097f]")
ASCII_LETTER_OR_DIGIT = re.compile(r"[A-Za-z0-9]")
DEVANAGARI_DIGIT = re.compile(r"[\u0966-\u096f]")
# A number as Hindi prints one: a verse number ॥५॥, a year, (१), २०-२५, १९४७–४८, १२.५०, “१०%”
NUMBER = re.compile(r"[(\[।॥“\"']*[0-9\u0966-\u096f]+(?:[.,:/\-–][0-9\u0966-\u096f]+)*%?[)\].,;:!?।॥”\"']*")
# Below this the Devanagari model did not recognise the word at all.
UNREAD_BELOW = 50.0
# How sure the Latin model must be of its reading to replace the Devanagari one.
LATIN_SURE_FROM = 80.0
SHEET_MARGIN = 8  # pixels around each word cut out, and
SHEET_GAP = 20  # between words on the sheet

Box = tuple[int, int, int, int]  # left, top, right, bottom


def misread_latin(word: Word) -> bool:
    """No Devanagari letter, and stray ASCII, no confidence, or Devanagari digits among
    stray signs that make no number: what the model makes of Latin."""
    if DEVANAGARI_LETTER.search(word.text):
        return False
    if ASCII_LETTER_OR_DIGIT.search(word.text) or word.confidence < UNREAD_BELOW:
        return True
    return bool(DEVANAGARI_DIGIT.search(word.text)) and not NUMBER.fullmatch(word.text)


def candidates(words: list[Word]) -> list[int]:
    """Indexes of the words to read again: those that look misread, and the words beside
    them on their line that hold no Devanagari letter (`of` read as `०`)."""
    chosen = {index for index, word in enumerate(words) if misread_latin(word)}
    for index, word in enumerate(words):
        neighbours = [other for other in (index - 1, index + 1) if 0 <= other < len(words)]
        beside_one = any(other in chosen and words[other].line == word.line for other in neighbours)
        if beside_one and not DEVANAGARI_LETTER.search(word.text):
            chosen.add(index)
    return sorted(chosen)


def runs_of(words: list[Word], chosen: list[int]) -> list[list[int]]:
    """The chosen indexes grouped into runs of neighbours on one line ("Bay of Bengal")."""
    runs: list[list[int]] = []
    for index in chosen:
        if runs and runs[-1][-1] == index - 1 and words[index - 1].line == words[index].line:
            runs[-1].append(index)
        else:
            runs.append([index])
    return runs


def run_box(words: list[Word], run: list[int]) -> Box:
    """The run's box on the page, widened towards the words beside it on its line: the
    Devanagari model's boxes can leave out a Latin word's first or last letters. Never
    narrower than the run's own words: on a skewed scan a line's next word can start left
    of where the run ends (once a crop from right to left, and the page failed)."""
    first, last = words[run[0]], words[run[-1]]
    height = max(words[index].height for index in run)
    left = min(words[index].left for index in run)
    right = max(words[index].left + words[index].width for index in run)
    widest_left, widest_right = left - height, right + height
    if run[0] > 0 and words[run[0] - 1].line == first.line:
        widest_left = max(widest_left, words[run[0] - 1].left + words[run[0] - 1].width + 1)
    if run[-1] + 1 < len(words) and words[run[-1] + 1].line == last.line:
        widest_right = min(widest_right, words[run[-1] + 1].left - 1)
    top = min(words[index].top for index in run) - SHEET_MARGIN
    bottom = max(words[index].top + words[index].height for index in run) + SHEET_MARGIN
    return max(0, min(left, widest_left)), max(0, top), max(right, widest_right), bottom


def sheet_of(
    image: Image.Image, boxes: list[tuple[int, int, int, int]]
) -> tuple[Image.Image, list[tuple[int, int]]]:
    """The boxes cut out and stacked on a white sheet; each one's vertical span on it."""
    crops = [image.crop(box) for box in boxes]
    width = max(crop.width for crop in crops) + 2 * SHEET_MARGIN
    sheet = Image.new("L", (width, sum(crop.height + SHEET_GAP for crop in crops) + SHEET_GAP), 255)
    spans, top = [], SHEET_GAP
    for crop in crops:
        sheet.paste(crop, (SHEET_MARGIN, top))
        spans.append((top, top + crop.height))
        top += crop.height + SHEET_GAP
    return sheet, spans


def latin_reading(found: list[Word]) -> tuple[str, float] | None:
    text = " ".join(word.text for word in found)
    letters = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    if not found or letters < 2 or letters < len(text) // 2:
        return None
    return text, min(word.confidence for word in found)


def rescue_latin_words(
    tesseract: Tesseract, image_path: str, words: list[Word], *, language: str
) -> list[Word]:
    """`words` with the runs the Devanagari model misread replaced by `language`'s sure readings."""
    runs = runs_of(words, candidates(words))
    if not runs:
        return words
    with Image.open(image_path) as page:
        sheet, spans = sheet_of(page.convert("L"), [run_box(words, run) for run in runs])
    sheet_path = os.path.join(tesseract.workdir, "latin-words.pgm")
    sheet.save(sheet_path)
    found = tesseract.read_words(sheet_path, language=language, psm=6)
    replaced: dict[int, Word | None] = {}
    for run, (top, bottom) in zip(runs, spans, strict=True):
        on_row = [w for w in found if top - SHEET_GAP / 2 <= w.top + w.height / 2 <= bottom + SHEET_GAP / 2]
        reading = latin_reading(on_row)
        if reading and reading[1] >= LATIN_SURE_FROM and reading[1] > min(words[i].confidence for i in run):
            first = words[run[0]]
            replaced.update(dict.fromkeys(run))
            replaced[run[0]] = replace(first, text=reading[0], confidence=reading[1])
    kept = (replaced.get(index, word) for index, word in enumerate(words))
    return [word for word in kept if word is not None]
