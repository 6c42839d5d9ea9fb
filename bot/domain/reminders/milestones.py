"""A milestone's reminders: lead-time reminders to its owner, escalations to its lead and channel."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.reminders.deliveries import DeliveryKind, MilestoneFacts, PlannedDelivery
from bot.domain.reminders.policy import ReminderPolicy, format_lead_time
from bot.domain.reminders.timing import next_allowed, wall_clock


def basis_label(due_at: datetime) -> str:
    """Compact UTC stamp of a due time, part of milestone delivery keys (`20261127T110000Z`)."""
    return due_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def lead_time_label(lead: timedelta) -> str:
    """`T-7d`, `T-2h`, `T-30m`, or `T-0` for the due time."""
    return "T-" + format_lead_time(lead)


def plan_milestone(facts: MilestoneFacts, policy: ReminderPolicy, now: datetime) -> list[PlannedDelivery]:
    """Every future delivery one milestone should get: lead-time reminders and escalations.

    Only deliveries at or after `now` are returned (reminders already in the past are not re-planned; rows
    planned earlier and missed are the ledger's business). Nothing is planned for a milestone that is
    done or has no owner, except escalations to the lead and channel, which need no owner.

    Args:
        facts: The milestone and its people.
        policy: The effective policy of its project.
        now: The current instant (aware).

    Returns:
        The planned deliveries, by send time.
    """
    if not facts.is_open:
        return []
    due = facts.due_at.astimezone(UTC)
    planned: list[PlannedDelivery] = []

    if facts.owner_id is not None:
        owner_zone = ZoneInfo(facts.owner_zone)
        for lead in sorted(set(policy.lead_times), reverse=True):
            nominal = _lead_nominal(due, lead, owner_zone, policy.local_time)
            send_at = next_allowed(nominal, owner_zone, policy)
            if lead > timedelta(0) and send_at >= due:
                continue  # moved onto or past the due time: the due reminder covers it
            planned.append(
                _milestone_delivery(
                    facts,
                    DeliveryKind.LEAD_TIME,
                    lead_time_label(lead),
                    send_at,
                    owner_zone,
                    nominal,
                    recipient_id=facts.owner_id,
                )
            )

    due_zone = ZoneInfo(facts.due_zone)
    if policy.escalate_lead_days > 0 and facts.lead_id is not None and facts.lead_id != facts.owner_id:
        lead_zone = ZoneInfo(facts.lead_zone)
        nominal = _days_after(due, policy.escalate_lead_days, due_zone)
        planned.append(
            _milestone_delivery(
                facts,
                DeliveryKind.ESCALATE_LEAD,
                f"{policy.escalate_lead_days}d",
                next_allowed(nominal, lead_zone, policy),
                lead_zone,
                nominal,
                recipient_id=facts.lead_id,
            )
        )
    if policy.escalate_channel_days > 0 and facts.channel_id:
        channel_zone = ZoneInfo(facts.workspace_zone)
        nominal = _days_after(due, policy.escalate_channel_days, due_zone)
        planned.append(
            _milestone_delivery(
                facts,
                DeliveryKind.ESCALATE_CHANNEL,
                f"{policy.escalate_channel_days}d",
                next_allowed(nominal, channel_zone, policy),
                channel_zone,
                nominal,
                channel_id=facts.channel_id,
            )
        )
    return sorted((p for p in planned if p.send_at >= now), key=lambda p: (p.send_at, p.key))


def _milestone_delivery(
    facts: MilestoneFacts,
    kind: DeliveryKind,
    step: str,
    send_at: datetime,
    zone: ZoneInfo,
    nominal: datetime,
    *,
    recipient_id: int | None = None,
    channel_id: str | None = None,
) -> PlannedDelivery:
    # The due time is part of the occurrence: a moved milestone gets fresh keys (and its reminders
    # again), while moving it back to a date already reminded about finds the old, sent rows.
    due = facts.due_at.astimezone(UTC)
    occurrence = f"{step}@{basis_label(due)}"
    return PlannedDelivery(
        kind=kind,
        key=f"m{facts.milestone_id}:{kind}:{occurrence}",
        series=f"m{facts.milestone_id}:{kind}",
        occurrence=occurrence,
        send_at=send_at,
        zone=zone.key,
        nominal_at=nominal,
        recipient_id=recipient_id,
        channel_id=channel_id,
        milestone_id=facts.milestone_id,
        project_id=facts.project_id,
        basis_due_at=due,
    )


def _lead_nominal(due: datetime, lead: timedelta, zone: ZoneInfo, local_time: time) -> datetime:
    if lead > timedelta(0) and lead % timedelta(days=1) == timedelta(0):
        # Whole days are calendar days on the recipient's wall clock, at their local reminder time.
        day = due.astimezone(zone).date() - timedelta(days=lead.days)
        return wall_clock(day, local_time, zone)
    return due - lead  # exact durations (and the due instant itself) are instants, not wall clock


def _days_after(due: datetime, days: int, zone: ZoneInfo) -> datetime:
    """The same wall-clock time `days` calendar days after `due`, in the milestone's own zone."""
    local = due.astimezone(zone)
    return wall_clock(local.date() + timedelta(days=days), local.time().replace(tzinfo=None), zone)
