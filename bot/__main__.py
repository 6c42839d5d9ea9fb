"""`python -m bot` runs the `liaison` command line."""

from __future__ import annotations

from bot.cli.main import run

if __name__ == "__main__":
    run()
