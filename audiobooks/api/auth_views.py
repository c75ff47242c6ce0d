"""Signing up and getting tokens: every one of them throttled per client address."""

from django.conf import settings
from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.exceptions import InvalidToken

from audiobooks.accounts import register_user, sign_in_locked_for
from audiobooks.api.serializers import RegisterSerializer
from audiobooks.errors import BookError, ErrorCode


class RegisterView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_scope = "register"

    @extend_schema(
        request=RegisterSerializer,
        responses={
            201: inline_serializer(
                "RegisteredUser",
                {
                    "id": serializers.IntegerField(),
                    "username": serializers.CharField(),
                    "email": serializers.CharField(),
                },
            )
        },
    )
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = register_user(**serializer.validated_data)
        return Response({"id": user.pk, "username": user.username, "email": user.email}, status=201)


class TokenObtainView(jwt_views.TokenObtainPairView):
    throttle_scope = "auth"

    def post(self, request, *args, **kwargs):
        username = request.data.get("username")
        locked_for = sign_in_locked_for(username=username) if isinstance(username, str) else 0
        if locked_for:
            raise BookError(
                ErrorCode.SIGN_IN_LOCKED,
                "Too many failed sign-ins",
                f"This account failed to sign in {settings.SIGN_IN_FAILURES_PER_USERNAME} times;"
                " try again later.",
                retry_after=locked_for,
            )
        return super().post(request, *args, **kwargs)


class TokenRefreshView(jwt_views.TokenRefreshView):
    throttle_scope = "auth"

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except get_user_model().DoesNotExist as exc:  # a valid token whose user was deleted
            raise InvalidToken("The token's user no longer exists.") from exc
