# Zbor: `make run` sets everything up and serves the demo; `make test` runs every test.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The first Python 3.12+ found (a .python-version file picks 3.13 under pyenv).
PYTHON ?= $(shell for p in python3.13 python3.12 python3 python; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$p; break; }; done)
DEV := DEBUG=True

.PHONY: install setup run test lint format demo

$(BIN)/.installed: requirements.lock
	@if [ -z "$(PYTHON)" ]; then \
		echo "Zbor needs Python 3.12 or newer; found only: $$(python3 --version 2>&1)." >&2; \
		echo "Install python3.13 (or 3.12) and run make again." >&2; exit 1; fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --requirement requirements.lock
	touch $@

install: $(BIN)/.installed
	@if ! command -v msgfmt >/dev/null; then \
		echo "Note: gettext's msgfmt is missing, pages stay in English (apt-get install gettext)."; \
	else $(DEV) $(BIN)/python manage.py compilemessages --ignore=.venv --verbosity 0; fi

setup: install
	$(DEV) $(BIN)/python manage.py migrate --verbosity 0
	$(DEV) $(BIN)/python manage.py load_demo

# The outbox worker (emails to donors) runs in the background and stops with the server.
run: setup
	@echo "Zbor is at http://$(HOST):$(PORT)/ (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "Emails go out from a worker started next to it (manage.py send_outbox --loop)."
	@$(DEV) $(BIN)/python manage.py send_outbox --loop & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT; \
	$(DEV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
