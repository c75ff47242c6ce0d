"""Books typeset like printed ones, with the narration they should give: running headers,
page numbers (Latin or Devanagari digits), chapter openers, paragraphs that run across
pages, English words hyphenated at line ends, one or two columns; scanned (an image of the
page) or digital (a text layer: visible for English, invisible over the scan for Hindi, as
searchable PDFs carry it, since reportlab cannot shape Devanagari)."""

import itertools
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont
from rapidfuzz import fuzz
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from audiobooks.extraction.page_extraction import extract_pages, options_for_book
from audiobooks.extraction.pdf_reader import PdfReader
from tests.support.pdf_factory import DEVANAGARI_FONT, LATIN_FONT, PAGE_SIZE

MARGIN = 30
HEADER_TOP, BODY_TOP, BODY_BOTTOM, FOOTER_TOP, FOLIO_TOP = 20, 62, 540, 546, 562
SIZES = {"header": 10, "heading": 17, "body": 13, "footer": 11}
LEADING = 1.75
INDENT = 18
COLUMN_GAP = 20
DEVANAGARI_DIGITS = str.maketrans("0123456789", "०१२३४५६७८९")

HINDI_WORDS = {
    "who": ["गाँव के किसान", "हमारे अध्यापक", "छोटे बच्चे", "नदी के मछुआरे", "शहर के व्यापारी", "बूढ़ी दादी"],
    "where": ["सुबह खेतों में", "शाम को आँगन में", "बरसात में नदी किनारे", "मेले के दिन बाज़ार में", "सर्दियों में"],
    "what": [
        "नई कहानियाँ सुनाते हैं",
        "मीठे गीत गाते हैं",
        "पुरानी बातें याद करते हैं",
        "मेहनत से काम करते हैं",
        "चाय पीते हुए अख़बार पढ़ते हैं",
        "रंग-बिरंगी पतंगें उड़ाते हैं",
        "गाय-भैंसों को चारा खिलाते हैं",
    ],
}
ENGLISH_WORDS = {
    "who": [
        "The fishermen",
        "Our extraordinary teacher",
        "The neighbourhood children",
        "My grandmother",
        "Farmers",
    ],
    "where": [
        "every morning by the river",
        "in the crowded marketplace",
        "beside the old lighthouse",
        "during the long monsoon",
    ],
    "what": [
        "told unforgettable stories about responsibility",
        "remembered the understanding between families",
        "described the magnificent celebrations of harvest",
        "explained the complicated arrangements for winter",
        "mended the torn fishing nets before sunset",
        "counted the baskets of mangoes twice",
        "painted the wooden boats in bright colours",
    ],
}


@dataclass(frozen=True)
class PrintedLine:
    text: str
    x: float  # points from the left
    top: float  # points from the top of the page
    size: float


@dataclass
class TypesetBook:
    title: str
    devanagari: bool
    pages: list[list[PrintedLine]] = field(default_factory=list)
    chapters: list[tuple[str, int]] = field(default_factory=list)  # (title, first page)
    furniture: set[str] = field(default_factory=set)  # headers and page numbers as printed
    hyphenated: list[str] = field(default_factory=list)  # words split at a line end
    narration: str = ""  # what the narration should read
    footer: str = ""  # printed at the foot of every page


def sentences(*, devanagari: bool, seed: int):
    """Distinct sentences, shuffled: no two pages print the same line."""
    words = HINDI_WORDS if devanagari else ENGLISH_WORDS
    combos = list(itertools.product(words["who"], words["where"], words["what"]))
    random.Random(seed).shuffle(combos)
    end = "।" if devanagari else "."
    for who, where, what in itertools.cycle(combos):
        yield f"{who} {where} {what}{end}"


def font(*, devanagari: bool, size: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(DEVANAGARI_FONT if devanagari else LATIN_FONT), round(size))


