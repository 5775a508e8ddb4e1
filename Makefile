# Zbor: `make run` sets everything up and serves the demo; `make test` runs every test.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The first Python 3.12+ found (a .python-version file picks 3.13 under pyenv).
PYTHON ?= $(shell for p in python3.13 python3.12 python3 python; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$p; break; }; done)
# Development serves at HOST:PORT, so links the app writes (the demo's printout,
# QR codes, emails) point there too.
DEV := DEBUG=True SITE_URL=http://$(HOST):$(PORT)
# Extra pytest arguments, e.g. make test PYTEST_ARGS='-m "not system"'.
PYTEST_ARGS ?=
# Opt-in: with the default SQLite run, a PostgreSQL URL here (the server's; the
# test database test_<name> is created and dropped by the tests) also runs the
# tests whose behaviour differs on PostgreSQL (row locks, races, timeouts).
TEST_POSTGRES_URL ?=
PG_TESTS := tests/donations tests/campaigns/test_rules.py tests/teams \
	tests/system/test_race.py tests/system/test_statement_race.py \
	tests/system/test_two_servers.py tests/system/test_postgres_outage.py \
	tests/security/test_lock_timeout.py tests/perf/test_db_health.py
# Where `make test-pg` creates (and drops) its own database.
PG_ADMIN_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: install install-production messages setup run test test-pg lint format lock

# The virtual environment with pip itself, made once.
$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "Zbor needs Python 3.12 or newer; found only: $$(python3 --version 2>&1)." >&2; \
		echo "Install python3.13 (or 3.12) and run make again." >&2; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# What a server runs (requirements.lock), and that plus the tools for tests,
# lint and the browser (requirements-dev.lock); each reinstalled when its lock
# changes.
$(VENV)/.production: requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --requirement requirements.lock
	touch $@

$(VENV)/.development: requirements-dev.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --requirement requirements-dev.lock
	touch $@

messages:
	@if ! command -v msgfmt >/dev/null; then \
		echo "Note: gettext's msgfmt is missing, pages stay in English (apt-get install gettext)."; \
	else $(DEV) $(BIN)/python manage.py compilemessages --ignore=.venv --verbosity 0; fi

install-production: $(VENV)/.production
	@$(MAKE) --no-print-directory messages

install: $(VENV)/.development
	@$(MAKE) --no-print-directory messages

setup: install-production
	$(DEV) $(BIN)/python manage.py migrate --verbosity 0
	$(DEV) $(BIN)/python manage.py load_demo

# Serves in this terminal until Ctrl+C; the outbox worker (emails to donors)
# runs in the background and stops with the server.
run: setup
	@echo "Zbor is at http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/)."
	@echo "Emails go out from a worker started next to it (manage.py send_outbox --loop)."
	@echo "Stop both with Ctrl+C; run make test from a second terminal."
	@$(DEV) $(BIN)/python manage.py send_outbox --loop & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT; \
	$(DEV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

# The whole suite on DATABASE_URL's database (SQLite by default); then, if
# TEST_POSTGRES_URL is set and that was not PostgreSQL already, PG_TESTS on it.
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	@if [ -n "$(TEST_POSTGRES_URL)" ] && [[ "$${DATABASE_URL:-sqlite}" != postgres* ]]; then \
		echo "== the tests whose behaviour differs on PostgreSQL, on $(TEST_POSTGRES_URL)"; \
		DATABASE_URL="$(TEST_POSTGRES_URL)" $(BIN)/python -m pytest $(PG_TESTS) $(PYTEST_ARGS); \
	fi

# The whole suite on a PostgreSQL database of its own, dropped afterwards
# (also when a test fails or the run is interrupted).
test-pg: install
	@db="zbor_make_$$$$"; server="$(PG_ADMIN_URL)"; \
	drop() { for name in "$$db" "test_$$db"; do \
		psql "$$server" -qc "DROP DATABASE IF EXISTS $$name WITH (FORCE)" >/dev/null 2>&1; done; }; \
	trap drop EXIT; \
	psql "$$server" -qc "CREATE DATABASE $$db" >/dev/null || exit 1; \
	echo "== the whole suite on PostgreSQL (database $$db, dropped afterwards)"; \
	DATABASE_URL="$${server%/*}/$$db" $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# After changing pyproject.toml's dependencies: both locks from it, the
# development one constrained to the production pins.
lock: install
	$(BIN)/uv pip compile pyproject.toml -o requirements.lock --python-version 3.12
	$(BIN)/uv pip compile pyproject.toml --extra dev -c requirements.lock \
		-o requirements-dev.lock --python-version 3.12
