"""Hindi set in legacy fonts, decoded: Kruti Dev 010 and DevLys 010, and Walkman Chanakya
905 (NCERT's textbooks), draw Devanagari from Latin codes (`gS` is है, `f'k{kk` is शिक्षा),
Chanakya from Windows-1252 ones (`ÚUæÁSÍæÙ` is राजस्थान), so their text layer is gibberish.

A code is a glyph: a letter, a letter without its stem (`D`, क्, which the stem `k` makes
क again), a conjunct, a sign. The typist types what is drawn left to right, so the vowel
sign ि (`f`) comes before its letters and the reph (`Z`) after its syllable: decoding puts
them where Unicode has them. The codes are read in the content stream's order, the
typist's (sorted by position, `vkSj`, और, would read `vkjS`), as pdfium gives them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

# Stand-ins while decoding, for the two signs that move: private-use characters, which no
# code decodes to.
SHORT_I = "\ue000"
REPH = "\ue001"
VIRAMA = "\u094d"
NUKTA = "\u093c"

KRUTI_DEV_010 = {
    # Vowels: the rest are drawn from these and signs (अ + ा is आ, see TIDY_UPS).
    "v": "अ", "b": "इ", "bZ": "ई", "Ã": "ई", "b±": "ईं", "m": "उ", "Å": "ऊ", "_": "ऋ", ",": "ए",
    # Letters, and letters without their stem (a half form: followed by the stem `k`, the letter).
    "d": "क", "D": "क्", "[": "ख्", "x": "ग", "X": "ग्", "?": "घ्", "Ä": "घ", "³": "ङ",
    "p": "च", "P": "च्", "N": "छ", "t": "ज", "T": "ज्", ">": "झ", "÷": "झ्", "¥": "ञ",
    "V": "ट", "B": "ठ", "M": "ड", "<": "ढ", ".": "ण्",
    "r": "त", "R": "त्", "F": "थ्", "n": "द", "/": "ध्", "è": "ध्", "Ë": "ध्", "u": "न", "U": "न्",
    "i": "प", "I": "प्", "Q": "फ", "¶": "फ्", "c": "ब", "C": "ब्", "H": "भ्", "e": "म", "E": "म्",
    ";": "य", "¸": "य्", "j": "र", "y": "ल", "Y": "ल्", "G": "ळ", "o": "व", "O": "व्",
    "'": "श्", '"': "ष्", "l": "स", "L": "स्", "g": "ह", "º": "ह्",
    # Conjuncts drawn as one glyph.
    "{": "क्ष्", "=": "त्र", "=kk": "त्रा", "«": "त्र्", "K": "ज्ञ", "J": "श्र", "Ø": "क्र", "Ý": "फ्र", "æ": "द्र",
    "ç": "प्र", "Á": "प्र", "#": "रु", ":": "रू", "|": "द्य", "}": "द्व", "Ù": "त्त्", "ä": "क्त",
    "–": "दृ", "—": "कृ", "é": "न्न", "™": "न्न्", "à": "ह्न", "á": "ह्य", "â": "हृ", "ã": "ह्म",
    "í": "द्द", "ê": "ट्ट", "ë": "ट्ठ", "ì": "ड्ड", "ï": "ड्ढ", ")": "द्ध", "ô": "क्क",
    # Signs.
    "k": "ा", "kW": "ॉ", "f": SHORT_I, "h": "ी", "q": "ु", "w": "ू", "`": "ृ", "s": "े", "S": "ै", "‚": "ॉ",
    "W": "ॅ", "a": "ं", "¡": "ँ", "%": "ः", "~": VIRAMA, "z": "्र", "ª": "्र", "î": "्य",
    "+": NUKTA, "Z": REPH, "±": REPH + "ं", "È": "ीं",
    # Digits (ASCII digits are drawn as they are) and punctuation.
    "å": "०", "ƒ": "१", "„": "२", "…": "३", "†": "४", "‡": "५", "ˆ": "६", "‰": "७", "Š": "८", "‹": "९",
    "A": "।", "^": "‘", "*": "’", "Þ": "“", "ß": "”", "¼": "(", "½": ")", "¿": "{", "À": "}",
    "¾": "=", "-": ".", "&": "-", "]": ",", "@": "/", "\\": "?", "Œ": "॰", "•": "ऽ", "·": "ऽ",
}  # fmt: skip

# What the glyphs drawn one after another make: a nukta typed after a letter without its
# stem (`[+`, ख़्) is written before the virama; that letter and the stem (`[k`, ख्ा) are
# the letter; अ and a sign, the vowel.
TIDY_UPS = (
    (VIRAMA + NUKTA, NUKTA + VIRAMA),
    (VIRAMA + "ा", ""),
    ("अा", "आ"),
    ("आे", "ओ"),
    ("आै", "औ"),
    ("अॉ", "ऑ"),
    ("अो", "ओ"),
    ("अौ", "औ"),
    ("आॅ", "ऑ"),
    ("ाॅ", "ॉ"),
    ("एे", "ऐ"),
    ("ाे", "ो"),
    ("ाै", "ौ"),
    ("ंे", "ें"),
    ("ंै", "ैं"),
    ("ंो", "ों"),
    ("ंौ", "ौं"),
    ("ंा", "ां"),
    ("ंी", "ीं"),
    ("ंु", "ुं"),
)
CONSONANT = "[\u0915-\u0939\u0958-\u095f]" + NUKTA + "?"
# A consonant and the consonants joined to it by viramas: what ि and the reph belong to.
CLUSTER = f"(?:{CONSONANT}{VIRAMA})*{CONSONANT}"
SHORT_I_BEFORE_CLUSTER = re.compile(f"{SHORT_I}({CLUSTER})")
# Signs a reph is drawn after: the vowel signs of its syllable and its nasal marks.
SIGNS_AFTER_CLUSTER = "[\u093e-\u094c\u0901\u0902\u0903\u0945]*"
CLUSTER_BEFORE_REPH = re.compile(f"({CLUSTER})({SIGNS_AFTER_CLUSTER}){REPH}")


# Legacy Hindi fonts by name, those decoded here and others (refused by text_layer.py).
LEGACY_FONT_NAMES = re.compile(
    r"kruti|devlys|chanakya|shusha|kundli|shivaji|akruti|aps-?dv|walkman|sanskrit ?99|agra|priyanka",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class LegacyEncoding:
    name: str  # as the page's method_reason says it: "Kruti Dev 010 codes decoded"
    font_names: re.Pattern[str]  # the fonts set in it, by their embedded names
    codes: dict[str, str]
    common_words: frozenset[str]  # what it makes of common words, to tell it by its codes
    # Codes typed apart that draw one letter (pattern, the letter's code), rewritten first.
    joined: tuple[tuple[re.Pattern[str], str], ...] = ()
    typed_before: frozenset[str] = frozenset()  # marks typed before the letter they are drawn on

    def decode(self, codes: str) -> str:
        """Unicode Devanagari for the codes; what is not a code (digits, spaces) kept."""
        for typed, letter in self.joined:
            codes = typed.sub(letter, codes)
        pieces, at, longest = [], 0, max(map(len, self.codes))
        while at < len(codes):
            for size in range(min(longest, len(codes) - at), 0, -1):
                if (piece := self.codes.get(codes[at : at + size])) is not None:
                    break
            else:
                size, piece = 1, codes[at]
            pieces.append(piece)
            at += size
        text = tidy("".join(pieces))
        text = SHORT_I_BEFORE_CLUSTER.sub("\\1ि", text).replace(SHORT_I, "ि")
        text = CLUSTER_BEFORE_REPH.sub("र्\\1\\2", text).replace(REPH, "")
        return tidy(text)

    def holds_codes(self, text: str) -> bool:
        """Whether a text of Latin letters is this encoding's codes: at least one word in
        twenty is a common Hindi word's codes (none is an English word)."""
        words = text.split()
        return len(words) >= 20 and self.common_share(words) >= 0.05

    def common_share(self, words: list[str]) -> float:
        return sum(word in self.common_words for word in words) / max(len(words), 1)

    @property
    def single_codes(self) -> dict[str, str]:
        """What each one-character code stands for."""
        return {code: piece for code, piece in self.codes.items() if len(code) == 1}


