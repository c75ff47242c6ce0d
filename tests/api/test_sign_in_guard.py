"""Guessing passwords: a username that keeps failing is locked, through the API and the
admin alike; the per-address limit counts the address a client cannot write; and hashing
passwords does not hold up anyone else's requests or streams."""

import re
import subprocess
import sys
import threading

import pytest
import requests
from rest_framework.test import APIClient

from tests.support.live_client import (
    ResponsivenessProbe,
    bystander_with_a_book,
    worker_peak_rss_mb,
)
from tests.support.live_server import ROOT, start_server, stop_server
from tests.support.service_processes import Nginx

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
    bystander = bystander_with_a_book(server, "sign-in-bystander")

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
    assert probe.answered_at_once(), probe.summary()
    assert worker_peak_rss_mb(server) < 300


AUTH_RATE_PER_MINUTE = 5


@pytest.fixture(scope="module")
def rate_limited_server(tmp_path_factory):
    """A server that allows AUTH_RATE_PER_MINUTE sign-ins a minute per address, directly
    (trusting no proxy) and behind nginx (trusting one)."""
    servers = {
        "direct": start_server(tmp_path_factory.mktemp("direct"), AUTH_RATE=f"{AUTH_RATE_PER_MINUTE}/minute"),
        "nginx": start_server(
            tmp_path_factory.mktemp("proxied"),
            AUTH_RATE=f"{AUTH_RATE_PER_MINUTE}/minute",
            TRUSTED_PROXIES="1",
        ),
    }
    proxy = Nginx(tmp_path_factory.mktemp("nginx"), backend_addr=servers["nginx"].url.removeprefix("http://"))
    yield servers, proxy.url
    proxy.stop()
    for live in servers.values():
        stop_server(live.process)


@pytest.mark.server
@pytest.mark.parametrize("route", ["direct", "nginx"])
def test_a_new_forwarded_for_address_on_each_guess_does_not_escape_the_address_limit(
    rate_limited_server, route
):
    servers, proxy_url = rate_limited_server
    live = servers[route]
    url = proxy_url if route == "nginx" else live.url
    bystander = bystander_with_a_book(live, f"{route}-bystander")  # one sign-in of this address's ten

    with ResponsivenessProbe(live, bystander) as probe:
        statuses = [
            requests.post(
                f"{url}/api/auth/token/",
                data={"username": f"guess-{n}", "password": "wrong-password"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
                timeout=30,
            ).status_code
            for n in range(2 * AUTH_RATE_PER_MINUTE)
        ]

    assert statuses.count(401) == AUTH_RATE_PER_MINUTE - 1, statuses
    assert statuses[AUTH_RATE_PER_MINUTE - 1 :] == [429] * (AUTH_RATE_PER_MINUTE + 1)
    assert probe.answered_at_once(), probe.summary()
    assert worker_peak_rss_mb(live) < 300


def admin_sign_in(server, session: requests.Session, username: str, password: str) -> requests.Response:
    form = session.get(f"{server.url}/admin/login/", timeout=10).text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    return session.post(
        f"{server.url}/admin/login/?next=/admin/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": csrf},
        headers={"Referer": f"{server.url}/admin/login/"},
        allow_redirects=False,
        timeout=30,
    )


@pytest.mark.server
def test_guessing_an_admins_password_at_the_admin_locks_the_admin(server):
    password = "kitaab-padhna-2026"
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "createsuperuser",
            "--noinput",
            "--username",
            "live-admin",
            "--email",
            "",
        ],
        cwd=ROOT,
        env={**server.env, "DJANGO_SUPERUSER_PASSWORD": password},
        check=True,
        capture_output=True,
    )
    bystander = bystander_with_a_book(server, "admin-guess-bystander")
    guesser = requests.Session()

    with ResponsivenessProbe(server, bystander) as probe:
        guesses = [admin_sign_in(server, guesser, "live-admin", f"guess-{n}") for n in range(32)]
        right_password = admin_sign_in(server, requests.Session(), "live-admin", password)
        api = requests.post(
            f"{server.url}/api/auth/token/", data={"username": "live-admin", "password": password}, timeout=30
        )

    assert {guess.status_code for guess in guesses} == {200}  # the form again, each time
    assert right_password.status_code == 200 and "sessionid" not in right_password.cookies
    assert (api.status_code, api.json()["code"]) == (429, "sign_in_locked")
    assert probe.answered_at_once(), probe.summary()
    assert worker_peak_rss_mb(server) < 400  # the shared server of the whole session
