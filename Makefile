# alignn-nb: `make demo` serves the dashboard, `make test` runs the whole suite;
# `make test-nodgl` runs it again in .venv-nodgl/, on current torch without DGL.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.alignn-nb-installed
CHROMIUM := /usr/bin/chromium
PYTEST_ARGS ?=
# The suite runs on this many worker processes, each test file on one worker (its module
# fixtures built once); 2 fits CI's two cores. TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= 2
XDIST = $(if $(filter 0,$(TEST_WORKERS)),-p no:xdist,-n $(TEST_WORKERS) --dist loadfile)
NODGL_VENV := .venv-nodgl
NODGL_BIN := $(NODGL_VENV)/bin
NODGL_STAMP := $(NODGL_VENV)/.alignn-nb-installed
# The browser and binder tests serve the same dashboard and install the same binder files
# as in .venv/; without DGL they would only repeat those minutes, so this run leaves them out,
# and so the Dataset tab's 200,000-structure scan (the same streamed scan, two minutes).
NODGL_PYTEST_ARGS ?= --ignore=tests/browser --ignore=tests/notebooks/test_binder.py \
	--ignore=tests/widgets/test_dataset_tab_scale.py

export DGLBACKEND := pytorch

.PHONY: setup setup-nodgl demo test test-nodgl lint browser lock clean docs

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "pip==24.3.1"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup-nodgl: $(NODGL_STAMP)

# --no-deps: the lock is complete, and nothing may pull DGL in; the last line proves it.
$(NODGL_STAMP): requirements-nodgl.lock pyproject.toml
	test -x $(NODGL_BIN)/python || $(PYTHON) -m venv $(NODGL_VENV)
	$(NODGL_BIN)/python -m pip install --quiet --disable-pip-version-check "pip==24.3.1"
	$(NODGL_BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodgl.lock
	$(NODGL_BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	! $(NODGL_BIN)/python -c "import dgl" 2>/dev/null
	touch $(NODGL_STAMP)

# Debian's chromium for the Playwright browser tests (Playwright's own download cannot work here).
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "chromium is missing and this is not root: browser tests will skip"; fi

demo: setup
	$(BIN)/alignn-nb serve

# mypy reads its settings (packages = alignn_nb) from pyproject.toml; .mypy_cache makes reruns quick.
test: setup browser
	$(BIN)/ruff check alignn_nb tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

test-nodgl: setup-nodgl
	$(NODGL_BIN)/python -m pytest $(XDIST) $(NODGL_PYTEST_ARGS) $(PYTEST_ARGS)

# An executed HTML copy of the teaching notebook for readers without a kernel. No widget
# state is stored, so each 3D view shows its static picture (Pictured) instead.
docs: setup
	$(BIN)/jupyter nbconvert --to html --execute --ExecutePreprocessor.timeout=900 \
		--ExecutePreprocessor.store_widget_state=False --output-dir docs \
		notebooks/graph_construction.ipynb

lint: setup
	$(BIN)/ruff check alignn_nb tests benchmarks
	$(BIN)/ruff format --check alignn_nb tests benchmarks
	$(BIN)/mypy

lock:
	$(BIN)/python -m pip freeze --exclude-editable > requirements.freeze.txt
	@echo "compare requirements.freeze.txt with requirements.lock and keep the pin comments"

clean:
	rm -rf $(VENV) $(NODGL_VENV) .pytest_cache .hypothesis .mypy_cache

.PHONY: example-run
# alignn's own training of the example run the Explore tab opens (2 to 5 minutes on 2 cores):
# alignn_nb/datasets/examples/mlearn_Si_run/, with a README saying how it was made.
example-run: setup
	$(BIN)/python -m alignn_nb.training.example_run

.PHONY: binder-requirements
# Binder's requirements from the lock: every pin the same, but torch's CPU-only build from
# PyTorch's wheel index and none of the CUDA wheels (nvidia-*, triton) a Binder machine never uses.
binder-requirements: binder/requirements.txt

binder/requirements.txt: requirements.lock
	{ echo "# Made from requirements.lock by \`make binder-requirements\`; edit the lock, not this file."; \
	  echo "# Every pin is the lock's, but torch is its CPU-only build and the CUDA wheels are left out."; \
	  echo "--extra-index-url https://download.pytorch.org/whl/cpu"; \
	  grep -v -E '^(#|$$|nvidia-|triton==)' requirements.lock | sed -E 's/^(torch==[^+]+)$$/\1+cpu/'; \
	} > $@
