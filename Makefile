# Two commands on a fresh machine: `make site` (build and serve the example site) and
# `make test` (install everything the tests need, then lint, type-check and run the suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OB2_VENV := .venv-ob2
PORT ?= 8000

.PHONY: site test build check lint golden bench stress schemas clean constraints

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

$(OB2_VENV)/.installed: tests/ob2validator/install.sh tests/ob2validator/requirements.txt tests/ob2validator/overrides.txt
	sh tests/ob2validator/install.sh $(OB2_VENV)
	touch $@

tests/node/node_modules/.installed: tests/node/package.json tests/node/package-lock.json
	cd tests/node && npm ci --no-audit --no-fund --loglevel=error
	touch $@

site: $(VENV)/.installed
	$(BIN)/badgepages serve --port $(PORT)

build: $(VENV)/.installed
	$(BIN)/badgepages build

check: $(VENV)/.installed
	$(BIN)/badgepages check

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: $(VENV)/.installed $(OB2_VENV)/.installed tests/node/node_modules/.installed js/node_modules/.installed browser-deps lint
	$(BIN)/pytest

golden: $(VENV)/.installed
	$(BIN)/pytest tests/test_golden.py --update-golden

schemas: $(VENV)/.installed
	$(BIN)/badgepages schemas

# make bench AWARDS=1000,10000,100000 (each size in a synthetic project made from a seed)
AWARDS ?= 1000,10000
bench: $(VENV)/.installed
	$(BIN)/python bench/bench_build.py --awards $(AWARDS)
	$(BIN)/python bench/bench_reader.py

# Long fault runs, not part of `make test`: hundreds of SIGKILLs against award --csv, erase
# and build --update-ledger, and racing awards; each outcome must be all or nothing.
stress: $(VENV)/.installed
	$(BIN)/python -m tests.stress.kill_edits

# Refresh constraints.txt: resolve pyproject.toml afresh in a throw-away venv and pin what it
# installed, by version only (a pin to a file or URL cannot install on another machine).
constraints:
	rm -rf .venv-constraints && $(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/python -m pip install --quiet --upgrade pip
	.venv-constraints/bin/python -m pip install --quiet '.[test]'
	{ echo "# Versions CI installs (pip install -c constraints.txt). Refresh with: make constraints"; \
	  .venv-constraints/bin/python -m pip freeze --all --exclude-editable \
	  | grep -v -E '^(badgepages|pip|setuptools|wheel)( |=)'; } > constraints.txt.new
	! grep -n ' @ ' constraints.txt.new || { echo "a pin names a file or URL"; exit 1; }
	mv constraints.txt.new constraints.txt && rm -rf .venv-constraints

clean:
	rm -rf $(VENV) $(OB2_VENV) _site tests/node/node_modules js/node_modules

# -- browser checks (issue 5) ------------------------------------------------------------------
# The browser tests drive Debian's chromium with Playwright for Python; no browser is ever
# downloaded (`playwright install` is never run). CI machines run as root.
.PHONY: browser-deps js

# BADGEPAGES_CHROMIUM names another Chromium-based browser (e.g. Chrome on GitHub's runners).
browser-deps:
	test -x "$${BADGEPAGES_CHROMIUM:-/usr/bin/chromium}" || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

js/node_modules/.installed: js/package.json js/package-lock.json
	cd js && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Rebuild theme/static/jsonld-canonize.mjs and qr-encode.mjs (+ their licences) from js/;
# commit the result.
js: js/node_modules/.installed
	node js/build.mjs
