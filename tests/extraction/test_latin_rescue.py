"""Which words of a Devanagari reading are read again with the Latin model: those it made
into digits and stray ASCII, and their letterless neighbours, never real Devanagari."""

import pytest

from audiobooks.extraction.latin_rescue import candidates, latin_reading, misread_latin, run_box
from audiobooks.extraction.tesseract_words import Word, page_text, parse_tsv, uncertain_words


def word(text: str, confidence: float = 95.0, line: tuple[int, int, int] = (1, 1, 1)) -> Word:
    return Word(text, confidence, 0, 0, 10, 10, line)


@pytest.mark.parametrize(
    "text, confidence, misread",
    [
        ('C0५१९"', 34.0, True),  # "Computer" as the Devanagari model read it
        ("00०5", 72.7, True),  # "books": ASCII digits
        ("ऽ८॥००।", 21.6, True),  # "school": no letter, no confidence
        ("†००६७॥॥|", 88.0, True),  # "football": digits among stray signs, confidently
        ("भारत", 96.0, False),
        ("भर्तुः", 60.7, False),  # a real word the model was unsure of
        ("॥५॥", 78.3, False),  # a verse number
        ("(१९४७),", 90.0, False),  # a year
        ("२०-२५", 90.0, False),
        ("“१९४७–४८”", 90.0, False),
        ("१०%", 90.0, False),
        ("।", 90.0, False),  # a danda on its own
        ("क", 0.0, False),  # a letter from a table of letters
    ],
)
def test_a_word_is_misread_latin_when_it_holds_no_devanagari_letter_and_looks_wrong(
    text, confidence, misread
):
    assert misread_latin(word(text, confidence)) is misread


def test_a_letterless_word_beside_a_misread_one_on_its_line_is_read_again_too():
    words = [
        word("से"),
        word("8a", 83.8),  # "Bay"
        word("०", 86.8),  # "of": a Devanagari zero, confident, but between two misreadings
        word("8९१५१।", 1.3),  # "Bengal"
        word("में"),
        word("०", 86.8, line=(1, 1, 2)),  # a zero on the next line stays
    ]

    assert candidates(words) == [1, 2, 3]


@pytest.mark.parametrize(
    "found, reading",
    [
        ([word("Computer", 96.8)], ("Computer", 96.8)),
        ([word("Bay", 97.0), word("of", 91.0)], ("Bay of", 91.0)),
        ([word("a", 91.8)], None),  # one letter: too little to replace anything
        ([word("1947", 90.0)], None),  # not letters
        ([], None),
    ],
)
def test_a_latin_reading_needs_two_letters_mostly_letters(found, reading):
    assert latin_reading(found) == reading


def test_tesseract_tsv_becomes_lines_and_paragraphs():
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [
        "5\t1\t1\t1\t1\t1\t0\t0\t5\t5\t96\tपहली",
        "5\t1\t1\t1\t1\t2\t6\t0\t5\t5\t95\tपंक्ति",
        "4\t1\t1\t1\t2\t0\t0\t9\t5\t5\t-1\t",
        "5\t1\t1\t1\t2\t1\t0\t9\t5\t5\t90\tदूसरी",
        "5\t1\t2\t1\t1\t1\t0\t30\t5\t5\t-1\tनया",
    ]

    words = parse_tsv("\n".join([header, *rows]))

    assert page_text(words) == "पहली पंक्ति\nदूसरी\n\nनया"
    assert [w.confidence for w in words] == [96.0, 95.0, 90.0, 0.0]


def test_the_words_ocr_was_unsure_of_are_listed_once_each_in_reading_order():
    words = [
        word("भर्तुः", 41.0),
        word("नदी", 96.0),
        word("।", 12.0),  # a mark, not a word to look up
        word("भर्तुः", 38.0),
        word("Bengal", 55.0),
        word("42", 10.0),
    ]

    assert uncertain_words(words) == ("भर्तुः", "Bengal")


def test_a_run_is_cut_out_whole_where_its_line_runs_back_on_a_skewed_scan():
    # On a scan turned 2.5 degrees tesseract put a word that starts left of the run's end
    # next on its line; the crop once ran from right to left and the page failed.
    line = (1, 1, 1)
    words = [
        Word("से", 95.0, 100, 40, 60, 30, line),
        Word("C0५१९", 30.0, 200, 42, 150, 30, line),
        Word("में", 95.0, 300, 44, 50, 30, line),
    ]

    left, top, right, bottom = run_box(words, [1])

    assert left <= 200 and right >= 350 and top < 42 < 72 < bottom
    assert left >= 161  # not over the word before it
