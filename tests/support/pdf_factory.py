"""PDFs made at test time: scanned-looking pages (Pillow-rendered text, image only) and
digital pages with a real text layer, in Devanagari and Latin script."""

import math
import random
import re
import textwrap
import zlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont
from pypdf import PdfReader, PdfWriter
from pypdf.generic import FloatObject, NameObject
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONTS = Path("/usr/share/fonts/truetype")
DEVANAGARI_FONT = FONTS / "noto/NotoSansDevanagari-Regular.ttf"
LATIN_FONT = FONTS / "dejavu/DejaVuSans.ttf"

HINDI_LINES = [
    "भारत एक विशाल देश है जिसकी संस्कृति बहुत पुरानी है।",
    "गंगा नदी हिमालय से निकलकर बंगाल की खाड़ी में मिलती है।",
    "बच्चे सुबह विद्यालय जाते हैं और शाम को खेलते हैं।",
    "पुस्तकालय में हज़ारों किताबें रखी हुई हैं।",
    "किसान खेतों में मेहनत करके अनाज उगाते हैं।",
    "राष्ट्रपति ने स्वतंत्रता दिवस पर भाषण दिया।",
]
ENGLISH_LINES = [
    "The quick brown fox jumps over the lazy dog.",
    "Reading a book aloud takes patience and a clear voice.",
    "Every page of this story was printed on old paper.",
    "The river flows past the village towards the sea.",
]
# Hindi as books write it, quoting English words in Latin letters.
HINDI_WITH_ENGLISH_LINES = [
    "हमारे school में Computer Science पढ़ाई जाती है।",
    "गंगा नदी Himalaya से निकलकर Bay of Bengal में मिलती है।",
    "बच्चे शाम को football खेलते हैं।",
    "पुस्तकालय में Oxford Dictionary रखी हुई है।",
]

# A5 portrait in points; small pages keep test OCR fast.
PAGE_SIZE = (420, 595)


@dataclass(frozen=True)
class Page:
    lines: tuple[str, ...]
    scanned: bool  # True: an image of the text
    # An invisible text layer over the scan, as scanners and broken converters leave one.
    hidden_text: str | None = None
    turned: int = 0  # the scan lies turned by this many degrees counter-clockwise
    rotate_attr: int = 0  # the page's /Rotate: a viewer turns it clockwise by this much
    columns: int = 1  # the lines fill the left column first, then the right
    stamp: str | None = None  # visible text printed over the scan, as a digitiser stamps a page

    @property
    def text(self) -> str:
        """The page's true text in reading order."""
        return "\n".join(self.lines)


def hindi_page(count: int = 6, start: int = 0, scanned: bool = True) -> Page:
    return Page(tuple(HINDI_LINES[(start + i) % len(HINDI_LINES)] for i in range(count)), scanned)


def scanned_hindi_book(path: Path, *, pages: int, lines: int) -> Path:
    """A scanned Hindi book of `pages` pages of `lines` lines, each page starting one line on."""
    return build_pdf(path, [hindi_page(count=lines, start=i) for i in range(pages)])


def hindi_with_english_page(count: int = 8, start: int = 0) -> Page:
    lines = HINDI_WITH_ENGLISH_LINES
    return Page(tuple(lines[(start + i) % len(lines)] for i in range(count)), scanned=True)


def english_page(count: int = 4, start: int = 0, scanned: bool = False) -> Page:
    return Page(tuple(ENGLISH_LINES[(start + i) % len(ENGLISH_LINES)] for i in range(count)), scanned)


def two_column_page(sentences: list[str], *, width: int = 24) -> Page:
    """A scanned page of `sentences` wrapped into short lines, set in two columns."""
    lines = tuple(line for sentence in sentences for line in textwrap.wrap(sentence, width))
    return Page(lines, scanned=True, columns=2)