def tidy(text: str) -> str:
    for drawn, written in TIDY_UPS:
        text = text.replace(drawn, written)
    return text


# Word's smart quotes turn the typist's `'` (श्) and `"` (ष्) into curly ones, which the
# fonts draw as the letters (`ns’k`, देश). A curly quote is the letter inside a word, or
# before the stem `k` (no word starts with ा); elsewhere it is a quote.
SMART_SINGLE_QUOTES = (re.compile("(?<=[A-Za-z])[‘’](?=[A-Za-z])|(?<![A-Za-z])[‘’](?=k)"), "'")
SMART_DOUBLE_QUOTES = (re.compile("(?<=[A-Za-z])[“”](?=[A-Za-z])|(?<![A-Za-z])[“”](?=k)"), '"')
KRUTI_DEV = LegacyEncoding(
    name="Kruti Dev 010",
    font_names=re.compile(r"(?:^|\+)(?:kruti|devlys)", re.IGNORECASE),  # not AkrutiDevPriya
    codes=KRUTI_DEV_010,
    # है, का, के, में, और, कि, को, से, हैं, था, थे, भी, यह, तो, जो, की, पर, एक.
    common_words=frozenset(
        ["gS", "dk", "ds", "esa", "vkSj", "fd", "dks", "ls", "gSa", "Fkk", "Fks", "Hkh", ";g", "rks",
         "tks", "dh", "ij", ",d"]
    ),
    joined=(SMART_SINGLE_QUOTES, SMART_DOUBLE_QUOTES),
)  # fmt: skip

