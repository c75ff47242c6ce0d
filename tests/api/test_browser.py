"""The web page at / in a real headless Chromium (Debian's, driven by Playwright) against
a real gunicorn server: sign up, upload, watch pages arrive, reload and re-attach, errors.
Screenshots go to test-artifacts/."""

import re
import shutil
import time
import uuid

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.support.character_error import character_error_rate
from tests.support.live_server import ROOT, free_port, start_server, stop_server
from tests.support.narration_books import typeset, write_pdf
from tests.support.pdf_factory import build_pdf, english_page, scanned_hindi_book
from tests.support.service_processes import unavailable

pytestmark = pytest.mark.server

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
# As the machine's notes say: no sandbox as root, and no background calls to Google.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        unavailable("Chromium", f"{CHROMIUM} is missing (make test installs Debian's chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server, request):
    context = browser.new_context(base_url=server.url, viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    refused = []  # what the page's Content-Security-Policy stopped: the page must need nothing of it
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security" in message.text else None,
    )
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    context.close()
    assert refused == []


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pdfs")
    return {
        pages: scanned_hindi_book(folder / f"{pages}-pages.pdf", pages=pages, lines=8) for pages in (3, 20)
    }


def sign_up(page) -> str:
    username = f"reader-{uuid.uuid4().hex[:8]}"
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("kitaab-padhna-2026")
    page.get_by_role("button", name="Register").click()
    page.get_by_text(f"Signed in as {username}").wait_for()
    return username


def record_arrivals(page) -> None:
    """Note in the page when each page row appears and when the book is done."""
    page.evaluate(
        """() => {
            window.arrivals = {rows: [], done: null};
            const options = {subtree: true, childList: true, characterData: true};
            new MutationObserver(() => {
                const rows = document.querySelectorAll('#pages tr').length;
                while (window.arrivals.rows.length < rows) window.arrivals.rows.push(performance.now());
                if (!window.arrivals.done && document.getElementById('status').textContent.startsWith('Done'))
                    window.arrivals.done = performance.now();
            }).observe(document.getElementById('main'), options);
        }"""
    )


def upload(page, pdf, title: str, language: str = "hindi") -> None:
    page.get_by_label("PDF file").set_input_files(pdf)
    page.get_by_label("Title").fill(title)
    page.get_by_label("Language").select_option(language)
    page.get_by_label("Reading mode").select_option("auto")
    page.get_by_role("button", name="Upload and read").click()


def test_an_upload_reaches_100_percent_with_pages_listed_as_they_are_read(page, pdfs):
    sign_up(page)
    record_arrivals(page)

    upload(page, pdfs[3], "Teen panne")
    page.get_by_text("Done: 3 pages read").wait_for()

    rows = page.locator("#pages tr")
    assert rows.count() == 3
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(3)] == ["1", "2", "3"]
    assert all(rows.nth(i).locator("td").nth(1).inner_text() == "OCR" for i in range(3))
    first_lines = [rows.nth(i).locator("td").last.inner_text() for i in range(3)]
    assert all(line and line != "…" for line in first_lines), first_lines
    assert page.locator("#progress").evaluate("bar => bar.value") == 100
    arrivals = page.evaluate("window.arrivals")
    assert arrivals["rows"][0] < arrivals["done"] - 300, "the first page was listed before the book was done"
    assert page.get_by_text("Teen panne — completed, 3/3 pages (100%)").is_visible()


def test_a_reload_mid_book_re_attaches_and_continues_where_it_was(page, pdfs):
    sign_up(page)
    upload(page, pdfs[20], "Bees panne")  # long enough to be reloaded mid-book on a fast machine
    page.locator("#pages tr").first.wait_for()
    assert not page.get_by_text("Done:").is_visible()

    page.reload()

    page.get_by_text("Re-attached:").wait_for()
    page.get_by_text("Done: 20 pages read").wait_for()
    numbers = page.locator("#pages tr td:first-child").all_inner_texts()
    assert numbers == [str(number) for number in range(1, 21)]
    assert page.locator("#progress").evaluate("bar => bar.value") == 100


