"""Readers' accounts: signing up (sign-in and tokens are simplejwt's)."""

from django.contrib.auth import get_user_model


def register_user(*, username: str, password: str, email: str = ""):
    """A new reader; the password was checked by the serializer's validators."""
    return get_user_model().objects.create_user(username=username, password=password, email=email)
