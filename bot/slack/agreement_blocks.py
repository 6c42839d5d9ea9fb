"""Block Kit for the agreements register: lists, one agreement, the add form, join approval, reminders.

Pure builders (no Slack calls). Every user-written text (titles, parties, notes, project names) is
escaped before it enters mrkdwn; document links are shown only as validated http(s) links.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.agreements.questions import AgreementAnswer
from bot.agreements.records import (
    KIND_LABELS,
    AgreementDraft,
    AgreementView,
    Requirement,
    StatusChange,
    organisations,
)
from bot.agreements.records import parse_kind as read_kind
from bot.agreements.records import parse_status as read_status
from bot.agreements.reminders import AgreementNotice
from bot.agreements.tables import AgreementKind, AgreementStatus
from bot.agreements.waiting import status_label, status_phrase
from bot.errors import InvalidInput
from bot.models import Project
from bot.slack import ids
from bot.slack.blocks import (
    MAX_BLOCKS,
    Block,
    Reply,
    actions,
    button,
    cap_blocks,
    context,
    escape,
    header,
    link_text,
    section,
    truncate,
    truncate_escaped,
)
from bot.slack.modals import input_block, option, plain_text
from bot.slack.payload_values import input_state, selected_value, selected_values, string_of

STATUS_EMOJI = {
    AgreementStatus.DRAFT: ":memo:",
    AgreementStatus.NEGOTIATION: ":speech_balloon:",
    AgreementStatus.LEGAL_REVIEW: ":scales:",
    AgreementStatus.SIGNED: ":white_check_mark:",
    AgreementStatus.EXPIRED: ":hourglass:",
    AgreementStatus.TERMINATED: ":no_entry_sign:",
}


def waiting_text(key: str, status: str, days: int) -> str:
    """How a milestone shows what it waits on: "waiting on `dua-7` (legal review, 23 days in this status)"."""
    unit = "day" if days == 1 else "days"
    return f"waiting on `{escape(key)}` ({escape(status)}, {days} {unit} in this status)"


def _days(since: date, today: date) -> int:
    return max(0, (today - since).days)


def _dates(view: AgreementView, today: date) -> str:
    parts = []
    if view.effective_on:
        parts.append(f"effective {view.effective_on.isoformat()}")
    if view.expires_on:
        left = (view.expires_on - today).days
        hint = f" (in {left} days)" if left >= 0 else f" ({-left} days ago)"
        parts.append(f"expires {view.expires_on.isoformat()}{hint}")
    return " · ".join(parts)


def agreement_summary(view: AgreementView, today: date) -> str:
    """One agreement as a mrkdwn paragraph (list entry)."""
    emoji = STATUS_EMOJI.get(AgreementStatus(view.status), ":page_facing_up:")
    days = _days(view.status_since, today)
    signed = view.status == AgreementStatus.SIGNED
    state = (
        f"signed on {view.status_since.isoformat()}"
        if signed
        else f"{escape(view.status_label)} for {days} day{'s' if days != 1 else ''}"
    )
    lines = [
        f"{emoji} `{escape(view.key)}` *{truncate_escaped(view.title, 200)}* · {escape(view.kind_label)}",
        f"      {state}" + (f" · owner <@{view.owner_slack_id}>" if view.owner_slack_id else " · no owner"),
    ]
    if view.parties:
        lines.append("      " + truncate_escaped(", ".join(view.parties), 300))
    dates = _dates(view, today)
    if dates:
        lines.append(f"      {dates}")
    if view.waiting_milestones:
        refs = ", ".join(f"`{escape(ref)}`" for ref in view.waiting_milestones[:10])
        if signed:
            lines.append(f"      required by {refs}")
        else:
            waits = "waits on it" if len(view.waiting_milestones) == 1 else "wait on it"
            lines.append(f"      :hourglass_flowing_sand: {refs} {waits}")
    return "\n".join(lines)


def build_agreement_list_reply(project: Project | None, views: Sequence[AgreementView], today: date) -> Reply:
    """`/agreement list [project]`."""
    title = f"Agreements of {project.name}" if project is not None else "Agreements"
    if not views:
        where = f" covering *{escape(project.name)}*" if project is not None else ""
        return Reply(
            text="No agreements.",
            blocks=[section(f"No agreements{where} that you can see. Record one with `/agreement add`.")],
        )
    blocks: list[Block] = [header(title)]
    blocks += [section(agreement_summary(view, today)) for view in views]
    return Reply(text=f"{title}: {len(views)}", blocks=cap_blocks(blocks, MAX_BLOCKS))


def build_agreement_status_reply(view: AgreementView, today: date) -> Reply:
    """`/agreement status KEY`: the whole record."""
    blocks: list[Block] = [
        header(truncate(f"{view.key}: {view.title}", 150)),
        section(agreement_summary(view, today)),
    ]
    facts = []
    if view.projects:
        facts.append("*Covers:* " + ", ".join(f"{escape(p.name)} (`{escape(p.key)}`)" for p in view.projects))
    if view.publication_review_days is not None:
        facts.append(f"*Partners' review before publication:* {view.publication_review_days} days")
    if view.data_restricted_to:
        facts.append(
            "*Data restricted to members of:* " + truncate_escaped(", ".join(view.data_restricted_to), 500)
        )
    if view.document_url:
        facts.append(f"*Document:* {link_text(view.document_url)}")
    if view.notes:
        facts.append(f"*Notes:* {truncate_escaped(view.notes, 1500)}")
    if facts:
        blocks.append(section("\n".join(facts)))
    if view.history:
        steps = " → ".join(f"{escape(status_label(s.status))} {s.on.isoformat()}" for s in view.history[-12:])
        blocks.append(context(f"History: {steps}"))
    if view.can_edit:
        blocks.append(context(f"Change it: `/agreement set-status {escape(view.key)} signed [date]`"))
    return Reply(text=f"{view.key}: {view.title} ({view.status_label})", blocks=blocks)


def build_status_changed_reply(change: StatusChange, today: date) -> Reply:
    """The answer to `/agreement set-status`."""
    view = change.view
    if not change.changed:
        message = f"`{escape(view.key)}` is already {escape(view.status_label)}."
        return Reply(text=f"{view.key} is already {view.status_label}.", blocks=[section(message)])
    message = (
        f"`{escape(view.key)}` is now *{escape(view.status_label)}* (since {view.status_since.isoformat()})."
    )
    if change.released:
        refs = ", ".join(f"`{escape(ref)}`" for ref in change.released[:20])
        message += f"\nNo longer waiting on it: {refs}. Their owners and the project channels are told."
    return Reply(text=f"{view.key} is now {view.status_label}.", blocks=[section(message)])


def build_requirement_reply(requirement: Requirement, today: date) -> Reply:
    """The answer to `/agreement require MILESTONE KEY`."""
    days = _days(requirement.since, today)
    waiting = waiting_text(requirement.agreement_key, requirement.status, days)
    if requirement.status == status_label(AgreementStatus.SIGNED):
        waiting = f"`{escape(requirement.agreement_key)}` is signed already, so nothing waits"
    prefix = "" if requirement.changed else "Already: "
    text = (
        f"{prefix}`{escape(requirement.milestone_ref)}` "
        f"*{truncate_escaped(requirement.milestone_title, 200)}* "
        f"requires `{escape(requirement.agreement_key)}`: {waiting}."
    )
    return Reply(
        text=f"{requirement.milestone_ref} requires {requirement.agreement_key}", blocks=[section(text)]
    )


# ---- the add form --------------------------------------------------------------------------------


def build_agreement_modal(projects: Sequence[Project], opened_by: str) -> Block:
    """The add form: the projects offered are those the opener may record agreements for."""
    kinds = [option(KIND_LABELS[k], k.value) for k in AgreementKind]
    statuses = [option(status_label(s), s.value) for s in AgreementStatus if s is not AgreementStatus.EXPIRED]
    project_options = [option(f"{p.name} ({p.key})", p.key) for p in projects[:100]]
    blocks: list[Block] = [
        input_block(ids.AGREEMENT_KIND_INPUT, "Kind", {"type": "static_select", "options": kinds}),
        input_block(ids.AGREEMENT_TITLE_INPUT, "Title", {"type": "plain_text_input", "max_length": 300}),
        input_block(
            ids.AGREEMENT_PROJECTS_INPUT,
            "Projects it covers",
            {"type": "multi_static_select", "options": project_options},
        ),
        input_block(
            ids.AGREEMENT_PARTIES_INPUT,
            "Parties (organisations)",
            {"type": "plain_text_input", "max_length": 2000},
            optional=True,
            hint="Comma-separated, e.g. Brightbid Ads, TU Delft",
        ),
        input_block(ids.AGREEMENT_OWNER_INPUT, "Owner (drives it)", {"type": "users_select"}, optional=True),
        input_block(
            ids.AGREEMENT_STATUS_INPUT,
            "Status",
            {"type": "static_select", "options": statuses, "initial_option": statuses[0]},
        ),
        input_block(ids.AGREEMENT_EFFECTIVE_INPUT, "Effective from", {"type": "datepicker"}, optional=True),
        input_block(ids.AGREEMENT_EXPIRES_INPUT, "Expires on", {"type": "datepicker"}, optional=True),
        input_block(
            ids.AGREEMENT_URL_INPUT,
            "Document link",
            {"type": "plain_text_input", "max_length": 2000},
            optional=True,
            hint="A link only: Liaison never stores the document.",
        ),
        input_block(
            ids.AGREEMENT_REVIEW_INPUT,
            "Partners' pre-publication review (days)",
            {"type": "plain_text_input", "max_length": 3},
            optional=True,
        ),
        input_block(
            ids.AGREEMENT_RESTRICTED_INPUT,
            "Data restricted to members of",
            {"type": "plain_text_input", "max_length": 2000},
            optional=True,
            hint="Comma-separated organisations; others need the lead's approval to join the project.",
        ),
        input_block(
            ids.AGREEMENT_NOTES_INPUT,
            "Notes",
            {"type": "plain_text_input", "multiline": True, "max_length": 3000},
            optional=True,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": ids.AGREEMENT_MODAL,
        "title": plain_text("New agreement"),
        "submit": plain_text("Record"),
        "close": plain_text("Cancel"),
        "blocks": blocks,
        "private_metadata": json.dumps({"opened_by": opened_by}),
    }


def _text(values: Any, block_id: str) -> str:
    return (string_of(input_state(values, block_id)) or "").strip()


def _organisations(values: Any, block_id: str) -> tuple[str, ...]:
    return organisations(_text(values, block_id))


def _day(values: Any, block_id: str, label: str) -> date | None:
    raw = string_of(input_state(values, block_id), "selected_date")
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FormError(block_id, f"{label}: pick a date.") from None


class FormError(InvalidInput):
    """A problem with one field of the add form, shown next to it."""

    def __init__(self, block_id: str, message: str) -> None:
        super().__init__(message)
        self.block_id = block_id


def parse_agreement_submission(values: Any) -> AgreementDraft:
    """Read the add form (nothing in the payload is trusted: wrong shapes read as empty).

    Raises:
        FormError: Naming the field.
    """
    try:
        kind = read_kind(selected_value(input_state(values, ids.AGREEMENT_KIND_INPUT)) or "")
    except InvalidInput:
        raise FormError(ids.AGREEMENT_KIND_INPUT, "Pick a kind.") from None
    try:
        status = read_status(selected_value(input_state(values, ids.AGREEMENT_STATUS_INPUT)) or "draft")
    except InvalidInput as error:
        raise FormError(ids.AGREEMENT_STATUS_INPUT, error.message) from None
    review_text = _text(values, ids.AGREEMENT_REVIEW_INPUT)
    review: int | None = None
    if review_text:
        if not review_text.isdigit():
            raise FormError(ids.AGREEMENT_REVIEW_INPUT, "A whole number of days, e.g. 30.")
        review = int(review_text)
    try:
        parties = _organisations(values, ids.AGREEMENT_PARTIES_INPUT)
    except InvalidInput as error:
        raise FormError(ids.AGREEMENT_PARTIES_INPUT, error.message) from None
    try:
        restricted = _organisations(values, ids.AGREEMENT_RESTRICTED_INPUT)
    except InvalidInput as error:
        raise FormError(ids.AGREEMENT_RESTRICTED_INPUT, error.message) from None
    projects = tuple(selected_values(input_state(values, ids.AGREEMENT_PROJECTS_INPUT)))
    if not projects:
        raise FormError(ids.AGREEMENT_PROJECTS_INPUT, "Pick the project(s) it covers.")
    return AgreementDraft(
        kind=kind,
        title=_text(values, ids.AGREEMENT_TITLE_INPUT),
        parties=parties,
        projects=projects,
        owner=string_of(input_state(values, ids.AGREEMENT_OWNER_INPUT), "selected_user") or None,
        status=status,
        effective_on=_day(values, ids.AGREEMENT_EFFECTIVE_INPUT, "Effective from"),
        expires_on=_day(values, ids.AGREEMENT_EXPIRES_INPUT, "Expires on"),
        document_url=_text(values, ids.AGREEMENT_URL_INPUT) or None,
        publication_review_days=review,
        data_restricted_to=restricted,
        notes=_text(values, ids.AGREEMENT_NOTES_INPUT) or None,
    )


FIELD_BLOCKS = {
    "title": ids.AGREEMENT_TITLE_INPUT,
    "document_url": ids.AGREEMENT_URL_INPUT,
    "publication_review_days": ids.AGREEMENT_REVIEW_INPUT,
    "expires_on": ids.AGREEMENT_EXPIRES_INPUT,
    "notes": ids.AGREEMENT_NOTES_INPUT,
}


def build_added_reply(view: AgreementView, today: date) -> Reply:
    """Told to whoever recorded an agreement."""
    text = f"Recorded `{escape(view.key)}` *{truncate_escaped(view.title, 200)}*.\n" + agreement_summary(
        view, today
    )
    return Reply(text=f"Recorded {view.key}: {view.title}", blocks=[section(text)])


# ---- joining a project whose data is restricted ----------------------------------------------------


def build_join_request_message(
    *,
    request_id: int,
    requester: str,
    project_key: str,
    project_name: str,
    restricted: Sequence[str],
    organisation: str | None,
) -> Reply:
    """DM to the lead: someone from another organisation asks to join; approve or decline."""
    org = escape(organisation) if organisation else "no organisation on record"
    text = (
        f"<@{requester}> ({org}) asks to join *{escape(project_name)}* (`{escape(project_key)}`). "
        f"Its data is restricted to members of {truncate_escaped(', '.join(restricted), 500)} "
        "by its agreements."
    )
    value = str(request_id)
    buttons = [
        button("Approve", ids.JOIN_APPROVE_ACTION, value, style="primary"),
        button("Decline", ids.JOIN_DECLINE_ACTION, value),
    ]
    return Reply(
        text=f"Join request for {project_key}",
        blocks=[section(text), actions(buttons, block_id=ids.JOIN_DECISION_BLOCK)],
    )


def build_join_pending_reply(
    project_name: str, project_key: str, restricted: Sequence[str], lead: str | None
) -> Reply:
    """Told to the requester: why they are not on the project yet."""
    who = f"<@{lead}>" if lead else "its lead"
    text = (
        f"*{escape(project_name)}* (`{escape(project_key)}`) works with data restricted by its agreements to "
        f"members of {truncate_escaped(', '.join(restricted), 500)}, and you are not one. "
        f"I asked {who} to approve your joining; you will hear back here."
    )
    return Reply(text=f"Asked the lead of {project_key} to approve your joining.", blocks=[section(text)])


def build_join_decided_reply(
    project_name: str, project_key: str, requester: str, approved: bool, already: bool
) -> Reply:
    """Replaces the lead's buttons once decided."""
    verb = "approved" if approved else "declined"
    prefix = "Already decided: " if already else ""
    where = f"*{escape(project_name)}* (`{escape(project_key)}`)"
    text = f"{prefix}<@{requester}>'s request to join {where} was {verb}."
    return Reply(text=f"Join request {verb}", blocks=[section(text)])


