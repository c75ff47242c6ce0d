"""JWT authentication (simplejwt's), telling the logs who the reader is, and its OpenAPI scheme."""

from django.db import connection
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from audiobooks import log_context
from audiobooks.api.selectors import is_possible_id


class ReaderJWTAuthentication(JWTAuthentication):
    def authenticate(self, request):
        authenticated = super().authenticate(request)
        if authenticated is not None:
            log_context.user_id.set(authenticated[0].pk)
        return authenticated

    def get_user(self, validated_token):
        """simplejwt's lookup and checks, with the reader's row read in plain SQL: building
        the ORM's query costs more CPU than running it, on every request (a thousand streams
        opening at once, bench/streams.py). Settings this does not cover go to simplejwt."""
        if api_settings.CHECK_REVOKE_TOKEN or api_settings.USER_ID_FIELD != self.user_model._meta.pk.name:
            return super().get_user(validated_token)
        try:
            user_id = int(validated_token[api_settings.USER_ID_CLAIM])
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        meta, quote = self.user_model._meta, connection.ops.quote_name
        query = f"SELECT * FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} = %s"
        found = self.user_model.objects.raw(query, [user_id]) if is_possible_id(user_id) else []
        user = next(iter(found), None)
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        return user


class ReaderJWTScheme(SimpleJWTScheme):
    """The OpenAPI security scheme of simplejwt's authentication, for this subclass of it."""

    target_class = ReaderJWTAuthentication
