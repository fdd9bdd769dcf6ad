# Lantian: the two commands are `make run` and `make test`.
.PHONY: run test test-unit test-integration test-e2e setup setup-test lint format bench bench-scale

setup:
	@bash scripts/bootstrap.sh

# The tests also need Debian's Chromium for the browser tests (Playwright drives it; nothing is downloaded).
setup-test:
	@bash scripts/bootstrap.sh --test

run: setup
	@.venv/bin/python -m scripts.run_server

test: setup-test
	@.venv/bin/python -m pytest $(PYTEST_ARGS)

# One layer each (markers set by folder in tests/conftest.py): no database / PostGIS / a real server.
test-unit: setup-test
	@.venv/bin/python -m pytest -m unit $(PYTEST_ARGS)

test-integration: setup-test
	@.venv/bin/python -m pytest -m integration $(PYTEST_ARGS)

test-e2e: setup-test
	@.venv/bin/python -m pytest -m e2e $(PYTEST_ARGS)

# Type-check app/ with mypy (mypy.ini), lint and check formatting with ruff (ruff.toml). CI runs it before the tests.
lint: setup
	@.venv/bin/mypy app
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .

# Apply ruff's safe fixes and format the code.
format: setup
	@.venv/bin/ruff check --fix .
	@.venv/bin/ruff format .

bench: setup
	@.venv/bin/python -m bench.run

# Statistics, review queue, map layers and exports at a province's scale (bench/scale.py; BENCH_SCALE=henan|medium|small).
bench-scale: setup
	@.venv/bin/python -m bench.scale
