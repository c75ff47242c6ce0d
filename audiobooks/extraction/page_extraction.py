"""Turn a PDF into page texts: the text layer when it holds real text, Tesseract otherwise.

A book's pages are extracted in parallel on a shared executor, each reported to a callback
as it finishes (see extract_pages).
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import nullcontext
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from audiobooks.extraction.font_trust import FontVerdicts
from audiobooks.extraction.languages import ocr_models
from audiobooks.extraction.layer_by_font import (
    BAND_MARGIN_PT,
    ReadBoxes,
    across,
    font_verdict,
    middle_lines,
    ocr_verdict,
)
from audiobooks.extraction.ocr import ocr_page, read_boxes
from audiobooks.extraction.pdf_file import PageFacts
from audiobooks.extraction.pdf_reader import READER_CHILDREN, PdfReader, ReaderLimits
from audiobooks.extraction.text_layer import (
    MAX_OCR_DISAGREEMENT,
    LayerVerdict,
    clean_text,
    disagreement_with_ocr,
    is_mostly_devanagari,
    is_mostly_latin,
    judge_text_layer,
    lacks_scan_text,
)

logger = logging.getLogger(__name__)

MODES = ("auto", "ocr", "text")
METHOD_TEXT = "text"
METHOD_OCR = "ocr"
# Above this a scan is rendered down: more pixels cost OCR time and read no better.
MAX_SCAN_DPI = 300
# Visible text over a scan, this many lines or fewer, may be a digitiser's stamp ("Digitised
# by ...", a site's address) over a page whose own text is only in the scan's pixels.
MAX_STAMP_LINES = 2
MAX_STAMP_LINE_SHARE = 0.05  # of the page's height


@dataclass(frozen=True)
class ExtractionOptions:
    language: str = "Devanagari"  # tesseract's -l
    rescue_language: str | None = None  # re-reads the words `language` misread (latin_rescue.py)
    mode: str = "auto"  # auto | ocr | text
    require_devanagari: bool = False  # a Hindi book: a text layer must be sound Devanagari
    dpi: int = 150
    ocr_timeout: float = 120.0  # seconds for one page's rendering and OCR together
    max_pixels: int = 40_000_000  # a page is rendered at a lower dpi rather than above this
    reader_limits: ReaderLimits = ReaderLimits()  # the child process that parses the PDF
    max_page_chars: int = 20_000  # more than a printed page holds; the rest is cut

    @property
    def models(self) -> list[str]:
        """Every model the book's pages are read with."""
        return [self.language, *([self.rescue_language] if self.rescue_language else [])]

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {self.mode!r}")


def options_for_book(book_language: str, **rest) -> ExtractionOptions:
    """The options for a book in `book_language` (hindi, english or hinglish): its models
    (languages.py), and for a Hindi book a text layer must be Devanagari; `rest` as given."""
    models = ocr_models(book_language)
    return ExtractionOptions(
        language=models.language,
        rescue_language=models.rescue_language,
        require_devanagari=book_language == "hindi",
        **rest,
    )


@dataclass(frozen=True)
class PageResult:
    page_number: int
    text: str
    method: str  # METHOD_TEXT or METHOD_OCR
    confidence: float | None = None  # Tesseract's mean word confidence, 0-100
    error: str = ""
    truncated: bool = False  # the text was cut at the options' max_page_chars
    reason: str = ""  # why this method: the text layer was used, or why it was refused
    seconds: float = 0.0  # how long reading it took, its wait for the PDF reader included
    uncertain_words: tuple[str, ...] = ()  # OCR's least sure words, for a proofreader

    @property
    def chars(self) -> int:
        return len(self.text)


ProgressCallback = Callable[[PageResult], None]


def extract_page(
    pdf_path: str | Path,
    page_number: int,
    options: ExtractionOptions = ExtractionOptions(),
    *,
    pdf_pages: PdfReader | None = None,
    font_verdicts: FontVerdicts | None = None,
) -> PageResult:
    """Extract one page. Never raises: a failure is a PageResult with `error` set.
    `font_verdicts`: what the book's other pages found of its fonts (font_trust.py)."""
    started = time.monotonic()
    fonts = font_verdicts or FontVerdicts(max_disagreement=MAX_OCR_DISAGREEMENT)
    if pdf_pages is None:
        with PdfReader(pdf_path, limits=options.reader_limits) as own_pages:
            result = _read_page(pdf_path, page_number, options, own_pages, fonts)
    else:
        result = _read_page(pdf_path, page_number, options, pdf_pages, fonts)
    return replace(result, seconds=time.monotonic() - started)


def _read_page(
    pdf_path: str | Path,
    page_number: int,
    options: ExtractionOptions,
    pdf_pages: PdfReader,
    font_verdicts: FontVerdicts,
) -> PageResult:
    method, reason = METHOD_TEXT, ""
    cut = {"max_chars": options.max_page_chars}
    try:
        facts = pdf_pages.layer(page_number)
        if options.mode == "text":
            return finished_page(
                page_number, facts.text, METHOD_TEXT, reason="text mode: the layer as it is", **cut
            )
        reason = "ocr mode: the layer not consulted"
        if options.mode == "auto":
            verdict = layer_verdict(pdf_path, page_number, facts, options, font_verdicts)
            verdict = with_decoding(facts, verdict)
            if verdict.usable:
                text = facts.text if verdict.text is None else verdict.text
                return finished_page(page_number, text, METHOD_TEXT, reason=verdict.reason, **cut)
            reason = verdict.reason
        method = METHOD_OCR
        return ocred_page(pdf_path, page_number, facts, options, reason=reason)
    except Exception as exc:  # one bad page must not stop the book
        logger.warning("page %s of %s failed: %s", page_number, pdf_path, exc)
        return PageResult(page_number, "", method, error=f"{type(exc).__name__}: {exc}", reason=reason)


def ocred_page(
    pdf_path: str | Path, page_number: int, facts: PageFacts, options: ExtractionOptions, *, reason: str
) -> PageResult:
    """The page read by OCR; `reason` says why, and the reading adds how the scan was
    cleaned for it."""
    reading = ocr_page(
        pdf_path,
        page_number,
        width_pt=facts.width_pt,
        height_pt=facts.height_pt,
        language=options.language,
        rescue_language=options.rescue_language,
        dpi=reading_dpi(facts.scan_dpi, least=options.dpi),
        max_pixels=options.max_pixels,
        timeout=options.ocr_timeout,
        whole_page_image_px=facts.whole_page_image_px,
        scanned=bool(facts.scan_dpi),
    )
    if reading.cleaning:
        reason += f"; {reading.cleaning}"
    return finished_page(
        page_number,
        reading.text,
        METHOD_OCR,
        reason=reason,
        confidence=reading.confidence,
        uncertain_words=reading.uncertain_words,
        max_chars=options.max_page_chars,
    )


def reading_dpi(scan_dpi: float | None, *, least: int) -> int:
    """A scan is read at its own resolution, up to MAX_SCAN_DPI (rendering it lower blurs
    Devanagari's marks: real 300- and 400-dpi scans read at 40% CER at 150 dpi, 29% at 300);
    other pages at `least`."""
    return max(least, min(MAX_SCAN_DPI, round(scan_dpi))) if scan_dpi else least


