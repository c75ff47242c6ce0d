"""The benchmark's books, generated with the tests' PDF factory, and their true texts."""

import json
from dataclasses import dataclass
from pathlib import Path

from tests.support.pdf_factory import Page, build_pdf, english_page, hindi_page

# The seed guide's models (`hin+eng` for Hindi): its method, and the machine limit, use them.
GUIDE_LANGUAGES = {"hindi": "hin+eng", "english": "eng", "hinglish": "hin+eng"}


@dataclass(frozen=True)
class BenchBook:
    name: str
    language: str  # the upload's language field
    pages: tuple[Page, ...]

    def truth(self) -> dict[int, str]:
        return {number: "\n".join(page.lines) for number, page in enumerate(self.pages, start=1)}


BOOKS = [
    BenchBook("hindi-scanned-12", "hindi", tuple(hindi_page(count=16, start=i) for i in range(12))),
    BenchBook("hindi-scanned-120", "hindi", tuple(hindi_page(count=16, start=i) for i in range(120))),
    BenchBook("english-digital-300", "english", tuple(english_page(count=20, start=i) for i in range(300))),
]


def materialize(book: BenchBook, folder: Path) -> Path:
    """Write the book's PDF (once) and its true page texts beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    pdf = folder / f"{book.name}.pdf"
    if not pdf.exists():
        build_pdf(pdf, list(book.pages))
    (folder / f"{book.name}.truth.json").write_text(json.dumps(book.truth(), ensure_ascii=False))
    return pdf
