"""The Dockerfile and docker-compose.yml read as files, held to what the other tests run: the
same commands, environment variables and config files. test_containers.py builds and runs
the image itself (make test-containers)."""

import inspect
import re
import shlex

import pytest
import yaml
from django.conf import settings as project_settings

from tests.support.live_server import ROOT, spawn_server, start_server
from tests.support.project_files import environment_variables_read, makefile_recipe
from tests.support.service_processes import CELERY_WORKER_ARGS, NGINX_TEMPLATE

GUNICORN_ARGS = ["-c", "gunicorn.conf.py", "backend.wsgi"]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def command_of(service: str) -> list[str]:
    command = SERVICES[service]["command"]
    return shlex.split(command) if isinstance(command, str) else command


def test_compose_has_the_production_services():
    assert {"web", "worker", "redis", "postgres", "nginx"} <= SERVICES.keys()


def test_web_runs_gunicorn_as_make_run_and_the_live_tests_do():
    live_server = (ROOT / "tests/support/live_server.py").read_text()
    dockerfile_cmd = re.search(r"^CMD (\[.*\])$", DOCKERFILE, flags=re.M).group(1)

    assert command_of("web") == ["gunicorn", *GUNICORN_ARGS]
    assert yaml.safe_load(dockerfile_cmd) == ["gunicorn", *GUNICORN_ARGS]
    assert "gunicorn -c gunicorn.conf.py backend.wsgi" in makefile_recipe("run")
    assert '"gunicorn", "-c", "gunicorn.conf.py", wsgi_app' in live_server
    # Only a bench serves another WSGI module (bench/stream_floor.py); tests take the default.
    for serve in (spawn_server, start_server):
        assert inspect.signature(serve).parameters["wsgi_app"].default == "backend.wsgi"


def test_worker_runs_celery_as_make_worker_and_the_scale_out_tests_do():
    assert command_of("worker") == ["celery", *CELERY_WORKER_ARGS]
    assert f"celery {' '.join(CELERY_WORKER_ARGS)}" in makefile_recipe("worker")


@pytest.mark.parametrize("service", ["migrate", "web", "worker"])
def test_every_variable_compose_sets_is_one_the_app_reads(service):
    unknown = set(SERVICES[service]["environment"]) - environment_variables_read()
    assert not unknown, f"{service} sets variables nothing reads: {sorted(unknown)}"


def test_web_and_worker_share_the_database_broker_and_uploads():
    web, worker = SERVICES["web"], SERVICES["worker"]
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "MEDIA_ROOT", "DJANGO_SECRET_KEY"):
        assert web["environment"][name] == worker["environment"][name]
    assert web["volumes"] == worker["volumes"]
    assert any(volume.endswith(":" + web["environment"]["MEDIA_ROOT"]) for volume in web["volumes"])
    assert web["environment"]["CELERY_BROKER_URL"].startswith("redis://redis:")
    assert web["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert (
        "@postgres:5432/" + SERVICES["postgres"]["environment"]["POSTGRES_DB"]
        in web["environment"]["DATABASE_URL"]
    )


def test_nginx_serves_the_tested_template_pointed_at_web():
    nginx = SERVICES["nginx"]
    template_vars = set(re.findall(r"\$\{(\w+)\}", NGINX_TEMPLATE.read_text()))

    assert "./nginx/templates:/etc/nginx/templates:ro" in nginx["volumes"]
    assert set(nginx["environment"]) == template_vars
    assert nginx["environment"]["BACKEND_ADDR"] == f"web:{SERVICES['web']['environment']['PORT']}"


def test_nginx_streams_unbuffered_with_long_timeouts_and_the_upload_limit():
    conf = NGINX_TEMPLATE.read_text()
    stream_block = re.search(r"location ~ \^/api/books/\(upload-sse.*?\n    \}", conf, flags=re.S).group(0)
    limit_mib = int(re.search(r"client_max_body_size (\d+)m;", conf).group(1))

    assert "proxy_buffering off;" in stream_block and "proxy_cache off;" in stream_block
    assert int(re.search(r"proxy_read_timeout (\d+)s;", stream_block).group(1)) >= 600
    # Django's limit is on the file; nginx's on the whole form, so 1 MiB more.
    assert limit_mib * 1024 * 1024 == project_settings.BOOK_MAX_UPLOAD_BYTES + 1024 * 1024


def test_the_image_has_the_ocr_tools_and_runs_as_a_non_root_user():
    assert re.search(r"^FROM python:3\.11-slim", DOCKERFILE, flags=re.M)
    for package in ("tesseract-ocr", "tesseract-ocr-hin", "tesseract-ocr-script-deva", "poppler-utils"):
        assert re.search(rf"apt-get install[^\n]*\s{package}(\s|$)", DOCKERFILE), package
    user = re.findall(r"^USER (\S+)$", DOCKERFILE, flags=re.M)
    assert user and user[-1] not in ("root", "0")


def test_the_web_image_and_service_are_healthy_only_when_ready():
    healthcheck = re.search(r"^HEALTHCHECK .*?CMD (\[[^\n]*\])$", DOCKERFILE, flags=re.M | re.S).group(1)

    assert "/readyz" in healthcheck and "GUNICORN_BIND" in healthcheck
    # It runs in the slim image, which has Python but no curl; compose's web keeps it.
    assert yaml.safe_load(healthcheck)[:2] == ["python", "-c"] and "healthcheck" not in SERVICES["web"]
    assert SERVICES["nginx"]["depends_on"]["web"]["condition"] == "service_healthy"


def test_a_worker_is_healthy_while_it_answers_the_brokers_ping():
    assert "inspect ping" in " ".join(SERVICES["worker"]["healthcheck"]["test"])
