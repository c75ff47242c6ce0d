"""Where a word goes on from, for a legacy font's mark typed before the letter it is drawn on."""

from audiobooks.extraction.glyph_spacing import NO_CODES, CodeKinds, ink_left
from audiobooks.extraction.legacy_fonts import CHANAKYA, KRUTI_DEV

# म, then a nukta typed before ड (its ink on ड, right of where it is typed), then ड.
TYPED = [
    (0, "×", (0.0, 0.0, 10.0, 10.0)),
    (1, "¸", (14.0, 0.0, 16.0, 3.0)),
    (2, "Ç", (10.0, 0.0, 20.0, 10.0)),
]


def test_a_mark_typed_before_its_letter_goes_on_from_the_letter():
    kinds = CodeKinds.of(CHANAKYA.single_codes, CHANAKYA.typed_before)

    assert ink_left(TYPED, 1, kinds) == 10.0


def test_other_characters_go_on_from_their_own_ink():
    chanakya = CodeKinds.of(CHANAKYA.single_codes, CHANAKYA.typed_before)
    before_a_space = [*TYPED[:2], (2, " ", None)]

    assert ink_left(TYPED, 1, CodeKinds.of(KRUTI_DEV.single_codes)) == 14.0
    assert ink_left(TYPED, 1, NO_CODES) == 14.0
    assert ink_left(before_a_space, 1, chanakya) == 14.0
    assert ink_left(TYPED, 2, chanakya) == 10.0
