"""Correcting a page: the correction beside the extracted text, who and when, concurrent
edits refused (If-Match / version → 412), and the narration read from the corrections."""

import pytest

from audiobooks.models import Book
from tests.support.model_factories import make_book

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(user) -> Book:
    return make_book(user, status=Book.Status.COMPLETED, pages=2)


def page_url(book: Book, number: int = 1) -> str:
    return f"/api/books/{book.pk}/pages/{number}/"


def correct(api, book, text, *, if_match=None, **body):
    headers = {"HTTP_IF_MATCH": if_match} if if_match else {}
    return api.patch(page_url(book), {"text_content": text, **body}, format="json", **headers)


def test_a_page_says_its_version_in_its_etag_and_keeps_the_extracted_text(api, book):
    response = api.get(page_url(book))

    page = response.json()
    assert response["ETag"] == '"v1"'
    assert (page["version"], page["text_content"], page["extracted_text"]) == (1, "पृष्ठ 1", "पृष्ठ 1")
    assert page["edited_at"] is None and page["edited_by"] is None
    assert page["uncertain_words"] == []  # a factory page: nothing OCR was unsure of


def test_a_correction_is_stored_beside_the_extracted_text_with_who_and_when(api, book):
    response = correct(api, book, "पृष्ठ एक", if_match='"v1"')

    page = response.json()
    assert response.status_code == 200 and response["ETag"] == '"v2"'
    assert (page["text_content"], page["extracted_text"], page["version"]) == ("पृष्ठ एक", "पृष्ठ 1", 2)
    assert page["edited_by"] == "reader" and page["edited_at"] is not None
    assert page["char_count"] == len("पृष्ठ एक")


def test_an_edit_made_on_an_older_version_is_refused_and_changes_nothing(api, book):
    correct(api, book, "first editor's text", if_match='"v1"')

    late = correct(api, book, "second editor's text", if_match='"v1"')

    assert late.status_code == 412 and late.json()["code"] == "version_conflict"
    assert api.get(page_url(book)).json()["text_content"] == "first editor's text"


def test_an_edit_without_a_version_is_refused_with_428(api, book):
    response = correct(api, book, "text")

    assert response.status_code == 428 and response.json()["code"] == "version_required"
    assert api.get(page_url(book)).json()["version"] == 1


def test_the_version_may_come_in_the_body_instead(api, book):
    assert correct(api, book, "text", version=1).status_code == 200
    assert correct(api, book, "again", version=1).status_code == 412


def test_null_goes_back_to_the_extracted_text(api, book):
    correct(api, book, "a correction", if_match='"v1"')

    page = correct(api, book, None, if_match='"v2"').json()

    assert (page["text_content"], page["version"], page["edited_at"], page["edited_by"]) == (
        "पृष्ठ 1",
        3,
        None,
        None,
    )


def test_the_narration_reads_the_corrected_text(api, book):
    misread = "नदी बहतो है और गाँव सोता है।"
    book.pages.filter(page_number=1).update(text_content=misread, extracted_text=misread)
    before = api.get(f"/api/books/{book.pk}/text/").content.decode()

    correct(api, book, "नदी बहती है और गाँव सोता है।", if_match='"v1"')
    after = api.get(f"/api/books/{book.pk}/text/").content.decode()

    assert "बहतो" in before
    assert "बहती" in after and "बहतो" not in after


def test_another_readers_page_and_a_page_not_stored_are_404(api, other_api, book, user):
    unread = make_book(user, status=Book.Status.PROCESSING, pages=3, stored=1)

    assert correct(other_api, book, "x", if_match='"v1"').status_code == 404
    assert (
        api.patch(page_url(unread, 3), {"text_content": "x", "version": 1}, format="json").status_code == 404
    )


def test_a_correction_longer_than_a_page_may_hold_is_refused(api, book, settings):
    settings.PAGE_TEXT_MAX_CHARS = 10

    response = correct(api, book, "x" * 11, if_match='"v1"')

    assert response.status_code == 400 and response.json()["code"] == "invalid_field"
