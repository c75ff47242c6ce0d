"""The book endpoints, thin: parse the request, call a service or selector, shape the response."""

import json
import re
from collections.abc import Callable

from django.conf import settings
from django.http import FileResponse, HttpResponseNotModified, HttpResponseRedirect
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from audiobooks import log_context
from audiobooks.api import selectors
from audiobooks.api.openapi import LAST_EVENT_ID, STREAM_RESPONSE, BookUploadForm
from audiobooks.api.serializers import (
    BookPageSerializer,
    BookSerializer,
    BookTextSerializer,
    BookUploadSerializer,
    PageCorrectionSerializer,
    PageRereadSerializer,
)
from audiobooks.api.sse import EventStreamRenderer, event_stream_response
from audiobooks.errors import BookError, ErrorCode
from audiobooks.jobs.book_actions import (
    cancel_book,
    create_book_from_upload,
    delete_book,
    reread_page,
    retry_book,
)
from audiobooks.models import Book
from audiobooks.narration.book_text import plain_text
from audiobooks.pages.page_corrections import correct_page
from audiobooks.pages.page_pictures import describe_picture, ensure_drawn, picture_width, wants_webp
from audiobooks.publishing.event_log import follow_events
from audiobooks.publishing.stream_quota import stream_place
from audiobooks.storage.original_pdfs import pdf_download


def book_event_stream(*, book_id: int, after_seq: int = 0, on_close: Callable[[], None]):
    return event_stream_response(
        follow_events(
            book_id=book_id,
            after_seq=after_seq,
            heartbeat_seconds=settings.SSE_HEARTBEAT_SECONDS,
            poll_seconds=settings.SSE_POLL_SECONDS,
        ),
        on_close=on_close,
    )


def create_book_from_request(request):
    """Shared by both upload endpoints: the file and fields from the multipart body."""
    if "CONTENT_LENGTH" not in request.META and "chunked" in request.headers.get("Transfer-Encoding", ""):
        # Django reads no body without a length, so a chunked upload would look empty.
        raise BookError(
            ErrorCode.LENGTH_REQUIRED, "Length required", "Send the upload with a Content-Length."
        )
    files = request.FILES.getlist("file")
    if not files:
        raise BookError(ErrorCode.NO_FILE, "No file provided", "Send the PDF in the multipart field 'file'.")
    if len(files) > 1:
        raise BookError(ErrorCode.INVALID_FIELD, "Too many files", "Send exactly one PDF per upload.")
    fields = BookUploadSerializer(data=request.data)
    fields.is_valid(raise_exception=True)
    book = create_book_from_upload(user=request.user, upload=files[0], **fields.validated_data)
    log_context.book_id.set(book.pk)  # the rest of the request's log lines name the new book
    return book


class BookUploadStreamView(APIView):
    """POST a PDF; the response is the book's live event stream."""

    # Without the event-stream renderer DRF answers `Accept: text/event-stream` with 406.
    renderer_classes = [JSONRenderer, EventStreamRenderer]
    throttle_scope = "uploads"
    counts_upload_rejections = True  # metrics.UPLOAD_REJECTIONS

    @extend_schema(request={"multipart/form-data": BookUploadForm}, responses=STREAM_RESPONSE)
    def post(self, request):
        with stream_place(user_id=request.user.pk) as give_back:
            book = create_book_from_request(request)
            return book_event_stream(book_id=book.pk, on_close=give_back)


class BookEventsView(APIView):
    """Replay a book's stored events after Last-Event-ID, then follow live."""

    renderer_classes = [JSONRenderer, EventStreamRenderer]

    @extend_schema(parameters=LAST_EVENT_ID, responses=STREAM_RESPONSE)
    def get(self, request, book_id: int):
        selectors.ensure_own_book(user=request.user, book_id=book_id)
        raw = request.headers.get("Last-Event-ID") or request.query_params.get("last_event_id") or "0"
        try:
            after_seq = int(raw)
        except ValueError as exc:
            raise BookError(
                ErrorCode.INVALID_FIELD, "Invalid Last-Event-ID", "It must be an event id (an integer)."
            ) from exc
        with stream_place(user_id=request.user.pk) as give_back:
            return book_event_stream(book_id=book_id, after_seq=max(after_seq, 0), on_close=give_back)