def wrap(paragraph: str, *, width: float, measure: ImageFont.FreeTypeFont, book: TypesetBook) -> list[str]:
    """Lines of at most `width` points, the first indented; a long English word that does not
    fit is hyphenated, as typesetters do."""
    lines, line = [], ""
    room = width - INDENT
    for word in paragraph.split():
        candidate = f"{line} {word}".strip()
        if measure.getlength(candidate) <= room:
            line = candidate
            continue
        cut = next(
            (k for k in range(len(word) - 3, 3, -1) if measure.getlength(f"{line} {word[:k]}-") <= room),
            None,
        )
        if not book.devanagari and len(word) >= 8 and cut and word.isalpha():
            lines.append(f"{line} {word[:cut]}-")
            book.hyphenated.append(word)
            line = word[cut:]
        else:
            lines.append(line)
            line = word
        room = width
    return [*lines, line] if line else lines


def chapter_heading(number: int, *, devanagari: bool) -> str:
    if devanagari:
        name = ["नदी", "बाज़ार", "मेला", "खेत", "आँगन"][(number - 1) % 5]
        return f"अध्याय {str(number).translate(DEVANAGARI_DIGITS)} : {name}"
    name = ["The River", "The Market", "The Lighthouse", "The Harvest", "The Winter"][(number - 1) % 5]
    return f"Chapter {number}: {name}"


def typeset(
    *,
    title: str,
    devanagari: bool,
    chapters: int = 2,
    paragraphs: int = 4,
    sentences_each: int = 5,
    columns: int = 1,
    seed: int = 0,
    footer: str = "",
) -> TypesetBook:
    """A book of `chapters` chapters, each opening on a new page with its heading; `footer`
    printed at the foot of every page, above its number."""
    book = TypesetBook(title=title, devanagari=devanagari, footer=footer)
    source = sentences(devanagari=devanagari, seed=seed)
    narration = []
    for number in range(1, chapters + 1):
        heading = chapter_heading(number, devanagari=devanagari)
        text = [" ".join(next(source) for _ in range(sentences_each)) for _ in range(paragraphs)]
        narration += [heading, *text]
        first = len(book.pages) + 1
        book.chapters.append((heading, first))
        set_chapter(book, heading=heading, paragraphs=text, columns=columns)
        add_furniture(book, first=first, chapter=heading.split(":")[-1].strip())
    book.narration = "\n\n".join(narration) + "\n"
    return book


