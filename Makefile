# Lantian: the two commands are `make run` and `make test`.
.PHONY: run test setup lint bench

setup:
	@bash scripts/bootstrap.sh

run: setup
	@.venv/bin/python -m scripts.run_server

test: setup
	@.venv/bin/python -m pytest $(PYTEST_ARGS)

# Type-check app/ with mypy (configuration: mypy.ini). CI runs it before the tests.
lint: setup
	@.venv/bin/mypy app

bench: setup
	@.venv/bin/python -m bench.run
