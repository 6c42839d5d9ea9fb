"""Pure reminder planning: wall-clock rules, DST gaps and overlaps, quiet hours, weekends, keys."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.dates import DateParseError, parse_due
from bot.domain.reminders import (
    NO_QUIET_HOURS,
    DeliveryKind,
    MilestoneFacts,
    PolicyError,
    PolicyOverrides,
    QuietHours,
    ReminderPolicy,
    SnoozeOption,
    describe_policy,
    next_allowed,
    parse_days,
    parse_lead_times,
    parse_quiet_hours,
    parse_weekday,
    plan_digest,
    plan_milestone,
    plan_snooze,
    plan_waiting,
    retry_delay,
    wall_clock,
)

AMS = ZoneInfo("Europe/Amsterdam")
NYC = ZoneInfo("America/New_York")
SAO = ZoneInfo("America/Sao_Paulo")
KOL = ZoneInfo("Asia/Kolkata")
SEOUL = ZoneInfo("Asia/Seoul")
ANYTIME = ReminderPolicy(quiet_hours=NO_QUIET_HOURS, skip_weekends=False)


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _facts(
    due: datetime,
    *,
    owner_zone: str = "Europe/Amsterdam",
    due_zone: str = "Europe/Amsterdam",
    owner_id: int | None = 10,
    lead_id: int | None = 20,
    channel: str | None = "C1",
    is_open: bool = True,
) -> MilestoneFacts:
    return MilestoneFacts(
        milestone_id=1,
        project_id=2,
        due_at=due.astimezone(UTC),
        due_zone=due_zone,
        is_open=is_open,
        owner_id=owner_id,
        owner_zone=owner_zone,
        lead_id=lead_id,
        lead_zone="Europe/Amsterdam",
        channel_id=channel,
        workspace_zone="Europe/Amsterdam",
    )


def _by_occurrence(planned: list) -> dict[str, datetime]:  # type: ignore[type-arg]
    return {p.occurrence.split("@")[0]: p.send_at for p in planned}


# -- lead times on the recipient's wall clock ---------------------------------------------------------


def test_lead_times_are_calendar_days_at_local_time_across_spring_forward() -> None:
    due = datetime(2027, 4, 2, 17, 0, tzinfo=AMS)  # Friday after the 28 March change

    planned = plan_milestone(_facts(due), ReminderPolicy(), now=_utc(2027, 3, 1))

    lead_times = [p for p in planned if p.kind == DeliveryKind.LEAD_TIME]
    assert _by_occurrence(lead_times) == {
        "T-7d": _utc(2027, 3, 26, 8, 0),  # 09:00 CET (UTC+1)
        "T-1d": _utc(2027, 4, 1, 7, 0),  # 09:00 CEST (UTC+2)
        "T-0": _utc(2027, 4, 2, 15, 0),  # the due instant itself
    }
    assert all(p.recipient_id == 10 and p.zone == "Europe/Amsterdam" for p in lead_times)


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Europe/Amsterdam", _utc(2026, 12, 3, 8, 0)),
        ("America/New_York", _utc(2026, 12, 3, 14, 0)),
        ("America/Sao_Paulo", _utc(2026, 12, 3, 12, 0)),
        ("Asia/Kolkata", _utc(2026, 12, 3, 3, 30)),
        # 17:00 Friday in Amsterdam is already Saturday 01:00 in Seoul: the day before is Friday there.
        ("Asia/Seoul", _utc(2026, 12, 4, 0, 0)),
    ],
)
def test_day_before_reminder_is_at_nine_in_each_owners_zone(zone: str, expected: datetime) -> None:
    # Due Friday 4 Dec 2026 17:00 Amsterdam; the owner's own calendar decides "the day before".
    due = datetime(2026, 12, 4, 17, 0, tzinfo=AMS)

    planned = plan_milestone(_facts(due, owner_zone=zone), ReminderPolicy(), now=_utc(2026, 11, 20))

    day_before = next(p for p in planned if p.occurrence.startswith("T-1d"))
    assert day_before.send_at == expected
    assert day_before.send_at.astimezone(ZoneInfo(zone)).time() == time(9, 0)


def test_hour_lead_time_is_an_exact_duration() -> None:
    # 2 h before 03:30 CEST on the spring-forward night is 00:30 CET: 2 real hours, not wall-clock hours.
    due = datetime(2027, 3, 28, 3, 30, tzinfo=AMS)
    policy = ReminderPolicy(lead_times=(timedelta(hours=2),), quiet_hours=NO_QUIET_HOURS, skip_weekends=False)

    (planned,) = [
        p for p in plan_milestone(_facts(due), policy, now=_utc(2027, 3, 1)) if p.kind == "lead_time"
    ]

    assert planned.send_at == due.astimezone(UTC) - timedelta(hours=2)
    assert planned.send_at.astimezone(AMS).strftime("%H:%M %Z") == "00:30 CET"


def test_only_future_deliveries_are_planned() -> None:
    due = datetime(2026, 11, 27, 12, 0, tzinfo=AMS)

    planned = plan_milestone(_facts(due), ReminderPolicy(), now=_utc(2026, 11, 21))

    assert sorted(_by_occurrence([p for p in planned if p.kind == "lead_time"])) == ["T-0", "T-1d"]


def test_nothing_is_planned_for_a_done_milestone() -> None:
    due = datetime(2026, 11, 27, 12, 0, tzinfo=AMS)

    assert plan_milestone(_facts(due, is_open=False), ReminderPolicy(), now=_utc(2026, 11, 1)) == []


def test_moving_a_milestone_changes_every_key() -> None:
    first = plan_milestone(
        _facts(datetime(2026, 11, 27, 12, 0, tzinfo=AMS)), ReminderPolicy(), _utc(2026, 11, 1)
    )
    moved = plan_milestone(
        _facts(datetime(2026, 12, 4, 12, 0, tzinfo=AMS)), ReminderPolicy(), _utc(2026, 11, 1)
    )

    assert {p.key for p in first}.isdisjoint({p.key for p in moved})
    assert all("@20261127T110000Z" in p.key for p in first)


# -- escalation ladder ----------------------------------------------------------------------------------


def test_escalation_ladder_lead_after_two_days_channel_after_five() -> None:
    due = datetime(2026, 11, 25, 17, 0, tzinfo=AMS)  # Wednesday

    planned = plan_milestone(_facts(due), ReminderPolicy(quiet_hours=NO_QUIET_HOURS), now=_utc(2026, 11, 1))

    lead = next(p for p in planned if p.kind == DeliveryKind.ESCALATE_LEAD)
    channel = next(p for p in planned if p.kind == DeliveryKind.ESCALATE_CHANNEL)
    assert (lead.send_at, lead.recipient_id) == (_utc(2026, 11, 27, 16, 0), 20)
    # Due + 5 days is Monday 30 Nov: a weekday, so nothing moves.
    assert (channel.send_at, channel.channel_id) == (_utc(2026, 11, 30, 16, 0), "C1")


def test_escalation_to_lead_skipped_when_lead_owns_it_and_channel_when_none() -> None:
    due = datetime(2026, 11, 25, 17, 0, tzinfo=AMS)

    planned = plan_milestone(
        _facts(due, owner_id=20, lead_id=20, channel=None), ReminderPolicy(), _utc(2026, 11, 1)
    )

    assert {p.kind for p in planned} == {DeliveryKind.LEAD_TIME}


def test_escalation_counted_in_calendar_days_of_the_due_zone_across_fall_back() -> None:
    # Due Saturday 6 Nov 2027 12:00 EDT in New York; two days later is Monday 12:00 EST, not 11:00.
    due = datetime(2027, 11, 6, 12, 0, tzinfo=NYC)
    policy = ReminderPolicy(quiet_hours=NO_QUIET_HOURS, skip_weekends=False, escalate_channel_days=0)

    lead = next(
        p
        for p in plan_milestone(_facts(due, due_zone="America/New_York"), policy, _utc(2027, 10, 1))
        if p.kind == DeliveryKind.ESCALATE_LEAD
    )

    assert lead.nominal_at.astimezone(NYC).strftime("%a %d %H:%M %Z") == "Mon 08 12:00 EST"


# -- DST: gap and overlap ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected_local"),
    [
        # Spring forward: the time does not exist, so the first valid instant after the gap.
        (AMS, date(2027, 3, 28), time(2, 30), "2027-03-28 03:00 CEST"),
        (NYC, date(2027, 3, 14), time(2, 30), "2027-03-14 03:00 EDT"),
        (SAO, date(2018, 11, 4), time(0, 30), "2018-11-04 01:00 -02"),  # Brazil's changes were at midnight
        (KOL, date(2027, 3, 28), time(2, 30), "2027-03-28 02:30 IST"),  # no DST: unchanged
        # Fall back: the time happens twice; the first occurrence (still summer time) is used.
        (AMS, date(2027, 10, 31), time(2, 30), "2027-10-31 02:30 CEST"),
        (NYC, date(2027, 11, 7), time(1, 30), "2027-11-07 01:30 EDT"),
        (SAO, date(2019, 2, 16), time(23, 30), "2019-02-16 23:30 -02"),
    ],
)
def test_wall_clock_gap_and_overlap(zone: ZoneInfo, day: date, at: time, expected_local: str) -> None:
    instant = wall_clock(day, at, zone)

    assert instant.tzinfo is UTC
    assert instant.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") == expected_local


def test_overlap_reminder_fires_once_at_first_occurrence() -> None:
    # A 02:30 reminder on the fall-back night: 02:30 CEST is 00:30Z; 02:30 CET (01:30Z) gets none.
    policy = ReminderPolicy(
        lead_times=(timedelta(days=1),),
        local_time=time(2, 30),
        quiet_hours=NO_QUIET_HOURS,
        skip_weekends=False,
    )
    due = datetime(2027, 11, 1, 12, 0, tzinfo=AMS)

    planned = [p for p in plan_milestone(_facts(due), policy, _utc(2027, 10, 1)) if p.kind == "lead_time"]

    assert [p.send_at for p in planned] == [_utc(2027, 10, 31, 0, 30)]


def test_gap_reminder_moves_to_first_valid_time_and_says_so() -> None:
    policy = ReminderPolicy(
        lead_times=(timedelta(days=1),),
        local_time=time(2, 30),
        quiet_hours=NO_QUIET_HOURS,
        skip_weekends=False,
    )
    due = datetime(2027, 3, 29, 12, 0, tzinfo=AMS)

    (planned,) = [p for p in plan_milestone(_facts(due), policy, _utc(2027, 3, 1)) if p.kind == "lead_time"]

    assert planned.send_at == _utc(2027, 3, 28, 1, 0)  # 03:00 CEST


@pytest.mark.parametrize(
    ("zone", "text", "message"),
    [
        (AMS, "2027-03-28 02:30", "02:30 on Sun 28 Mar 2027 does not exist in Europe/Amsterdam"),
        (NYC, "2027-03-14 02:30", "02:30 on Sun 14 Mar 2027 does not exist in America/New_York"),
        (SAO, "2018-11-04 00:30", "00:30 on Sun 4 Nov 2018 does not exist in America/Sao_Paulo"),
    ],
)
def test_milestone_due_in_a_gap_is_rejected_with_the_valid_times(
    zone: ZoneInfo, text: str, message: str
) -> None:
    with pytest.raises(DateParseError) as raised:
        parse_due(text, now=_utc(int(text[:4]), 1, 1), zone=zone)

    assert message in str(raised.value)
    assert "Try " in str(raised.value)
    assert raised.value.suggestion is not None


def test_milestone_due_in_kolkata_at_0230_is_accepted() -> None:
    parsed = parse_due("2027-03-28 02:30", now=_utc(2027, 1, 1), zone=KOL)

    assert parsed.instant == _utc(2027, 3, 27, 21, 0)


# -- quiet hours and weekends ------------------------------------------------------------------------


def test_quiet_hours_move_to_the_end_of_the_window() -> None:
    policy = ReminderPolicy(quiet_hours=QuietHours(time(20), time(8)), skip_weekends=False)

    late = next_allowed(datetime(2026, 11, 24, 22, 15, tzinfo=AMS), AMS, policy)
    early = next_allowed(datetime(2026, 11, 24, 6, 0, tzinfo=AMS), AMS, policy)
    fine = next_allowed(datetime(2026, 11, 24, 12, 0, tzinfo=AMS), AMS, policy)

    assert late.astimezone(AMS) == datetime(2026, 11, 25, 8, 0, tzinfo=AMS)
    assert early.astimezone(AMS) == datetime(2026, 11, 24, 8, 0, tzinfo=AMS)
    assert fine == datetime(2026, 11, 24, 12, 0, tzinfo=AMS)


def test_weekend_moves_to_monday_morning_after_quiet_hours() -> None:
    friday_night = datetime(2026, 11, 27, 21, 0, tzinfo=AMS)

    moved = next_allowed(friday_night, AMS, ReminderPolicy())

    assert moved.astimezone(AMS) == datetime(2026, 11, 30, 8, 0, tzinfo=AMS)


def test_weekends_are_the_recipients_weekends() -> None:
    # Saturday 09:00 in Seoul is still Friday in New York.
    instant = datetime(2026, 11, 28, 9, 0, tzinfo=SEOUL)
    policy = ReminderPolicy(quiet_hours=NO_QUIET_HOURS)

    assert next_allowed(instant, NYC, policy) == instant
    assert next_allowed(instant, SEOUL, policy).astimezone(SEOUL) == datetime(
        2026, 11, 30, 0, 0, tzinfo=SEOUL
    )


def test_quiet_hours_ending_in_a_gap_end_at_first_valid_time() -> None:
    policy = ReminderPolicy(quiet_hours=QuietHours(time(22), time(2, 30)), skip_weekends=False)

    moved = next_allowed(datetime(2027, 3, 27, 23, 0, tzinfo=AMS), AMS, policy)

    assert moved.astimezone(AMS).strftime("%Y-%m-%d %H:%M %Z") == "2027-03-28 03:00 CEST"


def test_reminder_before_due_moved_past_due_is_dropped() -> None:
    # Due Sunday 29 Nov 12:00: the Saturday reminder would move to Monday, after the due time.
    due = datetime(2026, 11, 29, 12, 0, tzinfo=AMS)

    planned = plan_milestone(_facts(due), ReminderPolicy(), _utc(2026, 11, 1))

    lead_times = _by_occurrence([p for p in planned if p.kind == "lead_time"])
    assert sorted(lead_times) == ["T-0", "T-7d"]
    assert lead_times["T-0"] == _utc(2026, 11, 30, 7, 0)  # the due reminder itself: Monday 08:00
    assert next(p for p in planned if p.occurrence.startswith("T-0")).moved


# -- snooze, digests -----------------------------------------------------------------------------------


def test_snooze_options() -> None:
    now = _utc(2026, 11, 24, 10, 0)  # Tuesday 11:00 in Amsterdam
    common = dict(
        milestone_id=1, project_id=2, source_delivery_id=7, recipient_id=10, policy=ReminderPolicy(), now=now
    )

    hour = plan_snooze(zone=AMS, option=SnoozeOption.HOUR, basis_due_at=now, **common)  # type: ignore[arg-type]
    tomorrow = plan_snooze(zone=NYC, option=SnoozeOption.TOMORROW, basis_due_at=now, **common)  # type: ignore[arg-type]
    week = plan_snooze(zone=KOL, option=SnoozeOption.NEXT_WEEK, basis_due_at=now, **common)  # type: ignore[arg-type]

    assert hour.send_at == now + timedelta(hours=1)
    assert tomorrow.send_at.astimezone(NYC) == datetime(2026, 11, 25, 9, 0, tzinfo=NYC)
    assert week.send_at.astimezone(KOL) == datetime(2026, 11, 30, 9, 0, tzinfo=KOL)
    assert hour.key == tomorrow.key == "m1:snooze:d7"  # one snooze per reminder message


def test_weekly_digest_is_next_monday_at_nine_in_the_workspace_zone() -> None:
    before = plan_digest(
        project_id=3, channel_id="C1", zone=AMS, policy=ReminderPolicy(), now=_utc(2026, 11, 23, 7)
    )
    after = plan_digest(
        project_id=3, channel_id="C1", zone=AMS, policy=ReminderPolicy(), now=_utc(2026, 11, 23, 9)
    )

    assert before is not None and after is not None
    assert before.send_at == _utc(2026, 11, 23, 8, 0)
    assert after.send_at == _utc(2026, 11, 30, 8, 0)
    assert after.key == "p3:digest:2026-11-30"
    assert (
        plan_digest(project_id=3, channel_id=None, zone=AMS, policy=ReminderPolicy(), now=_utc(2026, 11, 23))
        is None
    )


def test_weekend_digest_day_moves_to_monday_but_keeps_its_occurrence() -> None:
    policy = ReminderPolicy(digest_weekday=5)  # Saturday

    digest = plan_digest(project_id=3, channel_id="C1", zone=AMS, policy=policy, now=_utc(2026, 11, 29, 12))

    assert digest is not None
    assert digest.occurrence == "2026-11-28" and digest.send_at == _utc(2026, 11, 30, 7, 0)


def test_waiting_digest_skips_weekends() -> None:
    friday_noon = _utc(2026, 11, 27, 11, 0)

    waiting = plan_waiting(person_id=5, zone=AMS, policy=ReminderPolicy(), now=friday_noon)

    assert waiting is not None
    assert waiting.occurrence == "2026-11-30" and waiting.send_at == _utc(2026, 11, 30, 8, 0)
    assert (
        plan_waiting(person_id=5, zone=AMS, policy=ReminderPolicy(waiting_digest=False), now=friday_noon)
        is None
    )


# -- policy, parsing, retries ------------------------------------------------------------------------


def test_policy_overrides_merge_field_by_field() -> None:
    workspace = PolicyOverrides(local_time=time(8, 30), skip_weekends=False)
    project = PolicyOverrides(lead_times=(timedelta(days=3),), digest_off=True)

    policy = ReminderPolicy().merged(workspace).merged(project)

    assert policy.local_time == time(8, 30) and policy.skip_weekends is False
    assert policy.lead_times == (timedelta(days=3),) and policy.digest_weekday is None
    assert dict(describe_policy(policy))["digest"] == "off"


def test_parsers_accept_the_documented_forms() -> None:
    assert parse_lead_times("7d, 1d ,0") == (timedelta(days=7), timedelta(days=1), timedelta(0))
    assert parse_lead_times("1w,2h,30m,due") == (
        timedelta(weeks=1),
        timedelta(hours=2),
        timedelta(minutes=30),
        timedelta(0),
    )
    assert parse_quiet_hours("21:00-07:30") == QuietHours(time(21), time(7, 30))
    assert not parse_quiet_hours("off").enabled
    assert parse_weekday("Monday") == 0 and parse_weekday("sun") == 6 and parse_weekday("off") is None
    assert parse_days("2d", "X") == 2 and parse_days("off", "X") == 0


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (parse_lead_times, "7 days"),
        (parse_lead_times, "100d"),
        (parse_lead_times, ""),
        (parse_quiet_hours, "20:00"),
        (parse_quiet_hours, "25:00-08:00"),
        (parse_weekday, "someday"),
    ],
)
def test_parsers_reject_other_forms(parse: object, text: str) -> None:
    with pytest.raises(PolicyError):
        parse(text)  # type: ignore[operator]


def test_retry_delay_grows_and_is_capped() -> None:
    delays = [retry_delay(n, jitter=1.0) for n in range(1, 12)]

    assert delays[0] == timedelta(seconds=30)
    assert delays == sorted(delays)
    assert max(delays) == timedelta(minutes=15)
    assert retry_delay(3, jitter=0.0) == timedelta(minutes=1)