# Walkman Chanakya 905 is Kruti Dev's layout with a few codes drawing other glyphs: `/` is
# ध with its stem, `=` त्र without, brackets and quotes are punctuation, `Ñ` is कृ. Its `Q`
# is a hook that makes the letter before it another (व and the hook are क, प and it फ,
# उ and it ऊ), with that letter's signs typed between (`osQ`, के).
WALKMAN_CHANAKYA_905 = {
    **{code: piece for code, piece in KRUTI_DEV_010.items() if code not in ("=kk", "¼", "½", "_", "ß")},
    "/": "ध", "=": "त्र्", "(": "(", ")": ")", "¼": "द्ध", "½": "ऋ", "_": ";", "ß": "ह्र",
    "Ñ": "कृ", "”": "ज़्", "ð": "",  # ð: a kerning glyph (ट्ट is `êð`)
}  # fmt: skip
HOOK_MEDIALS = "([sSqwkah`‚¡]{0,2})"
WALKMAN_CHANAKYA = LegacyEncoding(
    name="Walkman Chanakya 905",
    font_names=re.compile(r"(?:^|\+)walkman|chanakya[ -]?9\d\d", re.IGNORECASE),  # 901, 902, 905
    codes=WALKMAN_CHANAKYA_905,
    # The same words as Kruti Dev's, but के: its `ds` would draw वे and a hook (`osQ`).
    common_words=KRUTI_DEV.common_words - {"ds"} | {"osQ"},
    joined=(
        SMART_SINGLE_QUOTES,  # its `”` is a letter, ज़्
        (re.compile(r"I\+k"), "i"),  # प typed as its half form, a nukta and the stem
        (re.compile(f"o{HOOK_MEDIALS}Q"), "d\\1"),
        (re.compile(f"i{HOOK_MEDIALS}Q"), "Q\\1"),
        (re.compile("mQ"), "Å"),
    ),
)

