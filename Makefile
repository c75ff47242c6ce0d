# `make run` and `make test` set everything up on a fresh Debian/Ubuntu machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SYSTEM_PACKAGES := tesseract-ocr tesseract-ocr-hin tesseract-ocr-script-deva poppler-utils fonts-noto-core fonts-dejavu-core curl
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PORT ?= 8000
# Debian packages $(1), installed as root (sudo keeps no environment, so `env` carries it
# through); RUNLEVEL=1: installing a server does not start it, the targets below do.
apt_install = $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq $(1)

.PHONY: run worker test test-under-load test-services test-containers docker-engine base-image browser producers bench \
	bench-models system-packages migrate demo-user clean

system-packages:
	@if ! command -v tesseract >/dev/null || ! command -v pdftoppm >/dev/null || ! command -v curl >/dev/null \
	   || ! tesseract --list-langs 2>/dev/null | grep -qx hin \
	   || ! tesseract --list-langs 2>/dev/null | grep -qx Devanagari \
	   || [ ! -f /usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf ] \
	   || [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then \
	  echo "Installing system packages: $(SYSTEM_PACKAGES)"; \
	  $(call apt_install,$(SYSTEM_PACKAGES)); \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt requirements-dev-no-deps.txt constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt -c constraints.txt
	$(BIN)/pip install -q --no-deps -r requirements-dev-no-deps.txt
	touch $@ $(VENV)/.runtime

# A secret made once per checkout lets `make run` keep DEBUG off without any setup.
var/secret_key:
	mkdir -p var && chmod 700 var
	$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	chmod 600 $@

# umask 077: the database, the books' PDFs and everything else in var/ private to this user.
migrate: system-packages $(VENV)/.runtime var/secret_key
	chmod 700 var
	umask 077 && DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-$$(cat var/secret_key)} $(BIN)/python manage.py migrate --noinput

demo-user: migrate
	umask 077 && DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-$$(cat var/secret_key)} $(BIN)/python manage.py ensure_demo_user

run: demo-user
	umask 077 && DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-$$(cat var/secret_key)} PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py backend.wsgi

# A Celery worker for scale-out: set CELERY_BROKER_URL (and DATABASE_URL) for it and `make run`.
worker: migrate
	umask 077 && DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-$$(cat var/secret_key)} $(BIN)/celery -A backend worker --loglevel INFO

# What the scale-out tests run against: nginx and redis-server binaries (the tests start
# their own on free ports) and a PostgreSQL server (TEST_POSTGRES_URL, default local).
TEST_SERVICE_PACKAGES := nginx-light redis-server postgresql
test-services:
	@if ! command -v nginx >/dev/null || ! command -v redis-server >/dev/null || ! command -v pg_ctlcluster >/dev/null; then \
	  echo "Installing $(TEST_SERVICE_PACKAGES)"; \
	  $(call apt_install,$(TEST_SERVICE_PACKAGES)); \
	fi
	@pg_isready -q -h 127.0.0.1 || $(SUDO) pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for attempt in $$(seq 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done; pg_isready -h 127.0.0.1

# The browser tests drive Debian's Chromium with Playwright (never a downloaded browser).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  echo "Installing chromium"; \
	  $(call apt_install,chromium); \
	fi

# The tests print Hindi books with real producers: Chromium (above) and LibreOffice Writer.
producers: browser
	@if [ ! -x /usr/bin/soffice ]; then \
	  echo "Installing libreoffice-writer-nogui"; \
	  $(call apt_install,libreoffice-writer-nogui); \
	fi

test: system-packages producers $(VENV)/.dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-tests-only-secret-key-not-for-production-use} $(BIN)/python -m pytest $(PYTEST_ARGS)

# The image built from the real Dockerfile and run (tests/deployment/test_containers.py):
# Debian's docker.io engine, started here when it is not running; the Dockerfile's base
# image, or a stand-in built from Debian packages when no registry can be reached.
CONTAINER_PACKAGES := docker.io mmdebstrap docker-compose
docker-engine:
	@if ! command -v dockerd >/dev/null || ! command -v mmdebstrap >/dev/null || ! command -v docker-compose >/dev/null; then \
	  echo "Installing $(CONTAINER_PACKAGES)"; \
	  $(call apt_install,$(CONTAINER_PACKAGES)); \
	fi
	@$(SUDO) bash containers/start-dockerd.sh

base-image: docker-engine
	@$(SUDO) bash containers/base-image.sh

test-containers: test-services base-image $(VENV)/.dev
	DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-tests-only-secret-key-not-for-production-use} \
	  $(BIN)/python -m pytest -m containers $(PYTEST_ARGS)

# CI's run (.ci/run) with every core kept busy by a CPU hog for the whole run: the suite must
# pass on a slow or busy machine as it does on an idle one.
test-under-load:
	@bash -c 'hogs=(); for core in $$(seq $$(nproc)); do (while :; do :; done) & hogs+=($$!); done; \
	  trap "kill $${hogs[*]}" EXIT; echo "$${#hogs[@]} CPU hogs running"; bash .ci/run'

# bench/devanagari_models.py: Tesseract's other Devanagari models (and npm, which fetches the
# tessdata_best ones); only the bench reads with them.
BENCH_MODEL_PACKAGES := tesseract-ocr-san tesseract-ocr-mar tesseract-ocr-nep npm
bench-models:
	@if ! command -v npm >/dev/null || ! tesseract --list-langs 2>/dev/null | grep -qx san \
	   || ! tesseract --list-langs 2>/dev/null | grep -qx mar || ! tesseract --list-langs 2>/dev/null | grep -qx nep; then \
	  echo "Installing $(BENCH_MODEL_PACKAGES)"; \
	  $(call apt_install,$(BENCH_MODEL_PACKAGES)); \
	fi

# The models bench runs with every bench (no BOOKS) or when named.
bench: system-packages producers $(VENV)/.dev $(if $(BOOKS),$(if $(filter models,$(BOOKS)),bench-models),bench-models)
	$(BIN)/python -m bench $(BOOKS)

clean:
	rm -rf $(VENV) var