def render_scan(lines: tuple[str, ...], *, dpi: int = 150, seed: int = 0, columns: int = 1) -> Image.Image:
    """A grey page image of `lines`, slightly blurred and speckled like a scan; with two
    columns, the first half of the lines on the left, the rest on the right."""
    width, height = (round(points * dpi / 72) for points in PAGE_SIZE)
    image = Image.new("L", (width, height), 250)
    draw = ImageDraw.Draw(image)
    size = round((15 if columns == 1 else 12) * dpi / 72)
    rng = random.Random(seed)
    fonts = {
        True: ImageFont.truetype(str(DEVANAGARI_FONT), size),
        False: ImageFont.truetype(str(LATIN_FONT), size),
    }
    per_column = math.ceil(len(lines) / columns)
    for number, line in enumerate(lines):
        column, row = divmod(number, per_column)
        x = round((30 + column * (PAGE_SIZE[0] - 30) / columns) * dpi / 72)
        y = round(40 * dpi / 72) + row * round(size * 1.9)
        # Each run of one script in its own font: the Devanagari font has no Latin letters.
        for run in re.findall(r"[\u0900-\u097f][\u0900-\u097f\s]*|[^\u0900-\u097f]+", line):
            font = fonts["\u0900" <= run[0] <= "\u097f"]
            draw.text((x, y), run, font=font, fill=25)
            x += draw.textlength(run, font=font)
    for _ in range(width * height // 2000):
        draw.point((rng.randrange(width), rng.randrange(height)), fill=rng.randrange(120, 200))
    return image.filter(ImageFilter.GaussianBlur(0.5))


def build_pdf(path: Path, pages: list[Page], *, dpi: int = 150) -> Path:
    """Write `pages` to `path`: scanned pages as full-page images, others as real text."""
    pdf = canvas.Canvas(str(path), pagesize=PAGE_SIZE)
    for number, page in enumerate(pages):
        if page.scanned:
            image = render_scan(page.lines, dpi=dpi, seed=number, columns=page.columns)
            image = image.rotate(page.turned, expand=True)
            # The page takes the image's shape: a scan lying on its side makes a landscape page.
            size = PAGE_SIZE if page.turned % 180 == 0 else PAGE_SIZE[::-1]
            pdf.setPageSize(size)
            buffer = BytesIO()
            image.save(buffer, format="PNG")
            buffer.seek(0)
            pdf.drawImage(ImageReader(buffer), 0, 0, width=size[0], height=size[1])
            if page.hidden_text:
                draw_hidden_text(pdf, page.hidden_text)
            if page.stamp:
                pdf.setFont(font_for(page.stamp), 9)
                pdf.drawString(30, 20, page.stamp)
            if page.rotate_attr:
                pdf.setPageRotation(page.rotate_attr)
        else:
            pdf.setPageSize(PAGE_SIZE)
            text = pdf.beginText(30, PAGE_SIZE[1] - 50)
            text.setFont("Helvetica", 11)
            for line in page.lines:
                text.textLine(line)
            pdf.drawText(text)
        pdf.showPage()
    pdf.save()
    return path


def image_pdf(image_path: Path, path: Path) -> Path:
    """A one-page PDF of a scanned image at its own resolution (300 dpi if it names none),
    stored losslessly as a scanner's PDF would."""
    with Image.open(image_path) as scan:
        dpi = (scan.info.get("dpi") or (300, 300))[0] or 300
        size = (scan.width * 72 / dpi, scan.height * 72 / dpi)
        buffer = BytesIO()
        scan.convert("L").save(buffer, format="PNG")
    buffer.seek(0)
    pdf = canvas.Canvas(str(path), pagesize=size)
    pdf.drawImage(ImageReader(buffer), 0, 0, width=size[0], height=size[1])
    pdf.showPage()
    pdf.save()
    return path


def font_for(text: str) -> str:
    """A font that draws `text`: Noto's Devanagari for Devanagari, else Helvetica."""
    if not any("\u0900" <= ch <= "\u097f" for ch in text):
        return "Helvetica"
    if "NotoDevanagari" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("NotoDevanagari", str(DEVANAGARI_FONT)))
    return "NotoDevanagari"


