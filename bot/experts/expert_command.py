"""`/expert` command lines: help, a need in plain words, or a project (with or without its disciplines)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# `/expert project KEY all-disciplines`: include the disciplines already on the project.
ALL_DISCIPLINES = "all-disciplines"
HELP_WORDS = frozenset({"", "help", "-h", "--help", "?"})


class ExpertMode(StrEnum):
    """What `/expert` was asked to do."""

    HELP = "help"
    TEXT = "text"
    PROJECT = "project"


@dataclass(frozen=True)
class ExpertCommand:
    """A parsed `/expert` line.

    Attributes:
        mode: Help, free text or project.
        query: The free text, or the project's key or name.
        all_disciplines: For a project: include the disciplines already on it.
    """

    mode: ExpertMode
    query: str = ""
    all_disciplines: bool = False

    @property
    def text(self) -> str:
        """The command text that means this again (for "did you mean" buttons)."""
        if self.mode is ExpertMode.PROJECT:
            return f"project {self.query}" + (f" {ALL_DISCIPLINES}" if self.all_disciplines else "")
        return self.query


# Words people put before a need out of habit with other bots: not part of it.
_ASKING_WORDS = frozenset({"find", "search", "for", "about", "on", "lookup", "look-up"})


def parse_expert_command(text: str) -> ExpertCommand:
    """Read what follows `/expert`.

    Syntax: ``TEXT`` (a need in plain words); ``project KEY`` (or the project's name, as in
    ``/project status``); ``project KEY all-disciplines`` (also suggest people from disciplines the
    project already has); ``help`` or nothing (usage).

    Args:
        text: The command's text.

    Returns:
        The parsed command.
    """
    words = " ".join(text.split())
    if words.lower() in HELP_WORDS:
        return ExpertCommand(ExpertMode.HELP)
    first, _, rest = words.partition(" ")
    if first.lower() in _ASKING_WORDS and rest:
        # "/expert find kafka", "/expert search consent law": the need is what follows.
        return parse_expert_command(rest)
    if first.lower() != "project":
        return ExpertCommand(ExpertMode.TEXT, words)
    all_disciplines = False
    head, _, last = rest.rpartition(" ")
    if last.lower() == ALL_DISCIPLINES:
        rest, all_disciplines = head, True
    elif rest.lower() == ALL_DISCIPLINES:
        rest, all_disciplines = "", True
    return ExpertCommand(ExpertMode.PROJECT, rest.strip(), all_disciplines)
