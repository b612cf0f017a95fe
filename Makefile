# The two commands of the workshop:  make lab   and   make test
# Each sets up what it needs first (tools/setup.sh).

SHELL := /bin/bash
ifeq ($(wildcard .venv/bin/python),)
  ifneq ($(CONDA_PREFIX),)
    PY := $(CONDA_PREFIX)/bin/python
  else
    PY := .venv/bin/python
  endif
else
  PY := .venv/bin/python
endif

# make lab PORT=8899: serve on that port (default: 8888, or the next free one)
PORT ?=

.PHONY: setup lab test test-package test-notebooks data exercises refresh bench check-browser clean help

help:
	@echo "make lab        set up, then open JupyterLab on the repository, notebook 00 first"
	@echo "                (as root too; prints the URL where there is no browser; make lab PORT=8899)"
	@echo "make test       set up, then run the tests and every notebook (quick mode)"
	@echo "make data       rebuild data/ (byte for byte)"
	@echo "make exercises  regenerate exercises/ from solutions/"
	@echo "make refresh    re-execute notebooks/ and solutions/ at full size (for committing)"
	@echo "make bench      run the benchmark of every level at 1000 and 3000 words"
	@echo "make check-browser  (maintainers) headless chromium opens the lab on notebook 00, saves a screenshot"
	@echo "make clean      remove build products and caches (keeps .venv)"

setup:
	@bash tools/setup.sh

# tools/lab.sh runs the set-up itself; tests/test_lab.py starts the server through the same script
lab:
	@PORT=$(PORT) bash tools/lab.sh

test: setup
	@start=$$(date +%s); \
	TEXTPOST_STRICT=1 TEXTPOST_QUICK=1 TEXTPOST_PROGRESS=0 $(PY) -m pytest -q tests && \
	TEXTPOST_STRICT=1 TEXTPOST_QUICK=1 TEXTPOST_PROGRESS=0 $(PY) -m pytest -q --nbval-lax --nbval-current-env --nbval-cell-timeout=900 \
	    -p no:cacheprovider notebooks solutions && \
	echo "make test: all passed in $$(( $$(date +%s) - start )) s"

data: setup
	$(PY) tools/make_data.py

exercises: setup
	$(PY) tools/make_exercises.py

refresh: setup
	TEXTPOST_STRICT=1 $(PY) tools/run_notebooks.py

bench: setup
	$(PY) -m textpost.bench --levels python,numba,cython,cpp --n 1000,3000

check-browser: setup
	@bash tools/check_browser.sh

clean:
	rm -rf textpost/_build build .pytest_cache textpost/__pycache__ tests/__pycache__ *.egg-info
	find . -name '*.nbi' -o -name '*.nbc' | xargs rm -f
