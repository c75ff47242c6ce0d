"""`/healthz` and `/readyz`: open to orchestrators, each readiness check named, 503 naming
what is missing. The checks run the real tesseract and pdftoppm of this machine."""

from pathlib import Path

import pytest
from django.test import Client

from audiobooks.extraction.external_tools import tool_output
from audiobooks.readiness import required_models

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> Client:
    return Client()  # no token: load balancers and orchestrators have none


def test_healthz_answers_alive_without_a_token(client):
    response = client.get("/healthz")

    assert response.status_code == 200 and response.json() == {"status": "alive"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_names_every_check_and_is_ready_on_this_machine(client):
    response = client.get("/readyz")

    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "storage", "tesseract", "pdftoppm"}
    assert all(check["ok"] for check in body["checks"].values())
    assert all(model in body["checks"]["tesseract"]["detail"] for model in required_models())


def test_readyz_is_503_naming_the_models_tesseract_lacks(client, monkeypatch, tmp_path):
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))  # an empty tessdata folder

    response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    tesseract = body["checks"]["tesseract"]
    assert not tesseract["ok"] and "Devanagari" in tesseract["detail"] and "eng" in tesseract["detail"]
    assert body["checks"]["database"]["ok"] and body["checks"]["pdftoppm"]["ok"]


def test_readyz_needs_the_orientation_model_turned_pages_are_read_with(client, monkeypatch, tmp_path):
    installed = Path(tool_output(["tesseract", "--list-langs"], timeout=30).split('"')[1])
    for model in ("Devanagari", "eng", "hin"):  # every book language's, but not osd
        (tmp_path / f"{model}.traineddata").symlink_to(installed / f"{model}.traineddata")
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path))

    tesseract = client.get("/readyz").json()["checks"]["tesseract"]

    assert not tesseract["ok"] and "osd" in tesseract["detail"] and "Devanagari" not in tesseract["detail"]


def test_readyz_checks_the_broker_when_one_is_configured_and_keeps_its_url_secret(client, settings):
    settings.CELERY_BROKER_URL = "redis://:hunter2-secret@127.0.0.1:1/0"  # nothing listens on port 1

    response = client.get("/readyz")

    assert response.status_code == 503
    assert not response.json()["checks"]["broker"]["ok"]
    assert b"hunter2" not in response.content


def test_readyz_is_503_when_the_upload_folder_is_not_writable(client, settings, tmp_path):
    not_a_folder = tmp_path / "a-file"  # (the tests run as root, whom file modes do not stop)
    not_a_folder.write_text("")
    settings.FILE_UPLOAD_TEMP_DIR = str(not_a_folder)

    response = client.get("/readyz")

    storage = response.json()["checks"]["storage"]
    assert response.status_code == 503 and not storage["ok"] and "not writable" in storage["detail"]


def test_only_get_and_head_are_answered(client):
    assert client.post("/readyz").status_code == 405
    assert client.head("/healthz").status_code == 200
