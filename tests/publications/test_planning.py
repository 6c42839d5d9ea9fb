"""Back-planning from venue deadlines (pure): AoE, daylight-saving changes, windows, sign-offs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import InvalidInput
from bot.publications.deadlines import parse_deadline, zone_label
from bot.publications.planning import back_plan
from bot.settings import Settings, SettingsError

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def _by_step(plan: object) -> dict[str, datetime]:
    return {s.step: s.due for s in plan.steps}  # type: ignore[attr-defined]


def test_aoe_deadline_is_utc_minus_12_and_shown_as_aoe() -> None:
    deadline = parse_deadline("2027-05-15", None, "aoe")
    assert deadline.zone == "AoE" and zone_label(deadline.zone) == "AoE"
    assert deadline.instant == datetime(2027, 5, 16, 11, 59, tzinfo=UTC)
    plan = back_plan(deadline, review_days=30, buffer_days=7, signoff_days={}, now=NOW)
    steps = _by_step(plan)
    # 23:59 AoE on each planned day: 11:59 UTC the next day.
    assert steps["review"] == datetime(2027, 4, 16, 11, 59, tzinfo=UTC)
    assert steps["draft"] == datetime(2027, 4, 9, 11, 59, tzinfo=UTC)
    assert steps["submission"] == deadline.instant
    assert {s.zone for s in plan.steps} == {"Etc/GMT+12"}
    assert not plan.late and plan.window_days == 30


def test_days_are_counted_on_the_deadlines_wall_clock_across_dst() -> None:
    # 12:00 CEST on 1 April is 10:00 UTC; 30 days earlier (2 March) 12:00 CET is 11:00 UTC.
    deadline = parse_deadline("2027-04-01", "12:00", "Europe/Amsterdam")
    steps = _by_step(back_plan(deadline, review_days=30, buffer_days=7, signoff_days={}, now=NOW))
    assert steps["submission"] == datetime(2027, 4, 1, 10, 0, tzinfo=UTC)
    assert steps["review"] == datetime(2027, 3, 2, 11, 0, tzinfo=UTC)
    assert steps["draft"] == datetime(2027, 2, 23, 11, 0, tzinfo=UTC)


def test_a_planned_time_in_the_spring_gap_moves_to_the_first_valid_time() -> None:
    # 02:30 on 28 March 2027 does not exist in Amsterdam (02:00 → 03:00 CEST = 01:00 UTC).
    deadline = parse_deadline("2027-04-27", "02:30", "Europe/Amsterdam")
    steps = _by_step(back_plan(deadline, review_days=30, buffer_days=0, signoff_days={}, now=NOW))
    assert steps["review"] == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)


def test_without_a_window_only_draft_and_submission_are_planned() -> None:
    deadline = parse_deadline("2027-01-10", "17:00", "UTC")
    plan = back_plan(deadline, review_days=None, buffer_days=7, signoff_days={}, now=NOW)
    assert [s.step for s in plan.steps] == ["draft", "submission"]
    assert _by_step(plan)["draft"] == datetime(2027, 1, 3, 17, 0, tzinfo=UTC)
    assert plan.review_start is None and not plan.late


def test_signoff_windows_plan_back_per_organisation_and_the_longest_sets_the_draft() -> None:
    deadline = parse_deadline("2027-03-01", "17:00", "UTC")
    plan = back_plan(
        deadline, review_days=14, buffer_days=7, signoff_days={"Leiden": 21, "Brightbid": 10}, now=NOW
    )
    steps = _by_step(plan)
    assert steps["signoff:Leiden"] == datetime(2027, 2, 8, 17, 0, tzinfo=UTC)
    assert steps["signoff:Brightbid"] == datetime(2027, 2, 19, 17, 0, tzinfo=UTC)
    assert steps["review"] == datetime(2027, 2, 15, 17, 0, tzinfo=UTC)
    assert steps["draft"] == datetime(2027, 2, 1, 17, 0, tzinfo=UTC)  # 21 + 7 days before
    assert [s.step for s in plan.steps][0] == "draft"


def test_a_window_that_started_before_now_is_late() -> None:
    deadline = parse_deadline("2026-12-01", None, "AoE")
    plan = back_plan(deadline, review_days=30, buffer_days=7, signoff_days={}, now=NOW)
    assert plan.late
    assert plan.review_start == datetime(2026, 11, 2, 11, 59, tzinfo=UTC)  # 1 Nov 23:59 AoE


@pytest.mark.parametrize(
    ("day", "clock", "zone", "says"),
    [
        ("15/05/2027", None, "AoE", "year first"),
        ("2027-02-30", None, "AoE", "28 days"),
        ("2027-05-15", "25:00", "AoE", "not a time"),
        ("2027-05-15", None, "Mars/Olympus", "not a time zone"),
        ("2027-03-28", "02:30", "Europe/Amsterdam", "does not exist"),
    ],
)
def test_bad_deadlines_are_explained(day: str, clock: str | None, zone: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        parse_deadline(day, clock, zone)


def test_signoff_setting_is_read_per_organisation() -> None:
    settings = Settings.from_env({"LIAISON_SIGNOFF_DAYS": "Brightbid Ads=10; University of Leiden = 14"})
    assert dict(settings.signoff_days) == {"Brightbid Ads": 10, "University of Leiden": 14}
    assert settings.paper_buffer_days == 7
    with pytest.raises(SettingsError, match="LIAISON_SIGNOFF_DAYS"):
        Settings.from_env({"LIAISON_SIGNOFF_DAYS": "Brightbid Ads=ten"})
