"""Whether a page's text layer holds real text worth trusting over OCR, and tidying it."""

import re
import unicodedata

# Fewer letters than this on a page means its text layer is a stray label over a scan.
MIN_TEXT_LAYER_LETTERS = 20
MAX_BAD_CHAR_SHARE = 0.02
# Hindi prose has a virama (conjunct) every 30-50 characters; a long Devanagari layer with
# almost none, or with vowel signs that start words, lost its conjuncts in a broken
# ToUnicode map.
VIRAMA = "\u094d"
MIN_DEVANAGARI_FOR_CONJUNCT_CHECK = 150
MIN_VIRAMA_SHARE = 0.002
MAX_ORPHAN_SIGN_SHARE = 0.02


def is_devanagari(ch: str) -> bool:
    return "\u0900" <= ch <= "\u097f"


def is_devanagari_sign(ch: str) -> bool:
    """A vowel sign, virama or other mark that can only follow a consonant."""
    return is_devanagari(ch) and unicodedata.category(ch) in ("Mn", "Mc")


def devanagari_is_sound(text: str) -> bool:
    """False when Devanagari text shows a broken font map: conjuncts lost, signs orphaned."""
    devanagari = [ch for ch in text if is_devanagari(ch)]
    if "\u25cc" in text:  # a dotted circle: a sign with nothing to sit on
        return False
    words = text.split()
    orphans = sum(1 for word in words if is_devanagari_sign(word[0]))
    if words and orphans / len(words) > MAX_ORPHAN_SIGN_SHARE:
        return False
    if len(devanagari) >= MIN_DEVANAGARI_FOR_CONJUNCT_CHECK:
        return text.count(VIRAMA) / len(devanagari) >= MIN_VIRAMA_SHARE
    return True


def text_layer_is_usable(text: str, *, require_devanagari: bool = False) -> bool:
    """True when a text layer holds real text worth trusting over OCR."""
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) < MIN_TEXT_LAYER_LETTERS:
        return False
    bad = text.count("(cid:") + sum(
        1 for ch in text if ch in "\ufffd\ufffe" or (unicodedata.category(ch) == "Cc" and ch not in "\n\r\t")
    )
    if bad / len(text) > MAX_BAD_CHAR_SHARE:
        return False
    if require_devanagari:
        devanagari_letters = sum(1 for ch in letters if is_devanagari(ch))
        if devanagari_letters / len(letters) < 0.5 or not devanagari_is_sound(text):
            return False
    return True


def clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()
