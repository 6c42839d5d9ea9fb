"""Block Kit of joint papers and venues: lists, a paper's status, the add form, the late-review notice.

User text (titles, names, venue names, links) is escaped or put in plain_text; deadlines are shown on
the venue's own clock (`AoE` for Anywhere on Earth) and, when that differs, on the viewer's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.dates import format_local, format_relative
from bot.domain.dates.vocabulary import day_label
from bot.models import Milestone, Project
from bot.publications.deadlines import AOE, Deadline, zone_of
from bot.publications.papers import SENT, PaperStatus, author_names
from bot.publications.questions import PaperAnswer, PaperDates
from bot.publications.replan import LateReview, Replanned, paper_ref
from bot.publications.tables import Paper, Venue
from bot.publications.venues import VenueKind, deadline_of, is_funding_call
from bot.slack import ids
from bot.slack.blocks import (
    Block,
    DirectMessage,
    Reply,
    context,
    escape,
    header,
    link_text,
    section,
    truncate_escaped,
)
from bot.slack.modals import input_block, option, plain_text

STATUS_TEXT = {
    PaperStatus.IDEA.value: "idea",
    PaperStatus.DRAFTING.value: "drafting",
    PaperStatus.INTERNAL_REVIEW.value: "internal review",
    PaperStatus.PARTNER_REVIEW.value: "partner review",
    PaperStatus.SUBMITTED.value: "submitted",
    PaperStatus.ACCEPTED.value: "accepted",
    PaperStatus.REJECTED.value: "rejected",
    PaperStatus.PUBLISHED.value: "published",
}
KIND_TEXT = {
    VenueKind.CONFERENCE.value: "conference",
    VenueKind.JOURNAL.value: "journal",
    VenueKind.WORKSHOP.value: "workshop",
    VenueKind.FUNDING_CALL.value: "funding call",
}
MAX_OPTIONS = 100


def deadline_text(deadline: Deadline, viewer: ZoneInfo, now: datetime) -> str:
    """ "Sat 15 May 2027, 23:59 AoE (in 5 months; Sun 16 May 2027, 13:59 CEST for you)"."""
    zone = zone_of(deadline.zone)
    local = deadline.local()
    own = f"{day_label(local)}, {local:%H:%M} {AOE}" if deadline.zone == AOE else format_local(local, zone)
    for_you = "" if viewer.key == zone.key else f"; {format_local(deadline.instant, viewer)} for you"
    return f"{own} ({format_relative(deadline.instant, now)}{for_you})"


def _venue_line(venue: Venue, viewer: ZoneInfo, now: datetime) -> str:
    deadline = deadline_of(venue)
    when = deadline_text(deadline, viewer, now) if deadline else "no deadline"
    name = escape(venue.name)
    text = f"`{venue.key}` *{name}* ({KIND_TEXT.get(venue.kind, venue.kind)}): {when}"
    extras = []
    if venue.notification_on:
        extras.append(f"notification {day_label(venue.notification_on)}")
    if venue.starts_on:
        end = f" – {day_label(venue.ends_on)}" if venue.ends_on and venue.ends_on != venue.starts_on else ""
        extras.append(f"event {day_label(venue.starts_on)}{end}")
    if venue.url:
        extras.append(link_text(venue.url))
    return text + ("\n" + " · ".join(extras) if extras else "")


def build_venues_reply(venues: Sequence[Venue], viewer: ZoneInfo, now: datetime, command: str) -> Reply:
    """The workspace's venues, soonest deadline first."""
    if not venues:
        message = f"No venue is recorded yet. Project leads add one with `{command} venue-add`."
        return Reply(text=message, blocks=[section(escape(message))])
    blocks: list[Block] = [header("Venues")]
    blocks += [section(_venue_line(v, viewer, now)) for v in venues]
    return Reply(text=f"{len(venues)} venues", blocks=blocks)


def _paper_line(paper: Paper, viewer: ZoneInfo, now: datetime) -> str:
    kind = "proposal" if is_funding_call(paper.venue) else "paper"
    venue = paper.venue
    deadline = deadline_of(venue) if venue else None
    where = f" → `{venue.key}`" if venue else " (no venue yet)"
    when = f", deadline {deadline_text(deadline, viewer, now)}" if deadline else ""
    authors = ", ".join(author_names(paper)[:6]) + ("…" if len(paper.authors) > 6 else "")
    status = STATUS_TEXT.get(paper.status, paper.status)
    return f"`{paper_ref(paper)}` *{escape(paper.title)}* ({kind}, {status}){where}{when}\n{escape(authors)}"


