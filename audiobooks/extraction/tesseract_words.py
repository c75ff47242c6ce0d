"""Running tesseract and reading its TSV: words with their boxes and confidences, and the
page text they make (lines in tesseract's reading order, a blank line between paragraphs)."""

import os
import time
from dataclasses import dataclass
from pathlib import Path

from audiobooks.extraction.external_tools import ToolTimedOut, run_tool

# Automatic page segmentation: columns, blocks and their reading order found on the page.
# (A uniform block, psm 6, read two columns as one, each line left column then right.)
PAGE_SEGMENTATION = 3
# The same with orientation detection per block: for pages that read badly, which may lie turned.
PAGE_SEGMENTATION_WITH_ORIENTATION = 1


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.ends = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds left, at least a sliver."""
        left = self.ends - time.monotonic()
        if left <= 0:
            raise TimeoutError("Page timeout: rendering and OCR took longer than allowed")
        return max(left, 0.001)


@dataclass
class Word:
    text: str
    confidence: float  # 0-100
    left: int
    top: int
    width: int
    height: int
    line: tuple[int, int, int]  # block, paragraph, line: where tesseract put it

    @property
    def paragraph(self) -> tuple[int, int]:
        return self.line[:2]


def parse_tsv(tsv: str) -> list[Word]:
    words = []
    for row in tsv.splitlines()[1:]:
        columns = row.split("\t")
        if len(columns) == 12 and columns[0] == "5" and columns[11].strip():
            block, paragraph, line = (int(number) for number in columns[2:5])
            left, top, width, height = (int(number) for number in columns[6:10])
            confidence = max(0.0, float(columns[10]))
            box = (left, top, width, height)
            words.append(Word(columns[11].strip(), confidence, *box, line=(block, paragraph, line)))
    return words


@dataclass(frozen=True)
class Tesseract:
    """Runs of tesseract for one page: in its work folder, against its deadline.

    Told the resolution (`--dpi`) only for a scan's own pixels of at least 300 dpi
    (page_pixels.TOLD_DPI_FROM), whose dpi is known: there it read 5 of the 19 real scans
    better and 3 worse (mean 28.8% CER against 29.2%). On pdftoppm's renderings of the same
    scans it read 7 worse and 2 better (31.4% against 29.5%), so a rendering leaves
    tesseract to estimate it."""

    workdir: str
    deadline: Deadline
    dpi: int | None = None

    def read_words(self, image_path: str, *, language: str, psm: int) -> list[Word]:
        output_base = os.path.join(self.workdir, "ocr")
        resolution = ["--dpi", str(self.dpi)] if self.dpi else []
        command = ["tesseract", image_path, output_base, "-l", language, "--psm", str(psm), *resolution]
        tsv = Path(f"{output_base}.tsv")
        tsv.unlink(missing_ok=True)  # a page's runs share its folder: never read the last one's words
        try:
            # -c rather than tesseract's `tsv` config file, which lives beside the models
            # and is missing from a TESSDATA_PREFIX of models only.
            run_tool(
                [*command, "-c", "tessedit_create_tsv=1", "-c", "tessedit_create_txt=0"],
                timeout=self.deadline.left(),
            )
        except ToolTimedOut as exc:
            raise TimeoutError("Page timeout: rendering and OCR took longer than allowed") from exc
        return parse_tsv(tsv.read_text(encoding="utf-8"))


def page_text(words: list[Word]) -> str:
    text = ""
    for previous, word in zip([None, *words], words, strict=False):
        if previous is None:
            text = word.text
        elif word.paragraph != previous.paragraph:
            text += "\n\n" + word.text
        elif word.line != previous.line:
            text += "\n" + word.text
        else:
            text += " " + word.text
    return text


# Below this confidence a word is listed for a proofreader to check; at most this many a page.
UNCERTAIN_BELOW = 60.0
UNCERTAIN_MOST = 50


def uncertain_words(words: list[Word]) -> tuple[str, ...]:
    """The words tesseract was least sure of, each once, in reading order (letters only: a
    misread stray mark is not a word to look up)."""
    unsure = dict.fromkeys(
        word.text
        for word in words
        if word.confidence < UNCERTAIN_BELOW and any(ch.isalpha() for ch in word.text)
    )
    return tuple(unsure)[:UNCERTAIN_MOST]


def mean_confidence(words: list[Word]) -> float | None:
    return round(sum(word.confidence for word in words) / len(words), 1) if words else None
