# Dörren in: the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
export FLASK_APP := wsgi

.PHONY: test-any-date test-fast invitations-icscheck run test install install-test lint typecheck importlint pytest migrate seed clean translations translations-update browser web-test-deps server-test-deps

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

run: seed translations
	@echo ""
	@echo "  Dörren in runs on http://$(HOST):$(PORT)/"
	@echo "  Demo login: samordnare@mora.example / forum-demo-2026 (coordinator)"
	@echo "              admin@mora.example, anna.lind@moraorsa.example, ledning@mora.example (same password)"
	@echo "  Try: http://$(HOST):$(PORT)/api/v1/forums/mora/sessions?from=2026-12-01&to=2027-06-30"
	@echo ""
	BIN=$(BIN) HOST=$(HOST) PORT=$(PORT) scripts/run-demo.sh $(BIN)/gunicorn --bind $(HOST):$(PORT) --workers $(WORKERS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install-test
	$(BIN)/mypy

importlint: install-test
	$(BIN)/lint-imports

pytest: install-test translations web-test-deps server-test-deps icscheck-setup
	ICSCHECK=$(ICSCHECK) $(BIN)/pytest -q

test: lint typecheck importlint pytest test-any-date

# The inner loop (under a minute on a 2-core machine): the pure tests and the domain and service
# tests on SQLite only; nothing that starts another process (CalDAV, IMAP, SMTP, gunicorn,
# Chromium: marker "external") and nothing marked "slow" (whole-API fuzzing, the visibility
# matrix, ...). `make test` stays the full gate.
# The inner loop: the domain and the services (tests/unit and the service-level integration
# tests), SQLite only, no other processes, no fuzzing (nor its plugins): under a minute on a
# 2-core machine.
# The API, web, front and concurrency tests run in `make test`, the full gate.
FAST_IGNORE := test_concurrency test_login_security test_schemathesis test_hostile_input \
  test_access_log_tokens test_feeds_asgi test_cases_api test_read_api test_followup_web \
  test_case_visibility test_feeds_tokens
test-fast: install-test translations
	TEST_DATABASE_URL= $(BIN)/pytest -q -p no:schemathesis -p no:hypothesispytest \
	  -m "not external and not slow" tests/unit tests/integration \
	  $(foreach t,$(FAST_IGNORE),--ignore=tests/integration/$(t).py)

# Any date: the suite (SQLite, without the tests that start other processes) again with this
# process's wall clock moved years ahead (TEST_WALL_CLOCK, time-machine), so a timestamp taken
# from the wall clock instead of the injected clock shows up as a failure.
ANY_DATES ?= 2027-06-15 2031-01-07
test-any-date: install-test translations
	@for day in $(ANY_DATES); do \
	  echo "== the suite with the wall clock at $$day"; \
	  TEST_DATABASE_URL= TEST_WALL_CLOCK=$$day $(BIN)/pytest -q -m "not external" \
	    tests/unit tests/integration tests/web || exit 1; \
	done

# Web UI: message catalogues (.po committed, .mo built), Chromium and axe-core for browser tests.
TRANSLATIONS := booking/translations
AXE := tests/web/axe/node_modules/axe-core/axe.min.js

translations: install
	$(BIN)/pybabel -q compile -d $(TRANSLATIONS)

translations-update: install
	$(BIN)/pybabel -q extract -F $(TRANSLATIONS)/babel.cfg -k _l -k lazy_gettext --no-location \
	  --sort-output --omit-header -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete \
	  -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)

browser:
	@test -x /usr/bin/chromium || { apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core; }

$(AXE): tests/web/axe/package.json tests/web/axe/package-lock.json
	cd tests/web/axe && npm ci --no-audit --no-fund --silent
	touch $@

# The OpenID Connect provider the single sign-on tests start (panva's oidc-provider, node).
OIDC_PROVIDER := tests/oidc/node_modules/oidc-provider/package.json

$(OIDC_PROVIDER): tests/oidc/package.json tests/oidc/package-lock.json
	cd tests/oidc && npm ci --no-audit --no-fund --silent
	touch $@

web-test-deps: browser $(AXE) $(OIDC_PROVIDER)

# Real servers the tests start on 127.0.0.1 (Debian packages; their system services are not
# used): Cyrus IMAP with CalDAV, a second scheduling server beside Xandikos, the one that
# answers free/busy for others, and the IMAP mailbox where iMIP replies arrive. (Debian's
# dovecot-imapd conflicts with cyrus-imapd: both are "imap-server".)
SERVER_PACKAGES := cyrus-imapd cyrus-caldav cyrus-admin sasl2-bin
server-test-deps:
	@test -x /usr/lib/cyrus/bin/master -a -x /usr/sbin/saslpasswd2 || \
	  { apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -q --no-install-recommends $(SERVER_PACKAGES); }

clean:
	rm -rf $(VENV) var/*.sqlite3*

ICSCHECK_DIR ?= $(firstword $(wildcard $(abspath ../shared/tools/icscheck) /work/shared/tools/icscheck))
ICSCHECK := $(ICSCHECK_DIR)/icscheck

# The independent checker's parsers (npm and pip, into its own folder), once; the tests that
# check invitations with it need it, so they never skip for want of a setup step.
icscheck-setup:
	@test -z "$(ICSCHECK_DIR)" || $(ICSCHECK) $(ICSCHECK_DIR)/samples/good.ics >/dev/null 2>&1 \
	  || $(ICSCHECK_DIR)/setup.sh

# Every invitation of the demo flow (book, decline + deputy, reschedule, cancel; CalDAV copy,
# iMIP REQUEST/CANCEL, customer confirmation) captured into var/invitations and checked.
# F01 is a feed rule (no METHOD in subscriptions); invitations are iTIP and must carry one.
invitations-icscheck: install icscheck-setup
	rm -rf var/invitations && mkdir -p var/invitations
	$(BIN)/python scripts/capture_invitations.py var/invitations
	$(ICSCHECK) --ignore F01 var/invitations/*.ics

# ICS feeds (issue 4): every feed type built from demo data (a booked, a cancelled and a
# confidential meeting), and two of them fetched from gunicorn, through the independent checker.

.PHONY: icscheck icscheck-setup bench-feeds
icscheck: install icscheck-setup
	$(BIN)/python tools/icscheck_feeds.py --icscheck $(ICSCHECK)

# Feed benchmark (installs nginx and wrk with apt when missing; load on 127.0.0.1 only).
bench-feeds: install
	$(BIN)/python bench/feeds.py
