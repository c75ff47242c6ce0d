from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from rest_framework import serializers
from rest_framework.reverse import reverse

from audiobooks.models import Book, BookPage


class RegisterSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, max_length=128)
    email = serializers.EmailField(required=False, allow_blank=True)

    def validate_username(self, value: str) -> str:
        # As it will be stored: Django folds compatibility characters (NFKC), so "g¹" is "g1".
        value = get_user_model().normalize_username(value)
        if get_user_model().objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError("This username is taken.")
        return value

    def validate(self, attrs: dict) -> dict:
        user = get_user_model()(username=attrs["username"], email=attrs.get("email", ""))
        try:
            validate_password(attrs["password"], user=user)
        except Exception as exc:  # django.core.exceptions.ValidationError
            raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


class BookUploadSerializer(serializers.Serializer):
    """The metadata fields of an upload; the file itself is checked by the service."""

    title = serializers.CharField(max_length=255, required=False, allow_blank=True)
    author = serializers.CharField(max_length=255, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=Book.Language.choices, default=Book.Language.HINDI)
    category = serializers.CharField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(max_length=10000, required=False, allow_blank=True)
    ocr_mode = serializers.ChoiceField(choices=Book.OcrMode.choices, default=Book.OcrMode.AUTO)


class BookSerializer(serializers.ModelSerializer):
    pages_done = serializers.IntegerField(read_only=True)
    progress = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()
    events_url = serializers.SerializerMethodField()
    pages_url = serializers.SerializerMethodField()
    text_url = serializers.SerializerMethodField()

    class Meta:
        model = Book
        fields = [
            "id",
            "title",
            "author",
            "language",
            "category",
            "description",
            "ocr_mode",
            "status",
            "total_pages",
            "pages_done",
            "progress",
            "error_code",
            "error_message",
            "original_filename",
            "pdf_url",
            "pages_url",
            "events_url",
            "text_url",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_progress(self, book: Book) -> int:
        return int(book.pages_done * 100 / book.total_pages) if book.total_pages else 0

    def _url(self, name: str, book: Book) -> str:
        return reverse(name, kwargs={"book_id": book.pk}, request=self.context.get("request"))

    def get_pdf_url(self, book: Book) -> str:
        return self._url("book-pdf", book)

    def get_events_url(self, book: Book) -> str:
        return self._url("book-events", book)

    def get_pages_url(self, book: Book) -> str:
        return self._url("book-pages", book)

    def get_text_url(self, book: Book) -> str:
        return self._url("book-text", book)


class BookPageSerializer(serializers.ModelSerializer):
    edited_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = BookPage
        fields = [
            "page_number",
            "text_content",
            "extracted_text",
            "edited_at",
            "edited_by",
            "version",
            "method",
            "method_reason",
            "char_count",
            "ocr_confidence",
            "uncertain_words",
            "error",
            "text_truncated",
            "created_at",
        ]


class NarrationParagraphSerializer(serializers.Serializer):
    text = serializers.CharField()
    pages = serializers.ListField(child=serializers.IntegerField(), help_text="[first, last] page")
    sentences = serializers.ListField(child=serializers.CharField())


class NarrationChapterSerializer(serializers.Serializer):
    title = serializers.CharField(help_text="Empty for an untitled chapter")
    start_page = serializers.IntegerField()
    paragraphs = NarrationParagraphSerializer(many=True)


class BookTextSerializer(serializers.Serializer):
    """The OpenAPI shape of GET /api/books/{id}/text/?format=json."""

    book_id = serializers.IntegerField()
    chapters = NarrationChapterSerializer(many=True)


class PageCorrectionSerializer(serializers.Serializer):
    text_content = serializers.CharField(
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        help_text="The corrected text; null goes back to the extracted text",
    )
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version corrected, if not sent as If-Match"
    )


class PageRereadSerializer(serializers.Serializer):
    language = serializers.ChoiceField(
        choices=Book.Language.choices, required=False, help_text="Default: the book's"
    )
    ocr_mode = serializers.ChoiceField(choices=Book.OcrMode.choices, default=Book.OcrMode.OCR)
    replace_correction = serializers.BooleanField(
        default=False, help_text="Let the new reading replace a reader's correction of the page"
    )