def set_chapter(book: TypesetBook, *, heading: str, paragraphs: list[str], columns: int) -> None:
    """The chapter's pages, its heading on the first, its paragraphs' lines filling each
    column top to bottom, every paragraph's first line indented."""
    column_width = (PAGE_SIZE[0] - 2 * MARGIN - (columns - 1) * COLUMN_GAP) / columns
    pitch = SIZES["body"] * LEADING
    slots = [
        (column, row) for column in range(columns) for row in range(int((BODY_BOTTOM - BODY_TOP) // pitch))
    ]
    measure = font(devanagari=book.devanagari, size=SIZES["body"])
    page = [PrintedLine(heading, MARGIN, BODY_TOP, SIZES["heading"])]
    free = iter([(column, row) for column, row in slots if row >= 2])  # under the heading
    for paragraph in paragraphs:
        for number, line in enumerate(wrap(paragraph, width=column_width, measure=measure, book=book)):
            slot = next(free, None)
            if slot is None:
                book.pages.append(page)
                page, free = [], iter(slots)
                slot = next(free)
            column, row = slot
            x = MARGIN + column * (column_width + COLUMN_GAP) + (INDENT if number == 0 else 0)
            page.append(PrintedLine(line, x, BODY_TOP + row * pitch, SIZES["body"]))
    book.pages.append(page)


def add_furniture(book: TypesetBook, *, first: int, chapter: str) -> None:
    """Running header on every page but a chapter's first; footer and page number on every page."""
    for number in range(first, len(book.pages) + 1):
        page = book.pages[number - 1]
        if number != first:
            header = f"{book.title} {'-' if book.devanagari else '·'} {chapter}"  # in the script's font
            page.insert(0, PrintedLine(header, MARGIN, HEADER_TOP, SIZES["header"]))
            book.furniture.add(header)
        if book.footer:
            page.append(PrintedLine(book.footer, MARGIN, FOOTER_TOP, SIZES["header"]))
            book.furniture.add(book.footer)
        folio = str(number).translate(DEVANAGARI_DIGITS) if book.devanagari else f"- {number} -"
        page.append(PrintedLine(folio, PAGE_SIZE[0] / 2 - 10, FOLIO_TOP, SIZES["footer"]))
        book.furniture.add(folio)


def page_image(lines: list[PrintedLine], *, devanagari: bool, dpi: int = 150, seed: int = 0) -> Image.Image:
    scale = dpi / 72
    image = Image.new("L", (round(PAGE_SIZE[0] * scale), round(PAGE_SIZE[1] * scale)), 250)
    draw = ImageDraw.Draw(image)
    for line in lines:
        script = devanagari and any("\u0900" <= ch <= "\u097f" for ch in line.text)
        draw.text(
            (line.x * scale, line.top * scale),
            line.text,
            font=font(devanagari=script, size=line.size * scale),
            fill=25,
        )
    rng = random.Random(seed)
    for _ in range(image.width * image.height // 2000):
        draw.point((rng.randrange(image.width), rng.randrange(image.height)), fill=rng.randrange(120, 200))
    return image.filter(ImageFilter.GaussianBlur(0.5))


def write_pdf(
    book: TypesetBook,
    path: Path,
    *,
    scanned: bool,
    outline: bool = False,
    broken_map: Callable[[str], str] | None = None,
) -> Path:
    """The book as a PDF: scanned pages are images only; digital ones carry a text layer,
    each line of it passed through `broken_map` when given (a font map that mangles text)."""
    for name, source in (("NotoDevanagari", DEVANAGARI_FONT), ("DejaVu", LATIN_FONT)):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(source)))
    pdf = canvas.Canvas(str(path), pagesize=PAGE_SIZE)
    for number, lines in enumerate(book.pages, start=1):
        if scanned or book.devanagari:
            buffer = BytesIO()
            page_image(lines, devanagari=book.devanagari, seed=number).save(buffer, format="PNG")
            buffer.seek(0)
            pdf.drawImage(ImageReader(buffer), 0, 0, width=PAGE_SIZE[0], height=PAGE_SIZE[1])
        if not scanned:
            for line in lines:
                layer = pdf.beginText(line.x, PAGE_SIZE[1] - line.top - line.size)
                layer.setTextRenderMode(3 if book.devanagari else 0)
                layer.setFont("NotoDevanagari" if book.devanagari else "DejaVu", line.size)
                layer.textLine(broken_map(line.text) if broken_map else line.text)
                pdf.drawText(layer)
        if outline:
            for title, first in book.chapters:
                if first == number:
                    pdf.bookmarkPage(f"chapter-{number}")
                    pdf.addOutlineEntry(title, f"chapter-{number}", level=0)
        pdf.showPage()
    pdf.save()
    return path


def furniture_left(book: TypesetBook, narration: str) -> list[str]:
    """The headers (as OCR may misread them) and page numbers found in `narration` more often
    than the book's own text has them."""
    left = []
    for furniture in sorted(book.furniture):
        if len(furniture) > 8:
            found = (
                fuzz.partial_ratio(furniture, narration) >= 85 > fuzz.partial_ratio(furniture, book.narration)
            )
        else:
            as_word = re.compile(rf"(?<!\S){re.escape(furniture)}(?!\S)")
            found = len(as_word.findall(narration)) > len(as_word.findall(book.narration))
        if found:
            left.append(furniture)
    return left


def chapters_found(book: TypesetBook, chapters: list[dict]) -> int:
    """How many of the book's chapters the narration has, with their first page, in order."""
    found = [(chapter["title"], chapter["start_page"]) for chapter in chapters]
    return sum(
        1
        for (title, page), (expected, expected_page) in zip(found, book.chapters, strict=False)
        if page == expected_page and fuzz.ratio(title, expected) >= 80
    )


def read_book(
    book: TypesetBook, path: Path, *, scanned: bool, outline: bool
) -> tuple[list[tuple[int, str]], list]:
    """The pages' text as the engine extracts them, and the PDF's outline."""
    write_pdf(book, path, scanned=scanned, outline=outline)
    options = options_for_book("hindi" if book.devanagari else "english")
    results = {}
    extract_pages(
        path,
        pages=list(range(1, len(book.pages) + 1)),
        options=options,
        in_flight=2,
        progress_callback=lambda result: results.__setitem__(result.page_number, result),
    )
    with PdfReader(path) as reader:
        bookmarks = reader.outline()
    return [(number, results[number].text) for number in sorted(results)], bookmarks
