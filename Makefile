# salesperf: the two commands are `make run` and `make test` (`make e2e` runs the
# browser journeys).
#
# `make setup` is idempotent: stamp files under .venv/ remember what was done
# and are redone only when pyproject.toml / package.json / package-lock.json
# (or the translations) are newer than the stamp.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV := .venv
VPY := $(VENV)/bin/python
MANAGE := $(VPY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# The unit suite runs on every core (pytest-xdist), each worker on its own database.
TEST_WORKERS ?= auto
# The browser journeys: two at a time (each its own server and browser context).
E2E_WORKERS ?= 2
E2E_ARGS ?=
# python3.11 if it is on PATH, else python3 (which must then be 3.11).
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null || echo python3.11)

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_ROOT_USER_ACTION := ignore

PIP_STAMP := $(VENV)/.stamp-pip
NPM_STAMP := $(VENV)/.stamp-npm
MO_STAMP := $(VENV)/.stamp-mo
PO_FILES := $(wildcard locale/*/LC_MESSAGES/*.po)

# Redo a stamp whose product was deleted behind make's back.
FORCE_VENV := $(if $(wildcard $(VPY)),,FORCE)
FORCE_NPM := $(if $(wildcard node_modules/.package-lock.json),,FORCE)

.PHONY: help setup run test e2e screenshots lint format migrations-check messages worker beat FORCE

help: ## List the targets
	@echo "salesperf make targets:"
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  %-18s %s\n", $$1, $$2}'

setup: $(PIP_STAMP) $(NPM_STAMP) $(MO_STAMP) ## Create .venv, install Python and npm packages, compile translations

$(PIP_STAMP): pyproject.toml $(FORCE_VENV)
	@if [ ! -x "$(VPY)" ]; then \
	  "$(PYTHON)" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null || { \
	    echo "salesperf needs Python 3.11: '$(PYTHON)' is $$("$(PYTHON)" --version 2>&1 || echo missing)." >&2; \
	    echo "Install python3.11 or run: make setup PYTHON=/path/to/python3.11" >&2; exit 1; }; \
	  echo ">> creating $(VENV) with $(PYTHON)"; \
	  "$(PYTHON)" -m venv $(VENV); \
	fi
	@$(VPY) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || { \
	  echo "$(VENV) is not Python 3.11: remove it (rm -rf $(VENV)) and run make setup again" >&2; exit 1; }
	@echo ">> pip install -e '.[dev]'"
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	@touch $@

$(NPM_STAMP): package.json package-lock.json $(FORCE_NPM) | $(PIP_STAMP)
	@command -v npm >/dev/null || { echo "npm is not on PATH: install Node.js 20 and npm" >&2; exit 1; }
	@echo ">> npm ci"
	npm ci --no-audit --no-fund
	@touch $@

# The compiled .mo files are committed, so without gettext (msgfmt) the
# committed ones are used as they are.
$(MO_STAMP): $(PO_FILES) | $(PIP_STAMP)
	@if [ -z "$(PO_FILES)" ]; then \
	  echo ">> no translations to compile"; \
	elif command -v msgfmt >/dev/null; then \
	  echo ">> compilemessages"; \
	  $(MANAGE) compilemessages --ignore=.venv --ignore=node_modules --ignore=staticfiles; \
	else \
	  echo ">> msgfmt (gettext) is not installed: using the committed .mo files"; \
	fi
	@touch $@

run: setup ## Command 1: migrate, seed the demo data, serve on http://127.0.0.1:8000/ (HOST=, PORT=)
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	@echo
	@echo "salesperf is starting on http://$(HOST):$(PORT)/   (Ctrl-C stops it)"
	@echo
	exec $(MANAGE) runserver $(HOST):$(PORT)

test: setup ## Command 2: the test suite on every core (PYTEST_ARGS=..., TEST_WORKERS=n)
	$(VENV)/bin/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

e2e: setup ## The browser journeys, every role in English and Chinese (E2E_ARGS=..., E2E_WORKERS=n)
	$(VENV)/bin/pytest -c e2e/pytest.ini -n $(E2E_WORKERS) $(E2E_ARGS) e2e

screenshots: e2e ## Run the journeys, then copy their screenshots into docs/screenshots/ (the README's)
	$(VPY) e2e/screenshots.py

lint: $(PIP_STAMP) ## ruff check and ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(PIP_STAMP) ## ruff format and ruff check --fix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: $(PIP_STAMP) ## Fail if a model change has no migration
	$(MANAGE) makemigrations --check --dry-run

messages: $(PIP_STAMP) ## Extract zh_Hans strings into the .po file and compile it
	$(MANAGE) makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=node_modules --ignore=staticfiles
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules --ignore=staticfiles

define need_redis
	@test -n "$${REDIS_URL:-}" || { echo "REDIS_URL is not set: without it tasks run in-process and a $(1) has nothing to do" >&2; exit 1; }
endef

worker: $(PIP_STAMP) ## Celery worker (needs REDIS_URL)
	$(call need_redis,worker)
	exec $(VENV)/bin/celery -A salesperf worker -l info

# The schedule is kept in the database (django-celery-beat), where the admin shows
# it under "Periodic tasks"; migrate first so that its tables are there.
beat: $(PIP_STAMP) ## Celery beat, schedule in the database (needs REDIS_URL; migrate first)
	$(call need_redis,beat)
	exec $(VENV)/bin/celery -A salesperf beat -l info --scheduler salesperf.beat:DatabaseScheduler

FORCE:
