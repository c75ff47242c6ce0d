from pathlib import Path

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from audiobooks.jobs.runners import book_runner
from tests.support.live_server import LIVE_HEARTBEAT_SECONDS, start_server, stop_server
from tests.support.pdf_factory import build_pdf, english_page, hindi_page
from tests.support.service_processes import SKIP_PREFIX, RedisServer


def pytest_terminal_summary(terminalreporter):
    """Say plainly which real-service tests did not run, and why (see tests/support/service_processes.py)."""
    skipped = [
        (report.nodeid, report.longrepr[2].removeprefix("Skipped: "))
        for report in terminalreporter.stats.get("skipped", [])
        if isinstance(report.longrepr, tuple) and SKIP_PREFIX in report.longrepr[2]
    ]
    if skipped:
        terminalreporter.section("real-service tests skipped (REQUIRE_SERVICES=1 makes this a failure)")
        for nodeid, reason in skipped:
            terminalreporter.line(f"{nodeid}: {reason}")


@pytest.fixture(autouse=True)
def isolated_storage(settings, tmp_path):
    """Each test stores uploads and Django's temporary upload files in its own folders."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "upload-tmp")
    (tmp_path / "upload-tmp").mkdir()
    # In this process each test counts throttles from none, in memory (the live servers keep
    # theirs in the shared cache of the settings, as deployed: tests/api/test_shared_limits.py).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only
    yield
    assert book_runner().wait_idle(timeout=120), "a book job was still running after the test"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user(username="reader", password="a-long-pass-phrase")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user(username="stranger", password="a-long-pass-phrase")


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def api(user) -> APIClient:
    return client_for(user)


@pytest.fixture
def other_api(other_user) -> APIClient:
    return client_for(other_user)


@pytest.fixture
def digital_english_pdf(tmp_path) -> Path:
    return build_pdf(tmp_path / "digital.pdf", [english_page(start=0), english_page(start=1)])


@pytest.fixture
def scanned_hindi_pdf(tmp_path) -> Path:
    return build_pdf(tmp_path / "scanned.pdf", [hindi_page(start=0), hindi_page(start=3)])


@pytest.fixture
def mixed_pdf(tmp_path) -> Path:
    """Page 1 a digital English page, page 2 a scanned Hindi page."""
    return build_pdf(tmp_path / "mixed.pdf", [english_page(), hindi_page(start=1)])


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """A redis-server of the module's own (its tests may stop and restart it)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """A real gunicorn + gevent server. One OCR worker makes pages finish one after
    another, so their timing is observable; a short heartbeat keeps ping tests quick."""
    live = start_server(
        tmp_path_factory.mktemp("live"),
        OCR_WORKERS="1",
        SSE_HEARTBEAT_SECONDS=str(LIVE_HEARTBEAT_SECONDS),
        BOOK_MAX_UPLOAD_BYTES=str(8 * 1024 * 1024),
    )
    yield live
    stop_server(live.process)


@pytest.fixture(scope="session")
def token(server) -> str:
    return server.token("live-reader")
