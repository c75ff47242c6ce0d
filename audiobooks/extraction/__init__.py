"""4. The extraction engine: a PDF's pages to text, the text layer when it holds real text and
Tesseract otherwise. A plain library: it imports nothing from Django, and knows nothing of
HTTP, models or events; the book job and the bench both call it.

    pdf_file.py         is it a PDF, its page count, each page's text layer and size
    page_objects.py     ... from one walk over what the page draws
    glyph_spacing.py    ... Devanagari words spaced by where their glyphs' ink lies
    pdf_reader.py       ... read in a child process with memory, CPU and time limits
    text_layer.py       whether a text layer is worth trusting, and tidying it
    font_trust.py       ... a book's Devanagari fonts checked against OCR once each
    scan_cleanup.py     a scan's dark borders whitened and turned level before OCR
    ocr.py              pdftoppm renders a page, tesseract reads it (turned upright if need be)
    page_extraction.py  one page, or a book's pages in parallel on a shared executor
    languages.py        the Tesseract models for each book language
"""
