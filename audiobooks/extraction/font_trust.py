"""Which of a book's Devanagari fonts give sound text, judged once per book and font.

A font's map from glyphs to text is the same on every page it is used on, so a broken map
(conjuncts glued, signs swapped) shows on its first pages as on its last. Each font is
checked against OCR of a band of its lines on CHECKS pages; after that, its pages are read
from their text layer without OCR. Pages read at the same time share what is found.
"""

from __future__ import annotations

import threading
from statistics import mean

# Bands read for a font before it is judged: one band can be a heading OCR misreads, or a
# line of figures.
CHECKS = 2


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

    def apart(self, font: str) -> float | None:
        """The font's mean distance from OCR once judged, None before."""
        with self._lock:
            found = self._apart.get(font, [])
            return mean(found) if len(found) >= CHECKS else None

    def unjudged(self, fonts: set[str]) -> set[str]:
        return {font for font in fonts if self.apart(font) is None}

    def broken(self, fonts: set[str]) -> set[str]:
        return {font for font in fonts if (self.apart(font) or 0.0) > self.max_disagreement}
