# socai — the two commands a fresh machine needs: `make demo` and `make test`.
# Everything installs into ./.venv from constraints.txt (exact, tested versions).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_STORE ?= sqlite:///socai-data/demo.db

.PHONY: demo test test-fast test-slow lint services bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

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
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	SOCAI_SKIP_PG=1 SOCAI_SKIP_KAFKA=1 $(BIN)/python -m pytest -x -q

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
