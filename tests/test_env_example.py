"""`.env.example` lists every variable the code reads, and the manifest matches the defaults."""

from __future__ import annotations

import re
from pathlib import Path

from bot.commands import COMMANDS

REPO = Path(__file__).resolve().parent.parent


def _documented() -> set[str]:
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))


def test_every_setting_read_by_the_code_is_in_env_example() -> None:
    read: set[str] = set()
    for path in [*REPO.joinpath("bot").rglob("*.py"), *REPO.joinpath("jobs").rglob("*.py")]:
        source = path.read_text(encoding="utf-8")
        read |= set(
            re.findall(r"""get\(\s*["']((?:SLACK|LIAISON|DATABASE|EMBEDDING|LOG)_?[A-Z0-9_]*)["']""", source)
        )
        read |= set(
            re.findall(
                r"""environ(?:\.get)?[\[(]\s*["']((?:SLACK|LIAISON|DATABASE|EMBEDDING|LOG)_?[A-Z0-9_]*)["']""",
                source,
            )
        )
    assert read, "the scan found no settings at all"
    assert read - _documented() == set()


def test_env_example_has_a_comment_for_every_variable() -> None:
    lines = (REPO / ".env.example").read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]+=", line):
            previous = lines[index - 1]
            assert previous.startswith("#") or re.match(r"^[A-Z][A-Z0-9_]+=", previous), line


def test_every_declared_command_setting_is_in_env_example() -> None:
    # Command settings are derived from the catalogue (bot.commands), so the scan above cannot see them.
    assert {command.setting for command in COMMANDS} - _documented() == set()
