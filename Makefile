# The two commands of the README: `make demo` and `make test`. Each sets up .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest serve bench clean

# torch is installed first and pinned: 2.13.0 is the CPU wheel available offline on these machines;
# letting a resolver choose pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/liaison demo

serve: $(STAMP)
	$(BIN)/liaison serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Three workers on two cores: a third of the suite waits on processes, sockets and timers, so a third
# worker keeps both cores busy (measured: 6m19s serial, 3m39s with -n 2, about 3m with -n 3). Files stay
# whole on one worker (--dist loadfile): the real model loads once, in the worker that gets
# tests/test_experts_real_model.py. Each test has its own databases (a fresh in-memory SQLite, or a
# uuid-named PostgreSQL database), files and ports.
pytest: $(STAMP)
	$(BIN)/pytest -q -n 4 --dist loadfile

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
