from django.urls import include, path

urlpatterns = [
    path("api/auth/", include("audiobooks.auth_urls")),
    path("api/", include("audiobooks.urls")),
]

handler404 = "audiobooks.utils.errors.json_not_found"
handler500 = "audiobooks.utils.errors.json_server_error"
