"""Block Kit for expert suggestions and introductions (pure builders, no Slack calls).

User text (queries, project names and texts, profile items, titles) is escaped before it enters
mrkdwn; mentions are built only from Slack ids held in the database. A private project is named to
the expert only if they may see it; otherwise messages to them say "a private project" and show
nothing of it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from bot.domain.dates import format_local, format_relative
from bot.domain.matching import Candidate
from bot.experts.expert_command import ALL_DISCIPLINES
from bot.experts.intros.views import MAX_REASON_TEXT, MAX_SUBJECT, IntroParty, IntroTicket, IntroView
from bot.experts.ranking import SearchResult, Suggestion
from bot.models import IntroStatus
from bot.slack.blocks import (
    Block,
    Reply,
    actions,
    button,
    context,
    escape,
    header,
    section,
    truncate,
    truncate_escaped,
)
from bot.slack.ids import (
    EXPERT_INTRO_ACTION,
    EXPERT_PICK_PROJECT_ACTION,
    INTRO_ACCEPT_ACTION,
    INTRO_DECISION_BLOCK,
    INTRO_DECLINE_ACTION,
)
from bot.slack.payload_values import loads_clean

MAX_BUTTON_VALUE = 2000
# Texts quoted in a suggestion, kept short so five suggestions read at a glance.
MAX_QUOTE = 300

LOOKING_TEXT = (
    "Looking for experts… the language model is still loading, so this takes a little longer. "
    "I'll answer here as soon as it is ready."
)


# -- the button's value --------------------------------------------------------------------------


def encode_ticket(ticket: IntroTicket) -> str:
    """The "Ask for an intro" button's value: JSON within Slack's 2,000 characters.

    The subject and matched items are cut until it fits (quotes and backslashes lengthen JSON, so the
    length is measured, not assumed).
    """
    subject = ticket.subject[:MAX_SUBJECT]
    matched = [text[:MAX_REASON_TEXT] for text in ticket.matched[:2]]
    while True:
        value = json.dumps(
            {"e": ticket.expert_slack_id, "p": ticket.project_key, "q": subject, "m": matched},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        if len(value) <= MAX_BUTTON_VALUE:
            return value
        if len(matched) > 1:
            matched = matched[:1]
        elif matched and len(matched[0]) > 40:
            matched = [matched[0][: len(matched[0]) // 2]]
        elif subject:
            subject = subject[: len(subject) // 2]
        else:
            matched = []


def decode_ticket(value: str) -> IntroTicket | None:
    """Read a button's value back; None if it is not one of ours (stale or forged)."""
    try:
        data = loads_clean(value)
        expert = data["e"]
        project = data.get("p")
        subject = data.get("q") or ""
        matched = data.get("m") or []
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    if not isinstance(expert, str) or not expert or not isinstance(subject, str):
        return None
    if project is not None and not isinstance(project, str):
        return None
    if not isinstance(matched, list) or not all(isinstance(m, str) for m in matched):
        return None
    return IntroTicket(expert, project or None, subject, tuple(matched))


# -- search results ------------------------------------------------------------------------------


def build_looking_reply() -> Reply:
    """The note shown while the answer waits for the language model to load."""
    return Reply(text=LOOKING_TEXT, blocks=[context(":hourglass_flowing_sand: " + escape(LOOKING_TEXT))])


def _profile_line(*parts: str | None) -> str:
    return " · ".join(escape(part) for part in parts if part)


def _availability(suggestion: Suggestion, result: SearchResult, now: datetime) -> str | None:
    if not suggestion.accepts_requests:
        return ":no_entry_sign: Not taking intro requests through Liaison."
    if suggestion.over_cap and suggestion.available_after is not None:
        when = format_local(suggestion.available_after, result.search.zone)
        relative = format_relative(suggestion.available_after, now)
        return (
            ":hourglass: Has had as many intro requests this week as they accept: "
            f"can be asked again after {when} ({relative})."
        )
    if suggestion.over_cap:
        return ":hourglass: Has had as many intro requests this week as they accept."
    return None


def _suggestion_blocks(
    position: int, suggestion: Suggestion, result: SearchResult, now: datetime
) -> list[Block]:
    search = result.search
    lines = [
        f"*{position}. <@{suggestion.slack_id}>*"
        + (f" — {escape(suggestion.title)}" if suggestion.title else "")
    ]
    profile = _profile_line(suggestion.discipline, suggestion.organisation, suggestion.sector)
    if profile:
        lines.append(profile)
    if suggestion.matched:
        lines.append(
            "matched: " + "; ".join(f"_{truncate_escaped(text, MAX_QUOTE)}_" for text in suggestion.matched)
        )
    if suggestion.project_text:
        lines.append(f"project text: _{truncate_escaped(suggestion.project_text, MAX_QUOTE)}_")
    accessory = None
    if not suggestion.over_cap:
        ticket = IntroTicket(
            expert_slack_id=suggestion.slack_id,
            project_key=search.project.key if search.project is not None else None,
            subject="" if search.project is not None else search.subject,
            matched=suggestion.matched,
        )
        accessory = button("Ask for an intro", EXPERT_INTRO_ACTION, encode_ticket(ticket))
    blocks = [section("\n".join(lines), accessory=accessory)]
    note = _availability(suggestion, result, now)
    if note is not None:
        blocks.append(context(note))
    return blocks