def draw_hidden_text(pdf: canvas.Canvas, text: str) -> None:
    # Over the scan's own lines (render_scan: 15 pt type, 1.9 lines apart, from 40 pt down),
    # as an OCR layer lies over the words it read.
    layer = pdf.beginText(30, PAGE_SIZE[1] - 40 - 15)
    layer.setTextRenderMode(3)  # invisible, like an OCR layer
    layer.setFont(font_for(text), 15, leading=15 * 1.9)
    for line in text.split("\n"):
        layer.textLine(line)
    pdf.drawText(layer)


def unshaped_devanagari_pdf(path: Path, pages: list[tuple[str, ...]]) -> Path:
    """Visible Devanagari set by reportlab, which cannot shape it: its text layer is the
    Unicode text, but the page shows each letter apart (`क्ष` as क, virama, ष; the i-sign
    after its letter), a font whose text is not what it draws, as broken producers give."""
    pdf = canvas.Canvas(str(path), pagesize=PAGE_SIZE)
    for lines in pages:
        pdf.setFont(font_for(lines[0]), 13)
        for number, line in enumerate(lines):
            pdf.drawString(30, PAGE_SIZE[1] - 50 - 24 * number, line)
        pdf.showPage()
    pdf.save()
    return path


def drop_conjuncts(text: str) -> str:
    """Hindi as a broken ToUnicode map extracts it: every conjunct (consonant + virama)
    gone, as when ligature glyphs map to nothing."""
    return re.sub("[\u0915-\u0939\u0958-\u095f]\u094d", "", text)


def glued_words(text: str) -> str:
    """Hindi as a font map that drops the space after vowel signs extracts it: every second
    word ending in one runs into the next (`हैराजस्थान`), with no other sign of damage."""
    out, matra_endings = [], 0
    for word in text.split(" "):
        ends_in_sign = word[-1:] in "ेैंोौ"
        matra_endings += ends_in_sign
        out += [word, "" if ends_in_sign and matra_endings % 2 else " "]
    return "".join(out[:-1])


def symbols_for_signs(text: str) -> str:
    """Hindi as a font map that turns the i-sign into ASCII extracts it (`कि=या`)."""
    return text.replace("ि", "ि=")


def with_base_font(source: Path, path: Path, name: str) -> Path:
    """`source` with every font's /BaseFont renamed `name` (as set in that font)."""
    writer = PdfWriter(clone_from=PdfReader(str(source)))
    for page in writer.pages:
        for font in page["/Resources"]["/Font"].values():
            font.get_object()[NameObject("/BaseFont")] = NameObject(f"/{name}")
    writer.write(str(path))
    return path


def legacy_font_text(lines: tuple[str, ...]) -> str:
    """What a PDF set in a legacy Hindi font (Kruti Dev style) holds: Latin codes."""
    return "\n".join("Hkkjr ,d fo'kky ns'k gS ftldh laLd`fr cgqr iqjkuh gSA" for _ in lines)


def huge_page_pdf(path: Path, *, side_pt: float) -> Path:
    """One page `side_pt` points square, with a line of text on it."""
    pdf = canvas.Canvas(str(path), pagesize=(side_pt, side_pt))
    pdf.setFont("Helvetica", 11)
    pdf.drawString(30, side_pt - 50, "A very large page.")
    pdf.showPage()
    pdf.save()
    return path


