# Each target sets itself up: it creates .venv and installs clustersim on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## run: the main job — the policy comparison (6 scenarios x 20 replications) and its report
run: $(STAMP)
	$(BIN)/clustersim compare experiments/policy_comparison.toml

## test: the whole test suite, lint included
test: $(STAMP)
	$(BIN)/ruff check clustersim tests benchmarks
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check clustersim tests benchmarks
