"""Registration, JWT tokens, and how auth failures are answered."""

import json

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.tokens import RefreshToken

from audiobooks.accounts import OffLoopPBKDF2PasswordHasher, register_user
from tests.support.sse_client import parse_stream

pytestmark = pytest.mark.django_db


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


def test_register_then_get_and_refresh_a_token(anon):
    created = anon.post(
        "/api/auth/register/",
        {"username": "asha", "password": "kitaab-padhna-2026", "email": "asha@example.com"},
    )
    assert created.status_code == 201
    assert created.json() == {"id": created.json()["id"], "username": "asha", "email": "asha@example.com"}

    tokens = anon.post("/api/auth/token/", {"username": "asha", "password": "kitaab-padhna-2026"}).json()
    refreshed = anon.post("/api/auth/token/refresh/", {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 200

    anon.credentials(HTTP_AUTHORIZATION=f"Bearer {refreshed.json()['access']}")
    assert anon.get("/api/books/").status_code == 200


@pytest.mark.parametrize(
    "data, field",
    [
        ({"username": "asha", "password": "12345678"}, "password"),
        ({"username": "asha", "password": "short"}, "password"),
        ({"username": "kitaabwala", "password": "kitaabwala1"}, "password"),
        ({"username": "", "password": "kitaab-padhna-2026"}, "username"),
        ({"username": "asha", "password": "kitaab-padhna-2026", "email": "not-an-email"}, "email"),
    ],
)
def test_register_rejects_weak_passwords_and_bad_fields(anon, data, field):
    response = anon.post("/api/auth/register/", data)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_field"
    assert field in response.json()["details"]


def test_register_refuses_a_taken_username(anon, user):
    response = anon.post("/api/auth/register/", {"username": "Reader", "password": "kitaab-padhna-2026"})

    assert response.status_code == 400
    assert "taken" in response.json()["details"]


def test_wrong_password_gets_401_with_a_code(anon, user):
    response = anon.post("/api/auth/token/", {"username": "reader", "password": "wrong-password"})

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


@pytest.mark.parametrize(
    "header, code",
    [
        (None, "not_authenticated"),
        ("Bearer not.a.jwt", "invalid_token"),
        ("Bearer " + "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.c2lnbmF0dXJl", "invalid_token"),
    ],
)
@pytest.mark.parametrize(
    "url", ["/api/books/", "/api/books/1/", "/api/books/1/pages/", "/api/books/1/events/"]
)
def test_book_endpoints_need_a_valid_token(anon, header, code, url):
    if header:
        anon.credentials(HTTP_AUTHORIZATION=header)

    response = anon.get(url)

    assert response.status_code == 401
    assert response.json()["code"] == code
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_refused(anon, user, settings):
    from datetime import timedelta

    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken.for_user(user)
    token.set_exp(lifetime=-timedelta(seconds=1))
    anon.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = anon.get("/api/books/")

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_unauthenticated_upload_with_sse_accept_gets_an_error_event(anon):
    response = anon.post("/api/books/upload-sse/", {}, format="multipart", HTTP_ACCEPT="text/event-stream")

    assert response.status_code == 401
    (message,) = parse_stream(response.content)
    assert message.event == "error"
    assert message.data["code"] == "not_authenticated"


def test_unknown_api_url_is_a_json_404(anon):
    response = anon.get("/api/nothing-here/")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "body, status, code",
    [
        pytest.param(
            json.dumps({"username": "a" * 3_000_000, "password": "x"}), 413, "too_large", id="3-mb-json"
        ),
        pytest.param("[" * 100_000 + "]" * 100_000, 400, "bad_request", id="nested-100000-deep"),
        pytest.param("{" * 5 + '"', 400, "bad_request", id="cut-off"),
    ],
)
def test_a_hostile_json_body_is_a_client_error(anon, body, status, code):
    response = anon.post("/api/auth/token/", body, content_type="application/json")

    assert (response.status_code, response.json()["code"]) == (status, code)


def test_the_refresh_token_of_a_deleted_user_is_refused(anon, user):
    refresh = str(RefreshToken.for_user(user))
    user.delete()

    response = anon.post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")

    assert (response.status_code, response.json()["code"]) == (401, "invalid_token")


def test_accounts_are_scarce_per_address(anon, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"register": "3/hour", "auth": "100/minute"})
    answers = [
        anon.post("/api/auth/register/", {"username": f"reader{n}", "password": "a-long-pass-phrase"})
        for n in range(4)
    ]

    assert [answer.status_code for answer in answers] == [201, 201, 201, 429]
    assert answers[-1].json()["code"] == "throttled"


