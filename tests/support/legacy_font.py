"""Fonts named Kruti Dev 010, Walkman Chanakya 905 and Chanakya that draw Devanagari from
their codes, as the real ones do, and Hindi encoded into those codes: for documents set in
them by real producers.

The real fonts are not free to ship. These are built from Noto Sans Devanagari: each code
draws what `hinlegacy` (a converter on PyPI, not the engine's table) says Kruti Dev 010's
stands for, its glyphs placed as HarfBuzz places them after a letter, and nothing shapes
them further (no GPOS), so the page shows what the codes draw, in the order typed. Walkman
Chanakya 905 draws a few codes otherwise, as krutiextract (another converter) found them in
the font embedded in NCERT's textbooks; its hook `Q`, which makes the letter before it
another, is drawn as a ligature of the two. Chanakya's codes draw what krutiextract's
converter says they stand for, typed by `chanakya_encode`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import hinlegacy
import krutiextract
import uharfbuzz as harfbuzz
from fontTools.feaLib.builder import addOpenTypeFeaturesFromString
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._g_l_y_f import Glyph, GlyphComponent

NOTO_SANS_DEVANAGARI = Path("/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf")
CODEC = "krutidev_010"
# The codes the font draws: printable ASCII and the Windows-1252 letters the layout uses.
CODES = tuple(chr(code) for code in range(0x21, 0x7F)) + tuple(
    "ÅÃ±³¥ªîè¶ËºÁÇÉØÝæç«Ùäéíêëìïôåƒ„…†‡ˆ‰Š‹¼½¿À¾ÞßŒ•·¡‚–—™àáâã"
)
# A reph is shaped after a letter, to place it as it is drawn after one.
BASE = "ट"
# A sign is drawn as Noto's own glyph for it, placed for a letter of average width, as a
# legacy font's are. The rakar below a letter has no character of its own, nor the ya
# after one (drawn as a virama and the letter).
SIGN_GLYPHS = {"\u094d\u0930": ("vattudeva",), "\u094d\u092f": ("viramadeva", "yadeva")}
# Noto's rakar sign hangs below a letter's middle, for its GPOS to move it; Kruti Dev's
# `z` is drawn at the foot of the stem of the letter before it.
SIGN_OFFSETS = {"vattudeva": (120, 190)}
# Codes hinlegacy knows only after a letter (`Vª`, ट्र; `Nî`, छ्य).
PAIRED_CODES = {"ª": "\u094d\u0930", "î": "\u094d\u092f"}
ZWJ = "\u200d"


def kruti_dev_meaning(code: str) -> str:
    return PAIRED_CODES.get(code) or hinlegacy.decode(code, CODEC).strip()


def chanakya_meaning(code: str) -> str:
    """What krutiextract says a Chanakya code stands for (its ि, `ç`, it moves, and knows
    only before a letter)."""
    return "\u093f" if code == "ç" else krutiextract.chanakya_to_unicode(code)


@dataclass(frozen=True)
class LegacyFont:
    family: str
    postscript_name: str
    codes: tuple[str, ...] = CODES
    meaning: Callable[[str], str] = kruti_dev_meaning  # what a code draws
    reph: str = "Z"
    drawn: Mapping[str, str] = field(default_factory=dict)  # codes drawn otherwise than `meaning` says
    shifted: Mapping[str, int] = field(default_factory=dict)  # codes drawn right of where a sign is
    ligatures: Mapping[str, str] = field(default_factory=dict)  # codes drawn together as one letter
    # How its typist types what Kruti Dev's types otherwise (Kruti Dev's code, this font's).
    respelled: Mapping[str, str] = field(default_factory=dict)
    typist: Callable[[str], str] | None = None  # Unicode in its codes, when not Kruti Dev's respelled

    def encode(self, text: str) -> str:
        """Unicode Hindi in the font's codes."""
        if self.typist:
            return self.typist(text)
        codes = encode(text)
        if not self.respelled:
            return codes
        spelled = re.compile("|".join(map(re.escape, sorted(self.respelled, key=len, reverse=True))))
        return spelled.sub(lambda found: self.respelled[found.group()], codes)


def encode(text: str) -> str:
    """Unicode Hindi in Kruti Dev 010 codes, by hinlegacy. What it leaves as it is typed as
    a typist would: a nukta letter as the letter and `+` (a nukta before ि moved after it),
    a slash as `@` (`/` is ध्)."""
    text = unicodedata.normalize("NFD", text).replace("\u093c\u093f", "\u093f\u093c")
    text = text.replace("\u093c", "\x01").replace("/", "\x02")
    return hinlegacy.encode(text, CODEC).replace("\x01", "+").replace("\x02", "@")