def test_a_rejected_upload_shows_the_servers_message(page, tmp_path):
    sign_up(page)
    not_a_pdf = tmp_path / "notes.pdf"
    not_a_pdf.write_text("these are my notes, not a book")

    upload(page, not_a_pdf, "Not a book")

    alert = page.get_by_role("alert").filter(has_text="Invalid file type")
    alert.wait_for()
    assert "Only PDF files are allowed" in alert.inner_text() or "not a PDF" in alert.inner_text()
    assert page.locator("#reading").is_hidden()


def test_my_books_open_to_their_pages_and_can_be_deleted(page, pdfs):
    sign_up(page)
    upload(page, pdfs[3], "Padhne ke liye")
    page.get_by_text("Done: 3 pages read").wait_for()

    page.get_by_role("button", name="Read Padhne ke liye").click()
    expect(page.locator("#book-pages li")).to_have_count(3)
    expect(page.locator("#book-title")).to_be_focused()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete Padhne ke liye").click()
    expect(page.get_by_text("Padhne ke liye — completed")).to_have_count(0)


def test_the_read_view_shows_the_narration_by_chapter_and_downloads_it(page, tmp_path):
    book = typeset(title="Tales of Water", devanagari=False, chapters=3)
    sign_up(page)
    pdf = write_pdf(book, tmp_path / "tales.pdf", scanned=False, outline=True)
    upload(page, pdf, "Tales of Water", language="english")
    page.get_by_text(f"Done: {len(book.pages)} pages read (0 by OCR").wait_for()

    page.get_by_role("button", name="Read Tales of Water").click()
    headings = page.locator("#book-narration h3")
    expect(headings).to_have_count(3)
    for heading, (title, start) in zip(headings.all(), book.chapters, strict=True):
        expect(heading).to_have_text(f"{title} from page {start}")
    expect(page.locator("#book-narration p").first).to_contain_text("The")
    expect(page.locator("#book-narration")).not_to_contain_text("Tales of Water")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#book-narration").screenshot(path=ARTIFACTS / "narration.png")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download .txt").click()
    assert download.value.suggested_filename == "Tales of Water.txt"
    text = download.value.path().read_text(encoding="utf-8")
    assert text.startswith("Chapter 1: The River\n\n") and character_error_rate(text, book.narration) < 0.02


