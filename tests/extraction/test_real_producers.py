"""Hindi books as Chromium and LibreOffice print them, read from their text layers: words
spaced as printed (glyph_spacing.py), each font checked against OCR once per book
(font_trust.py), at or below poppler's pdftotext on the same file; books set in Kruti Dev
010, Walkman Chanakya 905 and Chanakya, decoded from their codes (legacy_fonts.py)."""

import dataclasses
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pypdfium2
import pytest

from audiobooks.extraction import page_extraction, page_objects
from audiobooks.extraction.font_trust import CHECKS
from audiobooks.extraction.page_extraction import extract_pages, options_for_book
from audiobooks.extraction.pdf_file import PdfiumPages
from tests.support.character_error import character_error_rate
from tests.support.legacy_font import (
    CHANAKYA_FONT,
    KRUTI_DEV_FONT,
    MISDRAWN,
    WALKMAN_CHANAKYA_FONT,
    build_font,
    misdrawn_font,
)
from tests.support.pdf_factory import unshaped_devanagari_pdf
from tests.support.prose import (
    HINDI_HEADING,
    HINDI_PARAGRAPHS,
    HINDI_WITH_ENGLISH_PARAGRAPHS,
    MARATHI_COURT_PARAGRAPHS,
    MARATHI_PARAGRAPHS,
)
from tests.support.real_producers import WRITER_LAYOUT, Layout, Quotation, chromium_pdf, libreoffice_pdf

BOOKS = {
    "chromium-hindi-justified": (chromium_pdf, HINDI_PARAGRAPHS, Layout()),
    "chromium-marathi-ragged": (chromium_pdf, MARATHI_PARAGRAPHS * 2, Layout(justified=False)),
    "libreoffice-hindi-justified": (libreoffice_pdf, HINDI_PARAGRAPHS, WRITER_LAYOUT),
    "libreoffice-hindi-english-ragged": (
        libreoffice_pdf,
        HINDI_WITH_ENGLISH_PARAGRAPHS * 2,
        Layout(justified=False, size_pt=13),
    ),
}


@pytest.fixture(scope="module", params=sorted(BOOKS))
def printed_book(request, tmp_path_factory):
    """(the PDF, its text as written, its language as its uploader would say), printed by a
    real producer under a heading in another font."""
    make, paragraphs, layout = BOOKS[request.param]
    path = tmp_path_factory.mktemp("printed") / f"{request.param}.pdf"
    make(path, paragraphs, heading=HINDI_HEADING, layout=layout)
    language = "hinglish" if "english" in request.param else "hindi"
    return path, "\n".join([HINDI_HEADING, *paragraphs]), language


def page_count(pdf) -> int:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def read_book(pdf, *, language="hindi"):
    with ThreadPoolExecutor(2) as executor:
        results = extract_pages(
            pdf, pages=range(1, page_count(pdf) + 1), options=options_for_book(language), executor=executor
        )
    return sorted(results, key=lambda result: result.page_number)


# LibreOffice draws a comma after an English word in the Devanagari run that follows the
# next English word (`shopping banking,`): in content order, as pdfium reads, it moves on.
BEHIND_POPPLER = {"libreoffice-hindi-english-ragged": 0.01}


def test_the_layer_is_spaced_as_printed_at_or_below_pdftotext(printed_book, request):
    pdf, truth, _ = printed_book
    pages = PdfiumPages(pdf)
    try:
        layer = "\n".join(pages.layer(number).text for number in range(1, page_count(pdf) + 1))
    finally:
        pages.close()
    poppler = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    at_or_below = min(character_error_rate(poppler, truth), 0.005)
    bound = BEHIND_POPPLER.get(request.node.callspec.params["printed_book"], at_or_below)
    assert character_error_rate(layer, truth) <= bound


def test_every_page_is_read_from_its_text(printed_book):
    pdf, truth, language = printed_book
    results = read_book(pdf, language=language)
    assert [result.method for result in results] == ["text"] * len(results), [r.reason for r in results]
    assert character_error_rate("\n".join(result.text for result in results), truth) <= 0.01


@pytest.fixture
def band_reads(monkeypatch):
    """The runs of tesseract on boxes of pages, to check text layers or read broken fonts'
    passages: the boxes of each (the real reading still runs)."""
    reads = []

    def counted(*args, **kwargs):
        reads.append(kwargs["boxes_pt"])
        return real(*args, **kwargs)

    real = page_extraction.read_boxes
    monkeypatch.setattr(page_extraction, "read_boxes", counted)
    return reads


