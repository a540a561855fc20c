# Two commands do all set-up on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# Portable AVX2 build of llama.cpp: the default native build segfaults on these machines (docs/offline.md).
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
INSTALLED := $(VENV)/.installed
BROWSER := $(VENV)/.browser
POSTGRES := $(VENV)/.postgres
REDIS := $(VENV)/.redis

.PHONY: install run test lint typecheck unit ingest ui chat eval bench clean browser postgres redis

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# torch first, pinned to the local CPU wheel: anything looser pulls a multi-GB CUDA build.
$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 $(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(INSTALLED)

# Debian's chromium for the browser tests (Playwright's own browser download does not work here).
$(BROWSER):
	@if ! command -v chromium >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	  || echo "warning: could not install chromium (browser tests will fail)"; fi
	touch $@

browser: $(BROWSER)

# Debian's PostgreSQL server for the database-source tests (they start their own server in a temp dir).
$(POSTGRES):
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
	  || echo "warning: could not install postgresql (database-source tests will fail)"; fi
	touch $@

postgres: $(POSTGRES)

# Debian's Redis for the shared Slack de-duplication tests (they start their own server in a temp dir).
$(REDIS):
	@if ! command -v redis-server >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null) \
	  || echo "warning: could not install redis-server (shared Slack de-duplication tests will fail)"; fi
	touch $@

redis: $(REDIS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -m "not integration"

test: install browser postgres redis lint typecheck
	$(BIN)/mka setup --quiet
	$(BIN)/pytest

ingest: install
	$(BIN)/mka ingest

# The core eval suite on the embedded default model (long: ~70 prompts on 2 cores); reports in MKA_HOME/runs.
eval: install
	$(BIN)/mka setup --quiet
	$(BIN)/mka ingest --if-missing
	$(BIN)/mka eval evals/suites/core.yaml

run: install
	$(BIN)/mka setup
	$(BIN)/mka ingest --if-missing
	$(BIN)/mka ui

clean:
	rm -rf .mka .pytest_cache .mypy_cache .ruff_cache
