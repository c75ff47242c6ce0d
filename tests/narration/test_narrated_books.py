"""Generated books through the real engine (tesseract, pdftoppm, pdfium) and the narration,
against the narration their typesetting says they should give."""

import pytest

from audiobooks.narration.book_text import narrate, plain_text
from tests.support.character_error import character_error_rate
from tests.support.narration_books import chapters_found, furniture_left, read_book, typeset

ENGLISH = dict(title="Tales of Water", devanagari=False)
HINDI = dict(title="जल की कहानियाँ", devanagari=True, paragraphs=7, footer="जल प्रकाशन, दिल्ली")
# name: (how the book is typeset, how it is printed)
BOOKS = {
    "english, digital, two columns, outline": (
        {**ENGLISH, "columns": 2, "footer": "Village Press"},
        dict(scanned=False, outline=True),
    ),
    "english, scanned": ({**ENGLISH, "paragraphs": 3}, dict(scanned=True, outline=False)),
    "hindi, digital": (HINDI, dict(scanned=False, outline=False)),
    "hindi, scanned, two columns, outline": ({**HINDI, "columns": 2}, dict(scanned=True, outline=True)),
}


@pytest.fixture(scope="module", params=list(BOOKS), ids=list(BOOKS))
def narrated(request, tmp_path_factory):
    layout, printing = BOOKS[request.param]
    book = typeset(**layout)
    pages, bookmarks = read_book(book, tmp_path_factory.mktemp("book") / "book.pdf", **printing)
    return book, pages, narrate(pages, outline=bookmarks), printing["scanned"]


def test_no_running_header_or_page_number_is_left(narrated):
    book, _, narration, _ = narrated
    text = plain_text(narration)
    assert len(book.pages) >= 3 and book.furniture
    assert furniture_left(book, text) == []
    paragraphs = [
        paragraph["text"] for chapter in narration["chapters"] for paragraph in chapter["paragraphs"]
    ]
    assert [text for text in paragraphs if any(text in line for line in book.furniture)] == []


def test_every_chapter_is_found_with_its_first_page(narrated):
    book, _, narration, _ = narrated
    assert len(narration["chapters"]) == len(book.chapters)
    assert chapters_found(book, narration["chapters"]) == len(book.chapters)


def test_words_hyphenated_at_line_ends_are_whole(narrated):
    book, _, narration, _ = narrated
    words = set(plain_text(narration).replace(".", " ").split())
    assert [word for word in book.hyphenated if word not in words] == []


def test_the_narration_reads_like_the_book(narrated):
    book, pages, narration, scanned = narrated
    narration_error = character_error_rate(plain_text(narration), book.narration)
    printed = "\n".join(line.text for page in book.pages for line in page)
    ocr_error = character_error_rate("\n".join(text for _, text in pages), printed)
    assert narration_error <= (ocr_error + 0.01 if scanned else 0.02)


def test_paragraphs_run_across_page_breaks_and_none_is_cut_in_two(narrated):
    """A paragraph end is read from a short last line that ends a sentence; one whose last
    line runs to the margin is joined to the next (the page text keeps no indents)."""
    book, _, narration, scanned = narrated
    paragraphs = [paragraph for chapter in narration["chapters"] for paragraph in chapter["paragraphs"]]
    expected = [block for block in book.narration.split("\n\n") if block.strip() not in dict(book.chapters)]
    assert any(first < last for first, last in (paragraph["pages"] for paragraph in paragraphs))
    assert len(expected) / 2 <= len(paragraphs) <= len(expected)
    if not scanned:
        assert all(any(block.strip() in paragraph["text"] for paragraph in paragraphs) for block in expected)
