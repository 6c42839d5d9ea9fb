"""What a person's App Home shows: their projects, their next milestones, and what is overdue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.access import Actor
from bot.projects.milestones import NEXT_WINDOW, overdue
from bot.projects.project import list_projects
from bot.projects.reports import MilestoneLine, ProjectLine, upcoming_milestones


@dataclass(frozen=True)
class HomeReport:
    """A snapshot for one viewer."""

    known: bool
    projects: tuple[ProjectLine, ...]
    next_milestones: tuple[MilestoneLine, ...]
    overdue: tuple[MilestoneLine, ...]


def home_report(session: Session, actor: Actor, now: datetime) -> HomeReport:
    """Build the viewer's App Home report.

    Overdue shows the viewer's own overdue milestones plus those of projects they lead, since
    leads chase them.
    """
    if actor.person_id is None:
        return HomeReport(False, (), (), ())
    projects = list_projects(session, actor, mine=True)
    led = {line.key for line in projects if line.lead is not None and line.lead.slack_id == actor.slack_id}
    late = [
        m
        for m in overdue(session, actor, now)
        if (m.owner is not None and m.owner.slack_id == actor.slack_id) or m.project_key in led
    ]
    upcoming = upcoming_milestones(session, actor, now, now + NEXT_WINDOW)
    return HomeReport(True, tuple(projects), tuple(upcoming), tuple(late))