def layer_verdict(
    pdf_path: str | Path,
    page_number: int,
    facts: PageFacts,
    options: ExtractionOptions,
    font_verdicts: FontVerdicts,
) -> LayerVerdict:
    """Whether to use the page's text layer, past the cheap checks on its text:

    - an OCR layer (invisible text over a scan) is someone's OCR, which may hold only a
      stamp or a header, or be an English OCR's guesses at Devanagari: in a script the
      book's models read, it must hold the lines OCR finds in the middle of the scan
      (`middle_of_scan`), and where the middle of the scan is blank (a short page) the scan
      is read instead;
    - so must a line or two of visible text over a scan (a stamp), kept if the middle is blank;
    - a Devanagari layer is compared with OCR of whole lines from its middle (`middle_lines`):
      a broken font map that only glues words or swaps vowel signs looks like sound
      Devanagari to every check on the text. Someone's OCR is checked on every page; a
      digital page's fonts once per book, a broken font's lines read by OCR and the rest
      kept (layer_by_font.py).
    Other digital layers are not checked: their text is their fonts'."""
    verdict = judge_text_layer(
        facts.text, require_devanagari=options.require_devanagari, font_names=facts.font_names
    )
    devanagari = is_mostly_devanagari(facts.text)
    read = band_reader(pdf_path, page_number, facts, options, devanagari=devanagari)
    over_scan = facts.scan_dpi and (facts.text_invisible or stamp_like(facts))
    if verdict.usable and over_scan and (devanagari or is_mostly_latin(facts.text)):
        lacking = lacks_scan_text(facts.text, read_band(read, facts, middle_of_scan(facts)))
        if lacking is None and facts.text_invisible:  # a short page: read, as its layer may be a stamp
            return LayerVerdict(False, "text layer refused: too little text mid-scan to check it against OCR")
        if lacking:
            return LayerVerdict(False, "text layer refused: it lacks the text OCR finds on the scan")
        if lacking is not None and not devanagari:
            return LayerVerdict(True, "text layer, holding the text OCR finds on the scan")
    if not verdict.usable or not devanagari or not facts.text_lines_pt:
        return verdict
    fonts = {font for line in facts.line_fonts for font in line}
    # Someone's OCR (invisible text, or any text over a picture) is as good as each page's
    # scan; a font not known ("") may be any.
    if facts.text_invisible or facts.scan_dpi or not fonts or "" in fonts:
        band = read_band(read, facts, middle_lines(facts.text_lines_pt))
        return ocr_verdict(disagreement_with_ocr(facts.text, band))
    return font_verdict(facts, fonts, font_verdicts, read=read, timeout=options.ocr_timeout)


def with_decoding(facts: PageFacts, verdict: LayerVerdict) -> LayerVerdict:
    """The verdict on a layer decoded from a legacy font's codes says so ("Kruti Dev 010
    codes decoded: text layer, ...")."""
    if not facts.decoded:
        return verdict
    return replace(verdict, reason=f"{' and '.join(facts.decoded)} codes decoded: {verdict.reason}")


def band_reader(
    pdf_path: str | Path, page_number: int, facts: PageFacts, options: ExtractionOptions, *, devanagari: bool
) -> ReadBoxes:
    """read_boxes for the page, given its boxes: a Devanagari layer's with the Devanagari
    model whatever the book's language (read as English, every sound Devanagari layer of a
    book uploaded as English was refused, and its pages OCRed into Latin garbage)."""
    hindi = ocr_models("hindi")
    read = partial(
        read_boxes,
        pdf_path,
        page_number,
        language=hindi.language if devanagari else "+".join(options.models),
        rescue_language=hindi.rescue_language if devanagari else None,
        dpi=reading_dpi(facts.scan_dpi, least=options.dpi),
        timeout=options.ocr_timeout,
    )
    return lambda boxes: read(boxes_pt=boxes)


def read_band(read: ReadBoxes, facts: PageFacts, span: tuple[float, float]) -> str:
    """OCR of the band `span` (top, bottom) across the page."""
    return read([across(facts, span)])[0]


def stamp_like(facts: PageFacts) -> bool:
    """A line or two of visible text, each of a line's height: not text set sideways or
    down a margin, whose runs merge into one tall "line"."""
    lines = facts.text_lines_pt
    tallest = MAX_STAMP_LINE_SHARE * facts.height_pt
    return 0 < len(lines) <= MAX_STAMP_LINES and all(bottom - top <= tallest for top, bottom in lines)


def middle_of_scan(facts: PageFacts) -> tuple[float, float]:
    """The middle fifth of the page, widened to hold whole the layer's lines it cuts: a line
    cut in two reads as garbage, and OCR of a band of a few whole lines keeps columns apart."""
    top, bottom = facts.height_pt * 2 / 5, facts.height_pt * 3 / 5
    cut = [line for line in facts.text_lines_pt if line[1] > top and line[0] < bottom]
    if cut:
        top, bottom = min(top, cut[0][0] - BAND_MARGIN_PT), max(bottom, cut[-1][1] + BAND_MARGIN_PT)
    return top, bottom


