"""/profile link|unlink orcid and the Hide/Show buttons, through signed requests → Bolt → fake Slack,
with ORCID and OpenAlex served by the fake scholarly API over real HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.console.fake_scholarly import FakeScholarlyApi
from bot.experts.profile_items import read_profiles
from bot.experts.profile_version import profiles_version
from bot.experts.sources.tables import ProfileSourceLink, SourceWork
from bot.models import AuditEntry, ExpertVisibility, Person, Workspace
from bot.slack import ids
from tests.fakes.driver import SlackDriver, buttons_of, message_text
from tests.profile_sources.conftest import CONTACT

pytestmark = pytest.mark.usefixtures("demo")

BANERJEE = "U02ECBANE"  # Prof. Ingrid Banerjee (the demo file links Prof. Yuki Harada already)
OSEI = "U01MLOSEI"
ADMIN = "U0ADMIN"
ORCID_ID = "0000-0002-1825-0097"  # served by the fake (demo_researcher)
NEW_PAPER = "Contrastive pre-training of advertiser embeddings for cold-start campaigns"
OPENALEX_ONLY = "Calibrated uncertainty for sparse embedding models in real-time bidding"


def _works(session_factory: sessionmaker[Session], slack_id: str = BANERJEE) -> list[SourceWork]:
    with session_factory() as session:
        person_id = session.scalars(select(Person.id).where(Person.slack_id == slack_id)).one()
        return list(session.scalars(select(SourceWork).where(SourceWork.person_id == person_id)))


def _version(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return profiles_version(session, session.scalars(select(Workspace.id)).one())


def _items(session_factory: sessionmaker[Session], slack_id: str = BANERJEE) -> list[str]:
    with session_factory() as session:
        workspace_id = session.scalars(select(Workspace.id)).one()
        rows = read_profiles(session, workspace_id)
    return [item.text for row in rows if row.slack_id == slack_id for item in row.items]


def test_link_orcid_fetches_works_with_abstracts_and_marks_the_profile_changed(
    slack: SlackDriver, session_factory: sessionmaker[Session], scholarly: FakeScholarlyApi
) -> None:
    before = _version(session_factory)
    exchange = slack.command(BANERJEE, f"/profile link orcid https://orcid.org/{ORCID_ID}")
    text = exchange.reply_text
    assert "Linked your ORCID record" in text and ORCID_ID in text
    assert "4 works (4 new)" in text
    assert NEW_PAPER in text and OPENALEX_ONLY in text  # ORCID's works plus OpenAlex's extra one
    hide = [b for b in exchange.buttons() if b["action_id"] == ids.PROFILE_WORK_HIDE_ACTION]
    assert len(hide) == 4
    works = _works(session_factory)
    assert {w.doi for w in works} == {
        f"10.5555/liaison.demo.{y}.{n}" for y, n in ((2026, 1), (2025, 2), (2024, 3), (2023, 4))
    }
    # OpenAlex's inverted index rebuilt into the abstract of ORCID's work of the same DOI.
    contrastive = next(w for w in works if w.title == NEW_PAPER)
    assert contrastive.abstract is not None and contrastive.abstract.startswith("We pre-train advertiser")
    assert _version(session_factory) > before  # the expert index re-embeds within a minute
    items = _items(session_factory)
    assert any(text.startswith(NEW_PAPER) and "co-bidding graphs" in text for text in items)
    # The polite User-Agent names the contact address, on every request.
    agents = {r.headers.get("User-Agent") for r in scholarly.requests}
    assert agents == {f"Liaison/1.0 (expert profiles; mailto:{CONTACT})"}
    with session_factory() as session:
        link = session.scalars(select(ProfileSourceLink).where(ProfileSourceLink.linked_by == BANERJEE)).one()
        assert (link.external_id, link.linked_by, link.last_error) == (ORCID_ID, BANERJEE, None)
        assert session.scalars(select(AuditEntry).where(AuditEntry.action == "link_profile_source")).one()


def test_link_with_a_mistyped_orcid_is_refused_before_any_request(
    slack: SlackDriver, session_factory: sessionmaker[Session], scholarly: FakeScholarlyApi
) -> None:
    wrong_check = slack.command(BANERJEE, "/profile link orcid 0000-0002-1825-0098")
    assert "not a valid ORCID iD" in wrong_check.reply_text
    malformed = slack.command(BANERJEE, "/profile link orcid 1234")
    assert "is not an ORCID iD" in malformed.reply_text
    missing = slack.command(BANERJEE, "/profile link orcid")
    assert "/profile link orcid 0000-0002-1825-0097" in missing.reply_text
    unknown_source = slack.command(BANERJEE, "/profile link scopus 123")
    assert "Link what?" in unknown_source.reply_text
    assert scholarly.requests == []
    assert _works(session_factory) == []


def test_only_the_person_or_an_admin_links_someone_else(
    slack: SlackDriver, session_factory: sessionmaker[Session], scholarly: FakeScholarlyApi
) -> None:
    refused = slack.command(OSEI, f"/profile link orcid {ORCID_ID} <@{BANERJEE}|ingrid>")
    assert "Only the person themself or a Liaison admin" in refused.reply_text
    assert scholarly.requests == [] and _works(session_factory) == []
    done = slack.command(ADMIN, f"/profile link orcid {ORCID_ID} <@{BANERJEE}|ingrid>")
    assert "Linked Prof. Ingrid Banerjee's ORCID record" in done.reply_text
    assert len(_works(session_factory)) == 4
    not_theirs = slack.command(OSEI, f"/profile unlink orcid <@{BANERJEE}|ingrid>")
    assert "Only the person themself or a Liaison admin" in not_theirs.reply_text
    assert len(_works(session_factory)) == 4


def test_unknown_orcid_record_is_reported_and_nothing_is_linked(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    exchange = slack.command(BANERJEE, "/profile link orcid 0000-0003-1415-9269")  # valid, not served
    assert "Could not read the ORCID record" in exchange.reply_text
    assert "has no public record" in exchange.reply_text
    with session_factory() as session:
        person_id = session.scalars(select(Person.id).where(Person.slack_id == BANERJEE)).one()
        assert (
            session.scalars(select(ProfileSourceLink).where(ProfileSourceLink.person_id == person_id)).all()
            == []
        )


def test_unlink_removes_the_link_and_its_works(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    slack.command(BANERJEE, f"/profile link orcid {ORCID_ID}")
    version = _version(session_factory)
    exchange = slack.command(BANERJEE, "/profile unlink orcid")
    assert "Unlinked your ORCID record and removed its 4 works" in exchange.reply_text
    assert _works(session_factory) == []
    assert not any(NEW_PAPER in text for text in _items(session_factory))
    assert _version(session_factory) > version
    again = slack.command(BANERJEE, "/profile unlink orcid")
    assert "You have no linked ORCID record" in again.reply_text


def test_hide_button_hides_a_work_from_colleagues_and_from_suggestions(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    linked = slack.command(BANERJEE, f"/profile link orcid {ORCID_ID}")
    hide = next(b for b in linked.buttons() if b["action_id"] == ids.PROFILE_WORK_HIDE_ACTION)
    work_id = int(hide["value"])
    # Someone else pressing the owner's button (a forged or forwarded payload) changes nothing.
    forged = slack.click(OSEI, hide)
    assert "Only the person themself" in forged.reply_text
    assert not any(w.hidden for w in _works(session_factory))

    version = _version(session_factory)
    clicked = slack.click(BANERJEE, hide)
    assert clicked.reply.get("replace_original") is True
    show = [b for b in clicked.buttons() if b["action_id"] == ids.PROFILE_WORK_SHOW_ACTION]
    assert [b["value"] for b in show] == [str(work_id)]
    hidden = next(w for w in _works(session_factory) if w.id == work_id)
    assert hidden.hidden and _version(session_factory) > version
    assert not any(text.startswith(hidden.title) for text in _items(session_factory))

    # A colleague sees the other works, never the hidden one, and no buttons.
    seen = slack.command(OSEI, f"/profile <@{BANERJEE}|ingrid>")
    assert "Linked records" in seen.reply_text
    assert hidden.title not in seen.reply_text
    assert not [b for b in seen.buttons() if b["action_id"].startswith("profile_work")]

    shown = slack.click(BANERJEE, show[0])
    assert hidden.title in message_text(shown.reply)
    assert not any(w.hidden for w in _works(session_factory))


def test_own_profile_lists_linked_record_and_hint_when_none(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    empty = slack.command(BANERJEE, "/profile")
    assert "/profile link orcid 0000-" in empty.reply_text
    slack.command(BANERJEE, f"/profile link orcid {ORCID_ID}")
    own = slack.command(BANERJEE, "/profile")
    assert f"ORCID `{ORCID_ID}`: 4 works" in own.reply_text
    assert len(own.reply["blocks"]) <= 50
    kinds = [b["type"] for b in own.reply["blocks"]]
    assert kinds[-2] == "actions"  # the Edit button stays last, after the works


def test_hidden_profile_shows_no_fetched_works_to_others(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    slack.command(BANERJEE, f"/profile link orcid {ORCID_ID}")
    with session_factory.begin() as session:
        session.scalars(
            select(Person).where(Person.slack_id == BANERJEE)
        ).one().expert_visibility = ExpertVisibility.HIDDEN
    seen = slack.command(OSEI, f"/profile <@{BANERJEE}|ingrid>")
    assert NEW_PAPER not in seen.reply_text and "Linked records" not in seen.reply_text


def test_fetched_biography_stands_in_for_missing_expertise(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    with session_factory.begin() as session:
        session.scalars(select(Person).where(Person.slack_id == BANERJEE)).one().expertise = None
    slack.command(BANERJEE, f"/profile link orcid {ORCID_ID}")
    items = _items(session_factory)
    assert items[0].startswith("representation learning; recommender systems; distribution shift.")


def test_a_server_error_during_fetch_leaves_the_profile_as_it_was(
    slack: SlackDriver, session_factory: sessionmaker[Session], scholarly: FakeScholarlyApi
) -> None:
    slack.command(BANERJEE, f"/profile link orcid {ORCID_ID}")
    before = sorted((w.id, w.title, w.abstract) for w in _works(session_factory))
    version = _version(session_factory)
    # The ORCID works read fine; OpenAlex's works page fails on every try.
    scholarly.fail("/works", 503, times=10)
    exchange = slack.command(BANERJEE, f"/profile link orcid {ORCID_ID}")
    assert "Could not read the ORCID record" in exchange.reply_text
    assert "HTTP 503" in exchange.reply_text and "Your profile was not changed" in exchange.reply_text
    assert sorted((w.id, w.title, w.abstract) for w in _works(session_factory)) == before
    assert _version(session_factory) == version
    with session_factory() as session:
        link = session.scalars(select(ProfileSourceLink).where(ProfileSourceLink.linked_by == BANERJEE)).one()
        assert "HTTP 503" in (link.last_error or "")
    own = slack.command(BANERJEE, "/profile")
    assert "last refresh failed" in own.reply_text


def test_profile_help_lists_link_and_unlink(slack: SlackDriver) -> None:
    text = slack.command(BANERJEE, "/profile help").reply_text
    assert "/profile link orcid" in text and "/profile unlink orcid" in text
    assert buttons_of([]) == []


def test_link_openalex_author_reads_works_and_topics(
    slack: SlackDriver, session_factory: sessionmaker[Session], scholarly: FakeScholarlyApi
) -> None:
    exchange = slack.command(BANERJEE, "/profile link openalex https://openalex.org/A5023888391")
    assert "Linked your OpenAlex record `A5023888391`: 4 works (4 new)" in exchange.reply_text
    assert scholarly.paths("/v3.0/") == []  # OpenAlex only
    with session_factory() as session:
        link = session.scalars(select(ProfileSourceLink).where(ProfileSourceLink.linked_by == BANERJEE)).one()
        assert link.expertise == "Recommender Systems and Techniques; Advanced Graph Neural Networks."
    bad = slack.command(BANERJEE, "/profile link openalex W123")
    assert "is not an OpenAlex author id" in bad.reply_text
