# alignn-nb: `make demo` serves the dashboard, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.alignn-nb-installed
CHROMIUM := /usr/bin/chromium
PYTEST_ARGS ?=

export DGLBACKEND := pytorch

.PHONY: setup demo test lint browser lock clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "pip==24.3.1"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Debian's chromium for the Playwright browser tests (Playwright's own download cannot work here).
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium is missing and this is not root: browser tests will skip"; fi

demo: setup
	$(BIN)/alignn-nb serve

test: setup browser
	$(BIN)/ruff check alignn_nb tests benchmarks
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check alignn_nb tests benchmarks
	$(BIN)/ruff format --check alignn_nb tests benchmarks

lock:
	$(BIN)/python -m pip freeze --exclude-editable > requirements.freeze.txt
	@echo "compare requirements.freeze.txt with requirements.lock and keep the pin comments"

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis artifacts