def finished_page(
    page_number: int,
    raw_text: str,
    method: str,
    *,
    max_chars: int,
    reason: str,
    confidence: float | None = None,
    uncertain_words: tuple[str, ...] = (),
) -> PageResult:
    """The page's tidied text, cut at `max_chars` (a crafted page can carry a million)."""
    text = clean_text(raw_text)
    truncated = len(text) > max_chars
    return PageResult(
        page_number,
        text[:max_chars],
        method,
        confidence,
        truncated=truncated,
        reason=reason,
        uncertain_words=uncertain_words,
    )


def extract_pages(
    pdf_path: str | Path,
    *,
    pages: Iterable[int],
    options: ExtractionOptions = ExtractionOptions(),
    executor: Executor | None = None,
    in_flight: int = 2,
    progress_callback: ProgressCallback | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    on_waiting: Callable[[], float | None] = lambda: None,
    pdf_pages: PdfReader | None = None,
) -> list[PageResult]:
    """Extract `pages`, in parallel on `executor` when given, reporting each as it finishes;
    through the caller's `pdf_pages` reader when given (a reader of its own otherwise).

    At most `in_flight` pages of this book wait in or run on the executor at once, so
    books sharing an executor take turns instead of one long book queueing all its pages
    ahead of the next upload's first page. The callback runs in the caller's thread, in
    completion order. `should_stop` is asked between pages; once it says yes, pages not
    yet started are dropped. `on_waiting` is called before each wait for a page: a caller
    storing results in batches writes out what is due and says in how many seconds to ask
    again (None: nothing waits), so no batch waits on a slow page (after each page
    without an executor).
    """
    results: list[PageResult] = []

    def finish(result: PageResult) -> None:
        results.append(result)
        if progress_callback:
            progress_callback(result)

    started = time.monotonic()
    with nullcontext(pdf_pages) if pdf_pages else own_reader(pdf_path, options, in_flight) as reader:
        fonts = FontVerdicts(max_disagreement=MAX_OCR_DISAGREEMENT)
        extract = partial(extract_page, pdf_path, options=options, pdf_pages=reader, font_verdicts=fonts)
        if executor is None:
            _extract_one_by_one(extract, pages, finish=finish, stop=should_stop, on_waiting=on_waiting)
        else:
            _extract_in_window(
                extract,
                pages,
                executor=executor,
                size=in_flight,
                finish=finish,
                stop=should_stop,
                on_waiting=on_waiting,
            )
    logger.info("extracted %d pages of %s in %.1fs", len(results), pdf_path, time.monotonic() - started)
    return results


def own_reader(pdf_path: str | Path, options: ExtractionOptions, in_flight: int) -> PdfReader:
    """A reader for extract_pages that parses as many pages at once as it runs (a digital
    page is mostly its parsing), as a book job's does."""
    return PdfReader(pdf_path, limits=options.reader_limits, children=min(READER_CHILDREN, in_flight))


def _extract_one_by_one(
    extract: Callable[[int], PageResult],
    pages: Iterable[int],
    *,
    finish: ProgressCallback,
    stop: Callable[[], bool],
    on_waiting: Callable[[], float | None],
) -> None:
    for page_number in pages:
        if stop():
            break
        finish(extract(page_number))
        on_waiting()


def _extract_in_window(
    extract: Callable[[int], PageResult],
    pages: Iterable[int],
    *,
    executor: Executor,
    size: int,
    finish: ProgressCallback,
    stop: Callable[[], bool],
    on_waiting: Callable[[], float | None],
) -> None:
    """Keep at most `size` of `pages` on the executor, finishing each as it completes.
    Under gevent the window also keeps the event loop turning: text-layer pages never wait
    on I/O, and a worker with a whole book queued would run it back to back while every
    stream stalled."""
    waiting = iter(pages)
    running: set[Future] = set()

    def top_up() -> None:
        for page_number in itertools.islice(waiting, size - len(running)):
            running.add(executor.submit(extract, page_number))

    try:
        top_up()
        while running:
            timeout = on_waiting()
            if stop():
                break
            done, _ = wait(running, timeout=timeout, return_when=FIRST_COMPLETED)
            for future in done:
                running.discard(future)
                finish(future.result())
            if stop():
                break
            top_up()
    finally:
        # Stopping early, or failing in the callback: drop what has not started, and let
        # what has finish before the pages close under it.
        for future in running:
            if not future.cancel():
                future.exception()
