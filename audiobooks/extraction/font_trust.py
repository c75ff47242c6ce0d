"""Which of a book's Devanagari fonts give sound text, judged once per book and font.

A font's map from glyphs to text is the same on every page it is used on, so a broken map
(conjuncts glued, signs swapped) shows on its first pages as on its last. Each font is
checked against OCR of a band of its lines on CHECKS pages; after that, its pages are read
from their text layer without OCR. Pages read at the same time share what is found.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from statistics import mean

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
    was from their text (edits per character). Safe to share between threads."""

    def __init__(self, *, max_disagreement: float) -> None:
        self.max_disagreement = max_disagreement
        self._lock = threading.Lock()
        self._apart: dict[str, list[float]] = {}

    def record(self, fonts: set[str], apart: float) -> None:
        """A band set in `fonts` was `apart` from OCR of it."""
        with self._lock:
            for font in fonts:
                self._apart.setdefault(font, []).append(apart)

    def judge(self, fonts: set[str]) -> FontJudgement:
        """What is known of `fonts` now, all read at one moment."""
        found = FontJudgement({}, {}, set())
        with self._lock:
            for font in fonts:
                checks = self._apart.get(font, [])
                within = [apart <= self.max_disagreement for apart in checks]
                if len(checks) < CHECKS or (len(set(within)) > 1 and len(checks) < 2 * CHECKS):
                    found.unjudged.add(font)
                elif mean(checks) <= self.max_disagreement:
                    found.sound[font] = mean(checks)
                else:
                    found.broken[font] = mean(checks)
        return found
