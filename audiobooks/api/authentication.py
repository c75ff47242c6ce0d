"""JWT authentication (simplejwt's), telling the logs who the reader is, and its OpenAPI scheme."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication

from audiobooks import log_context


class ReaderJWTAuthentication(JWTAuthentication):
    def authenticate(self, request):
        authenticated = super().authenticate(request)
        if authenticated is not None:
            log_context.user_id.set(authenticated[0].pk)
        return authenticated


class ReaderJWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of simplejwt's authentication, for this subclass of it."""

    target_class = ReaderJWTAuthentication
