"""A digital Devanagari page's text layer judged by its fonts, once per book and font
(font_trust.py), and the passages of a font judged broken read by OCR.

A font is checked against OCR of a band of the page's middle lines set in it; a font the
band misses (a heading's, a quotation's) against OCR of its own passages, in the same run
of tesseract. A page mixing sound and broken fonts keeps its sound fonts' text and has
only the broken ones' lines read by OCR, unless they hold most of its text: then the
whole page is.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

from audiobooks.extraction.font_trust import FontVerdicts
from audiobooks.extraction.pdf_file import FontPassage, PageFacts, ShownBox, Span
from audiobooks.extraction.text_layer import (
    MAX_OCR_DISAGREEMENT,
    LayerVerdict,
    disagreement_with_ocr,
    is_devanagari,
)

# Around the lines of a band read to check a text layer: room for marks above and below.
BAND_MARGIN_PT = 4
# Around a passage: room for its marks, and no more sideways, where other fonts' words
# may sit on its line.
PASSAGE_MARGIN_PT = (1, 4)
SAMPLE_LINES = 5
# A page whose broken fonts hold more of its text than this is OCRed whole.
MOST_BROKEN_SHARE = 0.5
# Passages with digits read on a page to learn how a legacy font draws its digit codes.
DIGIT_PASSAGES_MOST = 3
ASCII_DIGITS = "0123456789"
DEVANAGARI_DIGIT_SIGNS = "०१२३४५६७८९"
DEVANAGARI_DIGITS = str.maketrans(ASCII_DIGITS, DEVANAGARI_DIGIT_SIGNS)

ReadBoxes = Callable[[list[ShownBox]], list[str]]  # OCR of boxes of the page (ocr.read_boxes)


@dataclass(frozen=True)
class FontCheck:
    """What a page reads to check its fonts not yet judged: a band of its middle lines set
    in them, and the passages of those the band misses."""

    band: Span
    band_fonts: set[str]
    passages: dict[str, list[FontPassage]]  # by font


@dataclass(frozen=True)
class Readings:
    band: str | None  # OCR of the check's band
    passages: dict[FontPassage, str]


def font_verdict(
    facts: PageFacts, fonts: set[str], font_verdicts: FontVerdicts, *, read: ReadBoxes, timeout: float
) -> LayerVerdict:
    """A digital Devanagari page's layer by its fonts: taken when its fonts were found sound,
    with the broken ones' passages read by OCR; refused when those hold most of its text.
    Fonts not yet judged are checked first (unless other pages are checking them: then
    their verdict is waited for), what is found recorded, and the page judged by it."""
    with font_verdicts.checking(fonts, timeout=timeout) as claimed:
        judged = font_verdicts.judge(fonts)
        if broken_share(facts, set(judged.broken)) > MOST_BROKEN_SHARE:
            return refused_for(judged.broken)
        check = font_check(facts, claimed or judged.unjudged) if judged.unjudged else None
        digits = digit_passages(facts, font_verdicts)
        readings = read_passages(facts, check, [*passages_in(facts, set(judged.broken)), *digits], read=read)
        record_digits(digits, readings, font_verdicts)
        drawn = {font for font in facts.decoded_fonts if font_verdicts.devanagari_digits(font)}
        facts = with_devanagari_digits(facts, drawn)
        apart, off = record_check(facts, check, readings, font_verdicts) if check else (None, {})
        judged = font_verdicts.judge(fonts)
    verdict = ocr_verdict(apart) if check else sound_verdict(judged.sound)
    broken = {**off, **judged.broken}  # a passage far from its OCR is read so on its page, judged or not
    if not verdict.usable:
        return verdict
    unread = broken.keys() - {passage.font for passage in readings.passages}
    if unread or broken_share(facts, set(broken)) > MOST_BROKEN_SHARE:
        return refused_for(broken)
    if drawn:
        digits_said = f"; {', '.join(sorted(drawn))} digits read as Devanagari, as OCR reads them"
        verdict = LayerVerdict(True, verdict.reason + digits_said, facts.text)
    return with_passages_read(facts, verdict, set(broken), readings)


def refused_for(broken: dict[str, float]) -> LayerVerdict:
    font, apart = min(broken.items())
    return LayerVerdict(False, f"text layer refused: its font {font} was {apart:.1%} apart from OCR")


def sound_verdict(sound: dict[str, float]) -> LayerVerdict:
    worst = max(sound.values(), default=0.0)
    return LayerVerdict(True, f"text layer, its fonts checked against OCR ({worst:.1%} apart)")


def ocr_verdict(apart: float | None) -> LayerVerdict:
    """A Devanagari layer judged by how far OCR of a band of it was (disagreement_with_ocr)."""
    if apart is None:
        return LayerVerdict(
            True, "text layer (too little text in the middle of the page to check against OCR)"
        )
    if apart > MAX_OCR_DISAGREEMENT:
        return LayerVerdict(False, f"text layer refused: {apart:.1%} apart from OCR of the page")
    return LayerVerdict(True, f"text layer, {apart:.1%} apart from OCR of the page")


def font_check(facts: PageFacts, fonts: set[str]) -> FontCheck:
    """A band of middle lines set in the one of `fonts` on most lines (and in no other font,
    where such lines follow each other: a band of a sound font and a broken one would blame
    both), and the passages of the rest of `fonts`, which the band holds no line of."""
    lines = lines_set_in(facts, fonts)
    on_lines = Counter(font for line in lines for font in facts.line_fonts[line] if font in fonts)
    main = on_lines.most_common(1)[0][0]
    alone = longest_run([line for line in lines if set(facts.line_fonts[line]) == {main}])
    span = middle_lines(tuple(facts.text_lines_pt[line] for line in (alone or lines)))
    spans = zip(facts.text_lines_pt, facts.line_fonts, strict=True)
    band_fonts = {
        font for (top, bottom), set_in in spans if span[0] <= top and bottom <= span[1] for font in set_in
    }
    return FontCheck(span, band_fonts, {font: passages_in(facts, {font}) for font in fonts - band_fonts})


def longest_run(lines: list[int]) -> list[int]:
    """The longest run of consecutive line numbers in `lines` (the first of those as long)."""
    runs: list[list[int]] = []
    for line in lines:
        if runs and runs[-1][-1] == line - 1:
            runs[-1].append(line)
        else:
            runs.append([line])
    return max(runs, key=len, default=[])


def read_passages(
    facts: PageFacts, check: FontCheck | None, more: list[FontPassage], *, read: ReadBoxes
) -> Readings:
    """OCR of the check's band and passages, and of `more` passages, in one run."""
    passages = (
        [*(passage for found in check.passages.values() for passage in found), *more] if check else more
    )
    band = [across(facts, check.band)] if check else []
    if not band and not passages:
        return Readings(None, {})
    passages = list(dict.fromkeys(passages))  # a broken font's passage may hold digits too
    texts = read(band + [padded(passage) for passage in passages])
    return Readings(texts[0] if band else None, dict(zip(passages, texts[len(band) :], strict=True)))


