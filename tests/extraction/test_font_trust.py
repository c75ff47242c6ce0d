"""A book's fonts judged from their bands' distance from OCR (font_trust.py)."""

import threading

import pytest

from audiobooks.extraction.font_trust import CHECKS, FontVerdicts

FONT = "NotoSansDevanagari-Regular"


@pytest.fixture
def verdicts():
    return FontVerdicts(max_disagreement=0.02)


def test_a_font_is_judged_after_its_checks(verdicts):
    verdicts.record({FONT}, 0.0)
    assert verdicts.judge({FONT}).unjudged == {FONT}
    verdicts.record({FONT}, 0.01)
    assert verdicts.judge({FONT}).sound == {FONT: pytest.approx(0.005)}


def test_checks_that_disagree_are_read_again_before_the_font_is_judged(verdicts):
    verdicts.record({FONT}, 0.0)
    verdicts.record({FONT}, 0.04)
    assert verdicts.judge({FONT}).unjudged == {FONT}
    for _ in range(CHECKS):
        verdicts.record({FONT}, 0.05)
    assert verdicts.judge({FONT}).broken == {FONT: pytest.approx(0.035)}


def test_a_page_waits_for_the_checks_under_way_instead_of_reading_a_band_of_its_own(verdicts):
    with verdicts.checking({FONT}, timeout=5) as first, verdicts.checking({FONT}, timeout=5) as second:
        assert first == second == {FONT}  # two checks are needed: two pages make them
        waited = []
        third = threading.Thread(target=lambda: waited.append(third_page(verdicts)))
        third.start()
        verdicts.record({FONT}, 0.0)
        verdicts.record({FONT}, 0.0)
    third.join(timeout=5)
    assert waited == [set()]  # nothing left to check once the two were made
    assert verdicts.judge({FONT}).sound


def third_page(verdicts: FontVerdicts) -> set[str]:
    with verdicts.checking({FONT}, timeout=5) as mine:
        return mine
