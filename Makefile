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

# Four workers on two cores: much of the suite waits on processes, sockets, stalls and timers, so the
# extra workers keep both cores busy. Files stay whole on one worker (--dist loadfile): the real model
# loads once, in the worker that gets tests/test_experts_real_model.py. --no-loadscope-reorder keeps the
# collection order, which puts the longest files first (LONGEST_FILES in tests/conftest.py); without it
# pytest-xdist hands out the files with the most tests first, and the long process and stall tests
# (few tests each) came last and ran alone at the end. Each test has its own databases (a fresh
# in-memory SQLite, or a uuid-named PostgreSQL database), files and ports.
#
# Each worker collects every test module, and pytest rewrites a module's asserts (about 8 s of CPU for
# the suite) unless a cached rewrite is beside it: two processes rewrite and cache them first, half the
# modules each, so that the four workers only read them (with PYTHONDONTWRITEBYTECODE unset for that).
pytest: $(STAMP)
	find tests -name 'test_*.py' | sort | awk 'NR % 2 == 0' \
		| env -u PYTHONDONTWRITEBYTECODE xargs $(BIN)/pytest -q --collect-only -p no:cacheprovider >/dev/null & \
	find tests -name 'test_*.py' | sort | awk 'NR % 2 == 1' \
		| env -u PYTHONDONTWRITEBYTECODE xargs $(BIN)/pytest -q --collect-only -p no:cacheprovider >/dev/null; \
	wait
	$(BIN)/pytest -q -n 4 --dist loadfile --no-loadscope-reorder

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
