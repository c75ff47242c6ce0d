from hypothesis import given, settings
from hypothesis import strategies as st

from audiobooks.narration.book_text import narrate, plain_text
from audiobooks.narration.chapters import chapter_marks
from tests.narration.sample_lines import full_line


def outline(*entries):
    return [{"title": title, "page": page, "level": level} for title, page, level in entries]


def test_the_outline_top_level_names_the_chapters():
    marks = chapter_marks(outline(("One", 1, 0), ("1.1", 2, 1), ("Two", 5, 0), ("Nowhere", None, 0)))
    assert marks == [("One", 1), ("Two", 5)]


def test_a_single_top_entry_holding_the_rest_is_the_book_not_a_chapter():
    marks = chapter_marks(outline(("The Book", 1, 0), ("One", 2, 1), ("Two", 4, 1)))
    assert marks == [("One", 2), ("Two", 4)]


def test_chapters_come_from_the_outline_and_the_heading_under_each_title_is_not_read_twice():
    pages = [
        (1, f"Preface\n{full_line(1)} ends."),
        (2, f"The River\n{full_line(2)} flows."),
        (3, f"The Fox\n{full_line(3)} ran."),
    ]
    narration = narrate(pages, outline=outline(("The River", 2, 0), ("The Fox", 3, 0)))
    assert [(c["title"], c["start_page"]) for c in narration["chapters"]] == [
        ("", 1),
        ("The River", 2),
        ("The Fox", 3),
    ]
    assert [p["text"] for p in narration["chapters"][1]["paragraphs"]] == [f"{full_line(2)} flows."]


def test_without_an_outline_headings_make_the_chapters():
    pages = [
        (1, f"Chapter 1\n{full_line(1)} ends."),
        (2, f"{full_line(2)} on.\n\nअध्याय २\n{full_line(3)} ran."),
    ]
    narration = narrate(pages, outline=[])
    assert [(c["title"], c["start_page"]) for c in narration["chapters"]] == [
        ("Chapter 1", 1),
        ("अध्याय २", 2),
    ]


def test_a_book_without_headings_is_one_untitled_chapter():
    narration = narrate([(1, f"{full_line(1)}\nends."), (2, f"{full_line(2)} on.")], outline=[])
    assert [(c["title"], c["start_page"], len(c["paragraphs"])) for c in narration["chapters"]] == [
        ("", 1, 2)
    ]


def test_the_plain_text_is_titles_and_paragraphs_one_blank_line_apart():
    narration = narrate([(1, "Chapter 1\nIt begins. It ends."), (2, "Chapter 2\nMore.")], outline=[])
    assert plain_text(narration) == "Chapter 1\n\nIt begins. It ends.\n\nChapter 2\n\nMore.\n"
    assert narration["chapters"][0]["paragraphs"][0] == {
        "text": "It begins. It ends.",
        "pages": [1, 1],
        "sentences": ["It begins.", "It ends."],
    }


def test_an_empty_book_narrates_nothing():
    assert plain_text(narrate([(1, ""), (2, "")], outline=[])) == ""


@settings(max_examples=300, deadline=None)
@given(
    pages=st.lists(
        st.text(alphabet=st.sampled_from("ab C.।॥?!-१2 \n\u0915\u093f\u094d:·"), max_size=200), max_size=8
    ),
    outline=st.lists(
        st.fixed_dictionaries(
            {
                "title": st.text(max_size=20),
                "page": st.one_of(st.none(), st.integers(0, 10)),
                "level": st.integers(0, 3),
            }
        ),
        max_size=5,
    ),
)
def test_any_page_text_and_outline_narrate_without_error_and_lose_no_word_but_furniture(pages, outline):
    numbered = list(enumerate(pages, start=1))
    text = plain_text(narrate(numbered, outline=outline))
    # Words are only ever joined (across lines, or a hyphen at a line end), never made up; a
    # word broken at a page end may be joined across the furniture (a page number) after it.
    source = squeezed(" ".join(pages) + " ".join(entry["title"] for entry in outline))
    assert all(found_in_at_most_two_pieces(squeezed(word), source) for word in text.split())


def squeezed(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace() and ch != "-")


def found_in_at_most_two_pieces(word: str, source: str) -> bool:
    return any(word[:cut] in source and word[cut:] in source for cut in range(len(word) + 1))


def test_a_word_broken_before_a_page_number_page_is_joined_across_it():
    assert plain_text(narrate([(1, "C-"), (2, "2"), (3, "b")], outline=[])) == "Cb\n"


def test_a_heading_printed_on_two_lines_under_an_outline_title_is_not_read_twice():
    pages = [(1, f"Chapter 3\nThe River\n{full_line(1)}\nflows.")]
    narration = narrate(pages, outline=outline(("Chapter 3: The River", 1, 0)))
    assert plain_text(narration) == f"Chapter 3: The River\n\n{full_line(1)} flows.\n"


def test_prose_that_starts_like_a_heading_starts_no_chapter():
    pages = [(1, f"Part of the reason was the rain\n{full_line(1)}.\nभाग कर वह घर पहुँचा\n{full_line(2)}.")]
    assert [chapter["title"] for chapter in narrate(pages, outline=[])["chapters"]] == [""]
