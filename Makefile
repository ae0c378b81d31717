# Two commands on a fresh machine (see README.md):
#   make book   set up .venv and build the book into _build/html
#   make test   set up .venv and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Quiet TensorFlow: its start-up messages on stderr would fail a warnings-as-errors build.
export TF_CPP_MIN_LOG_LEVEL := 3
export TF_ENABLE_ONEDNN_OPTS := 0
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: book test release benchmark clean system-packages

# Debian packages the tests need: bubblewrap (the grading sandbox), PostgreSQL (the server
# gradebook) and chromium (the browser tests of the site, driven by Playwright through its path).
# Installed when missing; without root, the command says what to install.
system-packages:
	@if command -v bwrap >/dev/null && command -v chromium >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap postgresql chromium >/dev/null; \
	else \
	  echo "make test needs Debian's bubblewrap, postgresql and chromium: sudo apt-get install bubblewrap postgresql chromium" >&2; exit 1; \
	fi

$(BIN)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# The chapters that changed execute in parallel (one kernel per core), then Jupyter Book renders.
book: $(BIN)/.installed
	$(BIN)/python -m anncourse.book

# The Python packages and the Debian ones install side by side (both mostly wait on downloads).
test:
	@$(MAKE) --no-print-directory -j2 $(BIN)/.installed system-packages
	$(BIN)/python -m pytest -n 2 --dist loadscope --no-loadscope-reorder --durations=15 $(PYTEST_ARGS)

# Regenerate exercises/ from solutions/ after editing a source notebook.
release: $(BIN)/.installed
	$(BIN)/python -m anncourse.course release

benchmark: $(BIN)/.installed
	$(BIN)/python benchmarks/build_and_grade.py

clean:
	rm -rf _build .jupyter_cache
