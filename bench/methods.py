"""One extraction method on one book, in a process of its own (so peak memory is its own).

    python -m bench.methods guide|engine BOOK.pdf LANGUAGE OUT.json

`guide` is the seed guide's method as written: every page to a JPEG image at 150 dpi
first, then tesseract --psm 6 on one page after another with tesseract's default threads.
`engine` is the audiobooks/extraction package with one worker per core.
"""

import json
import os
import sys
import time


def guide(pdf_path: str, language: str) -> tuple[dict[int, str], float]:
    import pdfplumber
    import pytesseract
    from pdf2image import convert_from_path

    from bench.books import GUIDE_LANGUAGES

    started = time.monotonic()
    first_page_at = None
    with pdfplumber.open(pdf_path) as pdf:
        total_pages = len(pdf.pages)
    images = convert_from_path(pdf_path, dpi=150, fmt="jpeg")
    texts = {}
    for page_number, image in enumerate(images[:total_pages], start=1):
        texts[page_number] = pytesseract.image_to_string(
            image, lang=GUIDE_LANGUAGES[language], config="--psm 6"
        )
        first_page_at = first_page_at or time.monotonic() - started
    return texts, first_page_at


def engine(pdf_path: str, language: str) -> tuple[dict[int, str], float]:
    from concurrent.futures import ThreadPoolExecutor

    from audiobooks.extraction.page_extraction import extract_pages, options_for_book
    from audiobooks.extraction.pdf_reader import count_pages

    started = time.monotonic()
    finished_at = []
    options = options_for_book(language)
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        results = extract_pages(
            pdf_path,
            pages=range(1, count_pages(pdf_path) + 1),
            options=options,
            executor=pool,
            in_flight=os.cpu_count(),
            progress_callback=lambda result: finished_at.append(time.monotonic() - started),
        )
    errors = [r for r in results if r.error]
    if errors:
        raise SystemExit(f"engine failed pages: {errors[:3]}")
    return {r.page_number: r.text for r in results}, finished_at[0]


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM). Not ru_maxrss: Linux carries that over from the
    forking parent through exec, so it showed the bench driver's size (95 MB for the 120-
    and 300-page books alike, whose engine peaks at 45 MB when started from a shell)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def load_guide() -> None:
    import pdf2image  # noqa: F401
    import pdfplumber  # noqa: F401
    import pytesseract  # noqa: F401


def load_engine() -> None:
    import audiobooks.extraction.page_extraction  # noqa: F401


def main() -> None:
    method, pdf_path, language, out_path = sys.argv[1:5]
    # Imports are a process's start-up cost, paid once when a server boots, not per book.
    {"guide": load_guide, "engine": load_engine}[method]()
    started = time.monotonic()
    texts, first_page_s = {"guide": guide, "engine": engine}[method](pdf_path, language)
    total_s = time.monotonic() - started
    with open(out_path, "w") as out:
        json.dump(
            {
                "total_s": total_s,
                "first_page_s": first_page_s,
                "pages": len(texts),
                "peak_rss_mb": peak_rss_mb(),
                "texts": texts,
            },
            out,
            ensure_ascii=False,
        )


if __name__ == "__main__":
    main()
