from django.urls import path

from audiobooks.api import book_views
from audiobooks.api.method_routing import by_method

urlpatterns = [
    path("books/", by_method(get=book_views.BookListView, post=book_views.BookUploadView), name="book-list"),
    path("books/upload-sse/", book_views.BookUploadStreamView.as_view(), name="upload-book-sse"),
    path("books/<int:book_id>/", book_views.BookDetailView.as_view(), name="book-detail"),
    path("books/<int:book_id>/events/", book_views.BookEventsView.as_view(), name="book-events"),
    path("books/<int:book_id>/cancel/", book_views.BookCancelView.as_view(), name="book-cancel"),
    path("books/<int:book_id>/retry/", book_views.BookRetryView.as_view(), name="book-retry"),
    path("books/<int:book_id>/pdf/", book_views.BookPdfView.as_view(), name="book-pdf"),
    path("books/<int:book_id>/text/", book_views.BookTextView.as_view(), name="book-text"),
    path("books/<int:book_id>/pages/", book_views.BookPageListView.as_view(), name="book-pages"),
    path(
        "books/<int:book_id>/pages/<int:page_number>/",
        book_views.BookPageDetailView.as_view(),
        name="book-page-detail",
    ),
    path(
        "books/<int:book_id>/pages/<int:page_number>/reocr/",
        book_views.BookPageRereadView.as_view(),
        name="book-page-reocr",
    ),
    path(
        "books/<int:book_id>/pages/<int:page_number>/image/",
        book_views.BookPageImageView.as_view(),
        name="book-page-image",
    ),
]
