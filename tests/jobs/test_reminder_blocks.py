"""Reminder message builders: escaping of user text and Slack's Block Kit limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.reminders import DeliveryKind
from bot.models import MilestoneStatus
from bot.projects.reports import MilestoneLine, PersonRef
from bot.reminders.combining import direct_message
from bot.reminders.content import FailureNotice, MilestoneReminder, ProjectDigest, WaitingDigest
from bot.slack.reminder_blocks import (
    build_digest_reply,
    build_direct_reply,
    build_reminder_reply,
    build_waiting_reply,
)

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
NASTY = "<!channel> & <@U0BOSS> " + "x" * 290


def _line(n: int) -> MilestoneLine:
    return MilestoneLine(
        ref=f"p-{n}",
        project_key="p",
        project_name=NASTY,
        title=NASTY,
        due_at=NOW + timedelta(days=n % 5 - 2),
        due_zone="Europe/Amsterdam",
        owner=PersonRef("U1", "Owner"),
        status=MilestoneStatus.OPEN,
        done_at=None,
        overdue=n % 5 < 2,
    )


def _texts(blocks: list[dict]) -> list[str]:  # type: ignore[type-arg]
    found = []
    for block in blocks:
        if isinstance(block.get("text"), dict):
            found.append(block["text"]["text"])
        found += [e["text"] for e in block.get("elements", []) if isinstance(e.get("text"), str)]
    return found


def test_builders_escape_user_text_and_keep_within_block_kit_limits() -> None:
    zone = ZoneInfo("Europe/Amsterdam")
    replies = [
        build_reminder_reply(
            MilestoneReminder(
                7, DeliveryKind.ESCALATE_LEAD, _line(1), "p", PersonRef("U2", "Lead"), zone, NOW
            )
        ),
        build_digest_reply(
            ProjectDigest(
                "p", NASTY, None, tuple(map(_line, range(30))), tuple(map(_line, range(30))), 3, zone, NOW
            )
        ),
        build_waiting_reply(WaitingDigest(PersonRef("U1", "Owner"), tuple(map(_line, range(40))), zone, NOW)),
        build_direct_reply(
            direct_message(
                [
                    *(
                        MilestoneReminder(n, DeliveryKind.LEAD_TIME, _line(n), "p", None, zone, NOW)
                        for n in range(30)
                    ),
                    WaitingDigest(PersonRef("U1", "Owner"), tuple(map(_line, range(25, 65))), zone, NOW),
                    *(
                        FailureNotice(NASTY, "<#C1>", "channel_not_found", _line(n), zone, NOW)
                        for n in range(15)
                    ),
                ],
                keys=[f"k{n}" for n in range(46)],
            )
        ),
    ]

    for reply in replies:
        kwargs = reply.as_kwargs()
        assert len(kwargs["blocks"]) <= 50 and len(kwargs["text"]) <= 3000
        for text in _texts(kwargs["blocks"]):
            assert len(text) <= 3000
            assert "<!channel>" not in text and "<@U0BOSS>" not in text
        assert "<!channel>" not in kwargs["text"]
        block_ids = [b["block_id"] for b in kwargs["blocks"] if "block_id" in b]
        assert len(block_ids) == len(set(block_ids))


def test_combined_dm_names_each_milestone_once() -> None:
    zone = ZoneInfo("Europe/Amsterdam")
    reminders = [MilestoneReminder(n, DeliveryKind.LEAD_TIME, _line(n), "p", None, zone, NOW) for n in (1, 2)]
    snoozed = MilestoneReminder(9, DeliveryKind.SNOOZE, _line(2), "p", None, zone, NOW)
    waiting = WaitingDigest(PersonRef("U1", "Owner"), (_line(1), _line(3)), zone, NOW)
    failure = FailureNotice("a reminder", "<#C1>", "channel_not_found", _line(3), zone, NOW)

    dm = direct_message([*reminders, snoozed, waiting, failure], keys=["a", "b", "c", "d", "e"])

    assert [r.delivery_id for r in dm.reminders] == [1, 2]  # p-2 once, its lead-time reminder shown
    assert dm.waiting is not None and [m.ref for m in dm.waiting.items] == ["p-3"]
    assert dm.failures[0].milestone is None  # p-3 is named in the waiting list already
    assert dm.keys == ("a", "b", "c", "d", "e")
