"""The extraction library on real PDFs with real tesseract and poppler (no Django needed)."""

import subprocess
import sys
import tempfile
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat
from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, RectangleObject, TextStringObject
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from audiobooks.extraction import ocr, page_extraction, page_pixels, pdf_file, pdf_reader, text_layer
from audiobooks.extraction.tesseract_words import Deadline
from tests.support.character_error import character_error_rate
from tests.support.live_server import ROOT
from tests.support.narration_books import typeset, write_pdf
from tests.support.pdf_factory import (
    ENGLISH_LINES,
    HINDI_LINES,
    PAGE_SIZE,
    Page,
    blank_pages_pdf,
    build_pdf,
    cropped_page_pdf,
    drop_conjuncts,
    english_page,
    glued_words,
    grey_scan_pdf,
    hindi_page,
    hindi_with_english_page,
    huge_page_pdf,
    image_bomb_pdf,
    image_pdf,
    legacy_font_text,
    raw_pdf,
    render_scan,
    stencil_scan_pdf,
    symbols_for_signs,
    tiny_print_pdf,
    two_column_page,
    with_base_font,
)

REALWORLD = ROOT / "tests" / "data" / "realworld" / "devanagari"
HINDI_BOOK = page_extraction.ExtractionOptions(
    language="Devanagari", rescue_language="eng", require_devanagari=True
)


@pytest.fixture
def three_page_book(tmp_path):
    """Digital English, scanned Hindi, digital English."""
    return build_pdf(
        tmp_path / "three.pdf", [english_page(start=0), hindi_page(start=0), english_page(start=2)]
    )


def test_counts_pages_of_a_readable_pdf(three_page_book):
    assert pdf_reader.count_pages(three_page_book) == 3


@pytest.mark.parametrize(
    "content, reason",
    [(b"GIF89a not a pdf", "not_pdf"), (b"%PDF-1.4\n%%EOF", "corrupt")],
)
def test_unreadable_files_are_rejected_with_a_reason(tmp_path, content, reason):
    (tmp_path / "file.pdf").write_bytes(content)
    with pytest.raises(pdf_file.PdfRejected) as rejected:
        pdf_reader.count_pages(tmp_path / "file.pdf")
    assert rejected.value.reason == reason


@pytest.mark.parametrize(
    "text, usable",
    [
        ("The river flows past the village towards the sea.", True),
        ("Page 12", False),  # a stray label over a scanned image
        ("(cid:12)(cid:34)(cid:56) (cid:78)(cid:90) " * 5 + "some real words here", False),
        ("Broken \x01\x02\x03\x04 glyphs " * 4, False),
        ("\ufffd" * 10 + " and then readable words that go on", False),
        ("Chapter 12, page 34: the years 1998-2001 and 2,400 rupees.", True),
    ],
)
def test_text_layer_usability(text, usable):
    assert text_layer.judge_text_layer(text).usable is usable


def test_prose_with_figures_and_signs_is_not_taken_for_symbols():
    """Devanagari's vowel signs and virama are marks, not letters; figures are no symbols."""
    prose = "सन् 1947 में, 15 अगस्त को — देश स्वतंत्र हुआ। १९५० में संविधान लागू हुआ (26 जनवरी)।"

    assert text_layer.judge_text_layer(prose * 3, require_devanagari=True).usable is True


def test_a_layer_of_symbols_is_refused():
    """A Type3 font with no Unicode map, its glyphs coded from "!" in the order first used."""
    coded = "!\"#$%&'()$*+,-.$/,0$1&234$,5#+$6\"#$789:$;,<= >#8;'.<$8$*,,)$87,&;$Ge)#BaCd " * 4

    verdict = text_layer.judge_text_layer(coded)

    assert (verdict.usable, verdict.reason) == (False, "text layer refused: mostly symbols, not letters")


def test_a_latin_layer_is_not_trusted_on_a_hindi_book():
    latin = " ".join(ENGLISH_LINES * 2)
    assert text_layer.judge_text_layer(latin).usable is True
    assert text_layer.judge_text_layer(latin, require_devanagari=True).usable is False
    assert text_layer.judge_text_layer(HINDI_LINES[0] * 2, require_devanagari=True).usable is True


def test_a_legacy_hindi_font_layer_is_refused_whatever_the_books_language():
    coded = legacy_font_text(hindi_page(count=8).lines)  # Kruti Dev codes: "gS" for है ...

    for require_devanagari in (True, False):
        verdict = text_layer.judge_text_layer(coded, require_devanagari=require_devanagari)
        assert not verdict.usable
    assert "legacy Hindi font" in text_layer.judge_text_layer(coded).reason
    named = text_layer.judge_text_layer(" ".join(ENGLISH_LINES), font_names=("KrutiDev010",))
    assert (named.usable, named.reason) == (
        False,
        "text layer refused: set in the legacy Hindi font KrutiDev010",
    )


def test_english_in_a_font_named_kruti_dev_decodes_to_nonsense_and_is_ocred(tmp_path):
    plain = build_pdf(tmp_path / "plain.pdf", [english_page(count=8)])
    renamed = with_base_font(plain, tmp_path / "kruti.pdf", "KrutiDev010")

    result = page_extraction.extract_page(renamed, 1, page_extraction.ExtractionOptions(language="eng"))

    assert result.method == "ocr"
    assert result.reason.startswith("Kruti Dev 010 codes decoded: text layer refused: ")
    assert ENGLISH_LINES[0].split()[1] in result.text  # OCR read the English


