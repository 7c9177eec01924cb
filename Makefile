# Shebao Gateway — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test

.PHONY: run test test-pg lint lock migrate demo-data chromium cjk-font node test-tools miniprogram-deps seal clean help bench

help:
	@echo "make run      start the gateway on http://127.0.0.1:$${SHEBAO_PORT:-8000} (embedded SQLite under var/)"
	@echo "make test     the whole suite, browser tests included"
	@echo "make test-pg  the suite on PostgreSQL + Redis (SHEBAO_TEST_DATABASE_URL, SHEBAO_TEST_REDIS_URL)"

# Installs exactly the pinned versions of requirements.lock (tests: requirements-test.lock), then the gateway
# itself without resolving anything again; re-run whenever a lock file or pyproject.toml changes.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.lock
	$(PIP) install --quiet --no-deps -e .
	@$(PIP) check >/dev/null || { $(PIP) check; echo "requirements.lock does not match pyproject.toml: run make lock" >&2; exit 1; }
	touch $@

$(TSTAMP): $(STAMP) requirements-test.lock
	$(PIP) install --quiet -r requirements-test.lock
	touch $@

# The lock files, resolved by uv (a pinned version, in a venv of its own) from pyproject.toml's dependencies
# for every platform and Python >= 3.11: requirements.lock for `make run`, requirements-test.lock (the test
# extra, runtime pins unchanged) for `make test` and CI. Pins already in the files are kept while
# pyproject.toml allows them; `make lock UPGRADE=1` moves every package to its newest allowed release.
UV_VERSION := 0.13.9
LOCKER     := $(VENV)/tools
UV_COMPILE  = $(LOCKER)/bin/uv pip compile pyproject.toml --quiet --universal --python-version 3.11 \
              --custom-compile-command 'make lock' $(if $(UPGRADE),--upgrade)

lock:
	test -x $(LOCKER)/bin/python || $(PYTHON) -m venv $(LOCKER)
	$(LOCKER)/bin/python -m pip install --quiet 'uv==$(UV_VERSION)'
	$(UV_COMPILE) -o requirements.lock
	$(UV_COMPILE) --extra test -c requirements.lock -o requirements-test.lock

migrate: $(STAMP)
	$(BIN)/shebao db upgrade

demo-data: migrate
	$(BIN)/shebao demo-data --if-empty

# The agency's seal for certificates: a local CA + seal certificate made once under var/seal.
seal: migrate
	$(BIN)/shebao seal init

run: demo-data seal
	@$(MAKE) --no-print-directory cjk-font || echo "warning: certificates need a CJK font (fonts-noto-cjk or SHEBAO_CJK_FONT); the rest of the site runs without it" >&2
	$(BIN)/shebao serve

# Debian's chromium drives the browser tests; installed here when missing and we may (root).
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; \
	  else echo "chromium is missing: install Debian's chromium package to run the browser tests" >&2; exit 1; fi; \
	fi

# Certificates embed a subset of Noto Sans CJK (Debian's fonts-noto-cjk); installed here when missing and we may.
cjk-font:
	@if [ ! -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] && [ -z "$$SHEBAO_CJK_FONT" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk) >/dev/null; \
	  else echo "no CJK font: install Debian's fonts-noto-cjk or set SHEBAO_CJK_FONT" >&2; exit 1; fi; \
	fi

# The mini-program's tests run in Node (miniprogram-simulate); Debian's nodejs + npm when missing and we may.
node:
	@if ! command -v npm >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm) >/dev/null; \
	  else echo "npm is missing: install Debian's nodejs and npm to run the mini-program tests" >&2; exit 1; fi; \
	fi

# Tools some tests drive, from Debian when missing and we may: nginx -t checks the deployment (nginx-light),
# pg_dump backs PostgreSQL up (postgresql-client), qpdf --check and pdfsig check sealed certificates (qpdf,
# poppler-utils). Without them those tests say they were skipped.
test-tools:
	@missing=""; \
	for pair in nginx:nginx-light pg_dump:postgresql-client qpdf:qpdf pdfsig:poppler-utils; do \
	  command -v "$${pair%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/$${pair%%:*}" ] || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null \
	      || echo "warning: could not install$$missing; their tests will be skipped" >&2; \
	  else echo "warning: missing$$missing; their tests will be skipped" >&2; fi; \
	fi

MP := channels/miniprogram
$(MP)/node_modules/.installed: $(MP)/package-lock.json
	cd $(MP) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

miniprogram-deps: node $(MP)/node_modules/.installed

lint: $(TSTAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: $(TSTAMP) chromium cjk-font miniprogram-deps test-tools lint
	$(BIN)/python -m pytest --durations=15

test-pg: $(TSTAMP) test-tools
	@test -n "$$SHEBAO_TEST_DATABASE_URL" || { echo "set SHEBAO_TEST_DATABASE_URL" >&2; exit 2; }
	$(BIN)/python -m pytest --durations=15

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

# Every benchmark once (certificates, dispatch, pages, logins under pressure); rewrites the measured tables of
# docs/performance.md, each figure beside its reference from the same run and the machine's load. Not a test.
bench: $(TSTAMP) cjk-font
	$(BIN)/python -m benchmarks.run_all
