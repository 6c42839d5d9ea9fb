"""Block Kit of changes asked for in plain language: the proposal with Confirm / Cancel, and its end.

Times are shown in the asker's zone. People are named, not mentioned, in a proposal: it may be posted
in a channel, and proposing a change must not ping whoever it is about. The buttons carry only the
proposal's token (`bot.proposals`); everything else is stored server-side.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.dates import format_local
from bot.projects.reports import PersonRef
from bot.proposals.offers import Offer
from bot.proposals.requests import ChangeKind
from bot.slack import blocks as kit
from bot.slack import ids

# What the refusals say. Pressing someone else's button is refused without naming what it would do.
NOT_YOURS = (
    "Only <@{requester}> can confirm or cancel this change; nothing was changed. "
    "To make a change yourself, ask me in a DM, e.g. “mark pcm-2 done”."
)
NOT_YOURS_FALLBACK = "Only the person who asked can confirm or cancel this change; nothing was changed."
OUT_OF_DATE = "That confirmation is out of date; nothing was changed. Ask me again."
ALREADY_CONFIRMED = "Already done: this change was confirmed once; nothing more was changed."
ALREADY_CANCELLED = "This change was cancelled; nothing was changed. Ask me again if you want it."
EXPIRED = "This confirmation has expired; nothing was changed. Ask me again."
CANCELLED = "Cancelled; nothing was changed."


def build_offer_reply(offer: Offer) -> kit.Reply:
    """What Liaison understood, in the asker's zone, with Confirm and Cancel (or the record's changes
    first, when it is asked again after the record changed)."""
    question, fallback = _question(offer)
    blocks: list[kit.Block] = []
    if offer.changed:
        what = ", ".join(offer.changed)
        blocks.append(
            kit.section(
                f":arrows_counterclockwise: `{offer.target}` changed since you asked ({kit.escape(what)}). "
                f"{_state(offer)} Still want this?"
            )
        )
        fallback = f"{offer.target} changed since you asked. {fallback}"
    blocks.append(kit.section(question))
    if offer.in_the_past:
        blocks.append(kit.context(":warning: That is in the past: the milestone would be overdue at once."))
    blocks.append(
        kit.context(
            f"Times in {kit.escape(offer.zone.key)}. Nothing changes until you confirm; "
            f"this offer expires {kit.escape(format_local(offer.expires_at, offer.zone))}."
        )
    )
    blocks.append(
        kit.actions(
            [
                kit.button("Confirm", ids.PROPOSAL_CONFIRM_ACTION, offer.token, style="primary"),
                kit.button("Cancel", ids.PROPOSAL_CANCEL_ACTION, offer.token),
            ],
            block_id=ids.PROPOSAL_BLOCK,
        )
    )
    return kit.Reply(text=fallback, blocks=blocks)


def _question(offer: Offer) -> tuple[str, str]:
    """The proposal as a question (mrkdwn) and as the plain fallback text."""
    zone = offer.zone
    title = f"`{offer.target}` *{kit.truncate_escaped(offer.title, 300)}*"
    if offer.kind == ChangeKind.DONE:
        return f"Mark {title} done? {_state(offer)}", f"Mark {offer.target} done?"
    if offer.kind == ChangeKind.MOVE:
        assert offer.new_due is not None
        new = format_local(offer.new_due, zone)
        was = format_local(offer.due, zone) if offer.due is not None else "no date"
        return (
            f"Move {title} to *{kit.escape(new)}* (now due {kit.escape(was)})?",
            f"Move {offer.target} to {new}?",
        )
    if offer.kind == ChangeKind.ASSIGN:
        new_owner = _name(offer.new_owner)
        return (
            f"Hand {title} to *{new_owner}* (now {_owned(offer.owner)})?",
            f"Hand {offer.target} to {offer.new_owner.name if offer.new_owner else ''}?",
        )
    if offer.kind == ChangeKind.BLOCKER:
        project = f"*{kit.truncate_escaped(offer.title, 200)}* (`{offer.project_key}`)"
        return (
            f"Raise a blocker on {project}: “{kit.truncate_escaped(offer.text, 2000)}”?",
            f"Raise a blocker on {offer.project_key}?",
        )
    assert offer.remind_at is not None
    at = format_local(offer.remind_at, zone)
    return (
        f"Remind you about {title} on *{kit.escape(at)}*, in a DM?",
        f"Remind you about {offer.target} on {at}?",
    )


def _state(offer: Offer) -> str:
    if offer.kind == ChangeKind.BLOCKER or offer.due is None:
        return ""
    return f"It is due {kit.escape(format_local(offer.due, offer.zone))}, {_owned(offer.owner)}."


def _owned(owner: PersonRef | None) -> str:
    return f"owned by {_name(owner)}" if owner is not None else "owned by nobody"


def _name(person: PersonRef | None) -> str:
    return kit.truncate_escaped(person.name, 200) if person is not None else "nobody"


def build_marked_done_reply(ref: str, title: str, *, changed: bool) -> kit.Reply:
    """A confirmed "mark it done" (the words `/milestone done` answers with)."""
    verb = "Marked done" if changed else "Already done"
    message = f":white_check_mark: {verb}: `{ref}` *{kit.truncate_escaped(title, 300)}*."
    return kit.Reply(text=f"{verb}: {ref} {title}", blocks=[kit.section(message)])


def build_blocker_raised_reply(ref: str, project_name: str, text: str) -> kit.Reply:
    """A confirmed blocker (the words `/blocker add` answers with)."""
    message = (
        f":no_entry: Blocker `{ref}` raised on *{kit.truncate_escaped(project_name, 200)}*: "
        f"{kit.truncate_escaped(text, 2000)}"
    )
    return kit.Reply(text=f"Blocker {ref} raised", blocks=[kit.section(message)])


def build_reminder_planned_reply(ref: str, title: str, at: datetime, zone: ZoneInfo) -> kit.Reply:
    """A confirmed personal reminder, its time in the asker's zone."""
    local = format_local(at, zone)
    message = (
        f":alarm_clock: I'll remind you about `{ref}` *{kit.truncate_escaped(title, 300)}* "
        f"on *{kit.escape(local)}*, in a DM."
    )
    return kit.Reply(text=f"I'll remind you about {ref} on {local}", blocks=[kit.section(message)])


def build_refusal_reply(message: str) -> kit.Reply:
    """A request that cannot be proposed (unknown record or person, unreadable date, no permission):
    a clear sentence, no buttons."""
    return kit.build_error_reply(message)
