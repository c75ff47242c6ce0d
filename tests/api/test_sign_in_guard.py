"""Guessing passwords: a username that keeps failing is locked, through the API and the
admin alike; and hashing passwords does not hold up anyone else's requests."""

import threading

import pytest
import requests
from rest_framework.test import APIClient

from tests.support.live_client import ResponsivenessProbe

PASSWORD = "a-long-pass-phrase"


@pytest.fixture
def staff_reader(user):
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def sign_in(client, username: str, password: str):
    return client.post("/api/auth/token/", {"username": username, "password": password}, format="json")


@pytest.mark.django_db
def test_a_username_that_keeps_failing_is_locked_even_with_the_right_password(
    staff_reader, other_user, settings, client
):
    settings.SIGN_IN_FAILURES_PER_USERNAME = 5
    anon = APIClient()
    guesses = [sign_in(anon, "reader", f"guess-{n}") for n in range(5)]

    locked = sign_in(anon, "reader", PASSWORD)
    admin = client.post("/admin/login/?next=/admin/", {"username": "reader", "password": PASSWORD})
    other = sign_in(anon, "stranger", PASSWORD)

    assert [guess.status_code for guess in guesses] == [401] * 5
    assert (locked.status_code, locked.json()["code"]) == (429, "sign_in_locked")
    assert 0 < int(locked["Retry-After"]) <= settings.SIGN_IN_LOCK_SECONDS + 1
    assert admin.status_code == 200 and "_auth_user_id" not in client.session  # the form again
    assert other.status_code == 200


@pytest.mark.django_db
def test_failures_at_the_admin_count_too(staff_reader, settings, client):
    settings.SIGN_IN_FAILURES_PER_USERNAME = 3
    for n in range(3):
        client.post("/admin/login/?next=/admin/", {"username": "reader", "password": f"guess-{n}"})

    assert sign_in(APIClient(), "reader", PASSWORD).status_code == 429


@pytest.mark.server
def test_eight_sign_ins_at_once_leave_other_requests_answered_at_once(server):
    password = "kitaab-padhna-2026"
    server.token("many-sign-ins", password)
    bystander = server.token("sign-in-bystander")

    def sign_in_live() -> None:
        response = requests.post(
            f"{server.url}/api/auth/token/",
            data={"username": "many-sign-ins", "password": password},
            timeout=60,
        )
        statuses.append(response.status_code)

    statuses: list[int] = []
    with ResponsivenessProbe(server, bystander) as probe:
        signing_in = [threading.Thread(target=sign_in_live) for _ in range(8)]
        for thread in signing_in:
            thread.start()
        for thread in signing_in:
            thread.join(60)

    assert statuses == [200] * 8
    assert probe.answered_at_once(), probe.seconds
