# socai — the two commands a fresh machine needs: `make demo` and `make test`.
# Everything installs into ./.venv from requirements.lock (exact versions, every file's hash
# checked: --require-hashes), then socai itself (editable, no dependencies of its own).
# `make lock` regenerates the lock and constraints.txt (the same pins, without hashes).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_STORE ?= sqlite:///socai-data/demo.db

LOCK_FLAGS = --extra dev --generate-hashes --python-version 3.11 --no-header \
             --annotation-style line --quiet -o requirements.lock

.PHONY: demo test test-fast test-slow lint services bench clean lock lock-upgrade

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip install --quiet --no-deps -e ./consumer
	touch $(STAMP)

## lock: re-resolve pyproject.toml's dependencies (all extras) at constraints.txt's pins,
## with hashes, into requirements.lock; then constraints.txt from the lock.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml -c constraints.txt $(LOCK_FLAGS)
	$(BIN)/python scripts/lock_constraints.py

## lock-upgrade: the same, taking the newest versions pyproject.toml allows.
lock-upgrade: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --upgrade $(LOCK_FLAGS)
	$(BIN)/python scripts/lock_constraints.py

## demo: set up and run the demo scenario on the embedded default (SQLite, in-process).
demo: $(STAMP)
	mkdir -p socai-data
	$(BIN)/socai --store $(DEMO_STORE) demo --reset

## services: install what the integration tests need (PostgreSQL from Debian's packages).
services:
	bash scripts/install-services.sh

## test: set up, install the test servers, run the whole suite (servers start on 127.0.0.1).
test: $(STAMP) services
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n auto

test-fast: $(STAMP)
	SOCAI_SKIP_PG=1 SOCAI_SKIP_KAFKA=1 SOCAI_SKIP_BROWSER=1 $(BIN)/python -m pytest -x -q

test-slow: $(STAMP) services
	$(BIN)/python -m pytest -m slow

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	for b in bench/[a-z]*.py; do echo "== $$b"; PYTHONPATH=. $(BIN)/python $$b $(BENCH_ARGS) || exit 1; done

clean:
	rm -rf $(VENV) socai-data .pytest_cache
