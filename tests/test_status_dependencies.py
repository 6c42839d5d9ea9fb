"""`/project status` reads its members, open blockers and milestones with what they come after and wait
on in one statement (`bot.projects.reports.status_report`); the milestone lists read the dependencies
with `with_dependencies`, `/blocker list` the blockers with `open_blockers`. Each must say the same as
the other, for every project of the demo alliance, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH
from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql

from bot.access import Actor
from bot.db import make_session_factory
from bot.models import Blocker, Project
from bot.projects import reports
from bot.projects.reports import open_blockers, status_report, with_dependencies
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


def test_status_shows_the_open_blockers_the_blocker_list_shows(demo_engine: Engine) -> None:
    # `/project status` reads its blockers with the project and its members in one statement
    # (`_status_statement`); they must be the project's `/blocker list`.
    with make_session_factory(demo_engine)() as session:
        projects = list(session.scalars(select(Project).order_by(Project.key)))
        # Open blockers raised by a member (one holding up a milestone), one by nobody known, and a
        # resolved one, which no list shows.
        project = next(p for p in projects if p.memberships and p.milestones)
        raiser = project.memberships[0].person_id
        milestone = project.milestones[0].id
        session.add_all(
            [
                Blocker(
                    project_id=project.id,
                    number=91,
                    text="Waiting on data access",
                    raised_by_id=raiser,
                    raised_at=DEMO_NOW,
                    milestone_id=milestone,
                ),
                Blocker(project_id=project.id, number=92, text="No budget yet", raised_at=DEMO_NOW),
                Blocker(
                    project_id=project.id,
                    number=93,
                    text="Sorted",
                    raised_by_id=raiser,
                    raised_at=DEMO_NOW,
                    resolved_at=DEMO_NOW,
                ),
            ]
        )
        session.flush()
        shown = 0
        for project in projects:
            admin = Actor("U0ADMIN", project.workspace_id, None, is_admin=True, zone=ZoneInfo("UTC"))
            report = status_report(session, admin, project.id, DEMO_NOW)
            assert list(report.open_blockers) == open_blockers(session, admin, project.id), project.key
            members = {m.person.slack_id for m in report.members}
            assert members == {m.person.slack_id for m in project.memberships}, project.key
            shown += len(report.open_blockers)
    assert shown >= 2  # not vacuous: the demo has open blockers


def test_the_status_statement_is_short_enough_for_psycopg_to_cache_its_parsing() -> None:
    # psycopg parses a query's placeholders on every execution when it is longer than this (its cache
    # leaves out ORM-sized queries): about 0.1 ms of CPU on every `/project status`. Columns added to
    # the statement should keep it under, or the status read split.
    sql = str(reports._status_statement().compile(dialect=postgresql.psycopg.dialect()))
    assert len(sql) <= MAX_CACHED_STATEMENT_LENGTH