def test_every_control_is_labelled_and_the_page_fits_a_phone(browser, server):
    context = browser.new_context(base_url=server.url, viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        sign_up(page)
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input, select')]
                 .filter(control => !control.labels || control.labels.length === 0).map(c => c.id)"""
        )
        assert unlabelled == []
        assert page.locator("#status").get_attribute("aria-live") == "polite"
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        # Keyboard: from the file input, Tab walks the form in reading order.
        page.get_by_label("PDF file").focus()
        order = []
        for _ in range(5):
            page.keyboard.press("Tab")
            order.append(page.evaluate("document.activeElement.id"))
        assert order == ["title", "author", "language", "ocr_mode", "upload-button"]
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "phone-width.png", full_page=True)
    finally:
        context.close()


def test_an_expired_access_token_is_refreshed_without_signing_in_again(page):
    sign_up(page)
    expired = page.evaluate(
        """() => {
            const tokens = JSON.parse(localStorage.getItem('tokens'));
            const payload = btoa(JSON.stringify({exp: Math.floor(Date.now() / 1000) - 10}));
            tokens.access = `e30.${payload.replace(/=+$/, '')}.expired`;
            localStorage.setItem('tokens', JSON.stringify(tokens));
            return tokens.access;
        }"""
    )

    page.reload()

    page.get_by_role("heading", name="My books").wait_for()
    # Polled from here: the page's Content-Security-Policy refuses wait_for_function's eval.
    refreshed = "() => JSON.parse(localStorage.getItem('tokens')).access"
    deadline = time.monotonic() + 60
    while page.evaluate(refreshed) == expired:
        assert time.monotonic() < deadline, "the expired access token was never refreshed"
        page.wait_for_timeout(100)
    assert page.locator("#auth").is_hidden()
    assert page.get_by_role("button", name="Upload and read").is_visible()


def record_streams(page) -> None:
    """Note in the page each request for a book's events (when, and its Last-Event-ID), every
    event id the streams brought, in order, and when the browser said it was online again."""
    page.evaluate(
        """() => {
            window.streamed = {attempts: [], ids: [], online: null};
            window.addEventListener('online', () => (window.streamed.online = performance.now()));
            const fetchBefore = window.fetch;
            window.fetch = async (url, options = {}) => {
                const stream = /upload-sse|events/.test(String(url));
                const attempt = {at: performance.now(), failed: false,
                                 lastEventId: (options.headers || {})['Last-Event-ID'] || null};
                if (stream) window.streamed.attempts.push(attempt);
                const response = await fetchBefore(url, options).catch((error) => {
                    attempt.failed = true;
                    throw error;
                });
                if (stream && response.ok) (async () => {
                    const reader = response.clone().body.getReader();
                    const decoder = new TextDecoder();
                    for (let text = ''; ; ) {
                        const {value, done} = await reader.read();
                        if (done) break;
                        text += decoder.decode(value, {stream: true});
                        const lines = text.split('\\n');
                        text = lines.pop();
                        for (const line of lines)
                            if (line.startsWith('id: ')) window.streamed.ids.push(Number(line.slice(4)));
                    }
                })().catch(() => {});
                return response;
            };
        }"""
    )


def wait_for_attempts(page, count: int, *, failed: bool = False) -> list[dict]:
    """The page's requests for the stream (only those that failed, with `failed`) once there are `count`."""
    deadline = time.monotonic() + 120
    while True:
        attempts = [a for a in page.evaluate("() => window.streamed.attempts") if a["failed"] or not failed]
        if len(attempts) >= count:
            return attempts
        assert time.monotonic() < deadline, f"only {len(attempts)} of {count} requests for the stream"
        page.wait_for_timeout(50)


def test_a_stream_cut_by_a_server_restart_is_re_attached_by_itself_with_no_page_missing_or_doubled(
    browser, pdfs, tmp_path
):
    # A server of its own, restarted on the same address: the page's origin stays the same.
    bind = f"127.0.0.1:{free_port()}"
    live = start_server(tmp_path / "restarted", GUNICORN_BIND=bind, OCR_WORKERS="1")
    context = browser.new_context(base_url=live.url, viewport={"width": 1000, "height": 900})
    page = context.new_page()
    page.set_default_timeout(120_000)
    try:
        sign_up(page)
        page.evaluate(
            """() => {
                window.statuses = [];
                const status = document.getElementById('status');
                new MutationObserver(() => window.statuses.push(status.textContent))
                    .observe(status, {childList: true, characterData: true, subtree: true});
            }"""
        )
        record_streams(page)
        upload(page, pdfs[20], "Beech mein band")
        page.locator("#pages tr").first.wait_for()

        stop_server(live.process)  # its streams end, asking the client to re-attach
        context.set_offline(True)
        page.wait_for_function("() => window.statuses.some(s => s.includes('reconnecting'))")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "stream-reconnecting.png")
        # Offline, each try fails at once; the waits between them are 2, 4, 8, 10 s.
        tries = [attempt["at"] for attempt in wait_for_attempts(page, 3, failed=True)]
        live = start_server(tmp_path / "restarted", GUNICORN_BIND=bind, OCR_WORKERS="1")
        # Back online just after a failed try: the page tries at once, not after its wait of 8 s or more.
        failed_so_far = len(wait_for_attempts(page, 3, failed=True))
        last_failed = wait_for_attempts(page, failed_so_far + 1, failed=True)[-1]
        context.set_offline(False)
        tried = page.evaluate("() => window.streamed.attempts").index(last_failed) + 1
        attempts = wait_for_attempts(page, tried + 1)

        # Every page read: one whose tesseract was stopped with the server is read again.
        page.get_by_text("Done: 20 pages read (20 by OCR").wait_for()
        numbers = page.locator("#pages tr td:first-child").all_inner_texts()
        statuses = page.evaluate("() => window.statuses")
        streamed = page.evaluate("() => window.streamed")
        progress = page.locator("#progress").evaluate("bar => bar.value")
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "stream-re-attached-after-a-restart.png", full_page=True)
        context.close()
        stop_server(live.process)

    assert numbers == [str(number) for number in range(1, 21)]
    assert progress == 100
    assert any(status.startswith("Reconnected") for status in statuses)
    # Backing off: each wait twice the one before (timers may be late, never early).
    assert tries[1] - tries[0] >= 0.9 * 2000 and tries[2] - tries[1] >= 0.9 * 4000, tries
    # The try after the browser came back online was made then, not when its wait was over.
    back_online, next_try = streamed["online"], attempts[tried]["at"]
    assert back_online is not None and back_online <= next_try < last_failed["at"] + 8000, streamed
    # Every re-attach asked for what came after the last event it had, so no event came twice.
    assert all(int(attempt["lastEventId"]) >= 1 for attempt in attempts[1:]), attempts
    assert streamed["ids"] == sorted(set(streamed["ids"])) and len(streamed["ids"]) > 20, streamed["ids"]