def record_check(
    facts: PageFacts, check: FontCheck, readings: Readings, font_verdicts: FontVerdicts
) -> tuple[float | None, dict[str, float]]:
    """Record how far OCR was from the layer for the check's fonts. Returns the band's
    distance, and the fonts whose own passages were too far from their OCR, with theirs."""
    apart = disagreement_with_ocr(facts.text, readings.band or "")
    if apart is not None:
        font_verdicts.record(check.band_fonts, apart)
    off = {}
    for font, passages in check.passages.items():
        layer = "\n".join(facts.text[passage.start : passage.end] for passage in passages)
        own = disagreement_with_ocr(layer, "\n\n".join(readings.passages[passage] for passage in passages))
        if own is not None:
            font_verdicts.record({font}, own)
            if own > MAX_OCR_DISAGREEMENT:
                off[font] = own
    return apart, off


def with_passages_read(
    facts: PageFacts, verdict: LayerVerdict, broken: set[str], readings: Readings
) -> LayerVerdict:
    """The layer taken, its `broken` fonts' passages replaced by their OCR."""
    replaced = passages_in(facts, broken)
    if not replaced:
        return verdict
    text, at = [], 0
    for passage in replaced:
        kept = facts.text[passage.start : passage.end]
        text += [facts.text[at : passage.start], readings.passages[passage], kept[len(kept.rstrip()) :]]
        at = passage.end
    text.append(facts.text[at:])
    fonts = ", ".join(sorted(broken))
    reason = f"{verdict.reason}; {len(replaced)} lines set in its broken font {fonts} read by OCR"
    return LayerVerdict(True, reason, "".join(text))