# Chanakya: Unicode Hindi typed in Chanakya's codes, as its typists type them, for the
# engine and krutiextract (another converter) to decode.
CHANAKYA_TYPED = {
    "अ": "¥",
    "आ": "¥æ",
    "इ": "§",
    "ई": "§ü",
    "उ": "©",
    "ऊ": "ª",
    "ऋ": "«",
    "ए": "°",
    "ऐ": "°ð",
    "ओ": "¥æð",
    "औ": "¥æñ",
    "ऑ": "¥æò",
    "क": "·¤",
    "ख": "¹",
    "ग": "»",
    "घ": "ƒæ",
    "ङ": "¾",
    "च": "¿",
    "छ": "À",
    "ज": "Á",
    "झ": "Ûæ",
    "ञ": "†æ",
    "ट": "Å",
    "ठ": "Æ",
    "ड": "Ç",
    "ढ": "É",
    "ण": "‡æ",
    "त": "Ì",
    "थ": "Í",
    "द": "Î",
    "ध": "Ï",
    "न": "Ù",
    "प": "Â",
    "फ": "È",
    "ब": "Õ",
    "भ": "Ö",
    "म": "×",
    "य": "Ø",
    "र": "ÚU",
    "ल": "Ü",
    "ळ": "Ý",
    "व": "ß",
    "श": "àæ",
    "ष": "á",
    "स": "â",
    "ह": "ã",
    "क्": "€",
    "ख्": "\x81",
    "ग्": "‚",
    "घ्": "ƒ",
    "च्": "‘",
    "ज्": "…",
    "झ्": "Û",
    "ञ्": "†",
    "ण्": "‡",
    "त्": "ˆ",
    "थ्": "‰",
    "ध्": "Š",
    "न्": "‹",
    "प्": "Œ",
    "फ्": "\x8d",
    "ब्": "Ž",
    "भ्": "\x8f",
    "म्": "\x90",
    "य्": "Ä",
    "ल्": "Ë",
    "व्": "Ã",
    "श्": "à",
    "ष्": "c",
    "स्": "S",
    "ह्": "±",
    "क्ष": "ÿæ",
    "क्ष्": "ÿ",
    "त्र": "˜æ",
    "त्र्": "˜",
    "ज्ञ": "™æ",
    "श्र": "Ÿæ",
    "त्त": "žæ",
    "त्त्": "ž",
    "द्ध": "h",
    "द्य": "l",
    "द्व": "m",
    "ट्ट": "^",
    "क्र": "R",
    "हृ": "N",
    "रु": "L",
    "रू": "M",
    "ा": "æ",
    "ि": "ç",
    "ी": "è",
    "ु": "é",
    "ू": "ê",
    "ृ": "ë",
    "े": "ð",
    "ै": "ñ",
    "ो": "æð",
    "ौ": "æñ",
    "ॉ": "æò",
    "ं": "¢",
    "ँ": "¡",
    "्र": "ý",
    "्य": "K",
    "्": "÷",
    "़": "¸",
    "।": "Ð",
    **{chr(0x966 + digit): str(digit) for digit in range(10)},
    **dict(zip("0123456789", "®vwxyz{|}~", strict=True)),
}
# Letters whose nukta Chanakya's typists type before them (`¸Á`, ज़), and the code after it
# (others' after them).
NUKTA_FIRST = dict(zip("कखगजडढफ", "•¹»ÁÇÉÈ", strict=True))
CONSONANT = "[\u0915-\u0939]\u093c?"
CLUSTER = f"(?:{CONSONANT}\u094d)*{CONSONANT}"
SIGNS = "[\u093e-\u094c\u0901\u0902\u0945]*"
LONGEST_TYPED = max(map(len, CHANAKYA_TYPED))


