import pytest

from audiobooks.extraction.text_layer import as_ocr_spells, disagreement_with_ocr

LAYER = (
    "पहले वाक्य में कुछ शब्द हैं। भारतीय स्वतंत्रता संग्राम में हज़ारों वीरों ने अपने प्राण दिए और "
    "अंग्रेज़ी शासन की नींव हिला दी। उसके बाद का समय भी कठिन था।"
)
BAND = "भारतीय स्वतंत्रता संग्राम में हज़ारों वीरों ने अपने प्राण दिए और अंग्रेज़ी शासन की नींव हिला दी।"


def edits(sample: str) -> float:
    """Edits counted between the layer and OCR's `sample` of it (the share is per character
    of the sample as compared)."""
    return round(disagreement_with_ocr(LAYER, sample) * len(as_ocr_spells(sample)), 6)


def test_ocr_reading_the_band_as_the_layer_holds_it_is_not_apart():
    assert edits(BAND) == 0


@pytest.mark.parametrize(
    "ocr_of_the_band",
    [
        BAND.replace("हज़ारों", "हजारों").replace("अंग्रेज़ी", "अंग्रेजी"),  # nuktas dropped
        BAND.replace("में", "मेँ"),  # chandrabindu for anusvara
        BAND.replace("स्वतंत्रता", "स्\u200cवतंत्रता"),  # a zero-width non-joiner after the virama
    ],
)
def test_marks_ocr_drops_whatever_the_page_shows_do_not_count_against_the_layer(ocr_of_the_band):
    assert edits(ocr_of_the_band) == 0


@pytest.mark.parametrize(
    ("ocr_of_the_band", "misread"),
    [
        (BAND.replace("हज़ारों", "हज़ारो").replace("संग्राम में", "संग्राम मे"), 2),
        (BAND.replace("भारतीय", "हारतीय"), 1),  # the block's first letter
        (BAND.replace("दी।", "दीं"), 1),  # its last
    ],
)
def test_each_misread_letter_counts_once_also_at_the_blocks_ends(ocr_of_the_band, misread):
    assert edits(ocr_of_the_band) == misread


def test_a_font_drawing_other_letters_than_its_map_says_stays_far_apart():
    swapped = BAND.translate(str.maketrans("कमतल", "मकलत"))
    assert disagreement_with_ocr(LAYER, swapped) > 0.03
