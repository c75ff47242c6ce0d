"""Readers' accounts: signing up, and guarding sign-in (the tokens themselves are simplejwt's).

- A username that failed to sign in SIGN_IN_FAILURES_PER_USERNAME times is refused for
  SIGN_IN_LOCK_SECONDS from its first failure, through the API and the admin alike, from
  whatever address: the per-address throttle alone lets a botnet guess on.
- Passwords are hashed off a gevent worker's event loop: PBKDF2 takes a good fraction of a
  second by design, and on the loop it would hold up every other request and stream.
"""

import functools
import logging
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.cache import cache
from django.db import IntegrityError, transaction

from audiobooks.errors import BookError, ErrorCode
from audiobooks.gevent_worker import in_gevent_worker

logger = logging.getLogger(__name__)


def register_user(*, username: str, password: str, email: str = ""):
    """A new reader; the password was checked by the serializer's validators.

    The password is hashed before the transaction opens. Hashing yields the gevent loop
    (see OffLoopPBKDF2PasswordHasher), and a transaction holds SQLite's write lock from
    its start: any other writer meanwhile would wait in SQLite's C busy loop, on the loop
    itself, and the hash could never come back (the whole worker froze for the busy
    timeout when a book's page was stored during a sign-up)."""
    users = get_user_model()
    user = users(username=users.normalize_username(username), email=users.objects.normalize_email(email))
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            return user
    except IntegrityError as exc:  # taken in the moment since the serializer looked
        raise BookError(
            ErrorCode.INVALID_FIELD, "Invalid field", "username: This username is taken."
        ) from exc


def _failures_key(username: str) -> str:
    return f"sign-in-failures:{username.casefold()}"


def note_failed_sign_in(*, username: str) -> None:
    try:
        failures, until = cache.get(_failures_key(username), (0, time.time() + settings.SIGN_IN_LOCK_SECONDS))
        cache.set(_failures_key(username), (failures + 1, until), timeout=max(1, int(until - time.time())))
    except Exception as exc:  # the shared cache's own errors (Redis away): not counted, not a 500
        logger.warning("a failed sign-in of %r was not counted: the cache failed (%s)", username, exc)


def sign_in_locked_for(*, username: str) -> int:
    """Seconds until `username` may try again; 0 when it may now (or the cache is away)."""
    try:
        failures, until = cache.get(_failures_key(username), (0, 0.0))
    except Exception as exc:
        logger.warning("sign-in lock of %r not checked: the cache failed (%s)", username, exc)
        return 0
    if failures < settings.SIGN_IN_FAILURES_PER_USERNAME:
        return 0
    return max(0, int(until - time.time()) + 1)


class SignInGuardBackend(ModelBackend):
    """Django's backend, refusing a locked username even with the right password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is not None and sign_in_locked_for(username=username):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def on_failed_sign_in(sender, credentials: dict, **kwargs) -> None:
    """user_login_failed receiver (connected in apps.py)."""
    if credentials.get("username"):
        note_failed_sign_in(username=credentials["username"])


class OffLoopPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Django's PBKDF2 with the same stored format, computed on one thread beside a gevent
    worker's event loop (hashlib lets go of the GIL while it hashes). One: with a hash per
    core, the loop would wait for a core as long as on itself; sign-ins queue instead."""

    def encode(self, password, salt, iterations=None):
        if in_gevent_worker():
            return _hashing_thread().apply(super().encode, (password, salt, iterations))
        return super().encode(password, salt, iterations)


@functools.cache
def _hashing_thread():
    from gevent.threadpool import ThreadPool

    return ThreadPool(maxsize=1)