class BookListView(ListAPIView):
    """My books, newest first."""

    serializer_class = BookSerializer

    def get_queryset(self):
        status_filter = self.request.query_params.get("status")
        if status_filter and status_filter not in Book.Status.values:
            raise BookError(
                ErrorCode.INVALID_FIELD, "Unknown status", f"Use one of: {', '.join(Book.Status.values)}."
            )
        return selectors.books_for_user(user=self.request.user, status=status_filter)

    @extend_schema(parameters=[OpenApiParameter("status", enum=Book.Status.values)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class BookUploadView(APIView):
    """The same upload as upload-sse/, answered 202 at once; follow it at `events_url`."""

    throttle_scope = "uploads"
    counts_upload_rejections = True  # metrics.UPLOAD_REJECTIONS

    @extend_schema(request={"multipart/form-data": BookUploadForm}, responses={202: BookSerializer})
    def post(self, request):
        book = create_book_from_request(request)
        book = selectors.get_book_for_user(user=request.user, book_id=book.pk)
        body = BookSerializer(book, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["events_url"]})


class BookDetailView(APIView):
    @extend_schema(responses=BookSerializer)
    def get(self, request, book_id: int):
        book = selectors.get_book_for_user(user=request.user, book_id=book_id)
        return Response(BookSerializer(book, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request, book_id: int):
        delete_book(book=selectors.get_book_for_user(user=request.user, book_id=book_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class BookCancelView(APIView):
    @extend_schema(request=None, responses=BookSerializer)
    def post(self, request, book_id: int):
        book = selectors.get_book_for_user(user=request.user, book_id=book_id)
        cancel_book(book=book)
        book = selectors.get_book_for_user(user=request.user, book_id=book_id)
        return Response(BookSerializer(book, context={"request": request}).data)


class BookRetryView(APIView):
    """Re-process a failed or cancelled book; the response streams like the upload."""

    renderer_classes = [JSONRenderer, EventStreamRenderer]
    throttle_scope = "uploads"

    @extend_schema(request=None, responses=STREAM_RESPONSE)
    def post(self, request, book_id: int):
        book = selectors.get_book_for_user(user=request.user, book_id=book_id)
        with stream_place(user_id=request.user.pk) as give_back:
            after_seq = retry_book(book=book)
            return book_event_stream(book_id=book.pk, after_seq=after_seq, on_close=give_back)


class BookPageRereadView(APIView):
    """Read one page again with other settings; the response streams like a retry."""

    renderer_classes = [JSONRenderer, EventStreamRenderer]
    throttle_scope = "uploads"

    @extend_schema(request=PageRereadSerializer, responses=STREAM_RESPONSE)
    def post(self, request, book_id: int, page_number: int):
        book = selectors.get_book_for_user(user=request.user, book_id=book_id)
        fields = PageRereadSerializer(data=request.data)
        fields.is_valid(raise_exception=True)
        with stream_place(user_id=request.user.pk) as give_back:
            after_seq = reread_page(
                book=book,
                page_number=page_number,
                language=fields.validated_data.get("language", book.language),
                ocr_mode=fields.validated_data["ocr_mode"],
                replace_correction=fields.validated_data["replace_correction"],
            )
            return book_event_stream(book_id=book.pk, after_seq=after_seq, on_close=give_back)


class BookPdfView(APIView):
    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            302: OpenApiResponse(description="With Cloudinary storage: to a signed link that expires."),
        }
    )
    def get(self, request, book_id: int):
        book = selectors.get_book_for_user(user=request.user, book_id=book_id)
        download = pdf_download(pdf=book.pdf)
        if download.redirect_url:
            return HttpResponseRedirect(download.redirect_url)
        return FileResponse(
            download.file, content_type="application/pdf", filename=book.original_filename or "book.pdf"
        )


class BookPageListView(ListAPIView):
    serializer_class = BookPageSerializer

    def get_queryset(self):
        book = selectors.get_book_for_user(user=self.request.user, book_id=self.kwargs["book_id"])
        return selectors.pages_of(book=book)


def page_response(page) -> Response:
    return Response(BookPageSerializer(page).data, headers={"ETag": f'"v{page.version}"'})


def version_to_correct(request, body: dict) -> int:
    """The page version an edit was made on: If-Match (the ETag of a GET), or `version`."""
    match = re.fullmatch(r'(?:W/)?"v(\d+)"', request.headers.get("If-Match", "").strip())
    if match:
        return int(match[1])
    if body.get("version") is not None:
        return body["version"]
    raise BookError(
        ErrorCode.VERSION_REQUIRED,
        "Version required",
        "Send If-Match with the page's ETag (or `version`), so an edit made on an older text"
        " is refused instead of overwriting someone else's.",
    )


class BookPageDetailView(APIView):
    @extend_schema(responses=BookPageSerializer)
    def get(self, request, book_id: int, page_number: int):
        return page_response(
            selectors.page_for_user(user=request.user, book_id=book_id, page_number=page_number)
        )

    @extend_schema(request=PageCorrectionSerializer, responses=BookPageSerializer)
    def patch(self, request, book_id: int, page_number: int):
        page = selectors.page_for_user(user=request.user, book_id=book_id, page_number=page_number)
        body = PageCorrectionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        corrected = correct_page(
            page=page,
            text=body.validated_data["text_content"],
            editor=request.user,
            expected_version=version_to_correct(request, body.validated_data),
        )
        return page_response(corrected)


class BookPageImageView(APIView):
    """The page as a picture, beside its text for proofreading; cached by the browser."""

    throttle_scope = "pictures"

    @extend_schema(
        parameters=[
            OpenApiParameter("width", int, description="pixels, 200 to 2000, rounded up to a hundred"),
            OpenApiParameter("type", str, enum=["png", "webp"], description="default: webp if accepted"),
        ],
        responses={
            (200, "image/png"): OpenApiTypes.BINARY,
            (200, "image/webp"): OpenApiTypes.BINARY,
            304: OpenApiResponse(description="The picture named by If-None-Match is still this one."),
        },
    )
    def get(self, request, book_id: int, page_number: int):
        book = selectors.get_book_for_user(user=request.user, book_id=book_id)
        width = picture_width(request.query_params.get("width"))
        webp = wants_webp(
            requested=request.query_params.get("type"), accept=request.headers.get("Accept", "")
        )
        picture = describe_picture(book=book, page_number=page_number, width=width, webp=webp)
        headers = {"ETag": picture.etag, "Cache-Control": "private, max-age=86400", "Vary": "Accept"}
        if picture.etag in request.headers.get("If-None-Match", ""):
            return HttpResponseNotModified(headers=headers)
        ensure_drawn(book=book, picture=picture, page_number=page_number, width=width)
        return FileResponse(picture.path.open("rb"), content_type=picture.content_type, headers=headers)


class PlainTextRenderer(BaseRenderer):
    """The narration as text/plain; an error body stays JSON."""

    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, str):
            return data.encode()
        renderer_context["response"]["Content-Type"] = "application/json"
        return json.dumps(data, ensure_ascii=False).encode()


class BookTextView(APIView):
    """What a narrator reads: text/plain by default, chapters and sentences with ?format=json."""

    renderer_classes = [PlainTextRenderer, JSONRenderer]

    @extend_schema(
        responses={(200, "text/plain"): OpenApiTypes.STR, (200, "application/json"): BookTextSerializer}
    )
    def get(self, request, book_id: int):
        narration = selectors.narration_for_user(user=request.user, book_id=book_id)
        if request.accepted_renderer.format == "json":
            return Response(narration)
        return Response(plain_text(narration))