def test_a_digital_page_in_a_legacy_font_not_decoded_is_ocred(tmp_path):
    plain = build_pdf(tmp_path / "plain.pdf", [english_page(count=8)])
    renamed = with_base_font(plain, tmp_path / "shusha.pdf", "Shusha")

    result = page_extraction.extract_page(renamed, 1, page_extraction.ExtractionOptions(language="eng"))

    assert result.method == "ocr"
    assert result.reason == "text layer refused: set in the legacy Hindi font Shusha"


def test_auto_mode_reads_text_layers_and_ocrs_scans(three_page_book):
    reported = []

    results = page_extraction.extract_pages(
        three_page_book, pages=[1, 2, 3], progress_callback=reported.append
    )

    by_page = {r.page_number: r for r in results}
    assert [by_page[n].method for n in (1, 2, 3)] == ["text", "ocr", "text"]
    assert "quick brown fox" in by_page[1].text
    assert HINDI_LINES[1] in by_page[2].text
    assert by_page[2].confidence > 60 and by_page[1].confidence is None
    assert reported == results


def test_parallel_extraction_reports_every_page_once_in_completion_order(three_page_book):
    reported = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        page_extraction.extract_pages(
            three_page_book, pages=[1, 2, 3], executor=pool, progress_callback=reported.append
        )

    assert sorted(r.page_number for r in reported) == [1, 2, 3]
    assert all(r.error == "" for r in reported)


def test_ocr_mode_ignores_the_text_layer_and_text_mode_never_ocrs(three_page_book):
    ocr = page_extraction.extract_page(
        three_page_book, 1, page_extraction.ExtractionOptions(language="eng", mode="ocr")
    )
    text_only = page_extraction.extract_page(
        three_page_book, 2, page_extraction.ExtractionOptions(mode="text")
    )

    assert ocr.method == "ocr" and "quick brown fox" in ocr.text
    assert (text_only.method, text_only.text) == ("text", "")


def test_a_page_that_fails_comes_back_with_its_error_instead_of_raising(three_page_book):
    result = page_extraction.extract_page(
        three_page_book, 2, page_extraction.ExtractionOptions(ocr_timeout=0.001)
    )

    assert (result.text, result.method) == ("", "ocr")
    assert "timeout" in result.error.lower()


def test_clean_text_drops_control_characters_and_extra_blank_lines():
    assert text_layer.clean_text("a \r\nb\x0c\n\n\n\nc  ") == "a\nb\n\nc"


# --- Hindi text layers that must not be trusted ---------------------------------------


def hindi_scan_with_layer(tmp_path, layer: str, *, count: int = 8):
    lines = hindi_page(count=count).lines
    return build_pdf(tmp_path / "layered.pdf", [Page(lines, scanned=True, hidden_text=layer)]), lines


FULL_PAGE = 16  # lines of hindi_page that fill the page, its middle too


def test_a_sound_hindi_text_layer_is_used_as_is(tmp_path):
    sound_layer = "\n".join(hindi_page(count=FULL_PAGE).lines)
    pdf, lines = hindi_scan_with_layer(tmp_path, sound_layer, count=FULL_PAGE)

    result = page_extraction.extract_page(pdf, 1, HINDI_BOOK)

    assert result.method == "text"
    assert lines[1] in result.text
    assert result.reason == "text layer, 0.0% apart from OCR of the page"


def with_page_boxes(pdf: Path, *, raised_pt: float = 0, crop_bottom_pt: float = 0) -> Path:
    """The same page, drawn and boxed `raised_pt` higher (MediaBox and CropBox not at 0,0),
    its CropBox then trimmed by `crop_bottom_pt` at the bottom: it looks the same."""
    writer = PdfWriter(clone_from=PdfReader(pdf))
    page = writer.pages[0]
    page.add_transformation(Transformation().translate(0, raised_pt))
    x0, y0, x1, y1 = (float(value) for value in page.mediabox)
    page.mediabox = RectangleObject([x0, y0 + raised_pt, x1, y1 + raised_pt])
    page.cropbox = RectangleObject([x0, y0 + raised_pt + crop_bottom_pt, x1, y1 + raised_pt])
    writer.write(pdf)
    return pdf


def test_a_layers_lines_are_placed_on_the_page_as_shown(tmp_path):
    """Two lines near the top of the page as drawn: shown upside down (/Rotate 180) they lie
    near the bottom; with the page's box given by its parent in the page tree, as drawn."""
    upright = build_pdf(tmp_path / "upright.pdf", [english_page(count=2)])
    spans = {}
    for name in ("upright", "upside down", "box inherited"):
        writer = PdfWriter(clone_from=PdfReader(upright))
        page = writer.pages[0]
        if name == "upside down":
            page.rotate(180)
        if name == "box inherited":
            page[NameObject("/Parent")][NameObject("/MediaBox")] = page.mediabox
            del page[NameObject("/MediaBox")]
            page.pop(NameObject("/CropBox"), None)
        writer.write(tmp_path / f"{name}.pdf")
        with pdf_reader.PdfReader(tmp_path / f"{name}.pdf") as pages:
            spans[name] = [tuple(span) for span in pages.layer(1).text_lines_pt]

    assert len(spans["upright"]) == 2 and spans["upright"][1][1] < 100
    height = PAGE_SIZE[1]
    assert spans["upside down"] == [
        pytest.approx((height - bottom, height - top)) for top, bottom in reversed(spans["upright"])
    ]
    assert spans["box inherited"] == [pytest.approx(span) for span in spans["upright"]]