# Chanakya (Rajasthan's and Dainik Jagran's) is a layout of its own, of Windows-1252
# characters: ¥ is अ, × म, æ the stem; bytes Windows-1252 leaves undefined (0x81, 0x8D,
# 0x8F, 0x90) are half letters. ि is `ç` and the reph `ü`; a nukta may be typed before its
# letter (`¸Á`, ज़). `¤` and `U` draw nothing (kerning after क and र).
# The letters whose nukta may be typed before them (`¸Á`, ज़): not र, न and य, whose nukta
# forms Hindi hardly uses, while ड़ or ज़ before them is common (`Á¸Úæ`, ज़रा).
NUKTA_FIRST = "•¹»ÁÇÉÈ\x8d"
CHANAKYA_CODES = {
    "¤": "", "U": "",
    # Vowels (the rest drawn from these and signs).
    "¥": "अ", "§": "इ", "§ü": "ई", "§Z": "ईं", "©": "उ", "ª": "ऊ", "«": "ऋ", "¬": "ॠ", "\xad": "ऌ", "°": "ए",
    # Letters, and letters without their stem (followed by the stem `æ`, the letter).
    "·": "क", "•": "क", "€": "क्", "¹": "ख", "\x81": "ख्", "»": "ग", "‚": "ग्", "ƒ": "घ्", "¾": "ङ",
    "¿": "च", "‘": "च्", "À": "छ", "Á": "ज", "…": "ज्", "’": "ज्", "Û": "झ्", "†": "ञ्",
    "Å": "ट", "Æ": "ठ", "Ç": "ड", "É": "ढ", "‡": "ण्",
    "Ì": "त", "ˆ": "त्", "Í": "थ", "‰": "थ्", "Î": "द", "¼": "द", "Ï": "ध", "Š": "ध्", "Ù": "न", "‹": "न्",
    "Â": "प", "Œ": "प्", "È": "फ", "\x8d": "फ्", "Õ": "ब", "Ž": "ब्", "Ö": "भ", "\x8f": "भ्",
    "×": "म", "\x90": "म्", "Ø": "य", "Ä": "य्", "Ú": "र", "Ü": "ल", "¶": "ल", "Ë": "ल्", "Ý": "ळ",
    "ß": "व", "Ã": "व्", "o": "श", "à": "श्", "³": "श्", "á": "ष", "c": "ष्", "â": "स", "S": "स्",
    "ã": "ह", "±": "ह्",
    # Conjuncts drawn as one glyph.
    "ÿ": "क्ष्", "˜": "त्र्", "™": "ज्ञ्", "Ÿ": "श्र्", "ž": "त्त्", "ó": "न्न्", "“": "च्च्", "”": "ज्ज्",
    "B": "क्च", "C": "ष्ट", "D": "ष्ठ", "E": "श्व", "F": "स्न", "G": "त्र", "I": "ढ्ढ", "J": "छ्व",
    "L": "रु", "M": "रू", "N": "हृ", "O": "ह्र", "P": "क्क", "Q": "क्त", "R": "क्र", "T": "ञ्ज",
    "V": "ङ्क", "W": "ङ्ख", "X": "ङ्ग", "Y": "ङ्घ", "`": "क्व", "a": "ड्ड", "b": "ड्ढ", "d": "स्र",
    "e": "द्ग", "f": "द्घ", "g": "द्द", "h": "द्ध", "i": "द्ब", "j": "द्भ", "k": "द्म", "l": "द्य",
    "m": "द्व", "n": "ठ्ठ", "p": "श्च", "q": "ह्न", "r": "ह्म", "s": "ह्य", "t": "ह्ल", "u": "ह्व",
    "#": "प्त", "%": "त्न", "@": "ञ्च", "„": "ल्ल", "¦": "ष्ट्व", "¨": "ङ्क्ष", "¯": "ख्न", "µ": "द्ब्र",
    "º": "ख्र", "Ê": "ज़्", "^": "ट्ट",
    # Signs.
    "æ": "ा", "è": "ी", "é": "ु", "ä": "ु", "ê": "ू", "å": "ू", "ë": "ृ", "ì": "ॄ", "í": "ॢ",
    "ð": "े", "Ô": "े", "ñ": "ै", "ô": "ो", "õ": "ौ", "ò": "ॅ", "¢": "ं", "´": "ं", "¡": "ँ",
    "A": "्र", "ý": "्र", "þ": "्र", "K": "्य", "÷": VIRAMA, "¸": NUKTA, "ç": SHORT_I, "ü": REPH, "Z": REPH + "ं",
    # Digits: ASCII ones are drawn as Devanagari, Latin ones typed as letters; punctuation.
    **{str(digit): chr(0x966 + digit) for digit in range(10)},
    "®": "0", "v": "1", "w": "2", "x": "3", "y": "4", "z": "5", "{": "6", "|": "7", "}": "8", "~": "9",
    "Ð": "।", "H": "॥", "Ñ": ":", "ù": "ऽ", "Ò": "'",
}  # fmt: skip
CHANAKYA = LegacyEncoding(
    name="Chanakya",
    font_names=re.compile(r"(?:^|\+)chanakya", re.IGNORECASE),
    codes=CHANAKYA_CODES,
    # The words KRUTI_DEV's are, in Chanakya's codes (और two ways, के and का with क's kerning).
    common_words=frozenset(
        ["ãñ", "·¤æ", "·ð¤", "×ð´", "¥õÚU", "¥æñÚU", "ç·¤", "·¤æð", "âð", "ãñ´", "Íæ", "Íð", "Öè", "Øã",
         "Ìæð", "Áæð", "·¤è", "ÂÚU", "°·¤"]
    ),
    joined=(
        # े typed before the nukta of its letter (not one typed before the next letter).
        (re.compile(f"ð¸(?![{NUKTA_FIRST}])"), "¸ð"),
        (re.compile(f"¸([{NUKTA_FIRST}])"), "\\1¸"),  # a nukta typed before its letter
        (re.compile("üð´"), "ðZ"),  # the reph typed before the े of its syllable
    ),
    typed_before=frozenset("¸"),
)  # fmt: skip
ENCODINGS = (KRUTI_DEV, WALKMAN_CHANAKYA, CHANAKYA)