def test_a_sound_font_is_checked_against_ocr_on_its_first_pages_only(tmp_path, band_reads):
    pdf = chromium_pdf(tmp_path / "long.pdf", HINDI_PARAGRAPHS * 3, heading=HINDI_HEADING)
    results = read_book(pdf)
    assert len(results) >= 5
    assert all(result.method == "text" for result in results)
    # Two pages are read at once: the third waits for the first two's checks.
    assert len(band_reads) == CHECKS
    assert "its fonts checked against OCR" in results[-1].reason


def test_a_font_that_draws_other_than_its_text_is_refused_and_its_later_pages_not_read_again(
    tmp_path, band_reads
):
    lines = tuple(" ".join(paragraph.split()[:6]) for paragraph in HINDI_PARAGRAPHS)
    pdf = unshaped_devanagari_pdf(tmp_path / "unshaped.pdf", [lines] * 5)
    results = read_book(pdf)
    assert [result.method for result in results] == ["ocr"] * 5
    assert "apart from OCR" in results[-1].reason and "its font" in results[-1].reason
    assert len(band_reads) == CHECKS


def test_a_broken_font_has_only_its_own_lines_read_by_ocr(tmp_path, band_reads):
    """Quotations set in a font that draws other letters than its map says, among paragraphs
    in a sound one: the quotations come back as printed, the rest as the layer holds it."""
    layout = Layout(quotation_font="Misdrawn Serif", quotation_font_file=misdrawn_font(tmp_path))
    paragraphs = tuple(
        Quotation(paragraph) if number % 3 == 1 else paragraph
        for number, paragraph in enumerate(HINDI_PARAGRAPHS)
    )
    pdf = chromium_pdf(tmp_path / "quoting.pdf", paragraphs, layout=layout)
    results = read_book(pdf)
    assert [result.method for result in results] == ["text"] * len(results)
    assert "broken font BAAAAA+MisdrawnSerif read by OCR" in results[0].reason
    text = "\n".join(result.text for result in results)
    printed = [part.text.translate(MISDRAWN) if isinstance(part, Quotation) else part for part in paragraphs]
    mapped = [part.text if isinstance(part, Quotation) else part for part in paragraphs]
    assert character_error_rate(text, "\n".join(printed)) <= 0.01
    assert character_error_rate(text, "\n".join(mapped)) > 0.03
    body = [part for part in paragraphs if not isinstance(part, Quotation)]
    as_typed = " ".join(text.replace("-\n", "-").split())  # not OCRed
    assert all(" ".join(part.split()) in as_typed for part in body)
    assert len(band_reads) <= len(results)  # a page's checks and passages in one run of tesseract


UNNAMED_KRUTI_DEV_FONT = dataclasses.replace(
    KRUTI_DEV_FONT, family="Sahitya Serif", postscript_name="SahityaSerif"
)
CHANAKYA_HALF_LETTERS = "सम्पूर्ण भारत में उसकी ख्याति फैल गई, और लोग उसके गुम्बद देखने दूर-दूर से आने लगे।"
LEGACY_FONT_BOOKS = {
    "chromium-kruti-dev-hindi-justified": (KRUTI_DEV_FONT, HINDI_PARAGRAPHS[:6], "", True),
    # An order of a Marathi court: case numbers, and its court's name in English in another font.
    "chromium-kruti-dev-marathi-court": (
        KRUTI_DEV_FONT,
        MARATHI_COURT_PARAGRAPHS + MARATHI_PARAGRAPHS,
        "District Court, Pune",
        False,
    ),
    # Brackets are letters in Kruti Dev and punctuation in Walkman Chanakya.
    "chromium-walkman-chanakya-hindi-ragged": (
        WALKMAN_CHANAKYA_FONT,
        (*HINDI_PARAGRAPHS[6:], "यह कथा (जो बहुत पुरानी है) आज भी गाँव में सुनाई जाती है।"),
        "",
        False,
    ),
    # Its half म and ख are bytes Windows-1252 leaves undefined: control characters in the layer.
    "chromium-chanakya-hindi-justified": (
        CHANAKYA_FONT,
        (*HINDI_PARAGRAPHS[:5], CHANAKYA_HALF_LETTERS),
        "",
        True,
    ),
    # A font whose name says nothing: its codes tell.
    "chromium-kruti-dev-hindi-unnamed": (UNNAMED_KRUTI_DEV_FONT, HINDI_PARAGRAPHS[:6] * 2, "", True),
}
# What method_reason calls each font's encoding.
ENCODING_NAMES = {
    KRUTI_DEV_FONT.family: "Kruti Dev 010",
    UNNAMED_KRUTI_DEV_FONT.family: "Kruti Dev 010",
    WALKMAN_CHANAKYA_FONT.family: "Walkman Chanakya 905",
    CHANAKYA_FONT.family: "Chanakya",
}


