# custsim: set-up, demo, tests and benchmark.
#   make demo   create .venv (Python >= 3.12, found by scripts/find-python), install, run the default simulation
#   make test   create .venv, install with test extras, run the test suite (slow tests excluded)
#   make test-slow  the slow tests only (full-size findings, million-node networks; about 7 min)
#   make findings  run the named experiments that reproduce published findings (findings/report.md)
# PYTHON=/path/to/python3.12 overrides the interpreter search.

VENV        ?= .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
PYTEST_ARGS ?= -m "not slow" -n 2
ARGS        ?=

.PHONY: demo test test-slow test-all bench findings lint clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@set -e; \
	if [ ! -x "$(PY)" ]; then \
	  base="$${PYTHON:-$$(scripts/find-python)}"; \
	  echo "creating $(VENV) with $$base"; \
	  "$$base" -m venv "$(VENV)"; \
	fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/custsim $(ARGS)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

test-slow: $(STAMP)
	$(PY) -m pytest -m slow -n 2

test-all: $(STAMP)
	$(PY) -m pytest -n 2

findings: $(STAMP)
	$(VENV)/bin/custsim-findings $(ARGS)

bench: $(STAMP)
	$(PY) -m custsim.experiments.benchmark $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check __init__.py sim agents policies experiments tests hydra_plugins
	$(VENV)/bin/ruff format --check __init__.py sim agents policies experiments tests hydra_plugins

clean:
	rm -rf $(VENV) outputs multirun findings .pytest_cache .hypothesis
