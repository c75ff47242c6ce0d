"""`manage.py import_book`: PDFs from disk through the upload pipeline, with a progress bar."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from audiobooks.models import Book
from tests.support.character_error import character_error_rate
from tests.support.live_server import ROOT
from tests.support.narration_books import typeset, write_pdf
from tests.support.pdf_factory import build_pdf, english_page, hindi_page

pytestmark = pytest.mark.django_db(transaction=True)  # the job's thread must see the book


def import_books(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_book", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def library(tmp_path):
    """A folder with a digital book, a scanned one in a subfolder, and a file that is no PDF."""
    folder = tmp_path / "library"
    (folder / "scans").mkdir(parents=True)
    build_pdf(folder / "digital.pdf", [english_page(start=0), english_page(start=1)])
    build_pdf(folder / "scans" / "Scanned.PDF", [hindi_page(count=5)])
    (folder / "notes.txt").write_text("not a book")
    return folder


def test_a_directory_is_walked_and_each_book_gets_a_progress_bar_and_a_summary(user, library):
    out, err = import_books(
        library, "--user", user.username, "--language", "hinglish", "--author", "Premchand"
    )

    books = {book.original_filename: book for book in Book.objects.filter(user=user)}
    assert set(books) == {"digital.pdf", "Scanned.PDF"}
    assert all(book.status == "completed" and book.author == "Premchand" for book in books.values())
    assert [p.method for p in books["digital.pdf"].pages.all()] == ["text", "text"]
    assert [p.method for p in books["Scanned.PDF"].pages.all()] == ["ocr"]
    lines = out.splitlines()
    assert lines[0].startswith(
        f"COMPLETED {library / 'digital.pdf'}: book {books['digital.pdf'].pk} 'digital', 2 pages"
    )
    assert "(0 OCR, 2 text layer, 0 failed)" in lines[0]
    assert "(1 OCR, 0 text layer, 0 failed)" in lines[1]
    # tqdm's bar: pages done of total, elapsed<left, and the rate.
    assert "2/2 [" in err and "1/1 [" in err and "page/s]" in err


def test_text_out_writes_each_completed_books_narration(user, tmp_path):
    book = typeset(title="Tales of Water", devanagari=False)
    pdf = write_pdf(book, tmp_path / "tales.pdf", scanned=False)

    out, _ = import_books(
        pdf, "--user", user.username, "--language", "english", "--text-out", tmp_path / "text"
    )

    narration = (tmp_path / "text" / "tales.txt").read_text(encoding="utf-8")
    assert character_error_rate(narration, book.narration) < 0.02
    assert f"TEXT      {tmp_path / 'text' / 'tales.txt'}" in out.splitlines()


def test_a_book_that_fails_is_reported_and_makes_the_command_fail(user, library):
    (library / "broken.pdf").write_bytes(b"GIF89a, not a PDF at all")

    out = StringIO()
    with pytest.raises(CommandError, match="1 of 3 books failed"):
        call_command("import_book", str(library), "--user", user.username, stdout=out, stderr=StringIO())

    assert f"FAILED    {library / 'broken.pdf'}: Invalid file type." in out.getvalue()
    assert "[not_pdf]" in out.getvalue()
    assert Book.objects.filter(user=user, status="completed").count() == 2
    assert not Book.objects.filter(original_filename="broken.pdf").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["{pdf}", "--user", "nobody"], "no user named 'nobody'"),
        (["{missing}", "--user", "{user}"], "no such file or directory"),
        (["{empty}", "--user", "{user}"], "no PDF files found"),
        (["{pdf}", "{pdf}", "--user", "{user}", "--title", "One"], "--title names one book"),
    ],
)
def test_bad_arguments_are_refused_before_anything_is_stored(user, tmp_path, args, message):
    pdf = build_pdf(tmp_path / "one.pdf", [english_page()])
    (tmp_path / "empty").mkdir()
    values = {
        "pdf": pdf,
        "missing": tmp_path / "missing.pdf",
        "empty": tmp_path / "empty",
        "user": user.username,
    }

    with pytest.raises(CommandError, match=message):
        import_books(*[arg.format(**values) for arg in args])
    assert not Book.objects.exists()


def test_the_command_line_exits_non_zero_when_a_book_fails(tmp_path):
    env = {**os.environ, "SQLITE_PATH": str(tmp_path / "db.sqlite3"), "MEDIA_ROOT": str(tmp_path / "media")}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "ensure_demo_user"], cwd=ROOT, env=env, check=True, capture_output=True)
    good = build_pdf(tmp_path / "good.pdf", [english_page()])
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.7 truncated")

    result = subprocess.run(
        [*manage, "import_book", str(good), str(bad), "--user", "demo", "--language", "english"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 1
    assert f"COMPLETED {good}" in result.stdout and f"FAILED    {bad}" in result.stdout
    assert "CommandError: 1 of 2 books failed" in result.stderr
