"""`/milestone show|describe|link|unlink|after|not-after` through signed requests → Bolt → fake Slack."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.feed.changes import describe, read_change
from bot.models import AuditEntry, Blocker, Milestone, MilestoneDependency, Person, Project
from bot.projects.milestone_details import MAX_LINKS, dumps_links
from tests.conftest import DEMO_NOW
from tests.fakes.driver import SlackDriver

pytestmark = pytest.mark.usefixtures("demo")

WONG = "U06CRWONG"  # leads pcm; in the demo file pcm-3 comes after pcm-2, pcm-4 after pcm-3
AHMED = "U11DEAHME"  # member of pcm, owns pcm-3
BANERJEE = "U02ECBANE"  # not on pcm (leads bidshade)


def _milestone(session: Session, key: str, number: int) -> Milestone:
    return session.scalars(
        select(Milestone).join(Project).where(Project.key == key, Milestone.number == number)
    ).one()


def _audits(session_factory: sessionmaker[Session], action: str) -> list[dict[str, object]]:
    with session_factory() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == action))
        return [json.loads(row.detail) for row in rows]


def _after(session_factory: sessionmaker[Session]) -> set[tuple[int, int]]:
    with session_factory() as session:
        return {(d.milestone_id, d.depends_on_id) for d in session.scalars(select(MilestoneDependency))}


# -- describe ----------------------------------------------------------------------------------------


def test_describe_sets_the_description_escaped_and_audited(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    reply = slack.command(AHMED, "/milestone describe pcm-3 Run it <!channel> & check").reply_text

    assert "Described `pcm-3`" in reply
    with session_factory() as session:
        assert _milestone(session, "pcm", 3).description == "Run it <!channel> & check"
    assert _audits(session_factory, "describe") == [{"cleared": False, "ref": "pcm-3"}]
    shown = slack.command(BANERJEE, "/milestone show pcm-3").reply_text
    assert "Run it &lt;!channel&gt; &amp; check" in shown and "<!channel>" not in shown


def test_describe_without_text_clears_it_and_again_changes_nothing(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    assert "Cleared the description of `pcm-3`" in slack.command(WONG, "/milestone describe pcm-3").reply_text
    again = slack.command(WONG, "/milestone describe pcm-3").reply_text

    assert "already has no description; nothing changed" in again
    assert len(_audits(session_factory, "describe")) == 1
    assert "_No description._" in slack.command(WONG, "/milestone show pcm-3").reply_text


def test_describe_too_long_is_refused(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    reply = slack.command(WONG, "/milestone describe pcm-3 " + "x" * 2001).reply_text

    assert "at most 2,000 fit" in reply
    with session_factory() as session:
        assert _milestone(session, "pcm", 3).description.startswith("Private set intersection")  # type: ignore[union-attr]


def test_describe_by_someone_else_is_refused(slack: SlackDriver) -> None:
    assert "Only the lead of *pcm*" in slack.command(BANERJEE, "/milestone describe pcm-3 mine").reply_text
    assert "Only the lead of *pcm*" in slack.command(AHMED, "/milestone describe pcm-2 mine").reply_text


def test_describe_on_an_archived_project_is_refused(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    assert "Archived" in slack.command(WONG, "/project archive pcm").reply_text

    reply = slack.command(WONG, "/milestone describe pcm-3 new words").reply_text

    assert "is archived, so it is read-only" in reply
    assert _audits(session_factory, "describe") == []


def test_describe_an_unknown_milestone_says_so(slack: SlackDriver) -> None:
    assert "No milestone `pcm-99`" in slack.command(WONG, "/milestone describe pcm-99 words").reply_text
    assert "Usage: `/milestone describe ID" in slack.command(WONG, "/milestone describe").reply_text


# -- link and unlink ---------------------------------------------------------------------------------


def test_link_and_unlink_a_url(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    linked = slack.command(AHMED, "/milestone link pcm-3 https://example.org/spec?a=1&b=2").reply_text

    assert "Linked `pcm-3`" in linked and "https://example.org/spec?a=1&amp;b=2" in linked
    shown = slack.command(WONG, "/milestone show pcm-3").reply_text
    assert "<https://example.org/spec?a=1&amp;b=2|example.org>" in shown
    again = slack.command(AHMED, "/milestone link pcm-3 https://example.org/spec?a=1&b=2").reply_text
    assert "already has that link" in again

    unlinked = slack.command(AHMED, "/milestone unlink pcm-3 <https://eprint.iacr.org/2017/738>").reply_text

    assert "Removed a link from `pcm-3`" in unlinked
    with session_factory() as session:
        assert _milestone(session, "pcm", 3).links == '["https://example.org/spec?a=1&b=2"]'
    assert (
        "already has no such link"
        in slack.command(AHMED, "/milestone unlink pcm-3 https://eprint.iacr.org/2017/738").reply_text
    )
    assert [d["url"] for d in _audits(session_factory, "link")] == ["https://example.org/spec?a=1&b=2"]
    assert len(_audits(session_factory, "unlink")) == 1


def test_link_refuses_a_bad_url_and_too_many(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    assert (
        "is not an http(s) URL" in slack.command(WONG, "/milestone link pcm-3 javascript:alert(1)").reply_text
    )
    assert (
        "Usage: `/milestone link" in slack.command(WONG, "/milestone link pcm-3 https://a.org b").reply_text
    )
    with session_factory.begin() as session:
        _milestone(session, "pcm", 4).links = dumps_links([f"https://e.org/{i}" for i in range(MAX_LINKS)])

    assert "as many as fit" in slack.command(WONG, "/milestone link pcm-4 https://e.org/new").reply_text
    assert _audits(session_factory, "link") == []


# -- after and not-after -----------------------------------------------------------------------------


def test_after_adds_a_dependency_and_not_after_removes_it(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    with session_factory() as session:
        pcm4, bid2 = _milestone(session, "pcm", 4).id, _milestone(session, "bidshade", 2).id

    reply = slack.command(WONG, "/milestone after pcm-4 bidshade-2").reply_text

    assert "`pcm-4`" in reply and "now comes after `bidshade-2`" in reply
    assert (pcm4, bid2) in _after(session_factory)
    assert (
        "already comes after `bidshade-2`"
        in slack.command(WONG, "/milestone after pcm-4 bidshade-2").reply_text
    )
    shown = slack.command(WONG, "/milestone show bidshade-2").reply_text
    assert "*Comes before*" in shown and "`pcm-4`" in shown

    removed = slack.command(WONG, "/milestone not-after pcm-4 bidshade-2").reply_text

    assert "no longer comes after `bidshade-2`" in removed
    assert (pcm4, bid2) not in _after(session_factory)
    again = slack.command(WONG, "/milestone not-after pcm-4 bidshade-2").reply_text
    assert "already does not come after `bidshade-2`" in again
    assert [d["other"] for d in _audits(session_factory, "after")] == ["bidshade-2"]
    assert len(_audits(session_factory, "not_after")) == 1


def test_after_refuses_a_cycle_naming_it(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    before = _after(session_factory)

    reply = slack.command(WONG, "/milestone after pcm-2 pcm-4").reply_text

    assert "would make a cycle, `pcm-2` after `pcm-4` after `pcm-3` after `pcm-2`" in reply
    assert _after(session_factory) == before
    assert "cannot come after itself" in slack.command(WONG, "/milestone after pcm-2 pcm-2").reply_text


def test_after_refuses_what_the_actor_cannot_see_or_change(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    before = _after(session_factory)

    hidden = slack.command(WONG, "/milestone after pcm-4 fairdelivery-1").reply_text
    not_allowed = slack.command(BANERJEE, "/milestone after pcm-4 bidshade-2").reply_text
    unknown = slack.command(WONG, "/milestone after pcm-4 pcm-99").reply_text

    assert "No milestone `fairdelivery-1`" in hidden
    assert "Only the lead of *pcm*" in not_allowed
    assert "No milestone `pcm-99`" in unknown
    assert "Usage: `/milestone after" in slack.command(WONG, "/milestone after pcm-4").reply_text
    assert _after(session_factory) == before


# -- show --------------------------------------------------------------------------------------------


def test_show_a_milestone_in_full(slack: SlackDriver, session_factory: sessionmaker[Session]) -> None:
    with session_factory.begin() as session:
        project = session.scalars(select(Project).where(Project.key == "pcm")).one()
        wong = session.scalars(select(Person).where(Person.slack_id == WONG)).one()
        session.add(
            Blocker(
                project=project,
                number=1,
                text="Clean room <!here> credentials",
                raised_by_id=wong.id,
                raised_at=DEMO_NOW - timedelta(days=5, hours=1),
                milestone_id=_milestone(session, "pcm", 3).id,
            )
        )

    text = slack.command(BANERJEE, "/milestone show pcm-3").reply_text

    assert "`pcm-3` *Prototype PSI-sum over clean-room data*" in text
    assert "Project: *Privacy-preserving conversion measurement* (`pcm`)" in text
    assert "Owner: <@U11DEAHME>" in text and "Status: :spiral_calendar_pad: open" in text
    assert "Private set intersection with a sum over matched conversions" in text
    assert "<https://eprint.iacr.org/2017/738|eprint.iacr.org>" in text
    assert "*Comes after*\n• `pcm-2`" in text and "*Comes before*\n• `pcm-4`" in text
    assert "`pcm-b1` Clean room &lt;!here&gt; credentials (raised 5 days ago by <@U06CRWONG>)" in text
    assert "Times in your time zone" in text


def test_show_an_unknown_or_hidden_milestone_says_so(slack: SlackDriver) -> None:
    assert "No milestone `pcm-99`" in slack.command(WONG, "/milestone show pcm-99").reply_text
    assert "No milestone `fairdelivery-1`" in slack.command(WONG, "/milestone show fairdelivery-1").reply_text
    assert "is not a milestone id" in slack.command(WONG, "/milestone show nonsense").reply_text


# -- the change feed ---------------------------------------------------------------------------------


def _feed_lines(session_factory: sessionmaker[Session]) -> list[str]:
    with session_factory() as session:
        lines = []
        for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
            change = read_change(session, entry)
            if change is not None:
                for line in describe(session, change, ZoneInfo("UTC"), lambda slack_id: slack_id):
                    lines.append("".join(segment.text for segment in line.segments))
        return lines


def test_record_changes_are_told_by_the_feed(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    slack.command(WONG, "/milestone describe pcm-4 new words")
    slack.command(WONG, "/milestone link pcm-4 https://example.org/x")
    slack.command(WONG, "/milestone unlink pcm-4 https://example.org/x")
    slack.command(WONG, "/milestone after pcm-4 bidshade-2")
    slack.command(WONG, "/milestone not-after pcm-4 bidshade-2")
    with session_factory.begin() as session:
        session.add(
            AuditEntry(
                workspace_id=_milestone(session, "pcm", 4).project.workspace_id,
                actor=WONG,
                action="renumber",  # an action this version does not know: no line, not a wrong one
                entity="milestone",
                entity_id=_milestone(session, "pcm", 4).id,
                detail="{}",
                at=DEMO_NOW,
            )
        )

    lines = [line for line in _feed_lines(session_factory) if "pcm-4" in line]

    assert lines == [
        "U06CRWONG updated the description of pcm-4 Noise calibration study for aggregate reports",
        "U06CRWONG linked pcm-4 Noise calibration study for aggregate reports: https://example.org/x",
        "U06CRWONG removed a link from pcm-4 Noise calibration study for aggregate reports: "
        "https://example.org/x",
        "U06CRWONG set pcm-4 Noise calibration study for aggregate reports to come after bidshade-2",
        "U06CRWONG set pcm-4 Noise calibration study for aggregate reports to no longer come after "
        "bidshade-2",
    ]


def test_feed_does_not_name_a_private_projects_milestone(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    assert (
        "now comes after `fairdelivery-1`"
        in slack.command("U0ADMIN", "/milestone after pcm-4 fairdelivery-1").reply_text
    )

    (line,) = [line for line in _feed_lines(session_factory) if "pcm-4" in line]

    assert line.endswith("to come after a milestone of another project") and "fairdelivery" not in line


def test_show_says_overdue_only_of_a_milestone_still_open(slack: SlackDriver) -> None:
    # bidshade-1 (due Wed 18 Nov) is done; pcm-2 (due Thu 19 Nov) is still open on Fri 20 Nov.
    done = slack.command(BANERJEE, "/milestone show bidshade-1").reply_text
    assert "Due: Wed 18 Nov 2026, 17:00 CET\n" in done and "Status: done" in done
    assert "overdue" not in done

    still_open = slack.command(WONG, "/milestone show pcm-2").reply_text
    assert "overdue)" in still_open and ":warning: overdue" in still_open


def test_an_unknown_milestone_of_a_hidden_project_reads_like_one_of_no_project(slack: SlackDriver) -> None:
    # Banerjee is not on the private fairdelivery: its milestone reads exactly like one of a project
    # that does not exist, and neither points her to a list she would be refused.
    hidden = slack.command(BANERJEE, "/milestone show fairdelivery-1").reply_text
    missing = slack.command(BANERJEE, "/milestone show nosuch-1").reply_text

    assert hidden.replace("fairdelivery-1", "X") == missing.replace("nosuch-1", "X")
    assert "that you can see" in hidden and "/milestone list fairdelivery" not in hidden
    # Of a project she can see, the list is where the ids are.
    assert (
        "See the ids with `/milestone list pcm`"
        in slack.command(BANERJEE, "/milestone show pcm-99").reply_text
    )
