"""Lines back into paragraphs: a page's hard line breaks undone, words hyphenated at a line
end made whole, and a paragraph cut by a page break (or by OCR's paragraph guess) joined.

The page text keeps no indents or spacing, so a paragraph end is read from the text, as a
typesetter's line breaking leaves it: the line before ends a sentence and had room left for
the next line's first word (so only a paragraph end explains the break). Where OCR left a
blank line, a finished sentence ends the paragraph; an open one goes on when the next line
starts in lowercase or the line before ran to the margin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from statistics import median

# Closing quotes and brackets may follow the sentence's last mark.
SENTENCE_END = re.compile(r"[.?!।॥:;…][\"'”’»)\]]*$")
# Letters differ in width: a word "had room" on a line when it fit in this share of it.
ROOM_SHARE = 0.9
HEADING_MAX_CHARS = 70
# How chapter openers start: the word and a number ("Chapter 3", "PART II", "Book One",
# "अध्याय ३"), or a word that is a heading alone. Case counts: "part of the reason" and
# "भाग कर" ("ran away") are prose.
NUMBER_WORDS = "One|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten|Eleven|Twelve|ONE|TWO|THREE|FOUR|FIVE"
HEADING_START = re.compile(
    r"^(?:(?:Chapter|CHAPTER|Part|PART|Book|BOOK|Section|SECTION)\s+"
    rf"(?:\d+|[IVXLC]+|{NUMBER_WORDS})(?![\w])"
    r"|(?:Prologue|PROLOGUE|Epilogue|EPILOGUE|Introduction|INTRODUCTION)(?:\s*[:.\-–—].*)?$"
    r"|(?:अध्याय|भाग|पाठ|प्रकरण|सर्ग|खण्ड|खंड|परिच्छेद)\s*[-–—:]?\s*[०-९\d]+(?![\w]))"
)
# Hyphenated at the end of a line: a Latin letter, then one hyphen.
LINE_END_HYPHEN = re.compile(r"(?<=[A-Za-z])-$")


@dataclass
class Paragraph:
    first_page: int
    last_page: int
    heading: bool = False
    # Its lines as they will be joined: each after the first starts with its separator.
    pieces: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    def add(self, line: str, *, page: int) -> None:
        """The next line: after a space, or straight on where the line before ended in a
        hyphenated word (`extra-` / `ordinary`)."""
        if not self.pieces:
            self.pieces.append(line)
        elif LINE_END_HYPHEN.search(self.pieces[-1]) and line[:1].islower():
            self.pieces[-1] = self.pieces[-1][:-1]
            self.pieces.append(line)
        else:
            self.pieces.append(f" {line}")
        self.last_page = page


def is_heading(line: str) -> bool:
    return (
        bool(HEADING_START.match(line)) and len(line) <= HEADING_MAX_CHARS and not re.search(r"[.?!।]$", line)
    )


def full_line_length(lines: list[str]) -> float:
    """The length of a line that runs from margin to margin on this page."""
    lengths = sorted(len(line) for line in lines if line)
    return lengths[int(len(lengths) * 0.75)] if lengths else 0.0


def full_line_lengths(pages: list[list[str]]) -> list[float]:
    """Each page's full line length; a page of few lines (a chapter's last) takes the median
    of the pages that have enough, if any do."""
    enough = [full_line_length(lines) for lines in pages if sum(1 for line in lines if line) >= 4]
    if not enough:
        return [full_line_length(lines) for lines in pages]
    book = median(enough)
    return [full_line_length(lines) if sum(1 for line in lines if line) >= 4 else book for lines in pages]


def had_room(line: str, following: str, *, full: float) -> bool:
    """Would `following`'s first word have fit at the end of `line`?"""
    word = following.split(maxsplit=1)[0] if following.strip() else ""
    return bool(full) and len(line) + 1 + len(word) <= ROOM_SHARE * full


def breaks_between(previous: str, following: str, *, full: float, gap: str) -> bool:
    """Does a paragraph end between these lines? `gap` says what lies between them: "" (a
    line break), "blank" (OCR's paragraph gap) or "page" (a page break); `full` is the full
    line length where `previous` was printed."""
    room = had_room(previous, following, full=full)
    if SENTENCE_END.search(previous):
        return gap == "blank" or room
    return bool(gap) and room and not following[:1].islower()


def reflow(
    pages: list[tuple[int, list[str]]], *, hard_breaks: frozenset[int] = frozenset()
) -> list[Paragraph]:
    """Paragraphs from (page number, body lines) in reading order. A page in `hard_breaks`
    (a chapter's first page) never continues the paragraph before it."""
    paragraphs: list[Paragraph] = []
    current: Paragraph | None = None
    last_line, last_full = "", 0.0
    fulls = full_line_lengths([lines for _, lines in pages])
    for (page_number, lines), full in zip(pages, fulls, strict=True):
        gap, fresh_page = "page", page_number in hard_breaks
        for line in lines:
            if not line:
                gap = gap or "blank"
                continue
            heading = is_heading(line)
            if (
                current is None
                or fresh_page
                or heading
                or current.heading
                or breaks_between(last_line, line, full=last_full, gap=gap)
            ):
                current = Paragraph(page_number, page_number, heading=heading)
                paragraphs.append(current)
            current.add(line, page=page_number)
            last_line, last_full = line, full
            gap, fresh_page = "", False
    return paragraphs