def drawn_sideways(pdf: Path) -> Path:
    """The same page drawn turned a quarter on a landscape sheet, shown upright by /Rotate 270."""
    writer = PdfWriter(clone_from=PdfReader(pdf))
    page = writer.pages[0]
    width, height = (float(value) for value in page.mediabox[2:])
    page.add_transformation(Transformation().rotate(-90).translate(0, width))
    page.mediabox = page.cropbox = RectangleObject([0, 0, height, width])
    page.rotate(270)
    writer.write(pdf)
    return pdf


@pytest.mark.parametrize(
    ("layer", "method"),
    [
        pytest.param(lambda lines: "\n".join(lines), "text", id="sound"),
        pytest.param(lambda lines: glued_words("\n".join(lines)), "ocr", id="glued"),
    ],
)
@pytest.mark.parametrize(
    "reshaped",
    [
        pytest.param(lambda pdf: with_page_boxes(pdf, raised_pt=300, crop_bottom_pt=14), id="boxes-moved"),
        pytest.param(drawn_sideways, id="drawn-sideways"),
    ],
)
def test_a_hindi_layer_is_checked_where_its_lines_are_shown_whatever_the_page_boxes(
    tmp_path, layer, method, reshaped
):
    lines = hindi_page(count=FULL_PAGE).lines
    pdf, _ = hindi_scan_with_layer(tmp_path, layer(lines), count=FULL_PAGE)

    result = page_extraction.extract_page(reshaped(pdf), 1, HINDI_BOOK)

    assert (result.method, result.reason.split(",")[0].split(":")[0]) == (
        method,
        "text layer" if method == "text" else "text layer refused",
    )
    assert "apart from OCR" in result.reason  # checked against the lines, not passed unchecked


@pytest.mark.parametrize(
    ("book", "layer"),
    [
        pytest.param("hindi", lambda lines: lines[0], id="only-the-first-line"),
        pytest.param("hindi", lambda lines: "यह पुस्तक हमारी वेबसाइट से मुफ़्त डाउनलोड की गई है", id="a-stamp"),
        # An English OCR's reading of Devanagari, as old Hindi scans online carry.
        pytest.param("hinglish", lambda lines: "UR Us fase Sars feracht depfa aga BA " * 6, id="latin"),
    ],
)
def test_a_layer_that_lacks_what_the_scan_shows_is_ocred_instead(tmp_path, book, layer):
    lines = hindi_page(count=FULL_PAGE).lines
    pdf, _ = hindi_scan_with_layer(tmp_path, layer(lines), count=FULL_PAGE)

    result = page_extraction.extract_page(pdf, 1, page_extraction.options_for_book(book))

    assert result.method == "ocr"
    assert result.reason == "text layer refused: it lacks the text OCR finds on the scan"
    assert lines[8] in result.text


def test_a_digital_page_with_a_picture_keeps_its_text(tmp_path):
    """A picture over most of the page is no scan: the text beside it is the page's own."""
    path = tmp_path / "picture.pdf"
    pdf = canvas.Canvas(str(path), pagesize=PAGE_SIZE)
    picture = ImageReader(Image.new("RGB", (600, 500), (120, 160, 200)))
    pdf.drawImage(picture, 0, PAGE_SIZE[1] * 0.35, width=PAGE_SIZE[0], height=PAGE_SIZE[1] * 0.65)
    text = pdf.beginText(30, 150)
    text.setFont("Helvetica", 11)
    for line in ENGLISH_LINES[:4]:
        text.textLine(line)
    pdf.drawText(text)
    pdf.save()

    result = page_extraction.extract_page(path, 1, page_extraction.options_for_book("english"))

    assert (result.method, result.reason) == ("text", "text layer")
    assert ENGLISH_LINES[2] in result.text


@pytest.mark.parametrize(
    ("book", "page", "stamp"),
    [
        ("hindi", hindi_page, "यह पुस्तक हमारी वेबसाइट से मुफ़्त डाउनलोड की गई है"),
        ("english", english_page, "Digitised by the Public Library, www.example.org"),
    ],
    ids=["a Hindi stamp on a Hindi scan", "an English stamp on an English scan"],
)
def test_a_stamp_printed_over_a_scan_is_not_taken_for_its_text(tmp_path, book, page, stamp):
    lines = page(count=FULL_PAGE).lines
    pdf = build_pdf(tmp_path / "stamped.pdf", [Page(lines, scanned=True, stamp=stamp)])

    result = page_extraction.extract_page(pdf, 1, page_extraction.options_for_book(book))

    assert result.method == "ocr"
    assert result.reason == "text layer refused: it lacks the text OCR finds on the scan"
    assert lines[8] in result.text


@pytest.mark.parametrize(
    ("printed", "sideways"),
    [(ENGLISH_LINES[:1], False), (ENGLISH_LINES * 3, False), (ENGLISH_LINES * 3, True)],
    ids=["a caption", "a page of text", "a page of text set sideways"],
)
def test_text_printed_over_a_whole_page_picture_is_kept(tmp_path, printed, sideways):
    """A caption over a picture with nothing to read in its middle, or a page of text over
    a background picture, upright or sideways (a table turned to fit, whose runs merge into
    one tall "line"): the text is the page's own (a page of text is not even checked)."""
    path = tmp_path / "picture.pdf"
    pdf = canvas.Canvas(str(path), pagesize=PAGE_SIZE)
    picture = ImageReader(Image.new("RGB", (420, 595), (200, 190, 160)))
    pdf.drawImage(picture, 0, 0, width=PAGE_SIZE[0], height=PAGE_SIZE[1])
    if sideways:
        pdf.translate(PAGE_SIZE[0], 0)
        pdf.rotate(90)
    text = pdf.beginText(30, 100 if len(printed) == 1 else (PAGE_SIZE[0] if sideways else PAGE_SIZE[1]) - 60)
    text.setFont("Helvetica", 11)
    for line in printed:
        text.textLine(line)
    pdf.drawText(text)
    pdf.save()

    result = page_extraction.extract_page(path, 1, page_extraction.options_for_book("english"))

    assert (result.method, result.reason) == ("text", "text layer")
    assert printed[-1].split()[-1] in result.text