def build_paper_list_reply(
    papers: Sequence[Paper],
    viewer: ZoneInfo,
    now: datetime,
    *,
    project: Project | None,
    command: str,
    on_a_project: bool = True,
) -> Reply:
    """Papers of one project, or of the asker's projects and the papers they author."""
    scope = f"*{escape(project.key)}*" if project else "your projects"
    if not papers and not on_a_project:
        message = (
            f"You are on no project, and papers belong to projects: `{command} list KEY` shows the "
            "papers of a project you can see."
        )
        return Reply(text=message, blocks=[section(message)])
    if not papers:
        message = f"No papers on {scope} yet. Add one with `{command} add`."
        return Reply(text=message.replace("*", ""), blocks=[section(message)])
    blocks: list[Block] = [section(f"*Papers of {scope}*")]
    blocks += [section(_paper_line(p, viewer, now)) for p in papers]
    return Reply(text=f"{len(papers)} papers", blocks=blocks)


def _plan_lines(paper: Paper, viewer: ZoneInfo, now: datetime) -> list[str]:
    lines = []
    steps = sorted(
        (link for link in paper.plan if link.milestone is not None),
        key=lambda link: link.milestone.due_at if link.milestone else now,
    )
    for link in steps:
        milestone = link.milestone
        assert milestone is not None
        done = ":white_check_mark: " if milestone.status == "done" else ""
        ref = f"{milestone.project.key}-{milestone.number}"
        lines.append(
            f"• {done}`{ref}` {escape(milestone.title)} — {format_local(milestone.due_at, viewer)} "
            f"({format_relative(milestone.due_at, now)})"
        )
    return lines


def build_paper_status_reply(
    paper: Paper, viewer: ZoneInfo, now: datetime, *, review_start: datetime | None, window_days: int
) -> Reply:
    """One paper in full: authors, venue and deadline, status, links, its planned milestones."""
    kind = "Funding proposal" if is_funding_call(paper.venue) else "Paper"
    blocks: list[Block] = [header(f"{paper_ref(paper)}: {paper.title}")]
    fields = [
        f"*{kind}* of *{escape(paper.project.key)}* · status *{STATUS_TEXT.get(paper.status, paper.status)}*",
        f"*Authors:* {escape(', '.join(author_names(paper)))}",
    ]
    if paper.venue is not None:
        fields.append(f"*Venue:* {_venue_line(paper.venue, viewer, now)}")
    else:
        fields.append("*Venue:* none yet (`/paper venue REF VENUE` sets one and plans the milestones)")
    zone_name = paper.venue.deadline_zone if paper.venue is not None else None
    start = on_clocks(review_start, zone_name, viewer) if review_start and zone_name else ""
    if window_days and start:
        fields.append(f"*Review window:* {window_days} days, starting {start}")
    blocks.append(section("\n".join(fields)))
    if (
        review_start is not None
        and review_start < now
        and paper.status in {"idea", "drafting", "internal_review"}
    ):
        blocks.append(
            section(
                f":rotating_light: The partners' {window_days}-day review no longer fits before the "
                f"deadline: it should have started on {start}."
            )
        )
    plan = _plan_lines(paper, viewer, now)
    if plan:
        blocks.append(section("*Planned milestones*\n" + "\n".join(plan)))
    if paper.links:
        blocks.append(context(" · ".join(link_text(url) for url in paper.links.splitlines())))
    return Reply(text=f"{paper_ref(paper)}: {paper.title}", blocks=blocks)


def replan_note(replanned: Replanned | None) -> str:
    """One sentence saying what a replan did to the milestones ("" when nothing)."""
    if replanned is None or replanned.plan is None:
        removed = replanned.removed if replanned else 0
        return f" {removed} planned milestone(s) removed." if removed else ""
    parts = []
    if replanned.added:
        parts.append(f"{replanned.added} milestone(s) planned")
    if replanned.moved:
        parts.append(f"{replanned.moved} moved")
    if replanned.removed:
        parts.append(f"{replanned.removed} removed")
    return (" " + ", ".join(parts) + " (back-planned from the deadline).") if parts else ""


def on_clocks(instant: datetime, zone_name: str, viewer: ZoneInfo) -> str:
    """An instant on a deadline's clock (`AoE` named so), and on the viewer's when that differs."""
    zone = zone_of(zone_name)
    local = instant.astimezone(zone)
    own = f"{day_label(local)}, {local:%H:%M} {AOE}" if zone_name == AOE else format_local(instant, zone)
    return own if viewer.key == zone.key else f"{own} ({format_local(instant, viewer)} for you)"


