"""Rate limits are counted in a cache every process shares (the database's here, Redis when
configured): a restart does not forget them, and two web workers do not double them."""

import pytest
import redis
import requests
from django.test import Client

from tests.support.live_server import start_server, stop_server

REGISTRATIONS_PER_HOUR = 3


def register(server, n: int) -> int:
    response = requests.post(
        f"{server.url}/api/auth/register/",
        data={"username": f"reader-{n}", "password": "kitaab-padhna-2026"},
        # A new connection each time, so with two workers either may answer.
        headers={"Connection": "close"},
        timeout=30,
    )
    return response.status_code


@pytest.mark.server
def test_a_limit_still_holds_after_the_server_restarts(tmp_path):
    folder = tmp_path / "restarted"
    server = start_server(folder, REGISTER_RATE=f"{REGISTRATIONS_PER_HOUR}/hour")
    try:
        before = [register(server, n) for n in range(REGISTRATIONS_PER_HOUR)]
    finally:
        stop_server(server.process)
    server = start_server(folder, REGISTER_RATE=f"{REGISTRATIONS_PER_HOUR}/hour")
    try:
        after = register(server, REGISTRATIONS_PER_HOUR)
    finally:
        stop_server(server.process)

    assert before == [201] * REGISTRATIONS_PER_HOUR
    assert after == 429


@pytest.mark.server
def test_two_web_workers_count_one_limit(tmp_path):
    server = start_server(
        tmp_path / "two", REGISTER_RATE=f"{REGISTRATIONS_PER_HOUR}/hour", WEB_CONCURRENCY="2"
    )
    try:
        statuses = [register(server, n) for n in range(3 * REGISTRATIONS_PER_HOUR)]
    finally:
        stop_server(server.process)

    assert statuses == [201] * REGISTRATIONS_PER_HOUR + [429] * (2 * REGISTRATIONS_PER_HOUR)


@pytest.mark.server
def test_with_redis_configured_two_web_workers_count_one_limit_there(tmp_path, redis_server):
    server = start_server(
        tmp_path / "two-on-redis",
        REGISTER_RATE=f"{REGISTRATIONS_PER_HOUR}/hour",
        WEB_CONCURRENCY="2",
        EVENTS_REDIS_URL=redis_server.url,
    )
    try:
        statuses = [register(server, n) for n in range(3 * REGISTRATIONS_PER_HOUR)]
    finally:
        stop_server(server.process)

    assert statuses == [201] * REGISTRATIONS_PER_HOUR + [429] * (2 * REGISTRATIONS_PER_HOUR)
    assert any(b"throttle" in key for key in redis.Redis.from_url(redis_server.url).keys("audiobooks:*"))


@pytest.mark.django_db
def test_a_cache_that_does_not_answer_lets_requests_through_rather_than_fail_them(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }

    client = Client()
    registered = client.post("/api/auth/register/", {"username": "reader", "password": "kitaab-padhna-2026"})
    signed_in = client.post("/api/auth/token/", {"username": "reader", "password": "kitaab-padhna-2026"})
    refused = client.post("/api/auth/token/", {"username": "reader", "password": "a-wrong-password"})

    assert (registered.status_code, signed_in.status_code, refused.status_code) == (201, 200, 401)
