# Rocket: `make run` and `make test` work on a fresh machine with only Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint typecheck contracts tests clean

# Runtime install (the package only); re-done when pyproject.toml changes.
$(VENV)/.run-installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

# Development install (package + dev extras).
$(VENV)/.dev-installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.run-installed

## run: migrate the embedded default database (rocket.db, or ROCKET_DATABASE_URL), load the
## demo school unless it is already there, print its summary and the demo login, then serve
## the staff API on http://127.0.0.1:8000 (OpenAPI at /schema; Ctrl-C stops it)
run: $(VENV)/.run-installed
	$(BIN)/rocket demo
	$(BIN)/rocket serve --host 127.0.0.1 --port 8000

## test: lint, format check, type checks, import contracts and the whole test suite
test: lint typecheck contracts tests

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

contracts: $(VENV)/.dev-installed
	$(BIN)/lint-imports

# pytest exits 5 when it collected no test: that is a failure here, like any non-zero code.
tests: $(VENV)/.dev-installed
	$(BIN)/python -m pytest; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing" >&2; fi; \
	exit $$status

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis .import_linter_cache

## bench: every benchmark of bench/ (each module with a BENCHMARK: today the nightly job and
## term invoicing) in one go against Postgres (ROCKET_BENCH_DATABASE_URL, default the local
## server's `test` database as postgres; fresh databases are created and dropped), sized to
## fit in 10 minutes: one table of what, our time, the baseline's, the ratio and the target
## (`python -m bench --list` shows the benchmarks and their sizes; exit 1 when a target is missed)
.PHONY: bench
bench: $(VENV)/.dev-installed
	$(BIN)/python -m bench
