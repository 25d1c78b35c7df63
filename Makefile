# Every target creates .venv itself; only Python 3.11+ is needed on the machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: test reliability lint demo bench clean

$(VENV)/.stamp-base:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "syncd needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.stamp-demo: pyproject.toml $(VENV)/.stamp-base
	$(PY) -m pip install --quiet -e '.[demo]'
	touch $@

$(VENV)/.stamp-test: pyproject.toml $(VENV)/.stamp-base
	$(PY) -m pip install --quiet -e '.[test,demo]'
	touch $@

test: $(VENV)/.stamp-test
	$(VENV)/bin/lint-imports --no-cache
	$(PY) -m pytest

# The reliability suite at full size: 200 faulted passes and 100 kills on every backend
# (make test runs them on Radicale, and fewer faulted passes on the others).
reliability: $(VENV)/.stamp-test
	SYNCD_RELIABILITY=full $(PY) -m pytest tests/reliability -m slow

lint: $(VENV)/.stamp-test
	$(VENV)/bin/ruff check syncd providers tests bench
	$(VENV)/bin/ruff format --check syncd providers tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

demo: $(VENV)/.stamp-demo
	$(VENV)/bin/syncd demo

bench: $(VENV)/.stamp-test
	$(PY) bench/dav_read.py

clean:
	rm -rf $(VENV) build *.egg-info
