# Two entry points for a fresh clone (see README "Set up"):
#   make site   install the package and build the bundled reading list into site/
#   make test   install the package with its test tools and run the whole test suite
# Browser tests need Debian's chromium (/usr/bin/chromium) and the HTML checker needs Java:
#   sudo apt-get install chromium default-jre-headless   (.ci/run does this in CI)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: site test serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

site: $(VENV)/.installed
	$(BIN)/readinglist build

test: $(VENV)/.installed-test node_modules/.installed
	$(BIN)/python -m pytest

serve: $(VENV)/.installed
	$(BIN)/readinglist serve

clean:
	rm -rf site $(VENV) node_modules