def late_text(late: LateReview, zone: ZoneInfo) -> str:
    """The "window no longer fits" sentence, on the deadline's clock and the reader's."""
    deadline = on_clocks(late.deadline.instant, late.deadline.zone, zone)
    start = on_clocks(late.review_start, late.deadline.zone, zone)
    return (
        f":rotating_light: *{escape(late.ref)}* “{escape(late.title)}”: the partners' {late.window_days}-day "
        f"review no longer fits before the deadline ({deadline}). It should have started on {start}."
    )


def build_late_messages(
    late: LateReview | None, zones: dict[str, ZoneInfo], fallback: ZoneInfo, *, skip: str
) -> list[DirectMessage]:
    """DMs to the lead and authors about a window that no longer fits (not `skip`: told in the reply)."""
    if late is None:
        return []
    messages = []
    for slack_id in late.recipients:
        if slack_id == skip:
            continue
        text = late_text(late, zones.get(slack_id, fallback))
        messages.append(DirectMessage(slack_id, Reply(text=text.replace("*", ""), blocks=[section(text)])))
    return messages


def build_change_reply(text: str, late: LateReview | None, zone: ZoneInfo) -> Reply:
    """A confirmation, with the late-review warning under it when there is one. `text` is mrkdwn."""
    blocks = [section(text)]
    if late is not None:
        blocks.append(section(late_text(late, zone)))
    return Reply(text=text.replace("*", "").replace("`", ""), blocks=blocks)


def build_paper_modal(
    projects: Sequence[Project], venues: Sequence[Venue], chosen: Project | None, opened_by: str
) -> Block:
    """The `/paper add` form: project, title, authors (people in order, then external names), venue…"""
    project_options = [option(f"{p.name} ({p.key})", p.key) for p in projects[:MAX_OPTIONS]]
    project_select: dict[str, Any] = {"type": "static_select", "options": project_options}
    if chosen is not None and any(p.key == chosen.key for p in projects[:MAX_OPTIONS]):
        project_select["initial_option"] = option(f"{chosen.name} ({chosen.key})", chosen.key)
    blocks: list[Block] = [
        input_block(ids.PAPER_PROJECT_INPUT, "Project", project_select),
        input_block(ids.PAPER_TITLE_INPUT, "Title", {"type": "plain_text_input", "max_length": 200}),
        input_block(
            ids.PAPER_PEOPLE_INPUT,
            "Authors in Liaison, in order",
            {"type": "multi_users_select"},
            optional=True,
            hint="Pick them in author order: the first author owns the planned milestones.",
        ),
        input_block(
            ids.PAPER_EXTERNAL_INPUT,
            "External co-authors",
            {"type": "plain_text_input", "multiline": True, "max_length": 2000},
            optional=True,
            hint="One name a line, listed after the people above; `2. Jane Doe` puts her second.",
        ),
    ]
    if venues:
        venue_options = [option(f"{v.name} ({v.key})", v.key) for v in venues[:MAX_OPTIONS]]
        blocks.append(
            input_block(
                ids.PAPER_VENUE_INPUT,
                "Target venue",
                {"type": "static_select", "options": venue_options},
                optional=True,
                hint="Its deadline plans the milestones backwards, partners' review window included.",
            )
        )
    status_options = [option(text.capitalize(), value) for value, text in STATUS_TEXT.items()]
    blocks.append(
        input_block(
            ids.PAPER_STATUS_INPUT,
            "Status",
            {"type": "static_select", "options": status_options, "initial_option": status_options[0]},
        )
    )
    blocks.append(
        input_block(
            ids.PAPER_LINKS_INPUT,
            "Links",
            {"type": "plain_text_input", "multiline": True, "max_length": 3000},
            optional=True,
            hint="One URL a line (draft, Overleaf, preprint).",
        )
    )
    return {
        "type": "modal",
        "callback_id": ids.PAPER_MODAL,
        "title": plain_text("New paper"),
        "submit": plain_text("Add paper"),
        "close": plain_text("Cancel"),
        "blocks": blocks,
        "private_metadata": json.dumps({"opened_by": opened_by}),
    }


# -- plain-language answers and App Home (bot.publications.questions) ------------------------------

MAX_ANSWER_PAPERS = 10
MAX_HOME_PAPERS = 8