def test_a_short_scanned_page_is_read_even_with_a_sound_layer(tmp_path):
    """Its middle is blank, so nothing shows that its layer is more than a stamp."""
    pdf, lines = hindi_scan_with_layer(tmp_path, "\n".join(hindi_page(count=4).lines), count=4)

    result = page_extraction.extract_page(pdf, 1, HINDI_BOOK)

    assert result.method == "ocr"
    assert result.reason == "text layer refused: too little text mid-scan to check it against OCR"
    assert lines[1] in result.text


@pytest.mark.parametrize("book", ["english", "hinglish"])
def test_a_sound_digital_hindi_layer_is_used_whatever_language_the_book_was_given(tmp_path, book):
    typeset_book = typeset(title="जल", devanagari=True, chapters=1, paragraphs=3)
    pdf = write_pdf(typeset_book, tmp_path / "hindi.pdf", scanned=False)

    result = page_extraction.extract_page(pdf, 1, page_extraction.options_for_book(book))

    assert result.method == "text"
    assert result.reason.startswith("text layer, ")


@pytest.mark.parametrize(
    ("broken_layer", "refusal"),
    [
        pytest.param(lambda lines: drop_conjuncts("\n".join(lines)), "", id="conjuncts-missing"),
        # Decoded, then refused: the codes hold other lines than the scan shows.
        pytest.param(legacy_font_text, "Kruti Dev 010 codes decoded: ", id="legacy-font-latin-codes"),
        pytest.param(lambda lines: symbols_for_signs("\n".join(lines)), "", id="ascii-for-vowel-signs"),
        pytest.param(lambda lines: glued_words("\n".join(lines)), "", id="words-glued-together"),
    ],
)
def test_a_broken_hindi_text_layer_is_ocred_instead(tmp_path, broken_layer, refusal):
    lines = hindi_page(count=8).lines
    pdf, _ = hindi_scan_with_layer(tmp_path, broken_layer(lines))
    with pdf_reader.PdfReader(pdf) as pages:
        layer = pages.layer(1).text
    assert layer.strip(), "the test PDF must carry the broken layer"

    result = page_extraction.extract_page(pdf, 1, HINDI_BOOK)

    assert result.method == "ocr"
    assert result.reason.startswith(f"{refusal}text layer refused: ")
    assert lines[4] in result.text  # "राष्ट्रपति ..." with its conjuncts, read from the image


@pytest.mark.parametrize(("broken_map", "method"), [(None, "text"), (glued_words, "ocr")])
def test_a_two_column_hindi_layer_is_checked_column_by_column(tmp_path, broken_map, method):
    book = typeset(title="जल", devanagari=True, chapters=1, paragraphs=3, columns=2)
    pdf = write_pdf(book, tmp_path / "columns.pdf", scanned=False, broken_map=broken_map)

    result = page_extraction.extract_page(pdf, 1, HINDI_BOOK)

    assert (result.method, result.reason.split(",")[0].split(":")[0]) == (
        method,
        "text layer" if method == "text" else "text layer refused",
    )


def test_devanagari_soundness_checks():
    sound = " ".join(HINDI_LINES * 3)
    assert text_layer.devanagari_is_sound(sound)
    assert not text_layer.devanagari_is_sound(drop_conjuncts(sound))
    assert not text_layer.devanagari_is_sound("ि कताब " * 40)  # vowel signs starting words
    assert not text_layer.devanagari_is_sound("क◌ि " + sound)


# --- Guards ----------------------------------------------------------------------------