def with_devanagari_digits(facts: PageFacts, fonts: set[str]) -> PageFacts:
    """The facts with the ASCII digit codes of `fonts` (legacy ones that draw Devanagari
    digits) made those: one character for one, so the passages stay where they were."""
    if not fonts:
        return facts
    text = list(facts.text)
    for passage in facts.font_passages:
        if passage.font in fonts:
            text[passage.start : passage.end] = facts.text[passage.start : passage.end].translate(
                DEVANAGARI_DIGITS
            )
    return replace(facts, text="".join(text))


def digit_passages(facts: PageFacts, font_verdicts: FontVerdicts) -> list[FontPassage]:
    """Passages holding ASCII digit codes of legacy fonts whose digits OCR has not yet
    read enough of, at most DIGIT_PASSAGES_MOST."""
    unknown = {font for font in facts.decoded_fonts if font_verdicts.devanagari_digits(font) is None}
    holding = (
        passage
        for passage in facts.font_passages
        if passage.font in unknown
        and any(ch in ASCII_DIGITS for ch in facts.text[passage.start : passage.end])
    )
    return list(itertools.islice(holding, DIGIT_PASSAGES_MOST))


def record_digits(passages: list[FontPassage], readings: Readings, font_verdicts: FontVerdicts) -> None:
    """Record which digits OCR read in `passages`."""
    for passage in passages:
        read = readings.passages[passage]
        devanagari = sum(ch in DEVANAGARI_DIGIT_SIGNS for ch in read)
        font_verdicts.record_digits(
            passage.font, devanagari=devanagari, latin=sum(ch in ASCII_DIGITS for ch in read)
        )


def passages_in(facts: PageFacts, fonts: set[str]) -> list[FontPassage]:
    """The page's passages of Devanagari set in `fonts`, in its text's order."""
    return [
        passage
        for passage in facts.font_passages
        if passage.font in fonts and any(map(is_devanagari, facts.text[passage.start : passage.end]))
    ]


def broken_share(facts: PageFacts, broken: set[str]) -> float:
    """How much of the page's Devanagari passages' text is set in `broken` fonts."""
    if not broken:
        return 0.0
    every = passages_in(facts, {passage.font for passage in facts.font_passages})
    total = sum(passage.end - passage.start for passage in every)
    return sum(passage.end - passage.start for passage in every if passage.font in broken) / max(1, total)


def across(facts: PageFacts, span: Span) -> ShownBox:
    """The band `span` (top, bottom) across the page's width."""
    return (0.0, span[0], facts.width_pt, span[1])


def padded(passage: FontPassage) -> ShownBox:
    left, top, right, bottom = passage.box_pt
    sideways, up_down = PASSAGE_MARGIN_PT
    return left - sideways, top - up_down, right + sideways, bottom + up_down


def lines_set_in(facts: PageFacts, fonts: set[str]) -> list[int]:
    """The lines holding Devanagari in any of `fonts`, by their index."""
    return [line for line, set_in in enumerate(facts.line_fonts) if fonts.intersection(set_in)]


def middle_lines(lines: tuple[Span, ...]) -> Span:
    """Where whole lines from the middle third of `lines` lie (not cut ones, not headers),
    at most SAMPLE_LINES of them: a broken font map shows in nearly every line, and the
    band's OCR is most of what a digital Hindi page costs."""
    third = lines[len(lines) // 3 : len(lines) - len(lines) // 3]
    start = max(0, (len(third) - SAMPLE_LINES) // 2)
    middle = third[start : start + SAMPLE_LINES]
    return (middle[0][0] - BAND_MARGIN_PT, middle[-1][1] + BAND_MARGIN_PT)
