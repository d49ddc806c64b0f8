# Charter: `make demo` installs and runs the demo; `make test` installs and runs the whole test suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install assets demo serve test test-fast test-pg test-browser lint bench clean

install: $(STAMP) assets

$(STAMP): pyproject.toml
	$(PY) -c 'import sys; sys.exit("Charter needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Front-end libraries come from the npm registry through package.json and its lock file.
assets:
	@if command -v npm >/dev/null 2>&1; then \
	  test -d node_modules/htmx.org || npm ci --no-audit --no-fund --loglevel=error; \
	  mkdir -p src/charter/web/static/vendor; \
	  cp node_modules/htmx.org/dist/htmx.min.js src/charter/web/static/vendor/htmx.min.js; \
	else echo "npm not found: pages work without htmx (no partial updates)"; fi

demo: install
	$(BIN)/charter demo

serve: install
	$(BIN)/charter serve

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy src

# The whole suite: lint, types, layer contract, unit + integration tests, browser tests (headless Chromium).
test: lint
	$(BIN)/pytest -n 2 --dist loadgroup tests $(PYTEST_ARGS)

test-fast: install
	$(BIN)/pytest -n 2 --dist loadgroup tests --ignore=tests/browser $(PYTEST_ARGS)

# The suite against PostgreSQL (CHARTER_TEST_DATABASE_URL, default a fresh database on 127.0.0.1:5432).
test-pg: install
	CHARTER_TEST_DATABASE_URL=$${CHARTER_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/charter_test} \
	  $(BIN)/pytest -n 2 --dist loadgroup tests --ignore=tests/browser $(PYTEST_ARGS)

test-browser: install
	$(BIN)/pytest tests/browser $(PYTEST_ARGS)

bench: install
	$(BIN)/charter bench scheduling --small
	$(BIN)/charter bench levelling --small

clean:
	rm -rf $(VENV) node_modules src/charter/web/static/vendor