@pytest.fixture(scope="module", params=sorted(LEGACY_FONT_BOOKS))
def legacy_font_book(request, tmp_path_factory):
    """(the PDF, its text as written, its encoding): Hindi typed in a legacy font's codes,
    printed by Chromium."""
    legacy, paragraphs, heading, justified = LEGACY_FONT_BOOKS[request.param]
    folder = tmp_path_factory.mktemp("legacy")
    layout = Layout(
        font=legacy.family,
        font_file=build_font(folder, legacy),
        heading_font="DejaVu Serif",
        justified=justified,
    )
    path = folder / f"{request.param}.pdf"
    chromium_pdf(path, tuple(map(legacy.encode, paragraphs)), heading=heading, layout=layout)
    return path, "\n".join([heading, *paragraphs]), ENCODING_NAMES[legacy.family]


def test_a_book_set_in_a_legacy_font_is_read_from_its_codes_decoded(legacy_font_book, band_reads):
    pdf, truth, encoding = legacy_font_book
    results = read_book(pdf)
    assert [result.method for result in results] == ["text"] * len(results), [r.reason for r in results]
    assert all(result.reason.startswith(f"{encoding} codes decoded: text layer") for result in results)
    assert character_error_rate("\n".join(result.text for result in results), truth) <= 0.005
    assert 1 <= len(band_reads) <= CHECKS  # the decoded font checked against OCR, once per book


def test_a_page_in_a_legacy_font_is_walked_once(legacy_font_book, monkeypatch):
    """Its objects' walk, started without ink as for a page of English (its codes are Latin
    letters), starts again with ink at the legacy font's first object, not at the end."""
    pdf, _, _ = legacy_font_book
    visits = []
    real = page_objects._Walk.visit
    monkeypatch.setattr(
        page_objects._Walk, "visit", lambda walk, *args: visits.append(walk) or real(walk, *args)
    )
    facts = PdfiumPages(pdf).layer(1)
    walks = list(dict.fromkeys(visits))
    assert facts.decoded and walks[-1].ink
    # At most the objects drawn before its first word (a heading in another font) twice.
    assert len(walks) == 1 or visits.count(walks[0]) < visits.count(walks[-1]) / 4


# Kruti Dev fonts differ in what their digit codes draw: this one draws Devanagari digits.
DEVANAGARI_DIGITS_KRUTI_DEV_FONT = dataclasses.replace(
    KRUTI_DEV_FONT, drawn=dict(zip("0123456789", "०१२३४५६७८९", strict=True))
)


@pytest.mark.parametrize(
    "legacy", [KRUTI_DEV_FONT, DEVANAGARI_DIGITS_KRUTI_DEV_FONT], ids=["latin", "devanagari"]
)
def test_a_legacy_fonts_digit_codes_are_read_as_the_digits_it_draws(tmp_path, legacy):
    paragraphs = MARATHI_COURT_PARAGRAPHS * 2 + MARATHI_PARAGRAPHS
    layout = Layout(font=legacy.family, font_file=build_font(tmp_path, legacy), justified=False)
    pdf = chromium_pdf(tmp_path / "court.pdf", tuple(map(legacy.encode, paragraphs)), layout=layout)
    results = read_book(pdf)
    text = "\n".join(result.text for result in results)
    drawn = str.maketrans({code: legacy.drawn.get(code, code) for code in "0123456789"})
    assert character_error_rate(text, "\n".join(paragraphs).translate(drawn)) <= 0.005
    said = "digits read as Devanagari, as OCR reads them" in results[0].reason
    assert said == (legacy is DEVANAGARI_DIGITS_KRUTI_DEV_FONT)
