"""An agreement's change replans its projects' papers in the same command (`/agreement set-status`)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.fakes.driver import SlackDriver
from tests.publications.conftest import ADMIN, plan_of

pytestmark = pytest.mark.usefixtures("demo")


def test_ending_the_agreement_with_the_review_window_replans_the_papers_at_once(
    slack: SlackDriver, session_factory: sessionmaker[Session]
) -> None:
    before = plan_of(session_factory, "fatigue-p1")
    assert "review" in before  # ca-4's 30-day partner review window applies to fatigue

    done = slack.command(ADMIN, "/agreement set-status ca-4 terminated")

    assert "ca-4" in done.reply_text
    after = plan_of(session_factory, "fatigue-p1")
    assert "review" not in after  # no partner review left to plan
    assert after["submission"].due_at == before["submission"].due_at
    assert after["draft"].due_at > before["draft"].due_at  # the draft may now be finished later