def chanakya_encode(text: str) -> str:
    """Unicode Hindi in Chanakya's codes: ि typed before its letters, the reph after its
    syllable, a nukta before its letter, a letter without its stem before र's sign typed
    whole (`Âý`, प्र)."""
    text = unicodedata.normalize("NFD", text)
    text = re.sub(f"र\u094d({CLUSTER})({SIGNS})", "\\1\\2\x01", text)
    text = re.sub(f"({CLUSTER})\u093f", "\u093f\\1", text)
    codes, at = [], 0
    while at < len(text):
        if text[at] == "\x01":
            codes.append("ü")
            at += 1
            continue
        if text[at + 1 : at + 2] == "\u093c" and text[at] in NUKTA_FIRST:
            codes.append("¸" + NUKTA_FIRST[text[at]])
            at += 2
            continue
        for size in range(min(LONGEST_TYPED, len(text) - at), 0, -1):
            piece = text[at : at + size]
            before_ra = piece.endswith("\u094d") and text[at + size : at + size + 1] == "र"
            if piece in CHANAKYA_TYPED and not (before_ra and size > 1):
                break
        else:
            size, piece = 1, text[at]
        codes.append(CHANAKYA_TYPED.get(piece, piece))
        at += size
    return "".join(codes)


KRUTI_DEV_FONT = LegacyFont("Kruti Dev 010", "KrutiDev010")
WALKMAN_CHANAKYA_FONT = LegacyFont(
    "Walkman-Chanakya905",
    "WalkmanChanakya905Normal",
    # `=k` is त्र: `=` is त्र without its stem.
    drawn={"/": "ध", "=": "त्र्", "¼": "द्ध", "½": "ऋ", "(": "(", ")": ")"},
    ligatures={"iQ": "फ", "mQ": "ऊ", "osQ": "के"},
    respelled={
        "ds": "osQ",
        "Q": "iQ",
        "Å": "mQ",
        "=": "=k",
        ")": "¼",
        "/": "è",
        "_": "½",
        "¼": "(",
        "½": ")",
    },
)
CHANAKYA_FONT = LegacyFont(
    "Chanakya",
    "Chanakya",
    codes=tuple(sorted(set("".join(CHANAKYA_TYPED.values())) | set("çü¸¤U"))),
    meaning=chanakya_meaning,
    reph="ü",
    drawn={"¤": "", "U": ""},  # kerning after क and र: nothing drawn
    shifted={"¸": 600},  # typed before its letter, the nukta is drawn below the next letter
    typist=chanakya_encode,
)


class Shaper:
    def __init__(self, font: TTFont) -> None:
        self.font = harfbuzz.Font(harfbuzz.Face(harfbuzz.Blob.from_file_path(str(NOTO_SANS_DEVANAGARI))))
        self.names = font.getGlyphOrder()
        self.cmap = font.getBestCmap()
        self.advances = font["hmtx"]
        self.base_glyph = self.shape(BASE)[0][0]

    def shape(self, text: str) -> list[tuple[int, int, int, int]]:
        """(glyph id, x, y, advance) of each glyph, x and y where HarfBuzz puts it."""
        buffer = harfbuzz.Buffer()
        buffer.add_str(text)
        buffer.guess_segment_properties()
        harfbuzz.shape(self.font, buffer, {})
        pen, glyphs = 0, []
        for info, position in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True):
            glyphs.append((info.codepoint, pen + position.x_offset, position.y_offset, position.x_advance))
            pen += position.x_advance
        return glyphs

    def one_after_another(self, names: tuple[str, ...]) -> list[tuple[str, int, int]]:
        pen, drawn = 0, []
        for name in names:
            dx, dy = SIGN_OFFSETS.get(name, (0, 0))
            drawn.append((name, pen + dx, dy))
            pen += self.advances[name][0]
        return drawn

    def pieces(self, code: str, legacy: LegacyFont) -> list[tuple[str, int, int]]:
        """The glyphs a code draws, (name, x, y) from its origin."""
        if code == legacy.reph:  # placed from the end of the letter it is drawn after
            glyphs = self.shape("र्" + BASE)
            base = next(glyph for glyph in glyphs if glyph[0] == self.base_glyph)
            return [(self.names[gid], x - base[3], y) for gid, x, y, _ in glyphs if gid != self.base_glyph]
        meaning = legacy.drawn[code] if code in legacy.drawn else legacy.meaning(code) or code
        if not meaning:
            return []
        if meaning in SIGN_GLYPHS:
            return self.one_after_another(SIGN_GLYPHS[meaning])
        if len(meaning) == 1 and unicodedata.category(meaning) in ("Mn", "Mc"):
            return [(self.cmap[ord(meaning)], 0, 0)] if ord(meaning) in self.cmap else []
        glyphs = [(self.names[gid], x, y) for gid, x, y, _ in self.shape(meaning + ZWJ) if gid]
        # The joiner asks for a letter without its stem (its half form) and draws as a space.
        return glyphs[:-1] if glyphs and glyphs[-1][0] == "space" else glyphs