def image_bomb_pdf(path: Path, *, side_px: int = 35_000) -> Path:
    """An A5 page drawing one `side_px` square 1-bit image: tiny file, gigapixel image."""
    row = b"\x00" * ((side_px + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(side_px)) + compressor.flush()
    image = b"/Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 1" % (side_px, side_px)
    return one_image_pdf(path, image, data)


def one_image_pdf(
    path: Path,
    image_entries: bytes,
    flate_data: bytes,
    *,
    drawing: bytes = b"q %d 0 0 %d 0 0 cm /Im1 Do Q" % PAGE_SIZE,
    page_entries: bytes = b"",
    more_objects: tuple[bytes, ...] = (),
) -> Path:
    """An A5 page drawing one Flate-compressed image (object 5, `/Im1`) described by
    `image_entries`: covering the page, or as `drawing` draws it; `more_objects` are 6 0 obj
    on, `page_entries` added to the page (a form of them as `/Fm1`, when it names 6 0 R)."""
    forms = b"/Fm1 6 0 R" if b"/Fm1" in drawing else b""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] " % PAGE_SIZE
        + b"/Resources << /XObject << /Im1 5 0 R %s >> >> /Contents 4 0 R %s >>" % (forms, page_entries),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(drawing), drawing),
        b"<< /Type /XObject /Subtype /Image %s /Filter /FlateDecode /Length %d >>\nstream\n"
        % (image_entries, len(flate_data))
        + flate_data
        + b"\nendstream",
        *more_objects,
    ]
    path.write_bytes(raw_pdf(objects))
    return path


def grey_scan_pdf(
    path: Path,
    lines: tuple[str, ...],
    *,
    size_px: tuple[int, int] | None = None,
    image_extra: bytes = b"",
    **drawing,
) -> Path:
    """A one-page grey scan of `lines` (150 dpi, or stretched to `size_px`), its image
    dictionary given `image_extra`, drawn as `one_image_pdf`'s keywords say."""
    scan = render_scan(lines)
    if size_px:
        scan = scan.resize(size_px)
    image = b"/Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 " % scan.size + image_extra
    return one_image_pdf(path, image, zlib.compress(scan.tobytes()), **drawing)


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF of these objects (1 0 obj is the catalog), with its xref table and trailer."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def content_bomb_pdf(path: Path, *, inflated_mb: int = 400, pages: int = 1) -> Path:
    """`pages` pages sharing one content stream that is a few hundred KB in the file (about
    1 KB per MB) and inflates to `inflated_mb` MB of drawing operators for any parser that
    reads a page."""
    chunk = b"0 0 m 1 1 l S\n" * (1024 * 1024 // 14)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(chunk) for _ in range(inflated_mb)) + compressor.flush()
    kids = b" ".join(b"%d 0 R" % (4 + n) for n in range(pages))
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 3 0 R >>" % PAGE_SIZE
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        b"<< /Filter /FlateDecode /Length %d >>\nstream\n" % len(data) + data + b"\nendstream",
        *[page] * pages,
    ]
    path.write_bytes(raw_pdf(objects))
    return path


def rootless_pdf(path: Path, *, objects: int = 100_000) -> Path:
    """A PDF-looking file of many objects with no cross-reference table and no catalog:
    pdfium gives up at once, and a fallback parser has to scan every object."""
    body = b"".join(b"%d 0 obj\n<< /A [1 2 3] /B (text) >>\nendobj\n" % n for n in range(1, objects))
    path.write_bytes(b"%PDF-1.4\n" + body + b"%%EOF\n")
    return path


def vector_text_pdf(path: Path, lines: tuple[str, ...]) -> Path:
    """Text drawn only as filled rectangles (the rendered glyphs traced row by row):
    no text layer and no image, as PDFs with text converted to outlines are."""
    dpi = 144
    bitmap = render_scan(lines, dpi=dpi).point(lambda value: 255 if value < 128 else 0).convert("1")
    pdf = canvas.Canvas(str(path), pagesize=PAGE_SIZE)
    width, height = bitmap.size
    pixels = bitmap.load()
    unit = 72 / dpi  # one pixel, in points
    for y in range(height):
        x = 0
        while x < width:
            if pixels[x, y]:
                start = x
                while x < width and pixels[x, y]:
                    x += 1
                pdf.rect(
                    start * unit, PAGE_SIZE[1] - (y + 1) * unit, (x - start) * unit, unit, stroke=0, fill=1
                )
            x += 1
    pdf.showPage()
    pdf.save()
    return path