def named_encoding(font: str) -> LegacyEncoding | None:
    """The legacy encoding the font is named as."""
    return next((encoding for encoding in ENCODINGS if encoding.font_names.search(font)), None)


def encoding_of(font: str, text: str) -> LegacyEncoding | None:
    """The legacy encoding a font's text (all of it on the page) is in: by the font's name,
    or, for a font whose name does not say, by its codes."""
    if encoding := named_encoding(font):
        return encoding
    if LEGACY_FONT_NAMES.search(font):  # another legacy font's: its codes mean other letters
        return None
    words = text.split()
    held = [encoding for encoding in ENCODINGS if encoding.holds_codes(text)]
    # Kruti Dev's and Walkman's common words differ only in के: on a tie, the first (Kruti Dev).
    return max(held, key=lambda encoding: encoding.common_share(words), default=None)


@dataclass(frozen=True)
class DecodedText:
    texts: tuple[str, ...]  # each piece's, decoded when its font is a legacy one
    encodings: tuple[str, ...]  # their names
    fonts: Mapping[str, LegacyEncoding]  # the fonts decoded, with their encodings


def decode_fonts(pieces: list[tuple[str | None, str]]) -> DecodedText | None:
    """The text of a page's pieces, each (font, text) in one font ("" for one not known),
    with what each legacy-encoded font holds decoded; None when no font does. A font's
    encoding is told from all its text on the page."""
    by_font: dict[str, list[str]] = {}
    for font, text in pieces:
        if font is not None:
            by_font.setdefault(font, []).append(text)
    encodings = {font: encoding_of(font, "".join(texts)) for font, texts in by_font.items()}
    if not any(encodings.values()):
        return None
    texts = tuple(
        encoding.decode(text) if font is not None and (encoding := encodings[font]) else text
        for font, text in pieces
    )
    used = {font: encoding for font, encoding in encodings.items() if encoding}
    names = tuple(sorted({encoding.name for encoding in used.values()}))
    return DecodedText(texts, names, MappingProxyType(used))


def named_legacy_fonts(fonts: set[str]) -> dict[str, LegacyEncoding]:
    """The fonts named as one of ENCODINGS' (their codes are glyphs of Devanagari words,
    spaced by ink like Devanagari), with their encodings."""
    return {font: encoding for font in fonts if (encoding := named_encoding(font))}


def holds_legacy_codes(text: str) -> bool:
    """Whether the text is, at least in part, one of ENCODINGS' codes (a font not named so
    may hold them)."""
    return any(encoding.holds_codes(text) for encoding in ENCODINGS)
