"""`python manage.py import_book PATH... --user NAME`: the upload pipeline for PDFs on disk."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from audiobooks.errors import BookError
from audiobooks.events import PageProgress
from audiobooks.jobs.book_actions import create_book_from_upload
from audiobooks.jobs.runners import book_runner
from audiobooks.models import Book
from audiobooks.narration.book_text import plain_text
from audiobooks.pages.book_narration import narration_of
from audiobooks.publishing.event_log import follow_events


class LocalPdf(UploadedFile):
    """A file on disk, handed to the upload service as if it had just been uploaded."""

    def __init__(self, path: Path) -> None:
        super().__init__(open(path, "rb"), path.name, "application/pdf", path.stat().st_size)
        self.path = path

    def temporary_file_path(self) -> str:
        return str(self.path)


def pdf_files(paths: list[Path]) -> list[Path]:
    """The PDFs named, and those found under the directories named (in name order)."""
    found = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".pdf")
        elif path.is_file():
            found.append(path)
        else:
            raise CommandError(f"{path}: no such file or directory")
    return found


class Command(BaseCommand):
    help = "Import PDF books from disk for a user, with a progress bar; directories are walked for PDFs."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, help="PDF files or directories")
        parser.add_argument("--user", required=True, help="username of the books' owner")
        parser.add_argument("--title", default="", help="title (one book only; default: the file name)")
        parser.add_argument("--author", default="")
        parser.add_argument("--language", choices=Book.Language.values, default=Book.Language.HINDI)
        parser.add_argument("--ocr-mode", choices=Book.OcrMode.values, default=Book.OcrMode.AUTO)
        parser.add_argument(
            "--text-out",
            type=Path,
            help="directory to write each completed book's narration to, as <PDF name>.txt",
        )

    def handle(self, *args, paths, user, title, author, language, ocr_mode, text_out, **options):
        owner = get_user_model().objects.filter(username=user).first()
        if owner is None:
            raise CommandError(f"no user named {user!r}")
        pdfs = pdf_files(paths)
        if not pdfs:
            raise CommandError("no PDF files found")
        if title and len(pdfs) > 1:
            raise CommandError(f"--title names one book, but {len(pdfs)} PDFs were given")
        if text_out:
            text_out.mkdir(parents=True, exist_ok=True)

        failed = 0
        for path in pdfs:
            book = self.import_one(
                path, owner=owner, title=title, author=author, language=language, ocr_mode=ocr_mode
            )
            failed += book is None or book.status != Book.Status.COMPLETED
            if text_out and book is not None and book.status == Book.Status.COMPLETED:
                narration_file = text_out / f"{path.stem}.txt"
                narration_file.write_text(plain_text(narration_of(book=book)), encoding="utf-8")
                self.stdout.write(f"TEXT      {narration_file}")
        book_runner().wait_idle(timeout=60)
        if failed:
            raise CommandError(f"{failed} of {len(pdfs)} books failed")

    def import_one(self, path: Path, *, owner, **fields) -> Book | None:
        try:
            with LocalPdf(path) as upload:
                book = create_book_from_upload(user=owner, upload=upload, within_user_limits=False, **fields)
        except BookError as exc:
            self.stdout.write(f"FAILED    {path}: {exc.error}. {exc.details} [{exc.code}]")
            return None

        self.stderr.ending = ""  # the bar redraws its line with \r
        last = None
        with tqdm(total=book.total_pages, desc=book.title[:30], unit="page", file=self.stderr) as bar:
            for batch in follow_events(
                book_id=book.pk, after_seq=0, heartbeat_seconds=1.0, poll_seconds=settings.SSE_POLL_SECONDS
            ):
                for event in batch or []:
                    last = event
                    if event.name == PageProgress.name:
                        bar.update(event.data["current_page"] - bar.n)
        book.refresh_from_db()
        self.stdout.write(self.summary(book, path, last.data if last else {}))
        return book

    @staticmethod
    def summary(book: Book, path: Path, terminal: dict) -> str:
        """One line from the book's terminal event (`completed` or `error`)."""
        if book.status != Book.Status.COMPLETED:
            return f"FAILED    {path}: book {book.pk} {book.status}: {book.error_message} [{book.error_code}]"
        failed_pages = terminal["failed_pages"]
        return (
            f"COMPLETED {path}: book {book.pk} {book.title!r}, {book.total_pages} pages "
            f"({terminal['pages_ocr']} OCR, {terminal['pages_text']} text layer, {len(failed_pages)} failed"
            f"{': ' + str(failed_pages) if failed_pages else ''}) in {terminal['duration_s']:.1f} s"
        )
