"""A scan's dark borders, reaching its edge, are whitened for OCR; its print and its
pictures inside the page are not."""

from PIL import Image, ImageChops, ImageDraw

from audiobooks.extraction.page_borders import without_dark_borders
from tests.extraction.test_page_skew import PRINTED_PAGE


def printed_page() -> Image.Image:
    with Image.open(PRINTED_PAGE) as scan:
        return scan.convert("L")


def test_a_scanner_lids_dark_band_and_black_corners_are_painted_white():
    page = printed_page()
    scanned = Image.new("L", (page.width + 60, page.height), 20)  # a dark band left of the page
    scanned.paste(page, (60, 0))
    ImageDraw.Draw(scanned).polygon([(page.width, 0), (page.width + 60, 0), (page.width + 60, 60)], fill=0)

    cleaned, share = without_dark_borders(scanned)

    assert 0.05 < share < 0.2
    assert cleaned.crop((0, 0, 50, page.height)).getextrema() == (255, 255)
    assert cleaned.getpixel((page.width + 55, 2)) == 255
    # the print is as it was
    inside = (80, 20, page.width - 20, page.height - 20)
    assert ImageChops.difference(cleaned.crop(inside), scanned.crop(inside)).getbbox() is None


def test_a_clean_page_and_a_dark_picture_within_it_are_left_as_they_are():
    page = printed_page()
    ImageDraw.Draw(page).rectangle((60, 60, 200, 160), fill=0)  # a photograph, clear of the edges

    cleaned, share = without_dark_borders(page)

    assert share == 0.0 and cleaned is page