def _when(milestone: Milestone, zone_name: str | None, viewer: ZoneInfo, now: datetime) -> str:
    at = (
        on_clocks(milestone.due_at, zone_name, viewer)
        if zone_name
        else format_local(milestone.due_at, viewer)
    )
    return f"{at}, {format_relative(milestone.due_at, now)}"


def paper_dates_text(dates: PaperDates, viewer: ZoneInfo, now: datetime) -> str:
    """One paper with its venue, deadline, partner review start and next planned milestone (mrkdwn)."""
    paper = dates.paper
    lines = [_paper_line(paper, viewer, now)]
    zone_name = paper.venue.deadline_zone if paper.venue is not None else None
    if dates.review_start is not None:
        lines.append(f"Partner review starts {_when(dates.review_start, zone_name, viewer, now)}")
    elif dates.missed_review is not None and zone_name:
        start = on_clocks(dates.missed_review, zone_name, viewer)
        lines.append(f":rotating_light: Partner review should have started on {start}: it no longer fits.")
    step = dates.next_step
    if step is not None and step is not dates.review_start:
        lines.append(f"Next: {truncate_escaped(step.title, 200)} — {_when(step, zone_name, viewer, now)}")
    elif step is None and paper.venue is not None and paper.status not in SENT:
        lines.append("No open planned milestone.")
    return "\n".join(lines)


def build_paper_answer(answer: PaperAnswer, viewer: ZoneInfo, now: datetime) -> Reply:
    """The answer to a plain-language question about papers (`/ask`, a DM, a mention)."""
    if answer.venues:
        return _venues_answer(answer, viewer, now)
    blocks: list[Block] = []
    if answer.heading and answer.papers:
        count = f" ({len(answer.papers)})" if len(answer.papers) > 1 else ""
        blocks.append(section(f"*{escape(answer.heading)}*{count}"))
    blocks += [section(paper_dates_text(d, viewer, now)) for d in answer.papers[:MAX_ANSWER_PAPERS]]
    more = len(answer.papers) - MAX_ANSWER_PAPERS
    if more > 0:
        blocks.append(context(f"…and {more} more: `/paper list`"))
    if answer.missing:
        refs = ", ".join(f"`{escape(ref)}`" for ref in answer.missing[:10])
        blocks.append(section(f"No paper {refs} that you can see. See them with `/paper list`."))
    if not answer.papers and not answer.missing:
        heading = answer.heading or "Papers"
        blocks.append(section(f"{escape(heading)}: none that you can see."))
    first = answer.papers[0].paper if answer.papers else None
    text = answer.heading or (f"{paper_ref(first)}: {first.title}" if first else "No such paper")
    return Reply(text=text, blocks=blocks)


def _venues_answer(answer: PaperAnswer, viewer: ZoneInfo, now: datetime) -> Reply:
    """Venues with their deadlines, each followed by the papers bound for it that the asker may see."""
    blocks: list[Block] = [section(f"*{escape(answer.heading)}*")]
    for venue in answer.venues[:MAX_ANSWER_PAPERS]:
        blocks.append(section(_venue_line(venue, viewer, now)))
        bound = [d.paper for d in answer.papers if d.paper.venue_id == venue.id]
        listed = ", ".join(f"`{paper_ref(p)}` {escape(p.title)}" for p in bound[:5])
        none = "No paper you can see is bound for it"
        blocks.append(context(f"Papers for it: {listed}" if bound else none))
    if len(answer.venues) > MAX_ANSWER_PAPERS:
        blocks.append(context(f"…and {len(answer.venues) - MAX_ANSWER_PAPERS} more: `/paper venues`"))
    return Reply(text=answer.heading, blocks=blocks)


def with_papers(view: Block, papers: Sequence[PaperDates], viewer: ZoneInfo, now: datetime) -> Block:
    """The App Home view with "Your papers" (those the viewer authors) appended, within 100 blocks."""
    if not papers:
        return view
    extra: list[Block] = [header("Your papers")]
    extra += [section(paper_dates_text(d, viewer, now)) for d in papers[:MAX_HOME_PAPERS]]
    if len(papers) > MAX_HOME_PAPERS:
        extra.append(context(f"…and {len(papers) - MAX_HOME_PAPERS} more: `/paper list`"))
    blocks = list(view.get("blocks") or [])
    room = 100 - len(blocks)
    if room < 2:
        return view
    return {**view, "blocks": blocks + extra[:room]}
