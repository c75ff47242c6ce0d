"""Rejected uploads: the right status and code, before any work, leaving nothing behind."""

import io
from pathlib import Path

import pytest
from rest_framework.throttling import ScopedRateThrottle

from audiobooks.models import Book
from audiobooks.upload_checks import body_deadline
from tests.support.pdf_factory import build_pdf, encrypted_pdf, english_page, zero_page_pdf
from tests.support.sse_client import parse_stream

pytestmark = pytest.mark.django_db

UPLOAD_URL = "/api/books/upload-sse/"
SSE = "text/event-stream"


def post(client, data, accept=None):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    return client.post(UPLOAD_URL, data, format="multipart", **headers)


def file_of(content: bytes, name: str = "book.pdf"):
    handle = io.BytesIO(content)
    handle.name = name
    return handle


@pytest.fixture
def good_pdf_bytes(tmp_path) -> bytes:
    return build_pdf(tmp_path / "good.pdf", [english_page()]).read_bytes()


@pytest.fixture
def assert_nothing_left(settings):
    def check():
        assert not Book.objects.exists()
        assert not list(Path(settings.FILE_UPLOAD_TEMP_DIR).iterdir()), "temporary upload file left behind"
        media = Path(settings.MEDIA_ROOT)
        assert not media.exists() or not [p for p in media.rglob("*") if p.is_file()]

    return check


