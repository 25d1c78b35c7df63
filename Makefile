# Every target creates .venv itself; only Python 3.11+ is needed on the machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: test lint demo bench clean

$(VENV)/.stamp-test: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "syncd needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,demo]'
	touch $@

test: $(VENV)/.stamp-test
	$(PY) -m pytest

lint: $(VENV)/.stamp-test
	$(VENV)/bin/ruff check syncd providers tests
	$(VENV)/bin/ruff format --check syncd providers tests
	$(VENV)/bin/mypy

demo: $(VENV)/.stamp-test
	$(VENV)/bin/syncd demo

bench: $(VENV)/.stamp-test
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info
