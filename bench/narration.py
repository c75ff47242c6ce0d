"""`make bench BOOKS=narration`: how well the narration reads, and how fast it is served.

Generated books typeset like printed ones (tests/support/narration_books.py: running
headers, page numbers in Latin or Devanagari digits, chapter openers, paragraphs across
pages, hyphenated English, one or two columns; scanned or digital, Hindi and English) go
through the engine and the narration. For each: the OCR's character error rate on the
pages (all printed lines, against the page text), the narration's against the narration
the typesetting says it should give, header/footer/page-number lines left, chapters found,
and the seconds each step took. Then a 300-page digital book through a real server:
upload, completion, and the time `GET /api/books/{id}/text/` takes, against the time
`GET /api/books/{id}/` takes on the same server.
"""

import os
import statistics
import tempfile
import time
from pathlib import Path

import requests

from audiobooks.narration.book_text import narrate, plain_text
from tests.support.character_error import character_error_rate
from tests.support.live_client import auth, upload_in_background, wait_for_book
from tests.support.live_server import start_server, stop_server
from tests.support.narration_books import chapters_found, furniture_left, read_book, typeset, write_pdf

ENGLISH = dict(title="Tales of Water", devanagari=False, chapters=3, paragraphs=6)
HINDI = dict(title="जल की कहानियाँ", devanagari=True, chapters=3, paragraphs=10, footer="जल प्रकाशन, दिल्ली")
# name: (typesetting, printing)
BOOKS = {
    "english, digital, outline": (ENGLISH, dict(scanned=False, outline=True)),
    "english, digital, two columns": (
        {**ENGLISH, "columns": 2, "footer": "Village Press"},
        dict(scanned=False, outline=False),
    ),
    "english, scanned": (ENGLISH, dict(scanned=True, outline=False)),
    "english, scanned, two columns, outline": (
        {**ENGLISH, "columns": 2, "footer": "Village Press"},
        dict(scanned=True, outline=True),
    ),
    "hindi, digital (searchable scan)": (HINDI, dict(scanned=False, outline=False)),
    "hindi, scanned": (HINDI, dict(scanned=True, outline=True)),
    "hindi, scanned, two columns": ({**HINDI, "columns": 2}, dict(scanned=True, outline=False)),
}
SERVED_PAGES = 300
SERVED_TRIES = 5


def measure(name: str, folder: Path) -> dict:
    layout, printing = BOOKS[name]
    book = typeset(**layout)
    started = time.monotonic()
    pages, outline = read_book(book, folder / "book.pdf", **printing)
    extracted = time.monotonic()
    narration = narrate(pages, outline=outline)
    narrated = time.monotonic()
    text = plain_text(narration)
    printed = "\n".join(line.text for page in book.pages for line in page)
    return {
        "pages": len(book.pages),
        "scanned": printing["scanned"],
        "ocr_cer": character_error_rate("\n".join(page_text for _, page_text in pages), printed),
        "narration_cer": character_error_rate(text, book.narration),
        "left": furniture_left(book, text),
        "furniture": len(book.furniture),
        "chapters": (chapters_found(book, narration["chapters"]), len(book.chapters)),
        "extract_s": extracted - started,
        "narrate_s": narrated - extracted,
    }


def served_text(folder: Path) -> dict:
    """A long digital book through a real server; then its text fetched SERVED_TRIES times."""
    book = typeset(title="Tales of Water", devanagari=False, chapters=20, paragraphs=32)
    pdf = write_pdf(book, folder / "long.pdf", scanned=False, outline=True)
    server = start_server(folder / "server")
    try:
        token = server.token("bench-reader")
        started = time.monotonic()
        book_id = upload_in_background(server, token, pdf, language="english")["id"]
        finished = wait_for_book(server, token, book_id, timeout=600)
        completed_s = time.monotonic() - started
        timings = {}
        for label, path in (
            ("text", f"/api/books/{book_id}/text/"),
            ("json", f"/api/books/{book_id}/text/?format=json"),
            ("book", f"/api/books/{book_id}/"),
        ):
            timings[label] = statistics.median(
                timed_get(f"{server.url}{path}", token) for _ in range(SERVED_TRIES)
            )
        text = requests.get(f"{server.url}/api/books/{book_id}/text/", headers=auth(token), timeout=60).text
        narrate_s = time_narration(server.url, token, book_id)
    finally:
        stop_server(server.process)
    return {
        "pages": finished["total_pages"],
        "status": finished["status"],
        "completed_s": completed_s,
        "cer": character_error_rate(text, book.narration),
        "left": furniture_left(book, text),
        "narrate_s": narrate_s,
        **timings,
    }


