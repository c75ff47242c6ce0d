"""Which Tesseract models read a book, by the language its uploader names.

Measured on the real printed Devanagari in tests/data/realworld (19 images, psm 3, mean
character error rate): `Devanagari` (the script model) 29.0%, `hin` 33.7%,
`Devanagari+eng` 33.5%, `hin+eng` 41.9%. A second model in the same run lets it turn
Devanagari words into Latin ones, so Hindi is read with the script model alone, and `eng`
reads again only the words it misread (latin_rescue.py): English quoted in Hindi stays
English, and pure Devanagari pages read as with the script model.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class OcrModels:
    language: str  # tesseract's -l for the page
    rescue_language: str | None  # re-reads the words `language` could not read as letters


OCR_MODELS = {
    "hindi": OcrModels("Devanagari", "eng"),
    "hinglish": OcrModels("Devanagari", "eng"),
    "english": OcrModels("eng", None),
}


def ocr_models(book_language: str) -> OcrModels:
    """The models for a book in `book_language` (hindi, english or hinglish)."""
    return OCR_MODELS[book_language]
