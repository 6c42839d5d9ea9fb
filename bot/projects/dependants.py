"""Moving a milestone's dependants with it ("Move them too" under a move).

Apart from `bot.projects.milestone_details` because it moves milestones (`bot.projects.milestones`), which
the read models that `milestone_details` serves are imported by.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.access import Actor, can_see
from bot.domain.dates import ParsedDue
from bot.domain.reminders import ReminderPolicy
from bot.errors import InvalidInput, NotFound, UserFacingError
from bot.models import Milestone
from bot.projects.milestone_details import dependants_due_before
from bot.projects.milestones import move_milestone
from bot.projects.project import affected_users

__all__ = ["DependantsMoved", "move_dependants"]


@dataclass(frozen=True)
class DependantsMoved:
    """What "Move them too" did.

    Attributes:
        moved: `(ref, new due)` of each dependant moved.
        skipped: `(ref, reason)` of each one left where it is.
        affected: Slack ids whose App Home shows a moved milestone.
    """

    moved: tuple[tuple[str, datetime], ...]
    skipped: tuple[tuple[str, str], ...]
    affected: frozenset[str]


def move_dependants(
    session: Session,
    actor: Actor,
    milestone_id: int,
    *,
    shift: timedelta,
    expected_due: datetime,
    dependant_ids: Sequence[int],
    now: datetime,
    reminders: ReminderPolicy | None = None,
) -> DependantsMoved:
    """Move the dependants of a moved milestone by the same shift, keeping their spacing ("Move them too").

    Only dependants still due before the milestone move (a later move may have fixed some); each is
    moved as `actor` with the usual rule (its owner, the lead or an admin), in the milestone's own zone.

    Raises:
        NotFound: The milestone is gone or not visible.
        InvalidInput: The milestone was moved again since the button was shown.
    """
    milestone = session.get(Milestone, milestone_id)
    if milestone is None or not can_see(milestone.project, actor):
        raise NotFound("That milestone no longer exists.")
    if milestone.due_at != expected_due:
        raise InvalidInput(
            "That milestone was moved again since; move its dependants with `/milestone move`."
        )
    wanted = set(dependant_ids)
    moved: list[tuple[str, datetime]] = []
    skipped: list[tuple[str, str]] = []
    affected: set[str] = set()
    for dependant in dependants_due_before(session, milestone):
        if dependant.id not in wanted:
            continue
        ref = f"{dependant.project.key}-{dependant.number}"
        new_due = dependant.due_at + shift
        local = new_due.astimezone(ZoneInfo(dependant.due_timezone))
        due = ParsedDue(
            instant=new_due, zone=dependant.due_timezone, local=local, relative=False, time_given=True
        )
        try:
            with session.begin_nested():
                move_milestone(session, actor, ref, due, now, reminders)
        except UserFacingError as error:
            skipped.append((ref, error.message))
            continue
        moved.append((ref, new_due))
        affected |= affected_users(dependant.project)
    return DependantsMoved(tuple(moved), tuple(skipped), frozenset(affected))