def test_a_gigapixel_image_in_a_tiny_file_is_rendered_without_the_memory(tmp_path):
    pdf = image_bomb_pdf(tmp_path / "bomb.pdf")
    assert pdf.stat().st_size < 200_000
    # In a fresh process, so the peak is this page's children's alone (ru_maxrss of
    # RUSAGE_CHILDREN is the largest child ever waited for, browsers in other tests too).
    script = (
        "import resource, sys\n"
        "from audiobooks.extraction import page_extraction as p\n"
        "r = p.extract_page(sys.argv[1], 1, p.ExtractionOptions(language='eng', ocr_timeout=60))\n"
        "print(repr(r.error), r.method, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(pdf)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    error, method, peak_child_kb = run.stdout.split()

    assert (error, method) == ("''", "ocr")
    # The 35,000 x 35,000 image is 1.2 GB decoded; the renderer streamed it instead.
    assert int(peak_child_kb) < 400_000


def test_a_huge_page_is_rendered_within_the_pixel_budget(tmp_path, monkeypatch):
    pdf = huge_page_pdf(tmp_path / "huge.pdf", side_pt=14_400)  # 200 x 200 inches
    rendered_dpi = []
    real_render = page_pixels.render_page

    def spy(*args, **kwargs):
        rendered_dpi.append(kwargs["dpi"])
        return real_render(*args, **kwargs)

    monkeypatch.setattr(page_pixels, "render_page", spy)

    result = page_extraction.extract_page(
        pdf, 1, page_extraction.ExtractionOptions(mode="ocr", max_pixels=4_000_000)
    )

    assert result.error == ""
    assert rendered_dpi == [10]  # 200 in x 10 dpi = 2,000 px a side = 4 MP, not 900 MP at 150 dpi


def test_dpi_budget_arithmetic():
    a4 = (595, 842)
    assert ocr.dpi_within_budget(*a4, dpi=150, max_pixels=40_000_000) == 150
    assert ocr.dpi_within_budget(14_400, 14_400, dpi=150, max_pixels=40_000_000) == 31


# --- Rotation --------------------------------------------------------------------------


@pytest.mark.parametrize("turned", [90, 180, 270])
def test_a_scan_lying_turned_is_read_upright(tmp_path, turned):
    lines = english_page(count=8, scanned=True).lines
    pdf = build_pdf(tmp_path / "turned.pdf", [Page(lines, scanned=True, turned=turned)])

    result = page_extraction.extract_page(pdf, 1, page_extraction.ExtractionOptions(language="eng"))

    assert result.error == ""
    assert lines[0] in result.text and lines[2] in result.text


@pytest.mark.parametrize("turned", [90, 180])
def test_a_hindi_scan_lying_turned_reads_like_the_upright_page(tmp_path, turned):
    lines = hindi_page(count=10).lines
    pdf = build_pdf(
        tmp_path / "turned.pdf", [Page(lines, scanned=True), Page(lines, scanned=True, turned=turned)]
    )

    upright, lying = (page_extraction.extract_page(pdf, number, HINDI_BOOK) for number in (1, 2))

    assert lines[1] in lying.text
    assert (
        character_error_rate(lying.text, "\n".join(lines))
        <= character_error_rate(upright.text, "\n".join(lines)) + 0.02
    )


# --- A scan's own pixels --------------------------------------------------------------


@pytest.fixture
def pages_read(monkeypatch):
    """Each image tesseract is given for a page, as a PIL image with the resolution tesseract
    was told (`info["told_dpi"]`, None: left to estimate)."""
    seen = []
    real_read_text = ocr.read_text

    def spy(tesseract, image_path, **kwargs):
        with Image.open(image_path) as image:
            seen.append(image.convert("L"))
        seen[-1].info["told_dpi"] = tesseract.dpi
        return real_read_text(tesseract, image_path, **kwargs)

    monkeypatch.setattr(ocr, "read_text", spy)
    return seen


def test_a_scanned_page_is_read_from_the_scanners_own_pixels(tmp_path, pages_read):
    scan = REALWORLD / "san.siddhanta.exp0.png"  # 300 dpi, where poppler's rendering moves pixels
    pdf = image_pdf(scan, tmp_path / "scan.pdf")

    result = page_extraction.extract_page(pdf, 1, HINDI_BOOK)

    assert result.error == ""
    with Image.open(scan) as stored:
        assert ImageChops.difference(pages_read[0], stored.convert("L")).getbbox() is None
    assert pages_read[0].info["told_dpi"] == 300


def test_a_scan_finer_than_300_dpi_is_shrunk_to_300(tmp_path, pages_read):
    scan = REALWORLD / "janasanskrittext.png"  # 400 dpi
    pdf = image_pdf(scan, tmp_path / "scan.pdf")

    page_extraction.extract_page(pdf, 1, HINDI_BOOK)

    with Image.open(scan) as stored:
        assert pages_read[0].size == (round(stored.width * 0.75), round(stored.height * 0.75))
    assert pages_read[0].info["told_dpi"] == 300  # its own pixels, shrunk: a rendering is not told


@pytest.mark.parametrize(
    "page, own_pixels",
    [
        pytest.param(Page(("Scan",), scanned=True), True, id="a scan"),
        pytest.param(Page(("Scan",), scanned=True, hidden_text="OCR layer"), True, id="with an OCR layer"),
        pytest.param(Page(("Scan",), scanned=True, turned=90), True, id="lying turned in its pixels"),
        pytest.param(Page(("Scan",), scanned=True, stamp="Digitised by"), False, id="with a visible stamp"),
        pytest.param(Page(("Scan",), scanned=True, rotate_attr=90), False, id="turned by /Rotate"),
        pytest.param(Page(("Printed",), scanned=False), False, id="digital"),
    ],
)
def test_only_a_page_that_is_one_upright_image_and_nothing_visible_beside_it_counts_as_a_scan(
    tmp_path, page, own_pixels
):
    pdf = build_pdf(tmp_path / "page.pdf", [page])

    with pdf_reader.PdfReader(pdf) as pages:
        found = pages.layer(1).whole_page_image_px

    assert (found is not None) == own_pixels


IMAGE_OVER_THE_PAGE = b"q %d 0 0 %d 0 0 cm /Im1 Do Q" % PAGE_SIZE
FORM_OF_THE_IMAGE = (
    b"<< /Type /XObject /Subtype /Form /BBox [0 0 %d %d] /Resources << /XObject << /Im1 5 0 R >> >>"
    % PAGE_SIZE
    + b" /Length %d >>\nstream\n%s\nendstream" % (len(IMAGE_OVER_THE_PAGE), IMAGE_OVER_THE_PAGE)
)
TYPED_NOTE = (
    b"<< /Type /Annot /Subtype /FreeText /Rect [30 30 200 60] /Contents (A reader's note)"
    b" /DA (/Helv 12 Tf 0 g) >>"
)


@pytest.mark.parametrize(
    "drawn, own_pixels",
    [
        pytest.param({}, True, id="over the page"),
        pytest.param(
            {"drawing": b"q 1 0 0 -1 0 %d cm /Fm1 Do Q" % PAGE_SIZE[1], "more_objects": (FORM_OF_THE_IMAGE,)},
            False,
            id="flipped by its form",
        ),
        pytest.param(
            {
                "drawing": b"q 0 0 %d %d re W n q %d 0 0 %d 0 0 cm /Im1 Do Q Q"
                % (PAGE_SIZE[0], PAGE_SIZE[1] * 0.8, *PAGE_SIZE)
            },
            False,
            id="clipped",
        ),
        pytest.param(
            {"page_entries": b"/Annots [6 0 R]", "more_objects": (TYPED_NOTE,)}, False, id="under a note"
        ),
        pytest.param({"size_px": (875, 620)}, False, id="fax pixels, twice as tall as wide"),
    ],
)
def test_a_scan_drawn_flipped_clipped_annotated_or_with_oblong_pixels_is_rendered(
    tmp_path, drawn, own_pixels
):
    pdf = grey_scan_pdf(tmp_path / "page.pdf", english_page(count=4, scanned=True).lines, **drawn)

    with pdf_reader.PdfReader(pdf) as pages:
        assert (pages.layer(1).whole_page_image_px is not None) == own_pixels


def test_a_scan_with_a_soft_mask_is_rendered_without_decoding_the_mask(tmp_path):
    mask = zlib.compress(b"\xff" * 2000 * 2000)
    soft_mask = b"<< /Type /XObject /Subtype /Image /Width 2000 /Height 2000 /ColorSpace /DeviceGray"
    soft_mask += b" /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream" % (
        len(mask),
        mask,
    )
    pdf = grey_scan_pdf(
        tmp_path / "masked.pdf", ("Masked",), image_extra=b"/SMask 6 0 R", more_objects=(soft_mask,)
    )
    with pdf_reader.PdfReader(pdf) as pages:
        facts = pages.layer(1)
    assert facts.whole_page_image_px is not None  # pdfium does not see a soft mask as drawn

    with tempfile.TemporaryDirectory() as workdir:
        image = page_pixels.page_image(
            pdf,
            1,
            dpi=150,
            width_pt=facts.width_pt,
            whole_page_image_px=facts.whole_page_image_px,
            workdir=workdir,
            deadline=Deadline(60),
        )
        written = sorted(path.name for path in Path(workdir).iterdir())

    assert image.dpi is None and written == ["page.pgm"]  # rendered; pdfimages wrote nothing


def test_a_scan_whose_stored_bits_do_not_look_like_the_page_is_rendered_instead(tmp_path, pages_read):
    lines = english_page(count=6, scanned=True).lines
    pdf = stencil_scan_pdf(tmp_path / "stencil.pdf", lines)  # its bits are the page's negative
    with pdf_reader.PdfReader(pdf) as pages:
        assert pages.layer(1).whole_page_image_px is not None

    result = page_extraction.extract_page(pdf, 1, page_extraction.ExtractionOptions(language="eng"))

    assert ImageStat.Stat(pages_read[0]).mean[0] > 200  # white paper, not the negative
    assert lines[0] in result.text


# --- Layout and models -------------------------------------------------------------------


@pytest.mark.parametrize(
    "sentences, options",
    [
        pytest.param(HINDI_LINES * 2, HINDI_BOOK, id="hindi"),
        pytest.param(ENGLISH_LINES * 3, page_extraction.ExtractionOptions(language="eng"), id="english"),
    ],
)
def test_two_columns_are_read_one_after_the_other(tmp_path, sentences, options):
    page = two_column_page(sentences)
    pdf = build_pdf(tmp_path / "columns.pdf", [page])

    result = page_extraction.extract_page(pdf, 1, options)

    assert character_error_rate(result.text, page.text) <= 0.03, result.text


def test_english_quoted_in_a_hindi_scan_stays_english_and_the_hindi_stays_hindi(tmp_path):
    page = hindi_with_english_page()
    pdf = build_pdf(tmp_path / "mixed.pdf", [page])

    result = page_extraction.extract_page(pdf, 1, HINDI_BOOK)

    for words in ("Computer Science", "Himalaya", "football", "Oxford Dictionary", "पुस्तकालय", "निकलकर"):
        assert words in result.text
    assert character_error_rate(result.text, page.text) <= 0.03, result.text


def plain_tesseract(image: Path, language: str) -> str:
    command = ["tesseract", str(image), "-", "-l", language, "--psm", "3"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_a_real_devanagari_scan_reads_as_well_as_the_script_model_and_far_better_than_hin_eng(tmp_path):
    image = REALWORLD / "kalimatiskttext.png"  # a printed Sanskrit passage, scanned at 400 dpi
    truth = image.with_name("kalimatiskttext.gt.txt").read_text()
    pdf = image_pdf(image, tmp_path / "real.pdf")

    engine = character_error_rate(page_extraction.extract_page(pdf, 1, HINDI_BOOK).text, truth)

    assert engine <= character_error_rate(plain_tesseract(image, "Devanagari"), truth) + 0.01
    assert engine < 0.75 * character_error_rate(plain_tesseract(image, "hin+eng"), truth)


def test_a_hard_real_scan_lists_the_words_ocr_was_unsure_of_and_a_clean_page_few(tmp_path):
    hard = image_pdf(REALWORLD / "kalimatiskttext.png", tmp_path / "real.pdf")
    clean = build_pdf(tmp_path / "clean.pdf", [hindi_page()])

    unsure = page_extraction.extract_page(hard, 1, HINDI_BOOK).uncertain_words
    clean_unsure = page_extraction.extract_page(clean, 1, HINDI_BOOK).uncertain_words

    assert len(unsure) >= 3 and len(unsure) > len(clean_unsure)


def test_a_compressed_scan_is_read_at_its_text_masks_resolution(tmp_path):
    """MRC, as archive.org and "compact" scans store a page: a 75-dpi background picture
    under a 300-dpi 1-bit mask of the text, both placed over the whole page."""
    background = zlib.compress(bytes([230]) * (105 * 149))
    mask = zlib.compress(bytes((1750 + 7) // 8 * 2479))
    drawing = b"q 420 0 0 595 0 0 cm /Bg Do Q q 420 0 0 595 0 0 cm /Fg Do Q"
    image = b"<< /Type /XObject /Subtype /Image /Width %d /Height %d %s /Filter /FlateDecode /Length %d >>"
    pdf = tmp_path / "mrc.pdf"
    pdf.write_bytes(
        raw_pdf(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 595] /Contents 4 0 R"
                b" /Resources << /XObject << /Bg 5 0 R /Fg 6 0 R >> >> >>",
                b"<< /Length %d >>\nstream\n%s\nendstream" % (len(drawing), drawing),
                image % (105, 149, b"/ColorSpace /DeviceGray /BitsPerComponent 8", len(background))
                + b"\nstream\n"
                + background
                + b"\nendstream",
                image % (1750, 2479, b"/ImageMask true /BitsPerComponent 1", len(mask))
                + b"\nstream\n"
                + mask
                + b"\nendstream",
            ]
        )
    )

    with pdf_reader.PdfReader(pdf) as pages:
        assert pages.layer(1).scan_dpi == pytest.approx(300, abs=1)


def test_a_scan_stored_in_strips_is_read_at_the_strips_resolution(tmp_path):
    """Some scanners and converters store a page as strips of one image, none of which
    covers half the page; read at the default 150 dpi, Devanagari's marks blur."""
    scan = render_scan(hindi_page(count=FULL_PAGE).lines, dpi=300)
    path = tmp_path / "strips.pdf"
    pdf = canvas.Canvas(str(path), pagesize=PAGE_SIZE)
    strip_px = scan.height // 4
    for index in range(4):
        strip = scan.crop((0, index * strip_px, scan.width, (index + 1) * strip_px))
        height_pt = PAGE_SIZE[1] / 4
        pdf.drawImage(ImageReader(strip), 0, PAGE_SIZE[1] - (index + 1) * height_pt, PAGE_SIZE[0], height_pt)
    pdf.save()

    with pdf_reader.PdfReader(path) as pages:
        dpi = pages.layer(1).scan_dpi

    assert dpi == pytest.approx(300, abs=2)
    assert page_extraction.reading_dpi(dpi, least=150) >= 298


def test_the_columns_of_a_150_dpi_scan_are_read_apart(tmp_path):
    """Told this scan's resolution, tesseract ran its two columns together line by line."""
    book = typeset(title="जल की कहानियाँ", devanagari=True, chapters=1, paragraphs=10, columns=2)
    pdf = write_pdf(book, tmp_path / "columns.pdf", scanned=True)
    printed = "\n".join(line.text for line in book.pages[1])

    result = page_extraction.extract_page(pdf, 2, HINDI_BOOK)

    assert character_error_rate(result.text, printed) < 0.05


def test_a_scan_is_read_at_its_own_resolution_up_to_300_dpi(tmp_path):
    scans = {dpi: build_pdf(tmp_path / f"{dpi}.pdf", [hindi_page()], dpi=dpi) for dpi in (150, 200)}
    digital = build_pdf(tmp_path / "digital.pdf", [english_page()])

    with pdf_reader.PdfReader(scans[150]) as low, pdf_reader.PdfReader(scans[200]) as high:
        found = (low.layer(1).scan_dpi, high.layer(1).scan_dpi)
    with pdf_reader.PdfReader(digital) as pages:
        assert pages.layer(1).scan_dpi is None

    assert found == (pytest.approx(150, abs=1), pytest.approx(200, abs=1))
    assert [page_extraction.reading_dpi(dpi, least=150) for dpi in (100.0, 200.0, 600.0, None)] == [
        150,
        200,
        300,
        150,
    ]


def test_a_page_rotate_attribute_is_honoured(tmp_path):
    lines = english_page(count=8, scanned=True).lines
    pdf = build_pdf(tmp_path / "rotate-attr.pdf", [Page(lines, scanned=True, turned=90, rotate_attr=90)])

    result = page_extraction.extract_page(pdf, 1, page_extraction.ExtractionOptions(language="eng"))

    assert lines[0] in result.text


def test_books_sharing_a_pool_take_turns_instead_of_queueing_behind_a_long_book(tmp_path):
    long_book = build_pdf(tmp_path / "long.pdf", [english_page(start=n) for n in range(40)])
    short_book = build_pdf(tmp_path / "short.pdf", [english_page(start=n) for n in range(2)])
    finished: list[tuple[str, int]] = []
    long_started = threading.Event()

    def read(name, pdf, pages):
        def report(result):
            finished.append((name, result.page_number))
            long_started.set()

        page_extraction.extract_pages(
            pdf, pages=range(1, pages + 1), executor=pool, in_flight=1, progress_callback=report
        )

    with ThreadPoolExecutor(max_workers=1) as pool:
        long_reader = threading.Thread(target=read, args=("long", long_book, 40))
        long_reader.start()
        long_started.wait(timeout=30)
        read("short", short_book, 2)
        long_reader.join()

    order = [name for name, _ in finished]
    assert order.count("long") == 40 and order.count("short") == 2
    assert order.index("short") < 10 and len(order) - 1 - order[::-1].index("short") < 12


def test_a_page_is_rendered_at_its_crop_box_which_the_pixel_budget_measured(tmp_path, monkeypatch):
    pdf = cropped_page_pdf(tmp_path / "cropped.pdf", media_pt=6000, crop_pt=300)
    image_sizes = []
    real_tesseract = ocr.read_text

    def spy(tesseract, image_path, **kwargs):
        with Image.open(image_path) as image:
            image_sizes.append(image.size)
        return real_tesseract(tesseract, image_path, **kwargs)

    monkeypatch.setattr(ocr, "read_text", spy)

    result = page_extraction.extract_page(pdf, 1, page_extraction.ExtractionOptions(mode="ocr", dpi=150))

    assert result.error == ""
    assert image_sizes[0] == (625, 625)  # 300 pt at 150 dpi, not the 6000 pt MediaBox (12,500 px)


def test_a_blank_page_is_read_as_empty_without_running_tesseract(tmp_path, monkeypatch):
    pdf = blank_pages_pdf(tmp_path / "blank.pdf", 1)
    tesseract_runs = []
    monkeypatch.setattr(ocr, "read_text", lambda *args, **kwargs: tesseract_runs.append(args))

    result = page_extraction.extract_page(pdf, 1, page_extraction.ExtractionOptions(mode="ocr"))

    assert (result.text, result.error, result.method) == ("", "", "ocr")
    assert tesseract_runs == []


def test_a_page_of_more_text_than_a_printed_page_holds_is_cut_and_marked(tmp_path):
    long_page = tiny_print_pdf(tmp_path / "long.pdf", lines=125)  # about 26,000 characters
    short_page = tiny_print_pdf(tmp_path / "short.pdf", lines=50)  # about 10,600
    options = page_extraction.ExtractionOptions(language="eng", max_page_chars=20_000)

    cut = page_extraction.extract_page(long_page, 1, options)
    whole = page_extraction.extract_page(short_page, 1, options)

    assert (cut.method, cut.chars, cut.truncated) == ("text", 20_000, True)
    assert (whole.method, whole.truncated) == ("text", False) and 10_000 < whole.chars < 20_000


def test_the_outline_is_read_whether_bookmarks_name_a_page_or_an_action_going_to_one(tmp_path):
    source = build_pdf(tmp_path / "three.pdf", [english_page(start=n) for n in range(3)])
    writer = PdfWriter(clone_from=PdfReader(str(source)))
    writer.add_outline_item(title="Chapter 1", page_number=0)
    goto = DictionaryObject(
        {
            NameObject("/S"): NameObject("/GoTo"),
            NameObject("/D"): ArrayObject([writer.pages[2].indirect_reference, NameObject("/Fit")]),
        }
    )
    writer.add_outline_item_dict(
        DictionaryObject(
            {NameObject("/Title"): TextStringObject("Chapter 2 by action"), NameObject("/A"): goto}
        )
    )
    writer.write(str(tmp_path / "outlined.pdf"))

    with pdf_reader.PdfReader(tmp_path / "outlined.pdf") as reader:
        outline = reader.outline()

    assert [(entry["title"], entry["page"], entry["level"]) for entry in outline] == [
        ("Chapter 1", 1, 0),
        ("Chapter 2 by action", 3, 0),
    ]


def test_a_word_hyphenated_at_a_line_end_keeps_its_hyphen_and_line_break(tmp_path):
    """pdfium drops the hyphen and runs the lines together, on a page's last line even into
    its footer; the page text has them as printed."""
    book = typeset(title="Tales", devanagari=False, chapters=1, paragraphs=3, footer="Village Press")
    pdf = write_pdf(book, tmp_path / "hyphens.pdf", scanned=False)

    text = page_extraction.extract_page(pdf, 1, page_extraction.ExtractionOptions(language="eng")).text

    def hyphenated(lines: list[str]) -> list[str]:
        return [line for line in lines if line.endswith("-") and not line.startswith("-")]  # not "- 1 -"

    assert "\x02" not in text and "Village Press" in text.splitlines()
    assert hyphenated(text.splitlines()) == hyphenated([line.text for line in book.pages[0]]) != []


def test_while_a_slow_page_runs_the_caller_is_asked_again_when_its_batch_falls_due():
    """A batching caller returns how soon it must be asked again; the wait for a slow page
    is cut to that, so a finished page is never held back by the slow one."""
    asked = []
    release = threading.Event()

    def on_waiting() -> float | None:
        asked.append(True)
        if len(asked) >= 3:
            release.set()  # the slow page may finish once the caller was asked again twice
        return 0.01

    def extract(page_number: int) -> page_extraction.PageResult:
        if page_number == 2:
            assert release.wait(timeout=60), "the caller was not asked again while page 2 ran"
        return page_extraction.PageResult(page_number, f"page {page_number}", "text")

    finished = []
    with ThreadPoolExecutor(max_workers=2) as executor:
        page_extraction._extract_in_window(
            extract,
            [1, 2],
            executor=executor,
            size=2,
            finish=lambda result: finished.append(result.page_number),
            stop=lambda: False,
            on_waiting=on_waiting,
        )

    assert sorted(finished) == [1, 2] and len(asked) >= 3
