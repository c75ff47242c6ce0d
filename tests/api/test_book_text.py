"""GET /api/books/{id}/text/: the narration as text/plain, or as chapters with ?format=json."""

import pytest

from audiobooks.models import Book, BookPage
from tests.support.model_factories import make_book

pytestmark = pytest.mark.django_db

PAGES = [
    "Chapter 1: The River\nThe river runs to the sea and the children swim in it every single\n"
    "summer. It is cold.\n- 1 -",
    "Tales of Water\nDr. Rao lives by it. He counts 3.5 fish a day.\n- 2 -",
    "Tales of Water\nChapter 2: The Fox\nThe fox ran.\n- 3 -",
]
NARRATION = (
    "Chapter 1: The River\n\n"
    "The river runs to the sea and the children swim in it every single summer. It is cold.\n\n"
    "Dr. Rao lives by it. He counts 3.5 fish a day.\n\n"
    "Chapter 2: The Fox\n\n"
    "The fox ran.\n"
)


@pytest.fixture
def book(user) -> Book:
    book = make_book(user, pages=3, stored=0)
    for number, text in enumerate(PAGES, start=1):
        BookPage.objects.create(book=book, page_number=number, text_content=text, method="text")
    return book


def test_the_text_is_what_a_narrator_reads(api, book):
    response = api.get(f"/api/books/{book.pk}/text/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == NARRATION


def test_json_gives_chapters_paragraphs_with_their_pages_and_sentences(api, book):
    body = api.get(f"/api/books/{book.pk}/text/?format=json").json()

    assert body["book_id"] == book.pk
    assert [(c["title"], c["start_page"]) for c in body["chapters"]] == [
        ("Chapter 1: The River", 1),
        ("Chapter 2: The Fox", 3),
    ]
    second = body["chapters"][0]["paragraphs"][1]
    assert second == {
        "text": "Dr. Rao lives by it. He counts 3.5 fish a day.",
        "pages": [2, 2],
        "sentences": ["Dr. Rao lives by it.", "He counts 3.5 fish a day."],
    }


def test_a_completed_books_stored_narration_is_served_and_its_pages_stay_as_extracted(api, book):
    book.narration = {"chapters": [{"title": "", "start_page": 1, "paragraphs": [{"text": "Stored."}]}]}
    book.save()

    assert api.get(f"/api/books/{book.pk}/text/").content.decode() == "Stored.\n"
    assert api.get(f"/api/books/{book.pk}/pages/2/").json()["text_content"] == PAGES[1]


@pytest.mark.parametrize("query", ["", "?format=json"])
def test_a_book_still_processing_answers_409_with_the_error_body(api, user, query):
    busy = make_book(user, status=Book.Status.PROCESSING, pages=4, stored=1)

    response = api.get(f"/api/books/{busy.pk}/text/{query}")

    assert response.status_code == 409
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "still_processing"
    assert "1 of 4 pages" in response.json()["details"]


def test_the_book_names_its_text_url(api, book):
    assert api.get(f"/api/books/{book.pk}/").json()["text_url"].endswith(f"/api/books/{book.pk}/text/")


def test_without_a_token_the_text_is_refused(client, book):
    response = client.get(f"/api/books/{book.pk}/text/")

    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_a_failed_books_narration_is_made_from_its_pages_on_first_request_and_kept(api, book):
    Book.objects.filter(pk=book.pk).update(status=Book.Status.FAILED)
    assert Book.objects.get(pk=book.pk).narration is None

    first = api.get(f"/api/books/{book.pk}/text/").content.decode()

    assert first == NARRATION
    assert Book.objects.get(pk=book.pk).narration["chapters"][1]["title"] == "Chapter 2: The Fox"
