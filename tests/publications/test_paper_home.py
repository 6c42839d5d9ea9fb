"""App Home's "Your papers": the papers I author with venue, deadline and next planned milestone,
published through `app_home_opened` → Bolt → the fake Slack Web API."""

from __future__ import annotations

import pytest

from tests.fakes.driver import SlackDriver, message_text, view_of
from tests.publications.conftest import BANERJEE, BELL, KOVALENKO, MUELLER, OSEI, STEIN, AddPaper

pytestmark = pytest.mark.usefixtures("demo")


def _home(slack: SlackDriver, user: str) -> tuple[str, int]:
    exchange = slack.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
    (published,) = exchange.of("views.publish")
    view = view_of(published)
    return message_text({"view": view}), len(view["blocks"])


def test_home_shows_the_papers_i_author_with_their_next_dates(slack: SlackDriver) -> None:
    home, _ = _home(slack, OSEI)

    section = home[home.index("Your papers") :]
    assert "`fatigue-p1`" in section and "`adsys27`" in section
    assert "deadline Fri 12 Feb 2027, 23:59 AoE" in section
    assert "Partner review starts Wed 13 Jan 2027, 23:59 AoE" in section
    assert "Next: Draft complete" in section
    assert "fatigue-p2" not in section  # Osei is not one of its authors


def test_soonest_deadline_first(slack: SlackDriver) -> None:
    home, _ = _home(slack, BELL)

    section = home[home.index("Your papers") :]
    assert section.index("`fatigue-p2`") < section.index("`fatigue-p1`")


def test_no_section_for_people_who_author_no_paper(slack: SlackDriver) -> None:
    home, _ = _home(slack, BANERJEE)

    assert "Your papers" not in home


def test_private_papers_only_on_members_homes(slack: SlackDriver, add_paper: AddPaper) -> None:
    title = "Auditing delivery skew in lookalike audiences"
    # An author outside the private project: the paper stays hidden from them everywhere.
    add_paper(STEIN, "fairdelivery", title=title, people=[STEIN, KOVALENKO, MUELLER], venue="camw26")

    member, _ = _home(slack, KOVALENKO)
    outsider, _ = _home(slack, MUELLER)

    assert "Your papers" in member and title in member and "`fairdelivery-p1`" in member
    assert title not in outsider and "fairdelivery-p1" not in outsider
    assert "`fatigue-p1`" in outsider


def test_many_papers_stay_within_the_block_limit(slack: SlackDriver, add_paper: AddPaper) -> None:
    for n in range(12):
        add_paper(OSEI, "fatigue", title=f"Fatigue study {n}", people=[OSEI], venue="adsys27")

    home, blocks = _home(slack, OSEI)

    assert blocks <= 100
    assert "Your papers" in home and "more: `/paper list`" in home
