"""What reminder planning produces and reads: delivery kinds, planned deliveries, milestone facts."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class DeliveryKind(enum.StrEnum):
    """What a planned delivery is; part of its unique key."""

    LEAD_TIME = "lead_time"  # owner DM before (or at) the due time
    ESCALATE_LEAD = "escalate_lead"  # project lead DM, N days overdue
    ESCALATE_CHANNEL = "escalate_channel"  # project channel, M days overdue
    SNOOZE = "snooze"  # a reminder someone asked for again later
    DIGEST = "digest"  # weekly project digest in the project channel
    WAITING = "waiting"  # daily "waiting on you" DM
    FAILURE = "failure"  # report to a project lead that a delivery failed for good


RECURRING_KINDS = frozenset({DeliveryKind.DIGEST, DeliveryKind.WAITING})
MILESTONE_KINDS = frozenset(
    {DeliveryKind.LEAD_TIME, DeliveryKind.ESCALATE_LEAD, DeliveryKind.ESCALATE_CHANNEL, DeliveryKind.SNOOZE}
)


@dataclass(frozen=True)
class MilestoneFacts:
    """What planning needs to know about one milestone, its people and its project.

    Zones are IANA names, already resolved (person's Slack zone, else the workspace zone).
    """

    milestone_id: int
    project_id: int
    due_at: datetime
    due_zone: str
    is_open: bool
    owner_id: int | None
    owner_zone: str
    lead_id: int | None
    lead_zone: str
    channel_id: str | None
    workspace_zone: str


@dataclass(frozen=True)
class PlannedDelivery:
    """One delivery to make, at `send_at` (UTC).

    Attributes:
        kind: What it is.
        key: Unique meaning of the delivery: the same key is never delivered twice.
        series: The recurring series (or the milestone and kind) the delivery belongs to.
        occurrence: Which occurrence of the rule ("T-7d@20261127T110000Z", "2026-11-23").
        send_at: When to send, after moving out of quiet hours and weekends.
        zone: The zone whose wall clock the rule was read in.
        nominal_at: When the rule says, before moving; equals `send_at` when nothing moved.
        recipient_id: The person to DM, if any.
        channel_id: The channel to post in, if any.
        milestone_id: The milestone it is about, if any.
        project_id: The project it is about, if any.
        basis_due_at: The milestone due time it was planned from (stale once the milestone moves).
    """

    kind: DeliveryKind
    key: str
    series: str
    occurrence: str
    send_at: datetime
    zone: str
    nominal_at: datetime
    recipient_id: int | None = None
    channel_id: str | None = None
    milestone_id: int | None = None
    project_id: int | None = None
    basis_due_at: datetime | None = field(default=None)

    @property
    def moved(self) -> bool:
        """Whether quiet hours, a weekend or a DST gap moved it from the time the rule gives."""
        return self.send_at != self.nominal_at
