"""Scans lying a little askew are turned level before OCR, found by their lines' profile;
upright pages, blank ones and pages drawn from text are read as they are."""

from pathlib import Path

import pytest
from PIL import Image

from audiobooks.extraction import page_extraction
from audiobooks.extraction.page_skew import STRAIGHTEN_FROM_DEGREES, skew_degrees, straightened
from tests.support.character_error import character_error_rate
from tests.support.pdf_factory import image_pdf

REALWORLD = Path(__file__).resolve().parents[1] / "data" / "realworld" / "devanagari"
PRINTED_PAGE = REALWORLD / "mangalskttext.png"  # a printed Sanskrit passage, 400 dpi, upright
HINDI_BOOK = page_extraction.options_for_book("hindi")


def turned(image: Path, degrees: float, destination: Path) -> Path:
    """The scan as a scanner would have made it turned by `degrees` (counter-clockwise)."""
    with Image.open(image) as scan:
        dpi = scan.info.get("dpi")
        askew = scan.convert("L").rotate(
            degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255
        )
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
    assert straightened(str(tmp_path / "page.png"), str(tmp_path / "level.png")) == 0.0
    assert not (tmp_path / "level.png").exists()


def test_a_printed_page_scanned_askew_reads_as_well_as_upright(tmp_path):
    truth = PRINTED_PAGE.with_name("mangalskttext.gt.txt").read_text()
    upright = page_extraction.extract_page(image_pdf(PRINTED_PAGE, tmp_path / "upright.pdf"), 1, HINDI_BOOK)
    askew_scan = image_pdf(turned(PRINTED_PAGE, 2.5, tmp_path / "askew.png"), tmp_path / "askew.pdf")

    askew = page_extraction.extract_page(askew_scan, 1, HINDI_BOOK)

    assert askew.method == "ocr" and not askew.error
    assert "the scan turned -2.5° to lie level" in askew.reason
    assert character_error_rate(askew.text, truth) <= character_error_rate(upright.text, truth) + 0.01