def build_expert_results_reply(result: SearchResult, *, command: str, now: datetime) -> Reply:
    """The answer to `/expert`: who could help, why, and an "Ask for an intro" button for each.

    Args:
        result: The ranked suggestions.
        command: The `/expert` command's name, for hints.
        now: For "can be asked again after …".

    Returns:
        The reply (shown only to the asker).
    """
    search = result.search
    project = search.project
    title = (
        f"Experts for {project.name}"
        if project is not None
        else f"Experts for “{truncate(search.subject, 100)}”"
    )
    blocks: list[Block] = [header(title)]
    if project is not None:
        scope = (
            f"Matched against *{truncate_escaped(project.name, 200)}* (`{project.key}`): its description, "
            "open blockers and open milestones. People on the project are not suggested."
        )
        if search.exclude_disciplines:
            excluded = ", ".join(escape(d) for d in search.exclude_disciplines)
            scope += (
                f"\nCross-disciplinary: leaving out {excluded} (already on the project). "
                f"Include them with `{command} project {project.key} {ALL_DISCIPLINES}`."
            )
        elif search.all_disciplines:
            scope += "\nAll disciplines, including those already on the project."
        blocks.append(context(scope))
    if not result.suggestions:
        hint = (
            f"Try `{command} project {project.key} {ALL_DISCIPLINES}`, or describe the need in "
            f"your own words: `{command} TEXT`."
            if project is not None and search.cross_disciplinary
            else f"Try describing the need in other words, e.g. `{command} consent law for cookie walls`."
        )
        message = "Nobody in the directory matched this closely enough."
        blocks.append(section(f":mag: {message} {hint}"))
        return Reply(text=f"{title}: nobody matched closely enough.", blocks=blocks)
    for position, suggestion in enumerate(result.suggestions, start=1):
        blocks += _suggestion_blocks(position, suggestion, result, now)
    blocks.append(
        context(
            "Only you see this. *Ask for an intro* sends them your request in a DM; if they accept, "
            "I open a group DM with you both. Each request counts against their weekly limit."
        )
    )
    names = ", ".join(s.name for s in result.suggestions)
    return Reply(text=f"{title}: {names}", blocks=blocks)


def build_expert_error_reply(
    message: str, *, alternatives: Sequence[Candidate] = (), retry: str = ""
) -> Reply:
    """An ephemeral error; with "did you mean" buttons that re-run `/expert` with each project.

    Args:
        message: Plain text (escaped here).
        alternatives: Projects the name nearly matched (all visible to the asker).
        retry: The command text with ``{key}`` where the chosen project goes.
    """
    blocks = [section(f":warning: {escape(message)}")]
    if alternatives and retry:
        blocks.append(
            actions(
                [
                    button(
                        c.name + f" ({c.key})", f"{EXPERT_PICK_PROJECT_ACTION}:{n}", retry.format(key=c.key)
                    )
                    for n, c in enumerate(alternatives[:3])
                ],
                block_id="expert_did_you_mean",
            )
        )
    text = f"{message} " + ", ".join(c.key for c in alternatives[:3]) if alternatives else message
    return Reply(text=text, blocks=blocks)


# -- introductions -------------------------------------------------------------------------------


def _who(party: IntroParty) -> str:
    details = _profile_line(party.title, party.discipline, party.organisation)
    return f"<@{party.slack_id}>" + (f" ({details})" if details else "")


def _about_for_expert(intro: IntroView) -> str:
    """What the request is about, as the expert may see it."""
    if intro.is_project and not intro.expert_sees_project:
        # The expert is not on this private project: its name and description stay hidden.
        return "a private project"
    if intro.is_project:
        name = truncate_escaped(intro.project_name or intro.subject, 200)
        whose = "their project" if intro.requester_on_project else "the project"
        return f"{whose} *{name}* (`{intro.project_key}`)"
    return f"“{truncate_escaped(intro.subject, MAX_SUBJECT)}”"


def _about_for_requester(intro: IntroView) -> str:
    if intro.is_project:
        return f"*{truncate_escaped(intro.project_name or intro.subject, 200)}*"
    return f"“{truncate_escaped(intro.subject, MAX_SUBJECT)}”"


def _reason_line(intro: IntroView, whose: str) -> str | None:
    if not intro.reason:
        return None
    quoted = "; ".join(f"_{truncate_escaped(text, MAX_QUOTE)}_" for text in intro.reason)
    return f"*Why:* {whose} profile matched {quoted}"


