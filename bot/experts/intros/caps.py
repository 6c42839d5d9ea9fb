"""Weekly caps on intro requests: how many an expert accepts, and how many they had this week.

Every request made in the last seven days counts against the expert's weekly cap (their own
`weekly_request_cap`, else the workspace default from settings), whatever its outcome, since each one
cost the expert a decision; a cap of 0 means "accepts no requests".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import IntroRequest

# Requests made within this window count against the expert's weekly cap.
CAP_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class CapStatus:
    """How many intro requests someone had this week against how many they accept.

    Attributes:
        cap: Requests per seven days they accept (0: none).
        used: Requests made in the last seven days.
        available_after: After this instant they are under their cap again; None when they are
            under it now, or accept no requests at all.
    """

    cap: int
    used: int
    available_after: datetime | None

    @property
    def over_cap(self) -> bool:
        """True when one more request would exceed the cap (always, with a cap of 0)."""
        return self.used >= self.cap

    @property
    def accepts_requests(self) -> bool:
        """False for a cap of 0: the person takes no intro requests at all."""
        return self.cap > 0


def effective_cap(personal: int | None, default: int) -> int:
    """A person's weekly cap: their own if they set one, else the workspace default."""
    return default if personal is None else personal


def cap_status(cap: int, request_times: Iterable[datetime]) -> CapStatus:
    """The cap status of someone with `cap` who was asked at `request_times` (all within the window).

    Args:
        cap: Their weekly cap.
        request_times: When each of their requests of the last seven days was made.

    Returns:
        The status.
    """
    times = sorted(request_times)
    used = len(times)
    available_after = None
    if cap > 0 and used >= cap:
        # To get under the cap, used - cap + 1 requests must leave the window: the oldest ones.
        available_after = times[used - cap] + CAP_WINDOW
    return CapStatus(cap=cap, used=used, available_after=available_after)


def recent_request_times(
    session: Session, workspace_id: int, now: datetime, *, expert_ids: Iterable[int] | None = None
) -> dict[int, list[datetime]]:
    """When each expert of the workspace was asked for an intro within the cap window.

    Args:
        session: An open session.
        workspace_id: The workspace.
        now: The current instant; requests made at or after ``now - CAP_WINDOW`` count.
        expert_ids: Only these people (person ids); None: everyone (a week of requests is small).

    Returns:
        Person id to request times; people without recent requests are left out.
    """
    query = select(IntroRequest.expert_id, IntroRequest.created_at).where(
        IntroRequest.workspace_id == workspace_id, IntroRequest.created_at >= now - CAP_WINDOW
    )
    if expert_ids is not None:
        query = query.where(IntroRequest.expert_id.in_(list(expert_ids)))
    found: dict[int, list[datetime]] = {}
    for expert_id, created_at in session.execute(query):
        found.setdefault(expert_id, []).append(created_at)
    return found
