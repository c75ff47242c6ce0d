from audiobooks.narration.paragraphs import reflow
from tests.narration.sample_lines import full_line

FULL = full_line(0)


def texts(pages) -> list[str]:
    return [paragraph.text for paragraph in reflow(pages)]


def test_hard_line_breaks_inside_a_paragraph_are_undone_and_a_short_last_line_ends_it():
    page = [FULL, FULL, "and it ends here.", FULL, "the next one ends too."]
    assert texts([(1, page)]) == [f"{FULL} {FULL} and it ends here.", f"{FULL} the next one ends too."]


def test_english_words_hyphenated_at_a_line_end_are_joined():
    page = [
        f"{FULL} extra-",
        "ordinary things happen to people here and there in the world at all times.",
        FULL,
    ]
    assert texts([(1, page)])[0] == (
        f"{FULL} extraordinary things happen to people here and there in the world at all times. {FULL}"
    )


def test_a_hyphen_before_a_capital_is_kept():
    assert texts([(1, [f"{FULL} Indo-", "European languages are many and spoken across the world."])]) == [
        f"{FULL} Indo- European languages are many and spoken across the world."
    ]


def test_a_paragraph_cut_by_a_page_break_is_one_paragraph_with_both_pages():
    paragraphs = reflow([(4, [FULL, FULL, f"{FULL} and"]), (5, ["it goes on here.", FULL, "End."])])
    assert [(p.text, p.first_page, p.last_page) for p in paragraphs] == [
        (f"{FULL} {FULL} {FULL} and it goes on here.", 4, 5),
        (f"{FULL} End.", 5, 5),
    ]


def test_a_hindi_paragraph_across_pages_joins_when_its_sentence_is_left_open():
    first = [
        "भारत एक विशाल देश है जिसकी संस्कृति बहुत पुरानी है और उसके गाँवों में",
        "रहने वाले किसान सुबह से शाम तक अपने खेतों में बड़ी मेहनत करके",
    ]
    second = ["अनाज उगाते हैं।", "बच्चे सुबह विद्यालय जाते हैं और शाम को खेलते हैं।"]
    assert texts([(1, first), (2, second)])[0] == " ".join(first) + " अनाज उगाते हैं।"


def test_a_page_that_ends_a_sentence_starts_a_new_paragraph_on_the_next():
    assert len(reflow([(1, [FULL, "the end."]), (2, [full_line(1), full_line(2), "done."])])) == 2


def test_a_blank_line_inside_an_open_sentence_does_not_split_the_paragraph():
    assert texts([(1, [FULL, f"{FULL} and", "", "then it ends."])]) == [f"{FULL} {FULL} and then it ends."]


def test_chapter_headings_stand_alone():
    paragraphs = reflow([(1, [FULL, "the end of one.", "Chapter 2: The Fox", f"The fox ran. {FULL}", "on."])])
    assert [(p.text, p.heading) for p in paragraphs] == [
        (f"{FULL} the end of one.", False),
        ("Chapter 2: The Fox", True),
        (f"The fox ran. {FULL} on.", False),
    ]


def test_a_chapter_page_never_continues_the_paragraph_before_it():
    pages = [(1, [FULL, full_line(1)]), (2, [full_line(2), "it ends."])]
    paragraphs = reflow(pages, hard_breaks=frozenset({2}))
    assert [p.first_page for p in paragraphs] == [1, 2]


def test_a_sentence_ending_short_of_the_margin_before_a_long_word_is_no_paragraph_end():
    """Narrow columns: "between families." stops short only because "Farmers..." did not fit."""
    column = [
        "the understanding between",
        "families. Farmers during",
        "the long monsoon",
        "remembered the old.",
    ]
    assert texts([(1, ["the understanding", "between families.", "extraordinarily", *column])]) == [
        "the understanding between families. extraordinarily " + " ".join(column)
    ]


def test_a_page_that_ends_a_sentence_at_the_margin_runs_on_to_the_next():
    pages = [(1, [FULL, f"{full_line(3)} end."]), (2, [f"More {full_line(4)}", "done."])]
    assert texts(pages) == [f"{FULL} {full_line(3)} end. More {full_line(4)} done."]
