"""Richer milestones through signed requests → Bolt → fake Slack: dependencies, descriptions and links
in lists, blockers linked with `--on` and their age, and the note a move adds about dependants."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.models import Blocker, Milestone, MilestoneDependency, Person, Project
from tests.conftest import DEMO_NOW
from tests.fakes.driver import SlackDriver

pytestmark = pytest.mark.usefixtures("demo")

WONG = "U06CRWONG"  # leads pcm; in the demo file pcm-3 comes after pcm-2, pcm-4 after pcm-3
AHMED = "U11DEAHME"  # member of pcm, owns pcm-3
KOVALENKO = "U01MLKOV"  # member of the private fairdelivery project


def test_milestone_list_shows_dependencies_description_and_escaped_links(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    with session_factory.begin() as session:
        milestone = session.scalars(
            select(Milestone).join(Project).where(Project.key == "pcm", Milestone.number == 4)
        ).one()
        milestone.links = '["https://example.org/a?x=1&y=<2>"]'

    text = slack.command(WONG, "/milestone list pcm").reply_text

    assert "`pcm-3` *Prototype PSI-sum over clean-room data*" in text
    assert "after `pcm-2`" in text and "after `pcm-3`" in text
    assert "Private set intersection with a sum over matched conversions" in text
    assert "<https://eprint.iacr.org/2017/738|eprint.iacr.org>" in text
    # Stored links are re-validated when read: one with `<` is not shown at all, never unescaped.
    assert "<2>" not in text


def test_project_status_shows_dependencies_and_blocker_age(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    with session_factory.begin() as session:
        project = session.scalars(select(Project).where(Project.key == "pcm")).one()
        wong = session.scalars(select(Person).where(Person.slack_id == WONG)).one()
        session.add(
            Blocker(
                project=project,
                number=1,
                text="Clean room vendor contract unsigned",
                raised_by_id=wong.id,
                raised_at=DEMO_NOW - timedelta(days=5, hours=1),
            )
        )

    status = slack.command(WONG, "/project status pcm").reply_text

    assert "after `pcm-2`" in status
    assert "raised 5 days ago by" in status
    assert "raised 5 days ago by" in slack.command(WONG, "/blocker list pcm").reply_text


def test_blocker_add_on_links_it_to_a_milestone(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    added = slack.command(AHMED, "/blocker add pcm waiting for clean-room credentials --on 3")

    assert "Blocker `pcm-b1` raised" in added.reply_text
    assert "(holds up `pcm-3`)" in added.reply_text
    with session_factory() as session:
        blocker = session.scalars(select(Blocker)).one()
        milestone = session.get(Milestone, blocker.milestone_id)
        assert blocker.text == "waiting for clean-room credentials"
        assert milestone is not None and milestone.number == 3
    status = slack.command(WONG, "/project status pcm").reply_text
    assert "raised today by" in status and "holds up `pcm-3`" in status


def test_blocker_add_on_an_unknown_milestone_raises_nothing(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    reply = slack.command(AHMED, "/blocker add pcm no credentials --on pcm-99").reply_text

    assert "No milestone `pcm-99`" in reply
    with session_factory() as session:
        assert session.scalars(select(Blocker)).all() == []


def test_moving_a_milestone_past_its_dependants_names_them(slack: SlackDriver) -> None:
    reply = slack.command(WONG, "/milestone move pcm-2 2026-12-10 17:00").reply_text

    assert "Moved `pcm-2`" in reply
    assert "come after `pcm-2` but are now due before it" in reply
    assert "`pcm-3` *Prototype PSI-sum over clean-room data*" in reply
    assert "pcm-4" not in reply  # it comes after pcm-3, and is still due after pcm-2


def test_moving_a_milestone_without_dependants_adds_no_note(slack: SlackDriver) -> None:
    reply = slack.command(WONG, "/milestone move pcm-4 2026-12-22 17:00").reply_text

    assert "Moved `pcm-4`" in reply and "now due before it" not in reply


def _due(session_factory: sessionmaker[Session], number: int) -> object:
    with session_factory() as session:
        return session.scalars(
            select(Milestone.due_at).join(Project).where(Project.key == "pcm", Milestone.number == number)
        ).one()


def test_move_them_too_moves_the_dependants_by_the_same_shift_once(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    pcm2_before, pcm3_before = _due(session_factory, 2), _due(session_factory, 3)
    move = slack.command(WONG, "/milestone move pcm-2 2026-12-10 17:00")
    (offer,) = [b for b in move.buttons() if b["action_id"] == "move_dependants"]
    shift = _due(session_factory, 2) - pcm2_before  # type: ignore[operator]

    moved = slack.click(WONG, offer)
    again = slack.click(WONG, offer)  # a double click: nothing is due before it any more

    assert "Moved `pcm-3` to" in moved.reply_text
    assert _due(session_factory, 3) == pcm3_before + shift  # type: ignore[operator]
    assert "Nothing to move" in again.reply_text
    assert _due(session_factory, 3) == pcm3_before + shift  # type: ignore[operator]


def test_move_them_too_after_another_move_or_by_someone_who_may_not_moves_nothing(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    (offer,) = [
        b
        for b in slack.command(WONG, "/milestone move pcm-2 2026-12-10 17:00").buttons()
        if b["action_id"] == "move_dependants"
    ]
    pcm3 = _due(session_factory, 3)
    outsider = slack.click("U02ECBANE", offer)  # not on pcm (public): may see, may not move
    slack.command(WONG, "/milestone move pcm-2 2026-12-11 17:00")
    stale = slack.click(WONG, offer)
    forged = slack.click(WONG, {**offer, "value": '{"m": 1, "to": "2026-12-10T16:00", "s": 1e30, "d": [1]}'})

    assert "Left `pcm-3` where it is" in outsider.reply_text
    assert "moved again since" in stale.reply_text
    assert "out of date" in forged.reply_text
    assert _due(session_factory, 3) == pcm3


def test_what_a_milestone_depends_on_names_what_it_comes_after_and_its_open_blockers(
    slack: SlackDriver,
) -> None:
    slack.command(AHMED, "/blocker add pcm waiting for clean-room credentials --on 3")
    slack.command(AHMED, "/blocker add pcm vendor invoice unpaid --on 3")
    slack.command(AHMED, "/blocker resolve pcm-b2")

    answer = slack.command(WONG, "/ask what does the PSI prototype depend on?").reply_text

    assert "`pcm-3` Prototype PSI-sum over clean-room data" in answer
    assert "comes after `pcm-2` Legal basis memo for processing conversions (still open)" in answer
    assert "held up by `pcm-b1` waiting for clean-room credentials" in answer
    assert "vendor invoice unpaid" not in answer  # resolved: no longer holds it up


def test_a_dependency_in_a_private_project_is_not_named_to_someone_outside_it(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    # pcm-4 comes after a milestone of the private fairdelivery project as well as after pcm-3.
    with session_factory.begin() as session:

        def milestone(key: str, number: int) -> Milestone:
            return session.scalars(
                select(Milestone).join(Project).where(Project.key == key, Milestone.number == number)
            ).one()

        pcm4, fair1 = milestone("pcm", 4), milestone("fairdelivery", 1)
        session.add(MilestoneDependency(milestone_id=pcm4.id, depends_on_id=fair1.id))

    outsider = slack.command(WONG, "/ask what is pcm-4 waiting on?").reply_text
    member = slack.command(KOVALENKO, "/ask what is pcm-4 waiting on?").reply_text

    assert "comes after `pcm-3`" in outsider
    assert "fairdelivery" not in outsider and "Audit protocol" not in outsider
    assert "Audit protocol approved by ethics board" in member
