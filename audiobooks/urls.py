from django.urls import path

from audiobooks import views

urlpatterns = [
    path("books/", views.BookListView.as_view(), name="book-list"),
    path("books/upload-sse/", views.BookUploadStreamView.as_view(), name="upload-book-sse"),
    path("books/<int:book_id>/", views.BookDetailView.as_view(), name="book-detail"),
    path("books/<int:book_id>/events/", views.BookEventsView.as_view(), name="book-events"),
    path("books/<int:book_id>/cancel/", views.BookCancelView.as_view(), name="book-cancel"),
    path("books/<int:book_id>/retry/", views.BookRetryView.as_view(), name="book-retry"),
    path("books/<int:book_id>/pdf/", views.BookPdfView.as_view(), name="book-pdf"),
    path("books/<int:book_id>/pages/", views.BookPageListView.as_view(), name="book-pages"),
    path(
        "books/<int:book_id>/pages/<int:page_number>/",
        views.BookPageDetailView.as_view(),
        name="book-page-detail",
    ),
]
