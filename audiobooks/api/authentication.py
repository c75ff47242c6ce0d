"""JWT authentication (simplejwt's), telling the logs who the reader is."""

from rest_framework_simplejwt.authentication import JWTAuthentication

from audiobooks import log_context


class ReaderJWTAuthentication(JWTAuthentication):
    def authenticate(self, request):
        authenticated = super().authenticate(request)
        if authenticated is not None:
            log_context.user_id.set(authenticated[0].pk)
        return authenticated
