"""Which Tesseract language models read a book, by the language its uploader names."""

# Hindi books quote English words, which Hindi's model alone reads as garbage.
TESSERACT_LANGUAGES = {"hindi": "hin+eng", "english": "eng", "hinglish": "hin+eng"}


def tesseract_language(book_language: str) -> str:
    """tesseract's -l for a book in `book_language` (hindi, english or hinglish)."""
    return TESSERACT_LANGUAGES[book_language]
