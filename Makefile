# gis_onemap: `make demo` serves the one map, `make test` runs the test suite.
# Both do every set-up step on a fresh Debian/Ubuntu machine (OS packages, venv, database).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
ONEMAP := $(VENV)/bin/onemap
PYTHON ?= python3

.PHONY: setup system venv db demo test lint format bench clean db-down wheel wheelhouse

setup: system venv

system:
	@bash scripts/install_system_packages.sh

venv: $(VENV)/.installed $(VENV)/.web-assets

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

# the map page's front-end libraries (npm), re-installed whenever the lock file changes
$(VENV)/.web-assets: gis_onemap/web/package.json gis_onemap/web/package-lock.json gis_onemap/web/build.sh
	@bash scripts/install_web_assets.sh
	@touch $@

db: setup
	$(ONEMAP) db up
	$(ONEMAP) migrate

demo: db
	$(ONEMAP) demo --host 127.0.0.1 --port 8000

# two workers (pytest-xdist), each on its own test database (tests/conftest.py), a test file
# kept whole on one worker (module fixtures, committed state), files in collection order with the
# slow ones moved first by tests/conftest.py (xdist's default order deals one-test files out
# last: the fuzz halves would end the run alone); TEST_WORKERS=0 runs in one process
TEST_WORKERS ?= 2
test: db
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

lint: venv
	$(VENV)/bin/ruff check gis_onemap tests bench data
	$(VENV)/bin/ruff format --check gis_onemap tests bench data
	$(VENV)/bin/mypy gis_onemap

format: venv
	$(VENV)/bin/ruff format gis_onemap tests bench data
	$(VENV)/bin/ruff check --fix gis_onemap tests bench data

bench: db
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) bench/run_all.py

db-down:
	$(ONEMAP) db down

clean: db-down
	rm -rf .onemap $(VENV)

# an installable wheel (migrations, demo data and the built map assets inside), and every wheel an
# intranet machine with no package registry needs to install it: pip install --no-index -f wheelhouse gis_onemap
wheel: venv
	rm -rf dist
	$(PY) -m pip wheel -q --no-deps --no-build-isolation -w dist .

wheelhouse: wheel
	$(PY) -m pip wheel -q -w wheelhouse dist/gis_onemap-*.whl
