"""Original PDFs in Cloudinary: the real cloudinary SDK against a loopback stand-in of its
API (tests/support/cloudinary_stand_in.py), the upload pipeline and the job in process."""

import cloudinary
import pytest
import requests

from audiobooks.jobs import book_actions
from audiobooks.jobs.runners import book_runner
from audiobooks.models import Book
from audiobooks.storage.original_pdfs import CloudinaryPdfStorage
from tests.support.cloudinary_stand_in import API_KEY, API_SECRET, CLOUD, CloudinaryStandIn
from tests.support.pdf_factory import build_pdf, english_page, hindi_page
from tests.support.sse_client import events_only, parse_stream

pytestmark = pytest.mark.django_db(transaction=True)  # the job's thread reads the book


@pytest.fixture
def stand_in(settings, monkeypatch):
    server = CloudinaryStandIn().start()
    settings.CLOUDINARY_URL = f"cloudinary://{API_KEY}:{API_SECRET}@{CLOUD}"
    cloudinary.config(cloud_name=CLOUD, api_key=API_KEY, api_secret=API_SECRET, upload_prefix=server.url)
    monkeypatch.setattr(Book._meta.get_field("pdf"), "storage", CloudinaryPdfStorage())
    yield server
    cloudinary.reset_config()
    server.stop()


@pytest.fixture
def two_page_pdf(tmp_path):
    return build_pdf(tmp_path / "two.pdf", [english_page(start=0), hindi_page(count=4)])


def upload(api, pdf_path, accept="text/event-stream"):
    with open(pdf_path, "rb") as handle:
        response = api.post(
            "/api/books/upload-sse/",
            {"file": handle, "title": "Badal", "language": "hinglish"},
            format="multipart",
            HTTP_ACCEPT=accept,
        )
    return response, (b"".join(response.streaming_content) if response.streaming else response.content)


def test_the_original_goes_to_cloudinary_and_the_job_reads_it_back_from_there(
    api, stand_in, two_page_pdf, settings, tmp_path
):
    response, body = upload(api, two_page_pdf)

    stream = events_only(parse_stream(body))
    assert stream[-1].event == "completed", stream[-1].data
    book = Book.objects.get(pk=stream[-1].data["book_id"])
    assert book.pdf.name.startswith("books/") and book.pdf.name.endswith(".pdf")
    assert stand_in.resources == {book.pdf.name: two_page_pdf.read_bytes()}
    assert [page.method for page in book.pages.all()] == ["text", "ocr"]
    # Stored as a private raw file; the job checks it is there, then fetches it through a
    # signed download link.
    assert stand_in.requests == ["POST raw/upload", "GET resources/raw", "GET raw/download"]
    assert not list((tmp_path / "media").rglob("*.pdf")), "nothing kept on local disk"


def test_the_owner_gets_a_signed_expiring_link_to_the_original(api, other_api, stand_in, two_page_pdf):
    _, body = upload(api, two_page_pdf)
    book_id = events_only(parse_stream(body))[-1].data["book_id"]

    response = api.get(f"/api/books/{book_id}/pdf/")

    assert response.status_code == 302
    link = response["Location"]
    assert link.startswith(f"{stand_in.url}/v1_1/{CLOUD}/raw/download?")
    assert "signature=" in link and "expires_at=" in link and "type=private" in link
    assert requests.get(link, timeout=10).content == two_page_pdf.read_bytes()
    assert other_api.get(f"/api/books/{book_id}/pdf/").status_code == 404


def test_a_failed_upload_to_cloudinary_is_a_clear_503_and_leaves_nothing(
    api, stand_in, two_page_pdf, tmp_path
):
    stand_in.fail_uploads = True

    response, body = upload(api, two_page_pdf, accept="application/json")

    assert response.status_code == 503
    assert response.json()["code"] == "storage_unavailable"
    assert not Book.objects.exists()
    assert stand_in.resources == {}
    assert not list((tmp_path / "upload-tmp").iterdir())


def test_a_book_that_cannot_be_saved_after_its_upload_leaves_no_orphan_in_cloudinary(
    api, stand_in, two_page_pdf, monkeypatch
):
    def database_down(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(book_actions, "publish_event", database_down)

    response, _ = upload(api, two_page_pdf, accept="application/json")

    assert response.status_code == 500 and response.json()["code"] == "server_error"
    assert not Book.objects.exists()
    assert stand_in.requests == ["POST raw/upload", "POST raw/destroy"]
    assert stand_in.resources == {}


def test_deleting_a_book_deletes_its_original_in_cloudinary(api, stand_in, two_page_pdf):
    _, body = upload(api, two_page_pdf)
    book_id = events_only(parse_stream(body))[-1].data["book_id"]
    assert book_runner().wait_idle(timeout=60)

    assert api.delete(f"/api/books/{book_id}/").status_code == 204
    assert stand_in.resources == {}
