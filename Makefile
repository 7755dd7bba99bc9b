# Dörren in: the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
export FLASK_APP := wsgi

.PHONY: invitations-icscheck run test install install-test lint typecheck importlint pytest migrate seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[demo]'  # demo extra: the local CalDAV server and SMTP sink
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

var:
	mkdir -p var

migrate: install var
	$(BIN)/flask forum migrate

seed: migrate
	$(BIN)/flask forum seed-demo
	$(BIN)/flask forum extend-sessions

run: seed
	@echo ""
	@echo "  Dörren in runs on http://$(HOST):$(PORT)/"
	@echo "  Demo login: samordnare@mora.example / forum-demo-2026 (coordinator)"
	@echo "              admin@mora.example, anna.lind@moraorsa.example, ledning@mora.example (same password)"
	@echo "  Try: http://$(HOST):$(PORT)/api/v1/forums/mora/sessions?from=2026-12-01&to=2027-06-30"
	@echo ""
	BIN=$(BIN) scripts/run-demo.sh $(BIN)/gunicorn --bind $(HOST):$(PORT) --workers $(WORKERS) --access-logfile - wsgi:app

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-test
	$(BIN)/mypy

importlint: install-test
	$(BIN)/lint-imports

pytest: install-test
	$(BIN)/pytest -q

test: lint typecheck importlint pytest

clean:
	rm -rf $(VENV) var/*.sqlite3*

# Every invitation of the demo flow (book, decline + deputy, reschedule, cancel; CalDAV copy,
# iMIP REQUEST/CANCEL, customer confirmation) captured into var/invitations and checked.
# F01 is a feed rule (no METHOD in subscriptions); invitations are iTIP and must carry one.
ICSCHECK ?= ../shared/tools/icscheck/icscheck
invitations-icscheck: install
	rm -rf var/invitations && mkdir -p var/invitations
	$(BIN)/python scripts/capture_invitations.py var/invitations
	$(ICSCHECK) --ignore F01 var/invitations/*.ics