def time_narration(url: str, token: str, book_id: int) -> float:
    """Seconds narrate() takes over the book's stored pages: what completing it costs."""
    pages, next_url = [], f"{url}/api/books/{book_id}/pages/?page_size=100"
    while next_url:
        body = requests.get(next_url, headers=auth(token), timeout=60).json()
        pages += [(page["page_number"], page["text_content"]) for page in body["results"]]
        next_url = body["next"]
    started = time.perf_counter()
    narrate(pages, outline=[])
    return time.perf_counter() - started


def timed_get(url: str, token: str) -> float:
    started = time.perf_counter()
    response = requests.get(url, headers=auth(token), timeout=60)
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed


def run() -> list[str]:
    os.environ["OMP_THREAD_LIMIT"] = "1"  # as the app runs tesseract
    report = [
        "## Narration: generated books through the engine and the narration",
        "",
        "| book | pages | OCR CER | narration CER | furniture lines left | chapters found "
        "| extract s | narrate s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    results = {}
    for name in BOOKS:
        with tempfile.TemporaryDirectory() as folder:
            result = results[name] = measure(name, Path(folder))
        found, expected = result["chapters"]
        report.append(
            f"| {name} | {result['pages']} | {result['ocr_cer']:.2%} | {result['narration_cer']:.2%} | "
            f"{len(result['left'])} of {result['furniture']} | {found}/{expected} | "
            f"{result['extract_s']:.1f} | {result['narrate_s']:.3f} |"
        )
        print(report[-1], flush=True)
    with tempfile.TemporaryDirectory() as folder:
        served = served_text(Path(folder))
    report += [
        "",
        f"A {served['pages']}-page digital book through a real server (one gevent worker, SQLite): "
        f"{served['status']} {served['completed_s']:.1f} s after the upload; "
        f"narration CER {served['cer']:.2%}, "
        f"{len(served['left'])} furniture lines left; narrating its stored pages took "
        f"{served['narrate_s']:.2f} s (done once, by the book's job, as it completes). "
        f"Median of {SERVED_TRIES} GETs: "
        f"`text/` {served['text'] * 1000:.0f} ms, `text/?format=json` {served['json'] * 1000:.0f} ms, "
        f"the book's own `GET /api/books/{{id}}/` {served['book'] * 1000:.0f} ms "
        f"(text/book {served['text'] / served['book']:.1f}×).",
        "",
    ]
    return report + targets(results, served) + [""]


def targets(results: dict, served: dict) -> list[str]:
    digital = [r["narration_cer"] for r in results.values() if not r["scanned"]]
    scanned = [r["narration_cer"] - r["ocr_cer"] for r in results.values() if r["scanned"]]
    checks = [
        ("digital books: narration CER ≤ 2%", max(digital) <= 0.02, f"worst {max(digital):.2%}"),
        (
            "scanned books: narration CER ≤ OCR CER + 1 point",
            max(scanned) <= 0.01,
            f"worst {max(scanned) * 100:+.2f} points",
        ),
        (
            "header, footer and page-number lines left: 0",
            all(not r["left"] for r in results.values()) and not served["left"],
            str(sum(len(r["left"]) for r in results.values()) + len(served["left"])),
        ),
        (
            "chapters found: all",
            all(found == expected for found, expected in (r["chapters"] for r in results.values())),
            ", ".join(f"{r['chapters'][0]}/{r['chapters'][1]}" for r in results.values()),
        ),
        (
            f"a {served['pages']}-page book's text back in under 1 s",
            served["text"] < 1,
            f"{served['text']:.3f} s",
        ),
    ]
    return ["| target | met | measured |", "|---|---|---|"] + [
        f"| {name} | {'yes' if ok else 'NO'} | {value} |" for name, ok, value in checks
    ]
