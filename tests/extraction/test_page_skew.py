"""Scans lying a little askew are turned level before OCR, found by their lines' profile;
upright pages, blank ones and pages drawn from text are read as they are."""

from pathlib import Path

import pytest
from PIL import Image, ImageOps

from audiobooks.extraction import page_extraction
from audiobooks.extraction.page_skew import STRAIGHTEN_FROM_DEGREES, skew_degrees
from audiobooks.extraction.scan_cleanup import cleaned_scan
from tests.support.character_error import character_error_rate
from tests.support.pdf_factory import image_pdf

REALWORLD = Path(__file__).resolve().parents[1] / "data" / "realworld" / "devanagari"
PRINTED_PAGE = REALWORLD / "mangalskttext.png"  # a printed Sanskrit passage, 400 dpi, upright
HINDI_BOOK = page_extraction.options_for_book("hindi")


def turned(image: Path, degrees: float, destination: Path, *, corners: int = 255, margin_px: int = 0) -> Path:
    """The scan as a scanner would have made it turned by `degrees` (counter-clockwise),
    the corners it brings in of grey level `corners`, with `margin_px` of white paper
    around the print."""
    with Image.open(image) as scan:
        dpi = scan.info.get("dpi")
        grey = ImageOps.expand(scan.convert("L"), border=margin_px, fill=255)
        askew = grey.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=corners)
        askew.save(destination, dpi=dpi)
    return destination


@pytest.mark.parametrize("degrees", [-7.0, -2.5, 1.5, 4.0, 9.0])
def test_the_angle_of_a_turned_printed_page_is_found_within_a_fifth_of_a_degree(tmp_path, degrees):
    with Image.open(turned(PRINTED_PAGE, degrees, tmp_path / "askew.png")) as askew:
        assert skew_degrees(askew) == pytest.approx(-degrees, abs=0.2)


@pytest.mark.parametrize(
    "page",
    [
        pytest.param(lambda: Image.open(PRINTED_PAGE), id="upright"),
        pytest.param(lambda: Image.new("L", (800, 1100), 255), id="blank"),
        pytest.param(lambda: Image.linear_gradient("L").resize((800, 1100)), id="a picture without lines"),
    ],
)
def test_a_page_without_askew_lines_is_not_turned(tmp_path, page):
    image = page()
    image.save(tmp_path / "page.png")

    assert abs(skew_degrees(image)) < STRAIGHTEN_FROM_DEGREES
    assert cleaned_scan(str(tmp_path / "page.png"), str(tmp_path / "cleaned.png"))["turned"] == 0.0


def test_a_clean_upright_scan_is_read_as_it_is(tmp_path):
    cleaning = cleaned_scan(str(PRINTED_PAGE), str(tmp_path / "cleaned.png"))

    assert cleaning == {"turned": 0.0, "border_share": 0.0}
    assert not (tmp_path / "cleaned.png").exists()


@pytest.mark.parametrize(
    "corners, cleaning",
    [
        pytest.param(255, "the scan turned -2.5° to lie level for OCR", id="white corners"),
        pytest.param(0, "the scan turned -2.5° to lie level and its dark border", id="black corners"),
    ],
)
def test_a_printed_page_scanned_askew_reads_as_well_as_upright(tmp_path, corners, cleaning):
    truth = PRINTED_PAGE.with_name("mangalskttext.gt.txt").read_text()
    upright = page_extraction.extract_page(image_pdf(PRINTED_PAGE, tmp_path / "upright.pdf"), 1, HINDI_BOOK)
    # The passage is cut out tight; a page scanned has paper round its print.
    scan = turned(PRINTED_PAGE, 2.5, tmp_path / "askew.png", corners=corners, margin_px=40)

    askew = page_extraction.extract_page(image_pdf(scan, tmp_path / "askew.pdf"), 1, HINDI_BOOK)

    assert askew.method == "ocr" and not askew.error
    assert cleaning in askew.reason, askew.reason
    assert character_error_rate(askew.text, truth) <= character_error_rate(upright.text, truth) + 0.01
