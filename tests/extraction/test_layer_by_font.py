"""A page's text layer judged by its fonts, and its broken fonts' passages read by OCR
(layer_by_font.py), on pages described line by line and an OCR that reads what it is told."""

import pytest

from audiobooks.extraction.font_trust import CHECKS, DIGITS_NEEDED, FontVerdicts
from audiobooks.extraction.layer_by_font import DEVANAGARI_DIGITS, MOST_BROKEN_SHARE, font_check, font_verdict
from audiobooks.extraction.pdf_file import FontPassage, PageFacts
from audiobooks.extraction.text_layer import MAX_OCR_DISAGREEMENT

BODY, QUOTE = "body-font", "quote-font"
LINE_PT = 20
SOUND = "राजस्थान की मरुभूमि में पानी का महत्त्व बहुत अधिक है"
OTHER = "हिमालय की गोद में बसे छोटे छोटे गाँवों में जीवन धीमी"


def page_of(lines: list[tuple[str, str]], *, decoded: tuple[str, ...] = ()) -> PageFacts:
    """A page of (font, text) lines, each a passage of its own, LINE_PT apart; `decoded`:
    the fonts among them whose text was decoded from legacy codes."""
    passages, text = [], ""
    for number, (font, line) in enumerate(lines):
        passages.append(
            FontPassage(
                font,
                len(text),
                len(text) + len(line) + 1,
                (50, number * LINE_PT, 300, (number + 1) * LINE_PT),
            )
        )
        text += line + "\n"
    return PageFacts(
        text,
        400.0,
        600.0,
        None,
        text_lines_pt=tuple((number * LINE_PT, (number + 1) * LINE_PT) for number in range(len(lines))),
        line_fonts=tuple((font,) for font, _ in lines),
        font_passages=tuple(passages),
        decoded_fonts=decoded,
    )


class ReadAs:
    """OCR that reads each box as the text of the lines it covers, with `misread` applied
    to the lines of `misread_font`; every run's boxes kept."""

    def __init__(self, page: list[tuple[str, str]], *, misread_font: str = QUOTE, drawn=None) -> None:
        self.page, self.misread_font, self.runs = page, misread_font, []
        self.drawn = drawn or str.maketrans({})  # what the digits' glyphs show

    def __call__(self, boxes):
        self.runs.append(boxes)
        return [self.read(top, bottom) for _, top, _, bottom in boxes]

    def read(self, top: float, bottom: float) -> str:
        covered = [
            (font, line)
            for number, (font, line) in enumerate(self.page)
            if top <= (number + 0.5) * LINE_PT < bottom
        ]
        lines = (misread(line) if font == self.misread_font else line for font, line in covered)
        return "\n".join(lines).translate(self.drawn)


def misread(line: str) -> str:
    return line.replace("क", "म").replace("त", "ल").replace("स", "य")


def judged(**fonts: float) -> FontVerdicts:
    verdicts = FontVerdicts(max_disagreement=MAX_OCR_DISAGREEMENT)
    for font, apart in fonts.items():
        for _ in range(CHECKS):
            verdicts.record({font}, apart)
    return verdicts


def judge(lines, verdicts, read, *, decoded=()):
    facts = page_of(lines, decoded=decoded)
    fonts = {font for font, _ in lines}
    return facts, font_verdict(facts, fonts, verdicts, read=read, timeout=5)


@pytest.fixture
def mixed_page():
    return [(BODY, SOUND)] * 4 + [(QUOTE, OTHER)] * 2 + [(BODY, SOUND)] * 4


def test_a_broken_fonts_passages_are_read_by_ocr_and_the_rest_kept_as_the_layer_holds_it(mixed_page):
    read = ReadAs(mixed_page)
    facts, verdict = judge(mixed_page, judged(**{BODY: 0.0, QUOTE: 0.2}), read)
    assert verdict.usable and "2 lines set in its broken font quote-font read by OCR" in verdict.reason
    assert verdict.text == facts.text.replace(OTHER, misread(OTHER))
    assert len(read.runs) == 1 and len(read.runs[0]) == 2  # the quotation's lines, nothing else


def test_a_page_mostly_in_a_broken_font_is_refused_without_reading(mixed_page):
    mostly_quoted = [(QUOTE, OTHER)] * 5 + [(BODY, SOUND)]
    assert 5 / 6 > MOST_BROKEN_SHARE
    read = ReadAs(mostly_quoted)
    _, verdict = judge(mostly_quoted, judged(**{BODY: 0.0, QUOTE: 0.2}), read)
    assert not verdict.usable and "its font quote-font was 20.0% apart" in verdict.reason
    assert read.runs == []


def test_fonts_not_judged_are_checked_in_one_run_and_a_quotation_far_from_ocr_read_so_at_once(mixed_page):
    read = ReadAs(mixed_page)
    verdicts = judged()
    facts, verdict = judge(mixed_page, verdicts, read)
    assert len(read.runs) == 1  # the body's band and the quotation's line together
    assert verdict.text == facts.text.replace(OTHER, misread(OTHER))
    found = verdicts.judge({BODY, QUOTE})
    assert found.unjudged == {BODY, QUOTE}  # one check each of CHECKS
    _, again = judge(mixed_page, verdicts, read)
    found = verdicts.judge({BODY, QUOTE})
    assert set(found.sound) == {BODY} and set(found.broken) == {QUOTE}
    assert again.text == verdict.text


def test_the_band_is_set_in_the_main_font_alone_and_other_fonts_checked_by_their_passages(mixed_page):
    facts = page_of(mixed_page)
    check = font_check(facts, {BODY, QUOTE})
    assert check.band_fonts == {BODY}
    assert [passage.font for passage in check.passages[QUOTE]] == [QUOTE, QUOTE]


def test_a_font_found_broken_by_the_band_refuses_the_page():
    page = [(BODY, SOUND)] * 6
    read = ReadAs(page, misread_font=BODY)
    _, verdict = judge(page, judged(), read)
    assert not verdict.usable and "apart from OCR of the page" in verdict.reason


def test_a_legacy_fonts_digit_codes_become_devanagari_digits_once_ocr_has_read_enough_of_them():
    dated = "दिनांक 12 रोजी सुनावणी होईल आणि सर्व साक्षीदारांनी हजर राहावे"
    page = [(BODY, SOUND)] * 4 + [(BODY, dated)] + [(BODY, SOUND)] * 4
    read = ReadAs(page, drawn=DEVANAGARI_DIGITS)
    verdicts = judged(**{BODY: 0.0})
    facts, first = judge(page, verdicts, read, decoded=(BODY,))
    assert DIGITS_NEEDED > 2 and first.text is None  # two digits read: not enough to tell
    _, second = judge(page, verdicts, read, decoded=(BODY,))
    assert (
        second.text == facts.text.replace("12", "१२")
        and "body-font digits read as Devanagari" in second.reason
    )
    assert len(read.runs) == 2  # the dated line, on each page; once told, no more
    judge(page, verdicts, read, decoded=(BODY,))
    assert len(read.runs) == 2


def test_digit_codes_a_legacy_font_draws_as_latin_stay_so():
    page = [(BODY, "दिनांक 12/03/2020 रोजी सुनावणी होईल आणि सर्व साक्षीदार हजर")] + [(BODY, SOUND)] * 6
    verdicts = judged(**{BODY: 0.0})
    _, verdict = judge(page, verdicts, ReadAs(page), decoded=(BODY,))
    assert verdict.text is None and verdicts.devanagari_digits(BODY) is False
