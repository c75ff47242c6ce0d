from django.conf import settings
from django.db import models

from audiobooks.storage.original_pdfs import pdf_storage


class Book(models.Model):
    class Status(models.TextChoices):
        PROCESSING = "processing"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    class Language(models.TextChoices):
        HINDI = "hindi"
        ENGLISH = "english"
        HINGLISH = "hinglish"

    class OcrMode(models.TextChoices):
        AUTO = "auto"
        OCR = "ocr"
        TEXT = "text"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="books")
    title = models.CharField(max_length=255)
    author = models.CharField(max_length=255, default="Unknown")
    language = models.CharField(max_length=16, choices=Language.choices, default=Language.HINDI)
    category = models.CharField(max_length=100, default="general")
    description = models.TextField(blank=True, default="")
    ocr_mode = models.CharField(max_length=8, choices=OcrMode.choices, default=OcrMode.AUTO)
    pdf = models.FileField(upload_to="books/%Y/%m/", max_length=255, storage=pdf_storage)
    original_filename = models.CharField(max_length=255, blank=True, default="")
    total_pages = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROCESSING)
    error_code = models.CharField(max_length=32, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    # The sequence number of the newest stored event; bumped under the row lock.
    last_event_seq = models.PositiveIntegerField(default=0)
    # Which process is extracting the book, and when it last said so (its lease).
    worker_id = models.CharField(max_length=128, blank=True, default="")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Times this book was taken over from a holder that died or stopped renewing its lease.
    takeovers = models.PositiveSmallIntegerField(default=0)
    # The PDF's bookmarks, [{"title", "page", "level"}], read when the job starts.
    outline = models.JSONField(default=list, blank=True)
    # What a narrator reads (narration/book_text.py), derived from the pages when the book
    # completes; None until then.
    narration = models.JSONField(null=True, blank=True)
    # A page to read again with other settings, while the book is processing for it:
    # {"page", "language", "ocr_mode", "replace_correction"} (jobs/book_actions.py).
    reread = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "status"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"


class BookPage(models.Model):
    class Method(models.TextChoices):
        TEXT = "text"
        OCR = "ocr"

    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="pages")
    page_number = models.PositiveIntegerField()
    # The page's text: a reader's correction if there is one, else what extraction read.
    text_content = models.TextField(blank=True, default="")
    # What extraction read, kept beside a correction (pages/page_corrections.py).
    extracted_text = models.TextField(blank=True, default="")
    edited_at = models.DateTimeField(null=True, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Bumped by every correction: an edit made against an older version is refused (412).
    version = models.PositiveIntegerField(default=1)
    method = models.CharField(max_length=8, choices=Method.choices)
    char_count = models.PositiveIntegerField(default=0)
    ocr_confidence = models.FloatField(null=True, blank=True)
    # The words OCR was least sure of, for a proofreader to check (extraction/tesseract_words.py).
    uncertain_words = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")
    # The text was longer than PAGE_TEXT_MAX_CHARS and was cut there.
    text_truncated = models.BooleanField(default=False)
    # Why `method`: the text layer used (checked against OCR, for Devanagari), or why refused.
    method_reason = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["page_number"]
        constraints = [models.UniqueConstraint(fields=["book", "page_number"], name="unique_page_per_book")]

    def __str__(self) -> str:
        return f"{self.book_id} p{self.page_number}"


class BookEvent(models.Model):
    """The stored stream of a book, so any process can replay and follow it."""

    book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    name = models.CharField(max_length=32)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["book", "seq"], name="unique_event_seq")]
