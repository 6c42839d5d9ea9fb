"""Agreements and papers in a person's feed (read from `bot.agreements` and `bot.publications` tables).

- An agreement the person owns: its expiry day, as an all-day event, with their expiry reminders as
  alarms; gone once it is terminated (a cancelled date is removed, not kept).
- A paper the person is an author of: the venue's deadline (a wall-clock time in the venue's zone;
  Anywhere on Earth is written in UTC and named "AoE" in the title, since calendar clients know no AoE
  zone), marked done once the paper is submitted; and the milestones planned backwards for it, which
  appear under their own milestone UIDs (the first author owns them, and sees their reminders).
  Papers of archived projects, or of private projects the person is not on, are left out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from bot.agreements.tables import Agreement, AgreementReminder, AgreementStatus
from bot.calendar.items import UID_DOMAIN, CalendarItem, milestone_item
from bot.models import Membership, Milestone, Person, Project
from bot.publications.papers import SENT as PAPER_SENT
from bot.publications.tables import Paper, PaperAuthor, PaperMilestone

_GONE_AGREEMENTS = (AgreementStatus.TERMINATED.value,)
# The statuses of `agreement_reminder` rows (bot/agreements/reminders.py) that are planned or were sent.
_LIVE_REMINDERS = ("planned", "claimed", "sent")
AOE = "AoE"


def person_records(session: Session, person: Person) -> list[CalendarItem]:
    """The person's agreements and papers as calendar items (see the module)."""
    return [*_agreements(session, person), *_papers(session, person)]


def _agreements(session: Session, person: Person) -> list[CalendarItem]:
    agreements = session.scalars(
        select(Agreement)
        .where(
            Agreement.workspace_id == person.workspace_id,
            Agreement.owner_id == person.id,
            Agreement.expires_on.is_not(None),
            Agreement.status.not_in(_GONE_AGREEMENTS),
        )
        .order_by(Agreement.expires_on, Agreement.id)
    ).all()
    if not agreements:
        return []
    alarms: dict[int, list[datetime]] = {}
    rows = session.execute(
        select(AgreementReminder.agreement_id, AgreementReminder.send_at).where(
            AgreementReminder.recipient_id == person.id,
            AgreementReminder.agreement_id.in_([a.id for a in agreements]),
            AgreementReminder.kind.like("expiry%"),
            AgreementReminder.status.in_(_LIVE_REMINDERS),
        )
    )
    for agreement_id, send_at in rows:
        alarms.setdefault(agreement_id, []).append(send_at)
    items = []
    for agreement in agreements:
        assert agreement.expires_on is not None
        expired = agreement.status == AgreementStatus.EXPIRED.value
        lines = [
            f"Agreement {agreement.key} ({agreement.kind.replace('_', ' ')}): {agreement.title}.",
            f"Status: {agreement.status.replace('_', ' ')}.",
        ]
        if agreement.document_url:
            lines.append(agreement.document_url)
        items.append(
            CalendarItem(
                uid=f"agreement-{agreement.key}-expiry.w{agreement.workspace_id}@{UID_DOMAIN}",
                summary=f"{agreement.key} expires: {agreement.title}",
                start=agreement.expires_on,
                zone="UTC",
                done=expired,
                description="\n".join(lines),
                url=agreement.document_url,
                categories=("Agreement",),
                alarms=() if expired else tuple(sorted(set(alarms.get(agreement.id, ())))),
            )
        )
    return items


def _papers(session: Session, person: Person) -> list[CalendarItem]:
    member_of = select(Membership.project_id).where(Membership.person_id == person.id)
    authored = select(PaperAuthor.paper_id).where(PaperAuthor.person_id == person.id)
    papers = session.scalars(
        select(Paper)
        .join(Paper.project)
        .where(
            Paper.id.in_(authored),
            Project.workspace_id == person.workspace_id,
            Project.archived_at.is_(None),
            or_(Project.private.is_(False), Project.id.in_(member_of)),
        )
        .options(
            joinedload(Paper.project),
            joinedload(Paper.venue),
            selectinload(Paper.plan).joinedload(PaperMilestone.milestone).joinedload(Milestone.owner),
        )
        .order_by(Paper.id)
    ).all()
    items: list[CalendarItem] = []
    for paper in papers:
        project, venue = paper.project, paper.venue
        ref = f"{project.key}-p{paper.number}"
        if venue is not None and venue.deadline_at is not None:
            aoe = venue.deadline_zone == AOE
            zone = "UTC" if aoe or not venue.deadline_zone else venue.deadline_zone
            when = f" ({_aoe_text(venue.deadline_at)})" if aoe else ""
            items.append(
                CalendarItem(
                    uid=f"paper-{project.key}-p{paper.number}-deadline.w{project.workspace_id}@{UID_DOMAIN}",
                    summary=f"{venue.name} deadline{when}: {paper.title} ({ref})",
                    start=venue.deadline_at,
                    zone=zone,
                    done=paper.status in PAPER_SENT,
                    description=(
                        f"Paper {ref} of {project.name} ({project.key}), status: "
                        f"{paper.status.replace('_', ' ')}.\nVenue: {venue.name}."
                    ),
                    url=venue.url,
                    categories=("Paper", project.key),
                )
            )
        for step in paper.plan:
            milestone = step.milestone
            if milestone is not None and milestone.deleted_at is None:
                items.append(milestone_item(milestone, owner=milestone.owner, project=project))
    return items


def _aoe_text(instant: datetime) -> str:
    # Anywhere on Earth is UTC-12 all year: the wall-clock time the venue announced.
    local = instant.astimezone(UTC).replace(tzinfo=None)
    return f"{(local - timedelta(hours=12)):%Y-%m-%d %H:%M} AoE"
