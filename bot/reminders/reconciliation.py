"""Whether a reminder whose earlier attempt went unanswered is in the conversation after all.

`chat.postMessage` has no idempotency key, and a post whose answer never came (a timeout, a dropped
connection, a claimer that died mid-send) may still be carried out by Slack well after the client gave
up: an overloaded Slack answers after 15 or 30 seconds, while our client waits 10. A single history
lookup soon after the timeout finds nothing, and a resend then doubles the reminder once the slow post
lands. So a miss proves absence only once the post can no longer land:

- `ambiguous_at` (on the delivery) is when the attempt was given up on: the unanswered post's
  timeout, or the expired lease of a claimer that died (it posted, if at all, before then);
- the landing window (`LIAISON_REMINDER_LANDING_SECONDS`) is how long after that Slack may still carry
  the post out;
- lookups at a sixth and at half of the window (a little jittered) find a post that landed late, and
  settle the delivery as sent (found in history) without posting;
- a lookup that starts at or after the end of the window and does not find the message proves it
  absent: only then is the reminder posted again;
- before then a miss proves nothing: the delivery waits for its next lookup and is never posted at once.

A history that cannot be read (missing scope, not in the channel) cannot prove anything: the reminder is
then posted blind, but also only after the landing window, and the caller logs it as ambiguous.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.reminders.claims import Claim
from bot.reminders.sending import (
    AmbiguousDeliveryError,
    HistoryUnavailableError,
    PostedMessage,
    Sender,
    TransientDeliveryError,
)

# Look this far before the first attempt when searching for a message that may have been posted
# (clock skew between us and Slack, whose `ts` is its own time).
RECONCILE_MARGIN = timedelta(minutes=2)
# The early lookups, as fractions of the landing window after the unanswered attempt; the deciding
# lookup is at the window's end.
EARLY_LOOKUPS = (1 / 6, 1 / 2)
# Early lookups move later by up to this fraction of themselves, so a burst of timeouts does not
# become a burst of history reads (`conversations.history` is rate limited per workspace).
LOOKUP_JITTER = 0.2


class Verdict(enum.StrEnum):
    """What a lookup proved about an earlier, unanswered attempt."""

    FOUND = "found"  # it was posted: settle as sent, post nothing
    ABSENT = "absent"  # not posted, and it can no longer land: post it (again)
    UNREADABLE = "unreadable"  # the landing window is over but the history cannot be read: post blind
    NOT_YET = "not yet"  # not found, but it may still land: look again later, post nothing


@dataclass(frozen=True)
class Reconciliation:
    """A lookup's verdict.

    Attributes:
        verdict: What it proved.
        message: The message found (FOUND).
        look_again_at: When to look again (NOT_YET).
        error: Why the history could not be read (UNREADABLE, or NOT_YET before a blind resend).
    """

    verdict: Verdict
    message: PostedMessage | None = None
    look_again_at: datetime | None = None
    error: str | None = None


def unanswered_since(claim: Claim) -> datetime:
    """When the attempt a lookup is about was given up on (the first attempt for rows from before
    `ambiguous_at` was recorded)."""
    return claim.ambiguous_at or claim.first_attempt_at


def next_lookup_at(
    unanswered_at: datetime, now: datetime, landing: timedelta, *, jitter: float = 0.0
) -> datetime:
    """When to look next for a post given up on at `unanswered_at`: the first early lookup still ahead
    of `now`, else the end of the landing window (the lookup that decides).

    Args:
        unanswered_at: When the attempt was given up on.
        now: The current instant.
        landing: The landing window.
        jitter: A number in [0, 1) that delays the early lookups a little.
    """
    for fraction in EARLY_LOOKUPS:
        at = unanswered_at + landing * fraction * (1 + LOOKUP_JITTER * jitter)
        if at > now:
            return at
    return unanswered_at + landing


def reconcile(
    sender: Sender,
    claim: Claim,
    target: str,
    *,
    team_id: str | None,
    now: datetime,
    landing: timedelta,
    jitter: float = 0.0,
) -> Reconciliation:
    """Look for an uncertain delivery's message and say what that proves.

    Args:
        sender: Reads the conversation's history.
        claim: The delivery (uncertain: an earlier attempt may have posted).
        target: Where it would have been posted.
        team_id: The workspace.
        now: The instant the lookup starts (read before calling: a miss proves absence as of then).
        landing: How long after `ambiguous_at` Slack may still carry out the unanswered post.
        jitter: A number in [0, 1) for the next early lookup.

    Returns:
        The verdict.

    Raises:
        TransientDeliveryError: The history could not be read this time (including a lookup that went
            unanswered, which posted nothing and so is not an ambiguous attempt); retry later.
    """
    unanswered_at = unanswered_since(claim)
    deciding = now >= unanswered_at + landing
    try:
        found = sender.find_reminder(
            target, key=claim.key, since=claim.first_attempt_at - RECONCILE_MARGIN, team_id=team_id
        )
    except HistoryUnavailableError as error:
        if deciding:
            return Reconciliation(Verdict.UNREADABLE, error=error.error)
        return Reconciliation(Verdict.NOT_YET, look_again_at=unanswered_at + landing, error=error.error)
    except AmbiguousDeliveryError as error:
        raise TransientDeliveryError(f"history lookup unanswered: {error.error}") from error
    if found is not None:
        return Reconciliation(Verdict.FOUND, message=found)
    if deciding:
        return Reconciliation(Verdict.ABSENT)
    return Reconciliation(
        Verdict.NOT_YET, look_again_at=next_lookup_at(unanswered_at, now, landing, jitter=jitter)
    )
