"""Fonts named Kruti Dev 010 and Walkman Chanakya 905 that draw Devanagari from Latin codes,
as the real ones do, and Hindi encoded into their codes: for documents set in them by real
producers.

The real fonts are not free to ship. These are built from Noto Sans Devanagari: each code
draws what `hinlegacy` (a converter on PyPI, not the engine's table) says Kruti Dev 010's
stands for, its glyphs placed as HarfBuzz places them after a letter, and nothing shapes
them further (no GPOS), so the page shows what the codes draw, in the order typed. Walkman
Chanakya 905 draws a few codes otherwise, as krutiextract (another converter) found them in
the font embedded in NCERT's textbooks; its hook `Q`, which makes the letter before it
another, is drawn as a ligature of the two.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import hinlegacy
import uharfbuzz as harfbuzz
from fontTools.feaLib.builder import addOpenTypeFeaturesFromString
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._g_l_y_f import Glyph, GlyphComponent

NOTO_SANS_DEVANAGARI = Path("/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf")
CODEC = "krutidev_010"
# The codes the font draws: printable ASCII and the Windows-1252 letters the layout uses.
CODES = [chr(code) for code in range(0x21, 0x7F)] + list(
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
REPH_CODE = "Z"


@dataclass(frozen=True)
class LegacyFont:
    family: str
    postscript_name: str
    drawn: Mapping[str, str] = field(default_factory=dict)  # codes drawn otherwise than Kruti Dev's
    ligatures: Mapping[str, str] = field(default_factory=dict)  # codes drawn together as one letter
    # How its typist types what Kruti Dev's types otherwise (Kruti Dev's code, this font's).
    respelled: Mapping[str, str] = field(default_factory=dict)

    def encode(self, text: str) -> str:
        """Unicode Hindi in the font's codes."""
        codes = encode(text)
        if not self.respelled:
            return codes
        spelled = re.compile("|".join(map(re.escape, sorted(self.respelled, key=len, reverse=True))))
        return spelled.sub(lambda found: self.respelled[found.group()], codes)


KRUTI_DEV_FONT = LegacyFont("Kruti Dev 010", "KrutiDev010")
WALKMAN_CHANAKYA_FONT = LegacyFont(
    "Walkman-Chanakya905",
    "WalkmanChanakya905Normal",
    # `=k` is त्र: `=` is त्र without its stem.
    drawn={"/": "ध", "=": "त्र्", "¼": "द्ध", "½": "ऋ", "(": "(", ")": ")"},
    ligatures={"iQ": "फ", "mQ": "ऊ", "osQ": "के"},
    respelled={"ds": "osQ", "Q": "iQ", "Å": "mQ", "=": "=k", ")": "¼", "/": "è", "_": "½"},
)


def encode(text: str) -> str:
    """Unicode Hindi in Kruti Dev 010 codes, by hinlegacy. What it leaves as it is typed as
    a typist would: a nukta letter as the letter and `+` (a nukta before ि moved after it),
    a slash as `@` (`/` is ध्)."""
    text = unicodedata.normalize("NFD", text).replace("\u093c\u093f", "\u093f\u093c")
    text = text.replace("\u093c", "\x01").replace("/", "\x02")
    return hinlegacy.encode(text, CODEC).replace("\x01", "+").replace("\x02", "@")


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

    def pieces(self, code: str, drawn: Mapping[str, str]) -> list[tuple[str, int, int]]:
        """The glyphs a code draws, (name, x, y) from its origin."""
        if code == REPH_CODE:  # placed from the end of the letter it is drawn after
            glyphs = self.shape("र्" + BASE)
            base = next(glyph for glyph in glyphs if glyph[0] == self.base_glyph)
            return [(self.names[gid], x - base[3], y) for gid, x, y, _ in glyphs if gid != self.base_glyph]
        meaning = drawn.get(code) or PAIRED_CODES.get(code) or hinlegacy.decode(code, CODEC).strip() or code
        if meaning in SIGN_GLYPHS:
            return self.one_after_another(SIGN_GLYPHS[meaning])
        if len(meaning) == 1 and unicodedata.category(meaning) in ("Mn", "Mc"):
            return [(self.cmap[ord(meaning)], 0, 0)] if ord(meaning) in self.cmap else []
        glyphs = [(self.names[gid], x, y) for gid, x, y, _ in self.shape(meaning + ZWJ) if gid]
        # The joiner asks for a letter without its stem (its half form) and draws as a space.
        return glyphs[:-1] if glyphs and glyphs[-1][0] == "space" else glyphs


def drawn_advance(drawn: list[tuple[str, int, int]], hmtx) -> int:
    """How far a code's glyphs move the pen: as far as its last glyph's end."""
    return max(x + hmtx[piece][0] for piece, x, _ in drawn)


def composite(drawn: list[tuple[str, int, int]], glyf) -> Glyph:
    glyph = Glyph()
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

    for code in CODES:
        if drawn := shaper.pieces(code, legacy.drawn):
            add(f"code.{ord(code):04x}", drawn, drawn_advance(drawn, hmtx) if code != REPH_CODE else 0)
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
