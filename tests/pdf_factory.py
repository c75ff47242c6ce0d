"""PDFs made at test time: scanned-looking pages (Pillow-rendered text, image only) and
digital pages with a real text layer, in Devanagari and Latin script."""

import random
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont
from reportlab.lib.utils import ImageReader
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

# A5 portrait in points; small pages keep test OCR fast.
PAGE_SIZE = (420, 595)


@dataclass(frozen=True)
class Page:
    lines: tuple[str, ...]
    scanned: bool  # True: an image of the text, no text layer


def hindi_page(count: int = 6, start: int = 0, scanned: bool = True) -> Page:
    return Page(tuple(HINDI_LINES[(start + i) % len(HINDI_LINES)] for i in range(count)), scanned)


def english_page(count: int = 4, start: int = 0, scanned: bool = False) -> Page:
    return Page(tuple(ENGLISH_LINES[(start + i) % len(ENGLISH_LINES)] for i in range(count)), scanned)


def render_scan(lines: tuple[str, ...], *, dpi: int = 150, seed: int = 0) -> Image.Image:
    """A grey page image of `lines`, slightly blurred and speckled like a scan."""
    width, height = (round(points * dpi / 72) for points in PAGE_SIZE)
    image = Image.new("L", (width, height), 250)
    draw = ImageDraw.Draw(image)
    size = round(15 * dpi / 72)
    rng = random.Random(seed)
    y = round(40 * dpi / 72)
    for line in lines:
        devanagari = any("\u0900" <= ch <= "\u097f" for ch in line)
        font = ImageFont.truetype(str(DEVANAGARI_FONT if devanagari else LATIN_FONT), size)
        draw.text((round(30 * dpi / 72), y), line, font=font, fill=25)
        y += round(size * 1.9)
    for _ in range(width * height // 2000):
        draw.point((rng.randrange(width), rng.randrange(height)), fill=rng.randrange(120, 200))
    return image.filter(ImageFilter.GaussianBlur(0.5))


def build_pdf(path: Path, pages: list[Page], *, dpi: int = 150) -> Path:
    """Write `pages` to `path`: scanned pages as full-page images, others as real text."""
    pdf = canvas.Canvas(str(path), pagesize=PAGE_SIZE)
    for number, page in enumerate(pages):
        if page.scanned:
            buffer = BytesIO()
            render_scan(page.lines, dpi=dpi, seed=number).save(buffer, format="PNG")
            buffer.seek(0)
            pdf.drawImage(ImageReader(buffer), 0, 0, width=PAGE_SIZE[0], height=PAGE_SIZE[1])
        else:
            text = pdf.beginText(30, PAGE_SIZE[1] - 50)
            text.setFont("Helvetica", 11)
            for line in page.lines:
                text.textLine(line)
            pdf.drawText(text)
        pdf.showPage()
    pdf.save()
    return path


def pdf_bytes(pages: list[Page], tmp_dir: Path, name: str = "book.pdf") -> bytes:
    return build_pdf(tmp_dir / name, pages).read_bytes()
