"""Running headers, footers and page numbers: the lines a page repeats, not the book's text.

Only the first and last EDGE_LINES lines of a page are candidates, and lines OCR set
apart (on a two-column page OCR may place the footer between the columns). A candidate is
furniture when it is a page number, or when nearby pages carry nearly the same line in the
same place: running headers repeat on every page or every other page, with only a page or
chapter number changing (digits are ignored when comparing). OCR misreads a header a
little differently each time, so the comparison is fuzzy. A header that names the book
and then the chapter ("Tales of Water · The River") changes with every chapter: a page's
outermost lines that start or end with the same words count as the same header.

Chapter openers ("Chapter 3", "अध्याय ३") look like headers but print once: for them the
digits count, and the repeat must be on an adjacent or alternate page. An opener printed
exactly like the running header that follows it is taken for furniture; the PDF's outline
still names that chapter when the book has one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from audiobooks.narration.paragraphs import HEADING_START, SENTENCE_END

EDGE_LINES = 2
# Pages either side searched for the same line (one repeat there is enough).
NEIGHBOURS = 4
SIMILAR = 90  # rapidfuzz's ratio: 100 less the share of characters to insert or delete
# Shorter lines ("—", "* * *") repeat by chance; "नदी" is three characters. Headers are
# short: longer lines are not compared (which also keeps the fuzzy comparison cheap).
MIN_KEY_CHARS = 3
MAX_KEY_CHARS = 120
# Words two header-shaped lines must share at their start or end, and their share of each.
SHARED_WORDS = 2
SHARED_SHARE = 0.6
# Front matter numbers its pages in lowercase Roman numerals; "I" or "CD" is text.
ROMAN = r"(?=[ivxlcdm])m{0,3}(?:cm|cd|d?c{0,3})(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})"
DECORATION = r"[\s\-–—\[\](){}|.·•*]*"
PAGE_NUMBER = re.compile(
    rf"^{DECORATION}(?:page|pg\.?|p\.|पृष्ठ|पृ\.?)?\s*(?:[0-9०-९]{{1,4}}|(?-i:{ROMAN}))"
    rf"(?:\s*(?:of|/|का)\s*[0-9०-९]{{1,4}})?{DECORATION}$",
    re.IGNORECASE,
)
# Chapter openers must repeat this close to be taken for headers.
HEADING_NEIGHBOURS = 2


def is_page_number(line: str) -> bool:
    return bool(PAGE_NUMBER.match(line.strip()))


def comparable(line: str, *, keep_digits: bool = False) -> str:
    """The line as compared across pages: case, punctuation and (unless kept) digits gone."""
    line = line.lower() if keep_digits else re.sub(r"[0-9०-९]+", "#", line.lower())
    # Devanagari's vowel signs and virama are not \w: keep the script's letters whole.
    return " ".join(re.sub(r"[^\w#\u0900-\u0963\u0966-\u097f]+", " ", line).split())


@dataclass(frozen=True)
class Candidate:
    index: int  # the line's place on its page
    region: str  # top | bottom | alone
    key: str  # comparable(line)
    # The page's first or last line, or one standing alone, ending no sentence: a header's shape.
    header_shaped: bool


def edge_candidates(lines: list[str]) -> list[Candidate]:
    """A page's first and last EDGE_LINES lines, and lines OCR found standing alone (a
    blank line before and after): on a two-column page OCR may place a footer between
    the columns' text."""
    filled = [index for index, line in enumerate(lines) if line]
    top = filled[:EDGE_LINES]
    bottom = [index for index in filled[-EDGE_LINES:] if index not in top]
    alone = [
        index
        for index in filled
        if index not in top + bottom
        and not lines[index - 1]
        and index + 1 < len(lines)
        and not lines[index + 1]
    ]
    return [
        Candidate(
            index,
            region,
            comparable(lines[index], keep_digits=bool(HEADING_START.match(lines[index]))),
            index in (filled[0], filled[-1], *alone) and not SENTENCE_END.search(lines[index]),
        )
        for indexes, region in ((top, "top"), (bottom, "bottom"), (alone, "alone"))
        for index in indexes
    ]


def furniture_lines(pages: list[list[str]]) -> list[set[int]]:
    """For each page (a list of its stripped lines), the indexes of its furniture lines."""
    candidates = [edge_candidates(lines) for lines in pages]
    found: list[set[int]] = []
    for number, lines in enumerate(pages):
        furniture = set()
        for candidate in candidates[number]:
            reach = HEADING_NEIGHBOURS if HEADING_START.match(lines[candidate.index]) else NEIGHBOURS
            nearby = range(max(0, number - reach), min(len(pages), number + reach + 1))
            repeats = sum(other != number and repeated_on(candidate, candidates[other]) for other in nearby)
            # A line further in, or one that ends a sentence, must repeat on two more pages,
            # as a phrase of the book's own may by chance on one.
            if is_page_number(lines[candidate.index]) or repeats >= (1 if candidate.header_shaped else 2):
                furniture.add(candidate.index)
        found.append(furniture)
    return found


def repeated_on(candidate: Candidate, others: list[Candidate]) -> bool:
    if not MIN_KEY_CHARS <= len(candidate.key.replace("#", "").strip()) <= MAX_KEY_CHARS:
        return False
    return any(
        (other.region == candidate.region or "alone" in (other.region, candidate.region))
        and (
            other.key == candidate.key
            or fuzz.ratio(candidate.key, other.key) >= SIMILAR
            or (
                candidate.header_shaped
                and other.header_shaped
                and same_start_or_end(candidate.key, other.key)
            )
        )
        for other in others
    )


def same_start_or_end(one: str, other: str) -> bool:
    """Do two lines share SHARED_WORDS or more words at their start or end, making at least
    SHARED_SHARE of each?"""
    one_words, other_words = one.split(), other.split()
    for words, others in ((one_words, other_words), (one_words[::-1], other_words[::-1])):
        shared = 0
        while shared < min(len(words), len(others)) and words[shared] == others[shared]:
            shared += 1
        if shared >= SHARED_WORDS and shared >= SHARED_SHARE * max(len(words), len(others)):
            return True
    return False
