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

.PHONY: book test release benchmark clean

$(BIN)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

book: $(BIN)/.installed
	$(BIN)/jupyter-book build . -W -n --keep-going

test: $(BIN)/.installed
	$(BIN)/python -m pytest -n 2 --dist loadscope --durations=15 $(PYTEST_ARGS)

# Regenerate exercises/ from solutions/ after editing a source notebook.
release: $(BIN)/.installed
	$(BIN)/python -m anncourse.course release

benchmark: $(BIN)/.installed
	$(BIN)/python benchmarks/build_and_grade.py

clean:
	rm -rf _build .jupyter_cache
