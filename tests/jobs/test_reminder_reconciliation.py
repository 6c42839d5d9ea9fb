"""When a lookup after an unanswered reminder post proves it absent (bot/reminders/reconciliation.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.reminders import DeliveryKind
from bot.reminders.claims import Claim, claim_due
from bot.reminders.content import Content
from bot.reminders.reconciliation import (
    RECONCILE_MARGIN,
    Reconciliation,
    Verdict,
    next_lookup_at,
    reconcile,
)
from bot.reminders.sending import (
    AmbiguousDeliveryError,
    DeliveryError,
    HistoryUnavailableError,
    PostedMessage,
    TransientDeliveryError,
)
from tests.jobs.reminder_support import deliveries, seed_due_deliveries, utc

GIVEN_UP = utc(2026, 11, 20, 8, 0, 10)  # the post went unanswered; Slack may carry it out until +60 s
LANDING = timedelta(seconds=60)


class _History:
    """A sender whose conversation history holds `found` (or whose lookups raise `error`)."""

    def __init__(self, found: PostedMessage | None = None, error: DeliveryError | None = None) -> None:
        self.found = found
        self.error = error
        self.lookups: list[datetime] = []

    def send_reminder(
        self, target: str, content: Content, /, *, key: str, team_id: str | None = None
    ) -> PostedMessage:
        raise AssertionError("a lookup never posts")

    def find_reminder(
        self, target: str, /, *, key: str, since: datetime, team_id: str | None = None
    ) -> PostedMessage | None:
        self.lookups.append(since)
        if self.error is not None:
            raise self.error
        return self.found


def _claim(ambiguous_at: datetime | None = GIVEN_UP) -> Claim:
    return Claim(
        id=1,
        token="t",
        key="m1:lead_time:T-1d@x",
        kind=DeliveryKind.LEAD_TIME,
        workspace_id=1,
        milestone_id=1,
        project_id=1,
        recipient_id=1,
        channel_id=None,
        occurrence="T-1d@x",
        send_at=GIVEN_UP,
        basis_due_at=None,
        attempts=2,
        uncertain=True,
        first_attempt_at=GIVEN_UP - timedelta(seconds=10),
        slack_channel=None,
        ambiguous_at=ambiguous_at,
    )


def _reconcile(sender: _History, now: datetime, claim: Claim | None = None) -> Reconciliation:
    return reconcile(sender, claim or _claim(), "U1", team_id=None, now=now, landing=LANDING)


def test_lookups_come_at_a_sixth_half_and_end_of_the_landing_window() -> None:
    times = [GIVEN_UP]
    while times[-1] < GIVEN_UP + LANDING:
        times.append(next_lookup_at(GIVEN_UP, times[-1], LANDING))

    assert [t - GIVEN_UP for t in times[1:]] == [timedelta(seconds=s) for s in (10, 30, 60)]
    # Jitter only ever delays the early lookups, never past the next one, and never the deciding one.
    assert next_lookup_at(GIVEN_UP, GIVEN_UP, LANDING, jitter=0.999) < GIVEN_UP + timedelta(seconds=12.01)
    assert (
        next_lookup_at(GIVEN_UP, GIVEN_UP + timedelta(seconds=59), LANDING, jitter=0.9) == GIVEN_UP + LANDING
    )


def test_a_miss_before_the_landing_window_ends_proves_nothing() -> None:
    sender = _History(found=None)

    result = _reconcile(sender, GIVEN_UP + timedelta(seconds=10))

    assert result == Reconciliation(Verdict.NOT_YET, look_again_at=GIVEN_UP + timedelta(seconds=30))
    assert sender.lookups == [GIVEN_UP - timedelta(seconds=10) - RECONCILE_MARGIN]


def test_a_miss_at_the_end_of_the_landing_window_proves_the_post_absent() -> None:
    assert _reconcile(_History(found=None), GIVEN_UP + LANDING).verdict == Verdict.ABSENT


def test_a_post_found_early_or_late_is_found() -> None:
    message = PostedMessage("D1", "1700000000.000100")
    for now in (GIVEN_UP + timedelta(seconds=10), GIVEN_UP + timedelta(minutes=5)):
        result = _reconcile(_History(found=message), now)
        assert (result.verdict, result.message) == (Verdict.FOUND, message)


def test_an_unreadable_history_waits_out_the_landing_window_then_says_so() -> None:
    sender = _History(error=HistoryUnavailableError("missing_scope"))

    early = _reconcile(sender, GIVEN_UP + timedelta(seconds=10))
    late = _reconcile(sender, GIVEN_UP + LANDING)

    assert (early.verdict, early.look_again_at, early.error) == (
        Verdict.NOT_YET,
        GIVEN_UP + LANDING,
        "missing_scope",
    )
    assert (late.verdict, late.error) == (Verdict.UNREADABLE, "missing_scope")


def test_an_unanswered_lookup_is_a_transient_error_not_an_ambiguous_post() -> None:
    sender = _History(error=AmbiguousDeliveryError("no answer: TimeoutError"))

    with pytest.raises(TransientDeliveryError) as raised:
        _reconcile(sender, GIVEN_UP + LANDING)

    assert not isinstance(raised.value, AmbiguousDeliveryError)


def test_rows_from_before_ambiguous_at_was_recorded_count_from_their_first_attempt() -> None:
    claim = _claim(ambiguous_at=None)  # first attempt at GIVEN_UP - 10 s

    assert _reconcile(_History(), GIVEN_UP + timedelta(seconds=49), claim).verdict == Verdict.NOT_YET
    assert _reconcile(_History(), GIVEN_UP + timedelta(seconds=50), claim).verdict == Verdict.ABSENT


def test_a_delivery_taken_over_from_an_expired_lease_counts_from_that_lease_s_expiry(
    session_factory: sessionmaker[Session],
) -> None:
    due = utc(2026, 11, 20, 12, 0)
    with session_factory.begin() as session:
        seed_due_deliveries(session, count=1, channels=1, due=due)
    lease, grace = timedelta(minutes=1), timedelta(hours=24)
    with session_factory.begin() as session:
        (first,) = claim_due(session, due, limit=10, lease=lease, claimer="dead", grace=grace)
    assert (first.uncertain, first.ambiguous_at) == (False, None)

    with session_factory.begin() as session:
        (taken,) = claim_due(
            session, due + timedelta(minutes=3), limit=10, lease=lease, claimer="b", grace=grace
        )

    # The dead claimer posted, if at all, before its lease ran out.
    assert (taken.uncertain, taken.ambiguous_at) == (True, due + lease)
    (row,) = deliveries(session_factory)
    assert row.ambiguous_at == due + lease
