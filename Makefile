# `make run` and `make test` set everything up on a fresh Debian/Ubuntu machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SYSTEM_PACKAGES := tesseract-ocr tesseract-ocr-hin poppler-utils fonts-noto-core fonts-dejavu-core curl
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PORT ?= 8000

.PHONY: run test bench system-packages migrate demo-user clean

system-packages:
	@if ! command -v tesseract >/dev/null || ! command -v pdftoppm >/dev/null || ! command -v curl >/dev/null \
	   || ! tesseract --list-langs 2>/dev/null | grep -qx hin \
	   || [ ! -f /usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf ] \
	   || [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then \
	  echo "Installing system packages: $(SYSTEM_PACKAGES)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(SYSTEM_PACKAGES); \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# A secret made once per checkout lets `make run` keep DEBUG off without any setup.
var/secret_key:
	mkdir -p var
	$(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	chmod 600 $@

migrate: system-packages $(VENV)/.runtime var/secret_key
	DJANGO_SECRET_KEY=$$(cat var/secret_key) $(BIN)/python manage.py migrate --noinput

demo-user: migrate
	DJANGO_SECRET_KEY=$$(cat var/secret_key) $(BIN)/python manage.py ensure_demo_user

run: demo-user
	DJANGO_SECRET_KEY=$$(cat var/secret_key) PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py backend.wsgi

test: system-packages $(VENV)/.dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	DJANGO_SECRET_KEY=$${DJANGO_SECRET_KEY:-tests-only-secret-key-not-for-production-use} $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: system-packages $(VENV)/.dev
	$(BIN)/python -m bench $(BOOKS)

clean:
	rm -rf $(VENV) var
