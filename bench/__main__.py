"""`python -m bench [NAME ...]` (or `make bench`): run the benchmarks, each of which updates its section
of docs/benchmarks.md. Names: reminders, experts, questions, command-cpu, load (default: all, in that
order)."""

from __future__ import annotations

import runpy
import sys

BENCHMARKS = ("reminders", "experts", "questions", "command-cpu", "load")


def main() -> None:
    names = sys.argv[1:] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        sys.exit(f"Unknown benchmark(s): {', '.join(unknown)}. Choose from: {', '.join(BENCHMARKS)}.")
    for name in names:
        print(f"== bench.{name}", flush=True)
        # Each module parses its own arguments; run it as if invoked with none.
        sys.argv = [f"bench.{name}"]
        runpy.run_module(f"bench.{name.replace('-', '_')}", run_name="__main__")


if __name__ == "__main__":
    main()
