# Two commands: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | sha1sum | cut -c1-12)
# The back office's browser code (socket.io-client) comes from the npm registry, pinned by the lock file.
BACKOFFICE := server/backoffice
NODE_STAMP := $(BACKOFFICE)/node_modules/.installed
# The web SDK's ES modules import socket.io-client, json-logic-engine, marked and DOMPurify from here (axe-core for
# the accessibility tests); the server serves them at /sdk/web/vendor/.
WEB := demo_client/web
WEB_STAMP := $(WEB)/node_modules/.installed
# `make run` serves the QA demo page at /demo (loopback only); ARABESQUE_DEMO=off make run turns it off.
ARABESQUE_DEMO ?= on

.PHONY: run test install lint typecheck layers pytest services chromium debian clean

$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

$(NODE_STAMP): $(BACKOFFICE)/package.json $(BACKOFFICE)/package-lock.json
	cd $(BACKOFFICE) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(WEB_STAMP): $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Debian packages the server needs at run time: the OCR-B font the MRZ reader matches characters against.
DEBIAN_PACKAGES := fonts-ocr-b
DEBIAN_STAMP := $(VENV)/.debian-$(shell echo $(DEBIAN_PACKAGES) | sha1sum | cut -c1-12)

$(DEBIAN_STAMP): $(STAMP)
	@dpkg -s $(DEBIAN_PACKAGES) >/dev/null 2>&1 || (apt-get update && apt-get install -y $(DEBIAN_PACKAGES))
	@touch $@

debian: $(DEBIAN_STAMP)

install: $(STAMP) $(NODE_STAMP) $(WEB_STAMP) $(DEBIAN_STAMP)

run: install
	ARABESQUE_DEMO=$(ARABESQUE_DEMO) $(BIN)/arabesque serve --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy sdk_protocol server verification ui_schemas demo_client

layers: install
	$(BIN)/lint-imports

# PostgreSQL and Redis serve only the scaled-out tests; start them when they are not running.
services:
	@pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || \
		redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
			--dir /var/lib/redis --logfile /var/log/redis/ci.log

# The back office's and the web SDK's browser tests drive Debian's Chromium through Playwright (no browser is downloaded).
chromium:
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)

pytest: install services chromium
	$(BIN)/pytest

test: lint typecheck layers pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(BACKOFFICE)/node_modules $(WEB)/node_modules