def build_join_outcome_message(project_name: str, project_key: str, approved: bool) -> Reply:
    """DM to the requester once the lead decided."""
    if approved:
        text = (
            f"The lead approved: you are now a member of *{escape(project_name)}* (`{escape(project_key)}`)."
        )
    else:
        text = (
            f"The lead of *{escape(project_name)}* (`{escape(project_key)}`) declined your request to join: "
            "its data is restricted to other organisations by its agreements."
        )
    return Reply(text=f"Your request to join {project_key}", blocks=[section(text)])


# ---- reminders -----------------------------------------------------------------------------------


AGREEMENT_EVENT_TYPE = "liaison_agreement_reminder"


def build_agreement_reminder(notice: AgreementNotice) -> Reply:
    """An expiry reminder, a stale-status nudge to the owner, or its escalation to a project lead."""
    key = f"`{escape(notice.agreement_key)}` *{truncate_escaped(notice.title, 200)}*"
    days = notice.days_in_status
    in_status = f"{escape(status_phrase(notice.status))} for {days} day{'s' if days != 1 else ''}"
    if notice.kind == "expiry" and notice.expires_on is not None:
        left = notice.days_left if notice.days_left is not None else 0
        when = "today" if left <= 0 else f"in {left} day{'s' if left != 1 else ''}"
        next_step = (
            "Renew it, or record what happens next with `/agreement set-status`."
            if notice.recipient_may_update
            else f"Renew it, or tell {_leads(notice)} what happens next: they record it."
        )
        text = f":hourglass: {key} expires {when} ({notice.expires_on.isoformat()}). {next_step}"
        fallback = f"{notice.agreement_key} expires {when}"
    elif notice.kind == "escalation":
        owner = f"<@{notice.owner}>" if notice.owner else "nobody"
        text = (
            f":rotating_light: {key} has been {in_status}; its owner {owner} was reminded. "
            "As a lead of a project it covers, can you help move it on?"
        )
        fallback = f"{notice.agreement_key} has been {status_phrase(notice.status)} for {days} days"
    else:
        record = f"`/agreement set-status {escape(notice.agreement_key)} STATUS`"
        next_step = (
            f"Record progress with {record}."
            if notice.recipient_may_update
            else f"Tell {_leads(notice)}, who can record progress with {record}."
        )
        text = f":snail: {key} has been {in_status}. What is it waiting on? {next_step}"
        fallback = f"{notice.agreement_key} has been {status_phrase(notice.status)} for {days} days"
    blocks = [section(text)]
    if notice.projects:
        blocks.append(context("Covers " + ", ".join(f"`{escape(p)}`" for p in notice.projects)))
    return Reply(text=fallback, blocks=blocks)


