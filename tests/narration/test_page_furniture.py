import pytest

from audiobooks.narration.page_furniture import furniture_lines, is_page_number
from tests.narration.sample_lines import full_line


def body(page: int, rows: int = 6) -> list[str]:
    return [full_line(page * 100 + row) for row in range(rows)]


@pytest.mark.parametrize(
    "line", ["12", "- 12 -", "१२", "— १२ —", "Page 7", "पृष्ठ ४", "xiv", "[3]", "7 of 120"]
)
def test_page_numbers_in_any_script_are_recognised(line):
    assert is_page_number(line)


@pytest.mark.parametrize("line", ["12 monkeys came along", "Chapter 12", "2024 में भारत", "vivid", "civil"])
def test_lines_with_more_than_a_number_are_not_page_numbers(line):
    assert not is_page_number(line)


def dropped(pages: list[list[str]]) -> list[list[str]]:
    return [
        [page[index] for index in sorted(found)]
        for page, found in zip(pages, furniture_lines(pages), strict=True)
    ]


def test_a_running_header_misread_a_little_differently_on_each_page_is_furniture():
    headers = ["Tales of Water · The River", "Ta1es of Water · The River", "Tales of Water . The Rivcr"]
    pages = [[header, *body(number), str(number + 1)] for number, header in enumerate(headers * 2)]
    assert dropped(pages) == [[page[0], page[-1]] for page in pages]


def test_a_header_naming_the_chapter_is_furniture_even_when_each_chapter_has_two_pages():
    pages = [
        ["Tales of Water · The River", *body(1)],
        ["Tales of Water · The River", *body(2)],
        ["Tales of Water · The Market", *body(3)],
        ["Tales of Water · The Lighthouse", *body(4)],
    ]
    assert [found for found in furniture_lines(pages)] == [{0}, {0}, {0}, {0}]


def test_chapter_openers_are_kept_though_they_look_alike_on_pages_close_together():
    pages = [
        ["Chapter 1", *body(1)],
        body(2),
        ["Chapter 2", *body(3)],
        body(4),
        ["अध्याय ३", *body(5)],
        ["अध्याय ४", *body(6)],
    ]
    assert furniture_lines(pages) == [set()] * 6


def test_body_lines_at_the_top_of_pages_are_kept():
    pages = [body(number) for number in range(8)]
    assert furniture_lines(pages) == [set()] * 8


def test_a_footer_is_found_at_the_bottom_but_the_same_words_in_the_body_are_kept():
    footer = "Published by the Village Press"
    pages = [[*body(number), footer] for number in range(4)]
    pages[1].insert(3, footer)
    found = furniture_lines(pages)
    assert found == [{6}, {7}, {6}, {6}]


def test_a_short_phrase_a_narrow_column_repeats_on_one_nearby_page_is_kept():
    pages = [["Tales of Water", "stories about", *body(number), str(number)] for number in range(1, 4)]
    pages[1][1] = "the river ran"  # in the middle page only: pages 1 and 3 share the phrase
    assert dropped(pages) == [["Tales of Water", "1"], ["Tales of Water", "2"], ["Tales of Water", "3"]]


@pytest.mark.parametrize("line", ["II", "CD", "I", "Mix"])
def test_capital_roman_numerals_and_words_made_of_them_are_not_page_numbers(line):
    assert not is_page_number(line)


def test_lines_longer_than_a_header_are_never_furniture():
    long_line = " ".join(["the same long line printed at the top of every page"] * 40)
    pages = [[long_line, *body(number)] for number in range(30)]
    assert furniture_lines(pages) == [set()] * 30


def test_a_footer_ocr_set_apart_between_two_columns_is_furniture():
    pages = []
    for number in range(1, 5):
        left, right = body(number, rows=4), body(number + 50, rows=4)
        pages.append([*left, "", "Village Press", "", *right])
    assert dropped(pages) == [["Village Press"]] * 4
