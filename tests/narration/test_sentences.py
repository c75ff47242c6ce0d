import pytest

from audiobooks.narration.sentences import split_sentences


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "Dr. Rao came at 3.30 p.m. today. He paid $4.50!",
            ["Dr. Rao came at 3.30 p.m. today.", "He paid $4.50!"],
        ),
        (
            "Mr. J. K. Smith, e.g. a clerk, left. Why? Nobody knew.",
            ["Mr. J. K. Smith, e.g. a clerk, left.", "Why?", "Nobody knew."],
        ),
        ('He said, "Stop." Then he left.', ['He said, "Stop."', "Then he left."]),
        ("The U.S. team won. The end", ["The U.S. team won.", "The end"]),
        ("राम घर गया। सीता ने पूछा, क्या हुआ? कुछ नहीं!", ["राम घर गया।", "सीता ने पूछा, क्या हुआ?", "कुछ नहीं!"]),
        ("धर्मक्षेत्रे कुरुक्षेत्रे ॥ १ ॥ सञ्जय उवाच ॥२॥", ["धर्मक्षेत्रे कुरुक्षेत्रे ॥ १ ॥", "सञ्जय उवाच ॥२॥"]),
        ("डॉ. शर्मा आए। वे बैठे।", ["डॉ. शर्मा आए।", "वे बैठे।"]),
        ("Hindi (हिन्दी) is spoken widely. English too.", ["Hindi (हिन्दी) is spoken widely.", "English too."]),
    ],
)
def test_sentences_end_where_a_reader_would_pause(text, sentences):
    assert split_sentences(text) == sentences


def test_nothing_is_lost_or_added():
    text = "One. Two? Three! चार। पाँच॥ six"
    assert " ".join(split_sentences(text)) == text


def test_a_sentence_ending_in_a_short_word_that_is_sometimes_abbreviated_ends():
    assert split_sentences("He said no. She left. Est. 1990 is printed on it.") == [
        "He said no.",
        "She left.",
        "Est.",
        "1990 is printed on it.",
    ]


def test_splitting_a_very_long_paragraph_takes_one_pass():
    """Half a million characters of short sentences: each mark looks back a few words only."""
    text = "Dr. Rao came. He sat down. " * 20_000
    assert len(split_sentences(text)) == 40_000
