# Every target creates .venv itself; only Python 3.11+ is needed on the machine.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

BENCH_VENV := .venv-bench

.PHONY: test reliability lint demo bench bench-smoke clean

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
# (make test runs fewer of both, within the suite's time budget).
reliability: $(VENV)/.stamp-test
	SYNCD_RELIABILITY=full $(PY) -m pytest tests/reliability -m slow
	SYNCD_RELIABILITY=full $(PY) -m pytest tests/e2e/test_hostile_corpus.py -k "beside_an_interview and xandikos"

lint: $(VENV)/.stamp-test
	$(VENV)/bin/ruff check syncd providers tests bench
	$(VENV)/bin/ruff format --check syncd providers tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

demo: $(VENV)/.stamp-demo
	$(VENV)/bin/syncd demo

# vdirsyncer, the comparison of figure 2 and 6, lives in a venv of its own.
$(BENCH_VENV)/.stamp:
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet 'vdirsyncer>=0.19'
	touch $@

# Every figure of bench/RESULTS.md (about 35 min); BENCH_FLAGS=--quick for fewer runs,
# --with-others for the read and hostile-text benchmarks too.
bench: $(VENV)/.stamp-test $(BENCH_VENV)/.stamp
	$(PY) bench/run.py $(BENCH_FLAGS)

# Every bench script once on its smallest set, writing nothing (make test runs it too).
bench-smoke: $(VENV)/.stamp-test
	$(PY) bench/run.py --smoke

clean:
	rm -rf $(VENV) $(BENCH_VENV) build *.egg-info
