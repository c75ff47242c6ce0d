"""Which of a book's Devanagari fonts give sound text, judged once per book and font.

A font's map from glyphs to text is the same on every page it is used on, so a broken map
(conjuncts glued, signs swapped) shows on its first pages as on its last. Each font is
checked against OCR of a band of its lines on CHECKS pages; after that, its pages are read
from their text layer without OCR. Pages read at the same time share what is found.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from statistics import mean

# Digits OCR must have read in a legacy font's lines before its ASCII digit codes are
# taken as the digits it draws (Devanagari or Latin: converters disagree, the font shows).
DIGITS_NEEDED = 4

# Bands read for a font before it is judged: one band can be a heading OCR misreads, or a
# line of figures. When they disagree (one within the limit, one past it), up to twice as
# many are read and the font judged by their mean.
CHECKS = 2


@dataclass(frozen=True)
class FontJudgement:
    sound: dict[str, float]  # font: its mean distance from OCR
    broken: dict[str, float]
    unjudged: set[str]


class FontVerdicts:
    """The fonts of one book found sound or broken, from how far OCR of bands set in them
    was from their text (edits per character). Safe to share between threads: a page whose
    unjudged fonts are all being checked by pages in flight waits for their checks instead
    of reading a band of its own, so a book in one sound font reads CHECKS bands in all."""

    def __init__(self, *, max_disagreement: float) -> None:
        self.max_disagreement = max_disagreement
        self._changed = threading.Condition()
        self._apart: dict[str, list[float]] = {}
        self._checking: Counter[str] = Counter()  # checks under way, by font
        self._digits: dict[str, Counter[bool]] = {}  # digits OCR read in a font's lines: Devanagari?

    def record(self, fonts: set[str], apart: float) -> None:
        """A band set in `fonts` was `apart` from OCR of it."""
        with self._changed:
            for font in fonts:
                self._apart.setdefault(font, []).append(apart)

    def record_digits(self, font: str, *, devanagari: int, latin: int) -> None:
        """OCR read `devanagari` and `latin` digits where `font` has ASCII digit codes."""
        with self._changed:
            seen = self._digits.setdefault(font, Counter())
            seen.update({True: devanagari, False: latin})

    def devanagari_digits(self, font: str) -> bool | None:
        """Whether the font draws its ASCII digit codes as Devanagari digits; None until
        OCR has read DIGITS_NEEDED of them."""
        with self._changed:
            seen = self._digits.get(font, Counter())
            return None if seen.total() < DIGITS_NEEDED else seen[True] > seen[False]

    def judge(self, fonts: set[str]) -> FontJudgement:
        """What is known of `fonts` now, all read at one moment."""
        with self._changed:
            return self._judge(fonts)

    def _judge(self, fonts: set[str]) -> FontJudgement:
        found = FontJudgement({}, {}, set())
        for font in fonts:
            checks = self._apart.get(font, [])
            if len(checks) < self._needed(font):
                found.unjudged.add(font)
            elif mean(checks) <= self.max_disagreement:
                found.sound[font] = mean(checks)
            else:
                found.broken[font] = mean(checks)
        return found

    def _needed(self, font: str) -> int:
        checks = self._apart.get(font, [])
        disagree = len({apart <= self.max_disagreement for apart in checks}) > 1
        return 2 * CHECKS if disagree else CHECKS

    @contextmanager
    def checking(self, fonts: set[str], *, timeout: float) -> Iterator[set[str]]:
        """The fonts of `fonts`, not yet judged, that this page is to check (its band read,
        then record()ed): those whose checks under way are fewer than needed. When there are
        none, first waits (up to `timeout` seconds) for the checks under way to end, so
        that the caller can judge again."""
        with self._changed:
            mine = self._claim(fonts)
            if not mine:
                self._changed.wait_for(lambda: not self._checking.keys() & fonts, timeout=timeout)
                mine = self._claim(fonts)
        try:
            yield mine
        finally:
            with self._changed:
                self._checking.subtract(mine)
                self._checking += Counter()  # drop the fonts no check is under way for
                self._changed.notify_all()

    def _claim(self, fonts: set[str]) -> set[str]:
        unjudged = self._judge(fonts).unjudged
        mine = {
            font
            for font in unjudged
            if len(self._apart.get(font, [])) + self._checking[font] < self._needed(font)
        }
        self._checking.update(mine)
        return mine
