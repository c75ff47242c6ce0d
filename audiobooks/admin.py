"""Django admin for operators: see books and their progress, retry or cancel them, and read
(never edit) their pages."""

from django.contrib import admin, messages
from django.db.models import Count, QuerySet

from audiobooks.errors import BookError
from audiobooks.jobs.book_actions import cancel_book, retry_book
from audiobooks.models import Book, BookPage


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    list_display = ["title", "author", "user", "status", "progress", "language", "ocr_mode", "created_at"]
    list_filter = ["status", "language", "ocr_mode"]
    search_fields = ["title", "author", "user__username"]
    list_select_related = ["user"]
    readonly_fields = [
        "status",
        "progress",
        "total_pages",
        "error_code",
        "error_message",
        "original_filename",
        "pdf",
        "worker_id",
        "heartbeat_at",
        "last_event_seq",
        "created_at",
        "started_at",
        "finished_at",
        "outline",
    ]
    # Megabytes of JSON, derived from the pages: read it through the text endpoint.
    exclude = ["narration"]
    actions = ["retry_books", "cancel_books"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("narration").annotate(stored_pages=Count("pages"))

    @admin.display(description="progress", ordering="stored_pages")
    def progress(self, book: Book) -> str:
        return f"{book.stored_pages}/{book.total_pages}"

    def has_add_permission(self, request) -> bool:
        return False  # books come in through the upload pipeline (API or import_book)

    @admin.action(description="Retry the selected failed or cancelled books")
    def retry_books(self, request, queryset: QuerySet[Book]) -> None:
        self._apply(request, queryset, retry_book, "retried")

    @admin.action(description="Cancel the selected processing books")
    def cancel_books(self, request, queryset: QuerySet[Book]) -> None:
        self._apply(request, queryset, cancel_book, "cancelled")

    def _apply(self, request, queryset: QuerySet[Book], service, done: str) -> None:
        succeeded = 0
        for book in queryset:
            try:
                service(book=book)
                succeeded += 1
            except BookError as exc:
                self.message_user(request, f"{book.title}: {exc.details}", messages.WARNING)
        if succeeded:
            self.message_user(request, f"{succeeded} book(s) {done}.", messages.SUCCESS)


@admin.register(BookPage)
class BookPageAdmin(admin.ModelAdmin):
    list_display = ["book", "page_number", "method", "char_count", "ocr_confidence", "error"]
    list_filter = ["method", "book__language"]
    search_fields = ["text_content", "book__title"]
    list_select_related = ["book"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # page texts are what the extraction produced; view only

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
