"""A page's picture beside its text: drawn by poppler at the width asked (within bounds),
PNG or WebP, kept and named by an ETag so a browser fetches it once; owner-only."""

import io
from pathlib import Path

import pytest
from PIL import Image
from rest_framework.throttling import ScopedRateThrottle

from audiobooks.models import Book
from tests.support.pdf_factory import build_pdf, cropped_page_pdf, english_page, hindi_page
from tests.support.sse_client import events_only, parse_stream

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def book(api, tmp_path) -> Book:
    pdf = build_pdf(tmp_path / "two.pdf", [english_page(scanned=False), hindi_page()])
    with open(pdf, "rb") as handle:
        response = api.post(
            "/api/books/upload-sse/", {"file": handle, "language": "hindi"}, format="multipart"
        )
    assert events_only(parse_stream(b"".join(response.streaming_content)))[-1].event == "completed"
    return Book.objects.get()


def picture(api, book, page=1, **query):
    headers = {key: query.pop(key) for key in list(query) if key.startswith("HTTP_")}
    return api.get(f"/api/books/{book.pk}/pages/{page}/image/", query, **headers)


def image_of(response) -> Image.Image:
    return Image.open(io.BytesIO(b"".join(response.streaming_content)))


def test_a_page_is_drawn_at_the_width_asked_as_png_by_default(api, book):
    response = picture(api, book, width=600)

    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    drawn = image_of(response)
    assert drawn.format == "PNG" and drawn.width == 600 and drawn.height > drawn.width  # an A5 page


def test_a_browser_that_accepts_webp_gets_webp(api, book):
    response = picture(api, book, 2, HTTP_ACCEPT="image/avif,image/webp,image/*,*/*;q=0.8")

    assert response["Content-Type"] == "image/webp" and image_of(response).format == "WEBP"
    assert "Accept" in response["Vary"]


def test_widths_are_kept_within_bounds_and_rounded_up_to_a_hundred(api, book):
    assert image_of(picture(api, book, width=99_999)).width == 2000
    assert image_of(picture(api, book, width=10)).width == 200
    assert image_of(picture(api, book, width=640)).width == 700


def test_a_browser_that_has_the_picture_gets_304_and_it_is_drawn_once(api, book, settings):
    first = picture(api, book, width=500)
    etag = first["ETag"]
    drawn = list(Path(settings.MEDIA_ROOT).rglob("*.png"))

    again = picture(api, book, width=500, HTTP_IF_NONE_MATCH=etag)

    assert first["Cache-Control"] == "private, max-age=86400" and etag
    assert again.status_code == 304 and again["ETag"] == etag
    assert len(drawn) == 1


def test_pages_past_the_book_other_readers_and_bad_queries_are_refused(api, other_api, book):
    assert picture(api, book, 3).status_code == 404
    assert picture(api, book, 0).status_code == 404
    assert picture(other_api, book).status_code == 404
    assert picture(api, book, type="gif").status_code == 400
    assert picture(api, book, width="wide").status_code == 400


def test_deleting_the_book_deletes_its_pictures(api, book, settings):
    picture(api, book, width=300)
    folder = Path(settings.MEDIA_ROOT) / "page-pictures" / str(book.pk)
    assert any(folder.iterdir())

    api.delete(f"/api/books/{book.pk}/")

    assert not folder.exists()


@pytest.mark.parametrize("origin_pt", [pytest.param(0, id="at-the-origin"), pytest.param(-36, id="bleed")])
def test_a_page_cropped_from_a_huge_sheet_is_drawn_at_its_cropped_size(api, tmp_path, origin_pt):
    pdf = cropped_page_pdf(tmp_path / "cropped.pdf", origin_pt=origin_pt)
    with open(pdf, "rb") as handle:
        response = api.post(
            "/api/books/upload-sse/", {"file": handle, "language": "english"}, format="multipart"
        )
    b"".join(response.streaming_content)

    drawn = image_of(picture(api, Book.objects.get(), width=400))

    assert drawn.width == 400 and drawn.height <= 4 * drawn.width


def test_page_pictures_are_rate_limited_per_reader(api, book, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"pictures": "3/hour"})

    answers = [picture(api, book, width=200) for _ in range(4)]

    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert answers[-1].json()["code"] == "throttled" and int(answers[-1]["Retry-After"]) > 0


def test_a_page_that_cannot_be_drawn_in_time_is_refused_with_why_and_leaves_nothing(api, book, settings):
    settings.OCR_PAGE_TIMEOUT = 0.001  # as a page made to keep poppler busy would go past its deadline

    response = picture(api, book, width=400)

    assert response.status_code == 422 and response.json()["code"] == "corrupt"
    assert "took longer than" in response.json()["details"]
    assert not list((Path(settings.MEDIA_ROOT) / "page-pictures").rglob("*.png"))
