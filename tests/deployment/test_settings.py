"""Settings come from the environment with safe defaults."""

import json
import os
import re
import subprocess
import sys

import pytest

from tests.support.live_server import ROOT

READ_SETTINGS = (
    "import django, json; from django.conf import settings; django.setup(); "
    "print(json.dumps({'debug': settings.DEBUG, 'max': settings.BOOK_MAX_UPLOAD_BYTES, "
    "'pages': settings.BOOK_MAX_PAGES, 'cors': settings.CORS_ALLOWED_ORIGINS}))"
)


def load_settings(tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BOOK_", "CORS_"))}
    return subprocess.run(
        [sys.executable, "-c", READ_SETTINGS],
        cwd=ROOT,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "backend.settings",
            "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
            **env,
        },
        capture_output=True,
        text=True,
    )


def test_secret_key_is_required_when_debug_is_off(tmp_path):
    result = load_settings(tmp_path)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_debug_is_off_by_default_and_limits_have_defaults(tmp_path):

    result = load_settings(tmp_path, DJANGO_SECRET_KEY="k" * 50)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"debug": False, "max": 50 * 1024 * 1024, "pages": 2000, "cors": []}


def test_debug_mode_generates_a_development_key_and_limits_follow_the_environment(tmp_path):

    result = load_settings(
        tmp_path,
        DJANGO_DEBUG="1",
        BOOK_MAX_UPLOAD_BYTES="1000",
        BOOK_MAX_PAGES="5",
        CORS_ALLOWED_ORIGINS="http://localhost:5173, https://app.example.com",
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "debug": True,
        "max": 1000,
        "pages": 5,
        "cors": ["http://localhost:5173", "https://app.example.com"],
    }


@pytest.mark.django_db
def test_cors_preflight_allows_the_sse_headers(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["http://localhost:5173"]

    response = client.options(
        "/api/books/upload-sse/",
        HTTP_ORIGIN="http://localhost:5173",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, cache-control, last-event-id",
    )

    assert response["Access-Control-Allow-Origin"] == "http://localhost:5173"
    allowed = response["Access-Control-Allow-Headers"]
    assert {"authorization", "cache-control", "x-accel-buffering", "last-event-id"} <= set(
        allowed.split(", ")
    )


def deploy_check(tmp_path, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "BOOK_", "CORS_"))}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **clean,
            "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
            "DJANGO_SECRET_KEY": "a-long-random-production-key-" + "x7Qp" * 12,
            **env,
        },
        capture_output=True,
        text=True,
    )


def test_the_deploy_check_is_clean_behind_tls_and_names_what_is_missing_without(tmp_path):
    behind_tls = deploy_check(tmp_path, DJANGO_HTTPS="1")
    plain = deploy_check(tmp_path)

    assert behind_tls.returncode == 0, behind_tls.stderr
    assert "no issues" in behind_tls.stdout
    assert plain.returncode != 0
    assert {"W004", "W008", "W012", "W016"} <= set(re.findall(r"security\.(W\d+)", plain.stderr))
