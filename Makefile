# CalcBridge: `make run` brings the platform up with demo data; `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
export UV_PYTHON_DOWNLOADS := never
export DAGSTER_DISABLE_TELEMETRY := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
VENV := .venv
BIN := $(VENV)/bin

# Pure calculation modules that are type-checked (the performance modules' Decimal|float unions are not yet).
PURE_MODULES := $(filter-out %/assets.py %/definitions.py %/resources.py orchestration/compliance/pipeline.py,$(wildcard orchestration/covenants/*.py) $(wildcard orchestration/clo/*.py) $(wildcard orchestration/clo/mapping/*.py) $(wildcard orchestration/equity/*.py) $(wildcard orchestration/compliance/*.py) $(wildcard orchestration/reconciliation/*.py) $(wildcard orchestration/reports/*.py))

.PHONY: setup run test bench lint clean redis

setup: $(BIN)/calcbridge

# The virtual environment comes from the lock file only; uv is installed with pip when absent. Bytecode is
# compiled at install: with PYTHONDONTWRITEBYTECODE set (as on CI) every `calcbridge` process would otherwise
# recompile Dagster from source, about 15 s each.
$(BIN)/calcbridge: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen --compile-bytecode --python 3.11
	@touch $@

run: setup
	$(BIN)/calcbridge up --demo

# Test files run in parallel, one worker per core (override: `make test PYTEST_WORKERS=1`); each worker starts its
# own embedded Postgres and Dagster instance, and the files of one module stay on one worker.
PYTEST_WORKERS ?= 2

test: setup redis
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

# The distributed test (tests/scale/test_celery_distributed.py) starts Debian's redis-server as its Celery broker.
# Installed here when apt-get may run (root, or sudo without a password); otherwise that test skips, saying why.
redis:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi; \
	  if [ "$$SUDO" != none ] && command -v apt-get >/dev/null 2>&1; then \
	    $$SUDO apt-get install -y -qq redis-server >/dev/null 2>&1 || \
	    { $$SUDO apt-get update -qq >/dev/null 2>&1 && $$SUDO apt-get install -y -qq redis-server >/dev/null 2>&1; }; \
	  fi; \
	  command -v redis-server >/dev/null 2>&1 || \
	    echo "redis-server could not be installed: tests/scale/test_celery_distributed.py will be skipped"; }

bench: setup
	@set -e; for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script; done

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy orchestration/core $(PURE_MODULES)

clean:
	-$(BIN)/calcbridge db down
	rm -rf .calcbridge dbt_project/target dbt_project/logs
