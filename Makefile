# critmin: `make demo` and `make test` do all set-up on a fresh Debian machine with python3 + pip.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | $(PYTHON) -c "import hashlib,sys;print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:12])")
SHARED ?= $(wildcard ../shared/data)
OUT    ?= out
# The store goes where every critmin command looks by default (CRITMIN_STORE if set, else
# the user data directory), so the README's commands work after `make demo` with nothing set.

.PHONY: demo test venv store snapshot bench clean browser

$(STAMP):
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); \
	  else echo "python3 -m venv failed: install python3-venv"; exit 1; fi; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-* && touch $@

venv: $(STAMP)

# Build the store from the bundled snapshot (no ../shared needed), then run the main job.
demo: $(STAMP)
	@mkdir -p $(OUT)
	$(VENV)/bin/critmin data build
	$(VENV)/bin/critmin demo --out $(OUT)
	@echo "Next: . $(VENV)/bin/activate && critmin production gallium --year 2024 (or critmin serve)"

test: $(STAMP) browser
	$(PY) -m pytest -n 2 -q

# Debian's chromium for the browser tests (tests/web), which Playwright drives; Playwright's
# own browser download needs a host CI cannot reach. Installed only when missing and root;
# without it the browser tests skip and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends chromium >/dev/null || echo "chromium could not be installed: browser tests will skip"; \
	  else echo "chromium is missing and this is not root: browser tests will skip"; fi; }

# Rebuild the store from raw release files and refresh the bundled snapshot.
snapshot: $(STAMP)
	@test -n "$(SHARED)" || { echo "../shared/data is needed to rebuild the snapshot"; exit 2; }
	@mkdir -p $(OUT)
	$(VENV)/bin/critmin data build --source-dir $(SHARED)
	$(VENV)/bin/critmin data snapshot

bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[test,bench]"
	for b in benchmarks/bench_*.py benchmarks/ge_vs_gegravity.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