def test_the_proofreader_shows_each_page_beside_its_text_and_saves_corrections_into_the_narration(
    page, server, tmp_path
):
    sign_up(page)
    pdf = build_pdf(
        tmp_path / "two.pdf", [english_page(count=8, scanned=False), english_page(count=8, start=3)]
    )
    upload(page, pdf, "Proof Sheets", language="english")
    page.get_by_text("Done: 2 pages read").wait_for()

    page.get_by_role("button", name="Read Proof Sheets").click()
    expect(page.locator("#proof-title")).to_have_text("Proofread page 1 of 2")
    page.wait_for_function("() => document.getElementById('page-image').naturalWidth > 0")
    expect(page.get_by_label("Text of this page")).to_have_value(re.compile("The quick brown fox"))
    book_id = page.evaluate("() => proof.book.id")
    picture, text = (
        page.locator("#page-image").bounding_box(),
        page.get_by_label("Text of this page").bounding_box(),
    )
    assert picture["x"] + picture["width"] <= text["x"] and text["y"] < picture["y"] + picture["height"]

    page.get_by_label("Text of this page").fill("A corrected line for the narrator.")
    page.get_by_role("button", name="Save correction").click()
    expect(page.locator("#proof-status")).to_have_text("Saved (version 2).")
    expect(page.locator("#book-narration")).to_contain_text("A corrected line for the narrator.")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "proofreader.png", full_page=True)

    # Another editor saves version 3 meanwhile; this one's edit on version 2 is refused.
    page.evaluate(
        """async (bookId) => {
            const token = JSON.parse(localStorage.getItem('tokens')).access;
            await fetch(`/api/books/${bookId}/pages/1/`, {method: 'PATCH', headers: {
                Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'If-Match': '"v2"'},
                body: JSON.stringify({text_content: "The other editor's line."})});
        }""",
        book_id,
    )
    page.get_by_label("Text of this page").fill("My late edit.")
    page.get_by_role("button", name="Save correction").click()
    expect(page.locator("#proof-status")).to_contain_text("Not saved. The page changed meanwhile")
    expect(page.get_by_label("Text of this page")).to_have_value("My late edit.")

    # Leaving a page (or opening the book again) with text not saved asks first; declined,
    # the page and its text stay.
    asked = []

    def decline(dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", decline)
    page.keyboard.press("Alt+ArrowRight")
    page.get_by_role("button", name="Read Proof Sheets").click()
    page.locator("#book-pages button").first.click()  # the page shown, fetched again
    expect(page.get_by_label("Text of this page")).to_have_value("My late edit.")
    assert asked == ["Page 1 has changes that are not saved. Leave them?"] * 3
    expect(page.locator("#proof-title")).to_have_text("Proofread page 1 of 2")
    page.remove_listener("dialog", decline)

    # Alt+arrows move between pages; the first page's picture is fetched once, then cached.
    page.once("dialog", lambda dialog: dialog.accept())
    page.keyboard.press("Alt+ArrowRight")
    expect(page.locator("#proof-title")).to_have_text("Proofread page 2 of 2")
    page.keyboard.press("Alt+ArrowLeft")
    expect(page.locator("#proof-title")).to_have_text("Proofread page 1 of 2")
    expect(page.get_by_label("Text of this page")).to_have_value("The other editor's line.")
    page.wait_for_function("() => document.getElementById('page-image').naturalWidth > 0")
    fetched = [line for line in server.log().splitlines() if f"/api/books/{book_id}/pages/1/image/" in line]
    assert len(fetched) == 1, fetched

    # Revert: the extracted text again, in the editor and in the narration.
    page.get_by_role("button", name="Revert to extracted text").click()
    expect(page.locator("#proof-status")).to_have_text("Back to the extracted text (version 4).")
    expect(page.get_by_label("Text of this page")).to_have_value(re.compile("The quick brown fox"))
    expect(page.locator("#book-narration")).not_to_contain_text("The other editor's line.")
    expect(page.locator("#book-narration")).to_contain_text("The quick brown fox")


def test_pages_and_words_ocr_was_unsure_of_are_flagged_and_found_in_the_text(page, pdfs):
    sign_up(page)
    upload(page, pdfs[3], "Galat bhasha", language="english")  # Hindi read with the English model
    page.get_by_text("Done: 3 pages read").wait_for()

    page.get_by_role("button", name="Read Galat bhasha").click()
    expect(page.locator("#proof-flag")).to_contain_text("Check this page: low OCR confidence")
    expect(page.locator("#book-pages li").first).to_contain_text("low OCR confidence")
    expect(page.locator("#book-pages li").first).to_contain_text("unsure word(s)")
    unsure = page.locator("#unsure-words button")
    expect(unsure.first).to_be_visible()
    word = unsure.first.inner_text()
    unsure.first.click()
    editor = page.get_by_label("Text of this page")
    expect(editor).to_be_focused()
    assert editor.evaluate("box => box.value.slice(box.selectionStart, box.selectionEnd)") == word
    page.wait_for_function("() => document.getElementById('page-image').naturalWidth > 0")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "proofreader-flagged.png", full_page=True)

    # A word is found where it stands whole, not inside another.
    editor.fill("within the line in")
    editor.evaluate("box => { box.setSelectionRange(0, 0); findInEditor('in'); }")
    assert editor.evaluate("box => [box.selectionStart, box.selectionEnd]") == [16, 18]


def test_on_a_phone_the_page_picture_and_its_text_are_stacked(browser, server, tmp_path):
    context = browser.new_context(base_url=server.url, viewport={"width": 360, "height": 740})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        sign_up(page)
        upload(page, build_pdf(tmp_path / "one.pdf", [english_page(scanned=False)]), "Phone Proof", "english")
        page.get_by_text("Done: 1 pages read").wait_for()
        page.get_by_role("button", name="Read Phone Proof").click()
        page.wait_for_function("() => document.getElementById('page-image').naturalWidth > 0")
        picture = page.locator("#page-image").bounding_box()
        text = page.get_by_label("Text of this page").bounding_box()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "proofreader-phone.png", full_page=True)
        assert text["y"] >= picture["y"] + picture["height"]
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()
