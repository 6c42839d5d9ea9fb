"""`/project status` reads its milestones with what they come after and wait on in one statement
(`bot.projects.reports.status_report`); the milestone lists read them with `with_dependencies`. Both
must say the same, for every project of the demo alliance, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from bot.access import Actor
from bot.db import make_session_factory
from bot.models import Project
from bot.projects.reports import status_report, with_dependencies
from tests.conftest import DEMO_NOW


def test_status_shows_what_each_milestone_comes_after_and_waits_on_as_the_lists_do(
    demo_engine: Engine,
) -> None:
    with make_session_factory(demo_engine)() as session:
        projects = list(session.scalars(select(Project).order_by(Project.key)))
        shown_any = []
        for project in projects:
            admin = Actor("U0ADMIN", project.workspace_id, None, is_admin=True, zone=ZoneInfo("UTC"))
            report = status_report(session, admin, project.id, DEMO_NOW)
            shown = [*report.next_milestones, *report.overdue]
            bare = [replace(line, after=(), waiting_on=()) for line in shown]
            assert shown == with_dependencies(session, bare), project.key
            shown_any += shown
    # Not vacuous: the demo's shown milestones come after others and wait on agreements.
    assert any(line.after for line in shown_any)
    assert any(line.waiting_on for line in shown_any)
    assert len(projects) >= 5
