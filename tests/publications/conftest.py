"""Shared helpers of the `/paper` tests: the demo alliance, a review window of the tester's choosing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.agreements.tables import Agreement, AgreementProject
from bot.models import Milestone, Project, ReminderDelivery
from bot.publications.tables import Paper, PaperMilestone, Venue
from bot.slack import ids
from tests.fakes.driver import Exchange, SlackDriver, opened_view

MUELLER = "U04CPMUEL"  # leads fatigue (Europe/Berlin)
OSEI = "U01MLOSEI"  # member of fatigue (Europe/London)
BELL = "U14CRBELL"  # member of fatigue (America/New_York)
STEIN = "U12ETSTEI"  # leads the private project fairdelivery
KOVALENKO = "U01MLKOV"  # member of fairdelivery
BANERJEE = "U02ECBANE"  # leads bidshade; on neither fatigue nor fairdelivery
ADMIN = "U0ADMIN"  # in LIAISON_ADMINS, not in the directory
OUTSIDER = "U9NOBODY"  # never seen by Liaison


def set_window(session_factory: sessionmaker[Session], project_key: str, days: int | None) -> None:
    """Make `days` the only pre-publication review window of the project's agreements (None: no window)."""
    with session_factory.begin() as session:
        project = session.scalars(select(Project).where(Project.key == project_key)).one()
        session.execute(delete(AgreementProject).where(AgreementProject.project_id == project.id))
        if days is None:
            return
        now = datetime(2026, 11, 1, tzinfo=UTC)
        agreement = Agreement(
            workspace_id=project.workspace_id,
            key=f"t-{project_key}-{days}",
            kind="research",
            title="Test research agreement",
            parties="[]",
            data_restricted_to="[]",
            status="signed",
            status_since=date(2026, 11, 1),
            publication_review_days=days,
            created_at=now,
            updated_at=now,
        )
        session.add(agreement)
        session.flush()
        session.add(AgreementProject(agreement_id=agreement.id, project_id=project.id))


def form_values(
    *,
    project: str | None,
    title: str,
    people: list[str] = (),  # type: ignore[assignment]
    external: str | None = None,
    venue: str | None = None,
    status: str = "idea",
    links: str | None = None,
) -> dict[str, dict[str, dict[str, Any]]]:
    """The add form's `state.values` as Slack sends them."""

    def one(block: str, state: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {block: state}

    values = {
        ids.PAPER_PROJECT_INPUT: one(
            ids.PAPER_PROJECT_INPUT,
            {"type": "static_select", "selected_option": {"value": project} if project else None},
        ),
        ids.PAPER_TITLE_INPUT: one(ids.PAPER_TITLE_INPUT, {"type": "plain_text_input", "value": title}),
        ids.PAPER_PEOPLE_INPUT: one(
            ids.PAPER_PEOPLE_INPUT, {"type": "multi_users_select", "selected_users": list(people)}
        ),
        ids.PAPER_EXTERNAL_INPUT: one(
            ids.PAPER_EXTERNAL_INPUT, {"type": "plain_text_input", "value": external}
        ),
        ids.PAPER_VENUE_INPUT: one(
            ids.PAPER_VENUE_INPUT,
            {"type": "static_select", "selected_option": {"value": venue} if venue else None},
        ),
        ids.PAPER_STATUS_INPUT: one(
            ids.PAPER_STATUS_INPUT, {"type": "static_select", "selected_option": {"value": status}}
        ),
        ids.PAPER_LINKS_INPUT: one(ids.PAPER_LINKS_INPUT, {"type": "plain_text_input", "value": links}),
    }
    return values


@pytest.fixture
def no_demo_papers(demo: None, session_factory: sessionmaker[Session]) -> None:
    """The demo alliance without its venues and papers (nor their planned milestones), so that tests
    start from known numbers (`fatigue-p1` is the first paper a test adds)."""
    with session_factory.begin() as session:
        planned = list(session.scalars(select(PaperMilestone.milestone_id)))
        session.execute(delete(Paper))
        session.execute(delete(Venue))
        session.execute(delete(ReminderDelivery).where(ReminderDelivery.milestone_id.in_(planned)))
        session.execute(
            delete(Milestone).where(Milestone.id.in_(planned)).execution_options(synchronize_session=False)
        )


AddPaper = Callable[..., Exchange]


@pytest.fixture
def add_paper(slack: SlackDriver) -> AddPaper:
    """Open `/paper add PROJECT` as `user` and submit the form with the given fields."""

    def add(user: str, project: str, **fields: Any) -> Exchange:
        view = opened_view(slack.command(user, f"/paper add {project}"))
        return slack.submit(user, view, form_values(project=project, **fields))

    return add


def plan_of(session_factory: sessionmaker[Session], ref: str) -> dict[str, Milestone]:
    """The milestones planned for a paper (`fatigue-p1`), by step, detached for reading."""
    key, _, number = ref.partition("-p")
    with session_factory() as session:
        paper = session.scalars(
            select(Paper).join(Project).where(Project.key == key, Paper.number == int(number))
        ).one()
        links = session.scalars(select(PaperMilestone).where(PaperMilestone.paper_id == paper.id)).all()
        found = {}
        for link in links:
            milestone = link.milestone
            assert milestone is not None
            _ = milestone.owner, milestone.project
            found[link.step] = milestone
        session.expunge_all()
        return found
