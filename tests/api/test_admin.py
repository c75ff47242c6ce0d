"""The Django admin: operators find books, see progress, retry or cancel, and read pages."""

import pytest

from audiobooks.jobs.runners import book_runner
from audiobooks.models import Book, BookPage
from tests.support.model_factories import make_book
from tests.support.pdf_factory import build_pdf, english_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(user, other_user):
    return {
        "done": make_book(user, title="Godaan", status=Book.Status.COMPLETED),
        "failed": make_book(other_user, title="Gaban", status=Book.Status.FAILED, pages=4, stored=1),
        "english": make_book(user, title="Kidnapped", status=Book.Status.COMPLETED),
    }


def changelist_titles(admin_client, query: str = "") -> list[str]:
    response = admin_client.get(f"/admin/audiobooks/book/{query}")
    assert response.status_code == 200
    return sorted(book.title for book in response.context["cl"].result_list)


def test_books_are_listed_with_owner_status_and_progress(admin_client, shelf):
    response = admin_client.get("/admin/audiobooks/book/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Gaban" in html and "stranger" in html and "1/4" in html and "3/3" in html


def test_books_filter_by_status_and_language_and_search_by_title_or_author(admin_client, shelf):
    Book.objects.filter(pk=shelf["english"].pk).update(language="english", author="Stevenson")

    assert changelist_titles(admin_client, "?status__exact=failed") == ["Gaban"]
    assert changelist_titles(admin_client, "?language__exact=english") == ["Kidnapped"]
    assert changelist_titles(admin_client, "?q=godaan") == ["Godaan"]
    assert changelist_titles(admin_client, "?q=stevenson") == ["Kidnapped"]


@pytest.mark.django_db(transaction=True)
def test_the_retry_action_processes_a_failed_book_again(admin_client, user, tmp_path):
    book = make_book(user, title="Retry me", status=Book.Status.FAILED, pages=2, stored=0)
    with open(build_pdf(tmp_path / "two.pdf", [english_page(start=0), english_page(start=1)]), "rb") as pdf:
        book.pdf.save("two.pdf", pdf)

    response = admin_client.post(
        "/admin/audiobooks/book/", {"action": "retry_books", "_selected_action": [book.pk]}, follow=True
    )

    assert "1 book(s) retried." in response.content.decode()
    assert book_runner().wait_idle(timeout=60)
    book.refresh_from_db()
    assert book.status == Book.Status.COMPLETED and book.pages.count() == 2


def test_the_cancel_action_stops_processing_books_and_says_which_it_could_not(admin_client, user, shelf):
    processing = make_book(user, title="Running", status=Book.Status.PROCESSING, pages=5, stored=2)
    selected = [processing.pk, shelf["done"].pk]

    response = admin_client.post(
        "/admin/audiobooks/book/", {"action": "cancel_books", "_selected_action": selected}, follow=True
    )

    html = response.content.decode()
    assert "1 book(s) cancelled." in html and "Godaan: The book is completed" in html
    assert Book.objects.get(pk=processing.pk).status == Book.Status.CANCELLED


def test_pages_are_searchable_and_read_only(admin_client, shelf):
    page = BookPage.objects.get(book=shelf["done"], page_number=2)
    BookPage.objects.filter(pk=page.pk).update(text_content="होरी ने गाय ख़रीदी")

    found = admin_client.get("/admin/audiobooks/bookpage/?q=गाय")
    change = admin_client.post(f"/admin/audiobooks/bookpage/{page.pk}/change/", {"text_content": "edited"})

    assert [p.pk for p in found.context["cl"].result_list] == [page.pk]
    assert admin_client.get(f"/admin/audiobooks/bookpage/{page.pk}/change/").status_code == 200  # view
    assert change.status_code == 403
    assert admin_client.get("/admin/audiobooks/bookpage/add/").status_code == 403
    page.refresh_from_db()
    assert page.text_content == "होरी ने गाय ख़रीदी"


def test_the_admin_is_only_for_staff(client, user, shelf):
    client.force_login(user)
    response = client.get("/admin/audiobooks/book/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_admins_static_files_are_served_without_collectstatic(client):
    response = client.get("/static/admin/css/base.css")
    assert response.status_code == 200
