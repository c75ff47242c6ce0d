"""Books as a test needs them, stored directly (no upload, no job)."""

from django.core.files.base import ContentFile

from audiobooks.models import Book, BookPage


def make_book(user, *, title="Kitaab", status=Book.Status.COMPLETED, pages=3, stored=None) -> Book:
    book = Book(user=user, title=title, status=status, total_pages=pages, original_filename="kitaab.pdf")
    book.pdf.save("kitaab.pdf", ContentFile(b"%PDF-1.7 stand-in bytes"), save=False)
    book.save()
    for number in range(1, (pages if stored is None else stored) + 1):
        BookPage.objects.create(
            book=book,
            page_number=number,
            text_content=f"पृष्ठ {number}",
            extracted_text=f"पृष्ठ {number}",
            method="ocr",
            char_count=7,
            ocr_confidence=91.5,
        )
    return book
