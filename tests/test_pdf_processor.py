"""The extraction library on real PDFs with real tesseract and poppler (no Django needed)."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from audiobooks.services import pdf_processor_ocr as processor
from tests.pdf_factory import HINDI_LINES, build_pdf, english_page, hindi_page


@pytest.fixture
def three_page_book(tmp_path):
    """Digital English, scanned Hindi, digital English."""
    return build_pdf(
        tmp_path / "three.pdf", [english_page(start=0), hindi_page(start=0), english_page(start=2)]
    )


def test_counts_pages_of_a_readable_pdf(three_page_book):
    assert processor.count_pages(three_page_book) == 3
    assert processor.count_pages(three_page_book.read_bytes()) == 3


@pytest.mark.parametrize(
    "content, reason",
    [(b"GIF89a not a pdf", "not_pdf"), (b"%PDF-1.4\n%%EOF", "corrupt")],
)
def test_unreadable_files_are_rejected_with_a_reason(content, reason):
    with pytest.raises(processor.PdfRejected) as rejected:
        processor.count_pages(content)
    assert rejected.value.reason == reason


@pytest.mark.parametrize(
    "text, usable",
    [
        ("The river flows past the village towards the sea.", True),
        ("Page 12", False),  # a stray label over a scanned image
        ("(cid:12)(cid:34)(cid:56) (cid:78)(cid:90) " * 5 + "some real words here", False),
        ("Broken \x01\x02\x03\x04 glyphs " * 4, False),
        ("\ufffd" * 10 + " and then readable words that go on", False),
    ],
)
def test_text_layer_usability(text, usable):
    assert processor.text_layer_is_usable(text) is usable


def test_latin_text_layer_is_not_trusted_on_a_hindi_book():
    latin = "Hkkjr ,d fo'kky ns'k gS ftldh laLd`fr cgqr iqjkuh gSA"  # a legacy-font Hindi page
    assert processor.text_layer_is_usable(latin) is True
    assert processor.text_layer_is_usable(latin, require_devanagari=True) is False
    assert processor.text_layer_is_usable(HINDI_LINES[0] * 2, require_devanagari=True) is True


def test_auto_mode_reads_text_layers_and_ocrs_scans(three_page_book):
    reported = []

    results = processor.extract_pages(
        three_page_book, pages=[1, 2, 3], language="hin+eng", progress_callback=reported.append
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
        processor.extract_pages(
            three_page_book, pages=[1, 2, 3], executor=pool, progress_callback=reported.append
        )

    assert sorted(r.page_number for r in reported) == [1, 2, 3]
    assert all(r.error == "" for r in reported)


def test_ocr_mode_ignores_the_text_layer_and_text_mode_never_ocrs(three_page_book):
    ocr = processor.extract_page(three_page_book, 1, language="eng", mode="ocr")
    text_only = processor.extract_page(three_page_book, 2, mode="text")

    assert ocr.method == "ocr" and "quick brown fox" in ocr.text
    assert (text_only.method, text_only.text) == ("text", "")


def test_a_page_that_fails_comes_back_with_its_error_instead_of_raising(three_page_book):
    result = processor.extract_page(three_page_book, 2, ocr_timeout=0.001)

    assert (result.text, result.method) == ("", "ocr")
    assert "timeout" in result.error.lower()


def test_clean_text_drops_control_characters_and_extra_blank_lines():
    assert processor.clean_text("a \r\nb\x0c\n\n\n\nc  ") == "a\nb\n\nc"
