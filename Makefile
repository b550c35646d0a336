# nnqft: every target creates and uses .venv.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install run test test-slow bench lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,dask,jax]"
	@touch $(STAMP)

install: $(STAMP)

## make run: the flagship analysis (writes results/ and prints a summary). --force removes
## only the files an earlier nnqft run wrote under results/ (its .nnqft-manifest.json); your
## own files and runs there are kept and never overwritten.
run: $(STAMP)
	$(BIN)/nnqft reproduce all --quick --out results --force

## make test: the default selection (everything but the slow statistical tests)
test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