def text_without_unicode_map_pdf(path: Path, lines: tuple[str, ...]) -> Path:
    """A digital page in an embedded TrueType font whose /ToUnicode map is removed."""
    if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("DejaVu", str(LATIN_FONT)))
    pdf = canvas.Canvas(str(path), pagesize=PAGE_SIZE)
    pdf.setFont("DejaVu", 11)
    for number, line in enumerate(lines):
        pdf.drawString(30, PAGE_SIZE[1] - 50 - 16 * number, line)
    pdf.showPage()
    pdf.save()
    writer = PdfWriter(clone_from=PdfReader(str(path)))
    for page in writer.pages:
        for font in page["/Resources"]["/Font"].values():
            font.get_object().pop(NameObject("/ToUnicode"), None)
    writer.write(str(path))
    return path


def blank_pages_pdf(path: Path, count: int) -> Path:
    """`count` empty pages in a small file."""
    writer = PdfWriter()
    for _ in range(count):
        writer.add_blank_page(width=PAGE_SIZE[0], height=PAGE_SIZE[1])
    writer.write(str(path))
    return path


def with_user_unit(source: Path, path: Path, user_unit: float) -> Path:
    """`source` with a /UserUnit on every page: 1 unit = `user_unit`/72 inch."""
    writer = PdfWriter(clone_from=PdfReader(str(source)))
    for page in writer.pages:
        page[NameObject("/UserUnit")] = FloatObject(user_unit)
    writer.write(str(path))
    return path


def encrypted_pdf(pdf: bytes, **passwords: str) -> bytes:
    """`pdf` encrypted with pypdf's `encrypt(user_password=..., owner_password=...)`."""
    writer = PdfWriter(clone_from=PdfReader(BytesIO(pdf)))
    writer.encrypt(**passwords)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def zero_page_pdf() -> bytes:
    out = BytesIO()
    PdfWriter().write(out)
    return out.getvalue()


def tiny_print_pdf(path: Path, *, pages: int = 1, lines: int = 125) -> Path:
    """`pages` pages that share one content stream of `lines` lines of 3.5 pt Helvetica:
    a few KB of file, about 26,000 characters of text layer a page."""
    line = b"(" + b"the quick brown fox jumps over a lazy dog " * 5 + b") Tj T*\n"
    data = zlib.compress(b"BT /F1 3.5 Tf 4.5 TL 10 580 Td\n" + line * lines + b"ET", 9)
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 3 0 R " % PAGE_SIZE
    page += b"/Resources << /Font << /F1 4 0 R >> >> >>"
    kids = b" ".join(b"%d 0 R" % (5 + n) for n in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
        b"<< /Filter /FlateDecode /Length %d >>\nstream\n" % len(data) + data + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *[page] * pages,
    ]
    path.write_bytes(raw_pdf(objects))
    return path


def stencil_scan_pdf(path: Path, lines: tuple[str, ...]) -> Path:
    """A one-page bilevel scan stored as a stencil mask painted black, as scanners storing
    pages in JBIG2 do: the stored bits are 0 where the page shows ink (pdfimages hands them
    over as they are: a negative of the page)."""
    ink = render_scan(lines).point(lambda value: 0 if value < 128 else 255).convert("1")
    image = b"/Width %d /Height %d /ImageMask true /BitsPerComponent 1" % ink.size
    return one_image_pdf(path, image, zlib.compress(ink.tobytes()))


def cropped_page_pdf(path: Path, *, media_pt: int = 6000, crop_pt: int = 300, origin_pt: int = 0) -> Path:
    """One page, a diagonal line, whose MediaBox is `media_pt` square and whose CropBox,
    what a viewer shows, is `crop_pt` square, both with their lower left corner at
    (`origin_pt`, `origin_pt`)."""
    start, end = origin_pt + 10, origin_pt + crop_pt - 10
    line = b"4 w %d %d m %d %d l S" % (start, start, end, end)
    low, media, crop = origin_pt, origin_pt + media_pt, origin_pt + crop_pt
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [%d %d %d %d] /CropBox [%d %d %d %d] /Contents 4 0 R >>"
        % (low, low, media, media, low, low, crop, crop),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(line), line),
    ]
    path.write_bytes(raw_pdf(objects))
    return path
