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
# Every runtime and dev dependency pinned with sha256 hashes for Linux x86_64 / CPython 3.11 (`make lock`).
LOCK := requirements.lock
PINS := requirements-pins.in
PIP_COMPILE_ARGS := --quiet --generate-hashes --extra dev --strip-extras --allow-unsafe \
	--no-emit-index-url --no-emit-find-links

.PHONY: install run test lint typecheck unit ingest ui chat eval bench clean browser postgres redis lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Only what the lock names, each file checked against its hash (torch is the CPU wheel pinned there; llama-cpp-python
# is its hashed sdist, compiled with the portable flags); then the project itself, which adds no packages.
$(INSTALLED): pyproject.toml $(LOCK) | $(BIN)/python
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 $(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check  # a dependency added to pyproject.toml without `make lock` stops here, by name
	touch $@

# Re-resolve after a dependency changes in pyproject.toml: existing pins are kept, new ones added with hashes.
# `make lock UPGRADE=1` moves every pin to the newest allowed release.
lock: | $(BIN)/python
	$(BIN)/pip install --quiet 'pip-tools>=7.4,<8'
	$(BIN)/pip-compile $(PIP_COMPILE_ARGS) $(if $(UPGRADE),--upgrade) --output-file $(LOCK) pyproject.toml $(PINS)

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
