"""Character error rate: edits between a reading and the true text, per true character,
after Unicode (NFC) and whitespace are made uniform. Used by the tests and bench/."""

import unicodedata

from rapidfuzz.distance import Levenshtein


def normalized(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def character_error_rate(text: str, truth: str) -> float:
    return Levenshtein.distance(normalized(text), normalized(truth)) / len(normalized(truth))