def test_a_client_cannot_dodge_the_sign_in_limit_by_writing_its_own_forwarded_address(anon, monkeypatch):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"auth": "3/minute"})
    answers = [
        anon.post(
            "/api/auth/token/",
            {"username": "reader", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
        for n in range(4)
    ]

    assert [answer.status_code for answer in answers] == [401, 401, 401, 429]


def test_a_username_that_is_taken_once_normalized_is_refused_not_a_crash(anon):
    first = anon.post("/api/auth/register/", {"username": "pathak1", "password": "a-long-pass-phrase"})
    second = anon.post("/api/auth/register/", {"username": "pathak\u00b9", "password": "a-long-pass-phrase"})

    assert first.status_code == 201
    assert (second.status_code, second.json()["code"]) == (400, "invalid_field")
    assert "taken" in second.json()["details"]


def test_a_password_is_hashed_before_the_sign_up_transaction_takes_the_write_lock(settings, monkeypatch):
    """Hashing yields a gevent worker's loop; inside a transaction it would hold SQLite's
    write lock meanwhile, and any other writer would freeze the whole worker."""
    settings.PASSWORD_HASHERS = ["audiobooks.accounts.OffLoopPBKDF2PasswordHasher"]
    hashed_in_transaction = []
    encode = OffLoopPBKDF2PasswordHasher.encode
    test_blocks = len(connection.atomic_blocks)  # the test's own transaction

    def noting(self, *args, **kwargs):
        hashed_in_transaction.append(len(connection.atomic_blocks) > test_blocks)
        return encode(self, *args, **kwargs)

    monkeypatch.setattr(OffLoopPBKDF2PasswordHasher, "encode", noting)

    user = register_user(username="Reader", password="kitaab-padhna-2026", email="R@Example.COM")

    assert hashed_in_transaction == [False]
    assert (user.username, user.email, user.check_password("kitaab-padhna-2026")) == (
        "Reader",
        "R@example.com",
        True,
    )


@pytest.mark.parametrize("url", ["/api/books/", "/api/books/1/events/"])
@pytest.mark.parametrize("change", ["deactivated", "deleted"])
def test_an_access_token_stops_working_when_its_reader_is_deactivated_or_deleted(anon, user, url, change):
    anon.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    assert anon.get("/api/books/").status_code == 200
    if change == "deactivated":
        user.is_active = False
        user.save()
    else:
        user.delete()

    response = anon.get(url)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "authentication_failed"
    reason = {"deactivated": "User is inactive", "deleted": "User not found"}[change]
    assert reason in response.json()["details"]


def test_a_signed_token_naming_an_id_no_reader_can_have_is_refused(anon):
    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken()
    token["user_id"] = 10**30
    anon.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = anon.get("/api/books/1/events/")

    assert response.status_code == 401
    assert "User not found" in response.json()["details"]


def test_with_token_revocation_on_a_password_change_refuses_older_tokens(anon, user, monkeypatch):
    """A setting the plain-SQL lookup leaves to simplejwt: its own check still runs. (Set on
    simplejwt's settings object itself: overriding SIMPLE_JWT does not reach its modules.)"""
    from rest_framework_simplejwt.tokens import AccessToken

    from audiobooks.api import authentication

    monkeypatch.setattr(authentication.api_settings, "CHECK_REVOKE_TOKEN", True)
    anon.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    assert anon.get("/api/books/").status_code == 200
    user.set_password("another-long-pass-phrase")
    user.save()

    response = anon.get("/api/books/")

    assert response.status_code == 401
    assert "password has been changed" in response.json()["details"]