def drawn_advance(drawn: list[tuple[str, int, int]], hmtx) -> int:
    """How far a code's glyphs move the pen: as far as its last glyph's end."""
    return max((x + hmtx[piece][0] for piece, x, _ in drawn), default=0)


def composite(drawn: list[tuple[str, int, int]], glyf) -> Glyph:
    glyph = Glyph()
    if not drawn:
        glyph.numberOfContours, glyph.xMin = 0, 0
        return glyph
    glyph.components = []
    for piece, x, y in drawn:
        component = GlyphComponent()
        component.glyphName, component.x, component.y, component.flags = piece, x, y, 0
        glyph.components.append(component)
    glyph.numberOfContours = -1
    glyph.recalcBounds(glyf)
    return glyph


def build_font(folder: Path, legacy: LegacyFont = KRUTI_DEV_FONT) -> Path:
    """The font, built into `folder`."""
    path = folder / f"{legacy.postscript_name}.ttf"
    font = TTFont(str(NOTO_SANS_DEVANAGARI))
    shaper = Shaper(font)
    order = list(font.getGlyphOrder())
    glyf, hmtx = font["glyf"], font["hmtx"]
    mapping = {ord(" "): font.getBestCmap()[ord(" ")]}

    def add(name: str, drawn: list[tuple[str, int, int]], advance: int) -> None:
        order.append(name)
        glyf.glyphs[name] = glyph = composite(drawn, glyf)
        # The left side bearing is where the ink starts (a sign's, left of its origin):
        # renderers place the glyph by it.
        hmtx.metrics[name] = (advance, glyph.xMin)

    for code in legacy.codes:
        drawn = shaper.pieces(code, legacy)
        if drawn or code in legacy.drawn:  # drawn as nothing, or as something
            advance = drawn_advance(drawn, hmtx) if code != legacy.reph else 0
            shift = legacy.shifted.get(code, 0)
            add(f"code.{ord(code):04x}", [(piece, x + shift, y) for piece, x, y in drawn], advance)
            mapping[ord(code)] = f"code.{ord(code):04x}"
    ligatures = []
    for codes, letter in legacy.ligatures.items():
        drawn = [(shaper.names[gid], x, y) for gid, x, y, _ in shaper.shape(letter)]
        add(f"letter.{codes}", drawn, drawn_advance(drawn, hmtx))
        ligatures.append(f"sub {' '.join(mapping[ord(code)] for code in codes)} by letter.{codes};")
    font.setGlyphOrder(order)
    glyf.glyphOrder = order
    for table in ("GSUB", "GPOS", "GDEF", "DSIG"):
        del font[table]
    if ligatures:
        features = "languagesystem DFLT dflt;\nlanguagesystem latn dflt;\nfeature liga {\n%s\n} liga;"
        addOpenTypeFeaturesFromString(font, features % "\n".join(ligatures))
    for subtable in font["cmap"].tables:
        subtable.cmap = dict(mapping) if subtable.isUnicode() else {}
    name_table = font["name"]
    for record in list(name_table.names):
        if record.nameID in (1, 3, 4, 16):
            record.string = legacy.family
        elif record.nameID == 6:
            record.string = legacy.postscript_name
    font["maxp"].numGlyphs = len(order)
    font.save(str(path))
    return path


NOTO_SERIF_DEVANAGARI = NOTO_SANS_DEVANAGARI.with_name("NotoSerifDevanagari-Regular.ttf")
# Letters a misdrawn font draws in each other's place.
MISDRAWN_PAIRS = ("कम", "तल", "सय", "दन")
MISDRAWN = str.maketrans({a: b for pair in MISDRAWN_PAIRS for a, b in (pair, pair[::-1])})


def misdrawn_font(folder: Path, family: str = "Misdrawn Serif") -> Path:
    """Noto Serif Devanagari under `family`, drawing MISDRAWN_PAIRS' letters in each other's
    place: a font whose map says one letter where its ink shows another, as a broken one's
    does. What it draws of a text is `text.translate(MISDRAWN)`."""
    font = TTFont(str(NOTO_SERIF_DEVANAGARI))
    drawn = font.getBestCmap()
    mapping = {code: drawn[ord(chr(code).translate(MISDRAWN))] for code in drawn}
    for subtable in font["cmap"].tables:
        if subtable.isUnicode():  # a new dict each: fontTools may share one between subtables
            subtable.cmap = dict(mapping)
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = family
        elif record.nameID == 6:
            record.string = family.replace(" ", "")
    path = folder / f"{family.replace(' ', '')}.ttf"
    font.save(str(path))
    return path