def _request_lines(intro: IntroView) -> list[str]:
    lines = [
        f":wave: {_who(intro.requester)} would like an introduction to you.",
        f"*About:* {_about_for_expert(intro)}",
    ]
    if intro.is_project and intro.expert_sees_project and intro.project_description:
        lines.append(f">{truncate_escaped(' '.join(intro.project_description.split()), 500)}")
    reason = _reason_line(intro, "your")
    if reason:
        lines.append(reason)
    return lines


def build_expert_request_message(intro: IntroView) -> Reply:
    """The expert's DM: who asks, about what, why them, and Accept / Decline."""
    blocks: list[Block] = [section("\n".join(_request_lines(intro)))]
    limit = (
        f"This is request {intro.expert_requests} of the {intro.expert_cap} a week you accept. "
        if intro.expert_cap
        else ""
    )
    blocks.append(
        context(
            limit + "Accept and I'll open a group DM with you both. "
            "Decline and they are told, with no reason given."
        )
    )
    value = str(intro.id)
    blocks.append(
        actions(
            [
                button("Accept", INTRO_ACCEPT_ACTION, value, style="primary"),
                button("Decline", INTRO_DECLINE_ACTION, value),
            ],
            block_id=INTRO_DECISION_BLOCK,
        )
    )
    return Reply(text=f"{intro.requester.name} would like an introduction to you.", blocks=blocks)


def build_expert_decided_message(intro: IntroView) -> Reply:
    """The expert's DM after their decision: the request, and what happened, without buttons."""
    if intro.status == IntroStatus.ACCEPTED:
        outcome = ":white_check_mark: You accepted. I opened a group DM with you both."
    elif intro.status == IntroStatus.DECLINED:
        outcome = f":heavy_multiplication_x: You declined. <@{intro.requester.slack_id}> has been told."
    else:
        outcome = "Waiting for your answer."
    blocks = [section("\n".join(_request_lines(intro))), context(outcome)]
    return Reply(
        text=f"Introduction request from {intro.requester.name}: {intro.status.value}", blocks=blocks
    )


def build_group_introduction(intro: IntroView) -> Reply:
    """The first message of the group DM opened when the expert accepts."""
    requester, expert = intro.requester, intro.expert
    lines = [
        f":handshake: <@{requester.slack_id}>, meet {_who(expert)}.",
        f"<@{expert.slack_id}>, meet {_who(requester)}.",
        f"<@{requester.slack_id}> asked about {_about_for_expert(intro)}.",
    ]
    reason = _reason_line(intro, f"<@{expert.slack_id}>'s")
    if reason:
        lines.append(reason)
    return Reply(
        text=f"{requester.name}, meet {expert.name}: an introduction by Liaison.",
        blocks=[section("\n".join(lines)), context("Liaison made this introduction; over to you.")],
    )


def build_intro_sent_reply(intro: IntroView) -> Reply:
    """Tells the requester their request went out."""
    message = (
        f":incoming_envelope: I asked <@{intro.expert.slack_id}> for an introduction about "
        f"{_about_for_requester(intro)}. If they accept, I'll open a group DM with you both; "
        "if they decline, I'll let you know."
    )
    return Reply(text=f"Asked {intro.expert.name} for an introduction.", blocks=[section(message)])


def build_intro_repeat_reply(intro: IntroView) -> Reply:
    """The requester had already asked this expert about the same thing."""
    status = {
        IntroStatus.PENDING: "they have not answered yet",
        IntroStatus.ACCEPTED: "they accepted, and you have a group DM with them",
        IntroStatus.DECLINED: "they declined",
    }[intro.status]
    message = (
        f"You already asked <@{intro.expert.slack_id}> about {_about_for_requester(intro)}: {status}. "
        "Nothing new was sent."
    )
    return Reply(text=f"You already asked {intro.expert.name} about this.", blocks=[section(message)])


def build_declined_notice(intro: IntroView, *, command: str) -> Reply:
    """The requester's DM when the expert declines."""
    retry = f"`{command} project {intro.project_key}`" if intro.is_project else f"`{command}`"
    message = (
        f"<@{intro.expert.slack_id}> declined your request for an introduction about "
        f"{_about_for_requester(intro)}. Experts have limited time; {retry} suggests others."
    )
    return Reply(text=f"{intro.expert.name} declined your introduction request.", blocks=[section(message)])


def build_already_decided_reply(intro: IntroView) -> Reply:
    """A repeated Accept or Decline click: the request was decided already."""
    decided = "accepted" if intro.status == IntroStatus.ACCEPTED else "declined"
    return Reply(
        text=f"You already {decided} this request.",
        blocks=[section(f"You already {decided} this request; nothing more to do.")],
    )
