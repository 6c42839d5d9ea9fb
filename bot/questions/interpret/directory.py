"""The names a question can refer to: projects, people, milestones and disciplines the asker may see."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ProjectName:
    """A project the asker may see, as the interpreter needs it."""

    key: str
    name: str
    channel_id: str | None = None
    private: bool = False
    # Slack ids of its lead and of everyone on it: "Ingrid's project" is the one she leads.
    lead_id: str | None = None
    people_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class PersonName:
    """Someone in the directory."""

    slack_id: str
    name: str


@dataclass(frozen=True)
class MilestoneName:
    """A milestone of a project the asker may see."""

    ref: str
    title: str
    project_key: str


@dataclass(frozen=True)
class Directory:
    """The names a question can refer to. Only what the asker may see belongs in here.

    `shared`, when given, is the part of it every asker of the workspace sees (the public projects,
    their milestones, the people): its name index is built once and shared by every view (see
    `bot.questions.interpret.entities.DirectoryIndex`). It takes no part in comparisons.
    """

    projects: tuple[ProjectName, ...] = ()
    people: tuple[PersonName, ...] = ()
    milestones: tuple[MilestoneName, ...] = ()
    disciplines: tuple[str, ...] = ()
    shared: Directory | None = field(default=None, compare=False, repr=False)