def _leads(notice: AgreementNotice) -> str:
    """Who may record an agreement's status, for a reminder to someone who may not."""
    if not notice.leads:
        return "a Liaison admin"
    named = ", ".join(f"<@{lead}>" for lead in notice.leads[:3])
    return f"{named} (lead{'s' if len(notice.leads) > 1 else ''} of a project it covers) or an admin"


MAX_HOME_AGREEMENTS = 8


def with_agreements(view: Block, agreements: Sequence[AgreementView], today: date) -> Block:
    """The App Home view with "Your agreements" (those the viewer owns) appended, within 100 blocks."""
    if not agreements:
        return view
    extra: list[Block] = [header("Your agreements")]
    for agreement in agreements[:MAX_HOME_AGREEMENTS]:
        extra.append(section(agreement_summary(agreement, today)))
    if len(agreements) > MAX_HOME_AGREEMENTS:
        extra.append(context(f"…and {len(agreements) - MAX_HOME_AGREEMENTS} more: `/agreement list`"))
    blocks = list(view.get("blocks") or [])
    room = 100 - len(blocks)
    if room < 2:
        return view
    return {**view, "blocks": blocks + extra[:room]}


def build_agreement_answer(answer: AgreementAnswer, today: date) -> Reply:
    """The answer to a plain-language question about agreements."""
    if not answer.agreements:
        heading = answer.heading or "Agreements"
        return Reply(text=f"{heading}: none.", blocks=[section(f"{escape(heading)}: none that you can see.")])
    lines = []
    for view in answer.agreements[:10]:
        signed = view.status == AgreementStatus.SIGNED
        days = _days(view.status_since, today)
        state = (
            f"signed on {view.status_since.isoformat()}"
            if signed
            else f"*not signed*: {escape(view.status_label)} for {days} day{'s' if days != 1 else ''}"
        )
        expiry = f", expires {view.expires_on.isoformat()}" if view.expires_on else ""
        owner = f" · owner <@{view.owner_slack_id}>" if view.owner_slack_id else " · no owner"
        lines.append(f"`{escape(view.key)}` *{truncate_escaped(view.title, 200)}*: {state}{expiry}{owner}")
    more = len(answer.agreements) - 10
    if more > 0:
        lines.append(f"…and {more} more: `/agreement list`")
    blocks: list[Block] = []
    if answer.heading:
        blocks.append(section(f"*{escape(answer.heading)}*"))
    blocks.append(section("\n".join(lines)))
    return Reply(
        text=answer.heading or f"{answer.agreements[0].key}: {answer.agreements[0].status_label}",
        blocks=blocks,
    )