@pytest.mark.parametrize(
    "make_data, status, code",
    [
        pytest.param(lambda pdf: {"title": "no file"}, 400, "no_file", id="no-file"),
        pytest.param(lambda pdf: {"document": file_of(pdf)}, 400, "no_file", id="wrong-field-name"),
        pytest.param(
            lambda pdf: {"file": [file_of(pdf), file_of(pdf)]}, 400, "invalid_field", id="two-files"
        ),
        pytest.param(
            lambda pdf: {"file": file_of(pdf), "language": "klingon"},
            400,
            "invalid_field",
            id="unknown-language",
        ),
        pytest.param(
            lambda pdf: {"file": file_of(pdf), "title": "x" * 10_000}, 400, "invalid_field", id="long-title"
        ),
        pytest.param(
            lambda pdf: {"file": file_of(pdf), "ocr_mode": "magic"},
            400,
            "invalid_field",
            id="unknown-ocr-mode",
        ),
        pytest.param(
            lambda pdf: {"file": file_of(b"Hello, I am text.\n" * 50)}, 415, "not_pdf", id="text-named-pdf"
        ),
        pytest.param(lambda pdf: {"file": file_of(b"")}, 415, "not_pdf", id="empty-file"),
        pytest.param(
            lambda pdf: {"file": file_of(b"%PDF-1.7\n" + bytes(range(256)) * 40)},
            422,
            "corrupt",
            id="header-then-garbage",
        ),
        pytest.param(lambda pdf: {"file": file_of(pdf[: len(pdf) // 2])}, 422, "corrupt", id="truncated"),
        pytest.param(
            lambda pdf: {"file": file_of(encrypted_pdf(pdf, user_password="secret"))},
            422,
            "encrypted",
            id="encrypted",
        ),
        pytest.param(lambda pdf: {"file": file_of(zero_page_pdf())}, 422, "no_pages", id="zero-pages"),
    ],
)
def test_bad_upload_is_refused_with_status_and_code(
    api, good_pdf_bytes, assert_nothing_left, make_data, status, code
):
    response = post(api, make_data(good_pdf_bytes))

    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert body["error"] and isinstance(body["details"], str)
    assert_nothing_left()


def test_a_pdf_by_content_is_accepted_whatever_its_name(api, good_pdf_bytes):
    response = post(api, {"file": file_of(good_pdf_bytes, name="scan.bin")})
    response.wsgi_request.close()  # the stream is not read here; release the upload

    assert response.status_code == 200
    assert Book.objects.get().original_filename == "scan.bin"


def test_sse_client_gets_the_rejection_as_one_error_event(api, assert_nothing_left):
    response = post(api, {"file": file_of(b"not a pdf")}, accept=SSE)

    assert response.status_code == 415
    assert response["Content-Type"].startswith(SSE)
    (message,) = parse_stream(response.content)
    assert message.event == "error"
    assert message.data == {
        "error": "Invalid file type",
        "details": "Only PDF files are allowed.",
        "code": "not_pdf",
    }
    assert_nothing_left()


def test_file_over_the_size_limit_is_413(api, settings, good_pdf_bytes, assert_nothing_left):
    settings.BOOK_MAX_UPLOAD_BYTES = len(good_pdf_bytes) - 1

    response = post(api, {"file": file_of(good_pdf_bytes)})

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert_nothing_left()


def test_body_far_over_the_limit_is_refused_by_its_content_length(api, settings, assert_nothing_left):
    settings.BOOK_MAX_UPLOAD_BYTES = 1024
    big = file_of(b"%PDF-1.7\n" + b"0" * (3 * 1024 * 1024))

    response = post(api, {"file": big})

    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert_nothing_left()


def test_more_pages_than_the_limit_is_422(api, settings, tmp_path, assert_nothing_left):
    settings.BOOK_MAX_PAGES = 2
    pdf = build_pdf(tmp_path / "three.pdf", [english_page()] * 3)

    response = post(api, {"file": file_of(pdf.read_bytes())})

    assert response.status_code == 422
    assert response.json()["code"] == "too_many_pages"
    assert "limit is 2" in response.json()["details"]
    assert_nothing_left()


def test_owner_password_only_pdf_opens_so_it_is_accepted(api, good_pdf_bytes):
    pdf = encrypted_pdf(good_pdf_bytes, user_password="", owner_password="owner-secret")

    response = post(api, {"file": file_of(pdf)})
    response.wsgi_request.close()  # the stream is not read here; release the upload

    assert response.status_code == 200
    assert Book.objects.get().total_pages == 1


@pytest.mark.parametrize(
    "after_the_end",
    [
        pytest.param(b"\0" * 4096, id="nul-padding"),
        pytest.param(b"<html>%s</html>" % (b"x" * 3000), id="html"),
    ],
)
def test_a_pdf_followed_by_bytes_after_its_end_is_accepted(api, good_pdf_bytes, after_the_end):
    """Padding or a download's error page after %%EOF: pdfium and poppler read the file whole."""
    response = post(api, {"file": file_of(good_pdf_bytes + after_the_end)})
    response.wsgi_request.close()  # the stream is not read here; release the upload

    assert response.status_code == 200
    assert Book.objects.get().total_pages == 1


def test_uploads_are_rate_limited_per_user(api, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"uploads": "2/hour"})

    responses = [post(api, {"title": "no file"}) for _ in range(3)]

    assert [r.status_code for r in responses] == [400, 400, 429]
    assert responses[-1].json()["code"] == "throttled"
    assert int(responses[-1]["Retry-After"]) > 0


def test_only_uploads_count_against_the_upload_limit(api, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"uploads": "2/hour"})

    not_uploads = [
        api.options(UPLOAD_URL),
        api.get(UPLOAD_URL),
        api.get("/api/books/"),
        api.options("/api/books/"),
    ]
    uploads = [post(api, {"title": "no file"}) for _ in range(3)]

    assert [r.status_code for r in not_uploads] == [200, 405, 200, 200]
    assert [r.status_code for r in uploads] == [400, 400, 429]


def test_a_form_of_a_thousand_fields_is_a_client_error(api):
    response = post(api, {f"field{n}": "x" for n in range(1100)})

    assert (response.status_code, response.json()["code"]) == (400, "bad_request")
    assert "DATA_UPLOAD_MAX_NUMBER_FIELDS" in response.json()["details"]


def test_a_truncated_pdf_is_refused_saying_so(api, good_pdf_bytes, assert_nothing_left):
    response = post(api, {"file": file_of(good_pdf_bytes[: len(good_pdf_bytes) - 200])})

    assert response.status_code == 422
    assert response.json()["code"] == "corrupt"
    assert "truncated" in response.json()["details"]
    assert_nothing_left()


class GunicornLikeBody(io.BytesIO):
    """A request body as gunicorn hands it over: `failed` set means the connection closes."""

    failed = False


@pytest.mark.parametrize(
    "unread, closes",
    [(3 * body_deadline.DISCARD_CHUNK_BYTES + 5, False), (body_deadline.DISCARD_MAX_BYTES + 1, True)],
)
def test_a_body_the_app_left_unread_is_discarded_or_the_connection_closed(unread, closes):
    stream = GunicornLikeBody(b"x" * unread)
    body = body_deadline.DeadlineInput(stream, seconds=60, length=unread)

    body.discard_unread()

    assert stream.failed is closes
    assert (body.unread == 0) is not closes
