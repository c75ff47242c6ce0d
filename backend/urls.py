from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from audiobooks.api.health_views import healthz, readyz
from audiobooks.api.metrics_view import metrics
from audiobooks.api.web_page import WebPageView

urlpatterns = [
    path("", WebPageView.as_view(), name="home"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/auth/", include("audiobooks.api.auth_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/", include("audiobooks.api.book_urls")),
]

handler404 = "audiobooks.api.error_responses.json_not_found"
handler500 = "audiobooks.api.error_responses.json_server_error"
