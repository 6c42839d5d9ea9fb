"""`/paper`: its subcommands read from the command text, run in one transaction, answered ephemerally.

    /paper list [PROJECT]            /paper status PAPER          /paper add [PROJECT] (a form)
    /paper set-status PAPER STATUS   /paper venue PAPER VENUE|none
    /paper venues                    /paper venue-add KEY KIND DATE [HH:MM] [ZONE] NAME… [URL]
                                     /paper venue-move KEY DATE [HH:MM] [ZONE]

A `UserFacingError` rolls the transaction back and becomes an ephemeral error; DMs (the "review no
longer fits" notice to the lead and authors) are returned for the listener to send after the commit.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.access import Actor, Requester, act_as, role_of, visible_projects
from bot.errors import InvalidInput, UserFacingError
from bot.models import Person, Workspace
from bot.projects.project import find_project
from bot.publications.deadlines import Deadline, is_zone_word, parse_day, parse_deadline
from bot.publications.papers import (
    AuthorEntry,
    PaperChange,
    PaperDraft,
    add_paper,
    find_paper,
    list_papers,
    move_venue_deadline,
    parse_paper_status,
    set_paper_status,
    set_paper_venue,
)
from bot.publications.replan import LateReview, PlanningDefaults, paper_ref, plan_for
from bot.publications.venues import (
    VenueDraft,
    add_venue,
    deadline_of,
    find_venue,
    list_venues,
    parse_kind,
    require_venue_manager,
)
from bot.settings import Settings
from bot.slack import ids
from bot.slack import paper_blocks as kit
from bot.slack.blocks import DirectMessage, Reply, build_error_reply, escape, section
from bot.slack.payload_values import input_state, selected_value, string_of, strings_of

_TIME_RE = re.compile(r"^\d{1,2}:\d{2}$")
_URL_RE = re.compile(r"^https?://", re.IGNORECASE)  # then checked as a link (`link_problem`)
_EXTERNAL_RE = re.compile(r"^(\d{1,2})[.)]\s+(.+)$")


@dataclass(frozen=True)
class PaperOutcome:
    """What the listener does: reply ephemerally, open a form, DM people."""

    reply: Reply | None = None
    modal: dict[str, Any] | None = None
    messages: tuple[DirectMessage, ...] = field(default_factory=tuple)


def planning_defaults(settings: Settings) -> PlanningDefaults:
    """The back-planning settings."""
    return PlanningDefaults(
        buffer_days=settings.paper_buffer_days,
        signoff_days=dict(settings.signoff_days),
        reminders=settings.reminder_policy,
    )


def help_reply(command: str) -> Reply:
    """Every `/paper` subcommand, one line each."""
    rows = [
        (f"{command} list [PROJECT]", "papers of your projects (or of one), with venue and deadline"),
        (
            f"{command} status fatigue-p1",
            "a paper in full: authors, venue, review window, planned milestones",
        ),
        (f"{command} add [PROJECT]", "new paper or funding proposal (a form); its milestones are planned"),
        (f"{command} set-status fatigue-p1 drafting", "idea, drafting, internal_review, partner_review, …"),
        (f"{command} venue fatigue-p1 adcon27", "target a venue (`none` to clear): replans the milestones"),
        (f"{command} venues", "the venues and funding calls, soonest deadline first"),
        (
            f"{command} venue-add adcon27 conference 2027-05-15 23:59 AoE AdCon 2027 https://…",
            "record a venue (project leads); zones: AoE, UTC or e.g. Europe/Amsterdam",
        ),
        (f"{command} venue-move adcon27 2027-05-22 [23:59] [AoE]", "move its deadline: papers are replanned"),
    ]
    text = "\n".join(f"`{escape(usage)}` — {escape(what)}" for usage, what in rows)
    return Reply(
        text=f"{command}: joint papers", blocks=[section(f"*{escape(command)}: joint papers*\n{text}")]
    )


def execute_paper_command(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    requester: Requester,
    command: str,
    text: str,
) -> PaperOutcome:
    """Run one `/paper` command in its own transaction (rolled back on any user-facing error)."""
    try:
        words = shlex.split(text)
    except ValueError:
        return PaperOutcome(reply=build_error_reply('A quote is not closed; check the `"` in your command.'))
    verb = words[0].lower() if words else "help"
    args = words[1:]
    try:
        with session_factory.begin() as session:
            actor = act_as(session, settings, requester)
            return _run(session, settings, actor, now, command, verb, args)
    except UserFacingError as error:
        return PaperOutcome(reply=build_error_reply(error.message))


def _run(
    session: Session,
    settings: Settings,
    actor: Actor,
    now: datetime,
    command: str,
    verb: str,
    args: list[str],
) -> PaperOutcome:
    defaults = planning_defaults(settings)
    if verb == "list":
        project = find_project(session, actor, " ".join(args)) if args else None
        papers = list_papers(session, actor, " ".join(args) if args else None)
        # "Add one" only to someone on a project: a paper belongs to one.
        on_a_project = project is not None or any(
            role_of(p, actor) is not None for p in visible_projects(session, actor)
        )
        return PaperOutcome(
            reply=kit.build_paper_list_reply(
                papers, actor.zone, now, project=project, command=command, on_a_project=on_a_project
            )
        )
    if verb == "status":
        _need(args, 1, f"Which paper? `{command} status fatigue-p1`.")
        paper = find_paper(session, actor, args[0])
        plan = plan_for(session, paper, defaults, now)
        return PaperOutcome(
            reply=kit.build_paper_status_reply(
                paper,
                actor.zone,
                now,
                review_start=plan.review_start if plan else None,
                window_days=plan.window_days if plan else 0,
            )
        )
    if verb == "add":
        return _open_form(session, actor, " ".join(args) or None)
    if verb in {"set-status", "set_status", "setstatus"}:
        _need(args, 2, f"Give the paper and its status: `{command} set-status fatigue-p1 drafting`.")
        change = set_paper_status(session, actor, args[0], args[1], now, defaults)
        status = kit.STATUS_TEXT.get(change.paper.status, change.paper.status)
        return _changed(session, actor, change, f"*{paper_ref(change.paper)}* is now *{status}*.")
    if verb == "venue":
        _need(args, 2, f"Give the paper and the venue: `{command} venue fatigue-p1 adcon27` (or `none`).")
        change = set_paper_venue(session, actor, args[0], args[1], now, defaults)
        venue = change.paper.venue
        target = f"`{venue.key}` ({escape(venue.name)})" if venue else "no venue"
        return _changed(session, actor, change, f"*{paper_ref(change.paper)}* now targets {target}.")
    if verb == "venues":
        return PaperOutcome(
            reply=kit.build_venues_reply(list_venues(session, actor), actor.zone, now, command)
        )
    if verb in {"venue-add", "add-venue"}:
        venue = add_venue(session, actor, read_venue_args(args, command), now)
        return PaperOutcome(reply=kit.build_change_reply(f"Venue `{venue.key}` recorded.", None, actor.zone))
    if verb in {"venue-move", "move-venue"}:
        _need(args, 2, f"Give the venue and its new deadline: `{command} venue-move adcon27 2027-05-22`.")
        return _move_venue(session, actor, now, args, defaults)
    if verb == "help":
        return PaperOutcome(reply=help_reply(command))
    raise InvalidInput(f"I don't know `{command} {verb[:30]}`. Try `{command} help`.")


def _move_venue(
    session: Session, actor: Actor, now: datetime, args: list[str], defaults: PlanningDefaults
) -> PaperOutcome:
    require_venue_manager(session, actor, "move venue deadlines")
    current = deadline_of(find_venue(session, actor, args[0]))
    deadline = _read_deadline(args[1:], current=current)
    venue, replans, moved = move_venue_deadline(session, actor, args[0], deadline, now, defaults)
    if not moved:
        already = f"`{venue.key}` already has that deadline."
        return PaperOutcome(reply=kit.build_change_reply(already, None, actor.zone))
    # Replans of private papers the mover cannot see have no ref: only their lead and authors hear of them.
    seen = [r for r in replans if r.ref]
    when = kit.deadline_text(deadline, actor.zone, now)
    text = f"`{venue.key}` now closes {when}; {len(seen)} paper(s) you can see replanned."
    shown_late = next((r.late for r in seen if r.late is not None), None)
    messages = [m for r in replans for m in late_messages(session, actor, r.late)]
    return PaperOutcome(reply=kit.build_change_reply(text, shown_late, actor.zone), messages=tuple(messages))


def _need(args: list[str], count: int, message: str) -> None:
    if len(args) < count:
        raise InvalidInput(message)


def _changed(session: Session, actor: Actor, change: PaperChange, text: str) -> PaperOutcome:
    if not change.changed:
        return PaperOutcome(reply=kit.build_change_reply(escape(change.message), None, actor.zone))
    replanned = change.replanned
    late = replanned.late if replanned else None
    return PaperOutcome(
        reply=kit.build_change_reply(text + kit.replan_note(replanned), late, actor.zone),
        messages=tuple(late_messages(session, actor, late)),
    )


def late_messages(session: Session, actor: Actor, late: LateReview | None) -> list[DirectMessage]:
    """DMs about a window that no longer fits, each on its reader's clock (not to `actor`: the reply
    tells them)."""
    if late is None:
        return []
    rows = session.execute(
        select(Person.slack_id, Person.timezone).where(
            Person.workspace_id == actor.workspace_id, Person.slack_id.in_(late.recipients)
        )
    ).all()
    workspace_zone = session.scalar(select(Workspace.timezone).where(Workspace.id == actor.workspace_id))
    fallback = ZoneInfo(workspace_zone or "UTC")
    zones = {row.slack_id: ZoneInfo(row.timezone) for row in rows if row.timezone}
    return kit.build_late_messages(late, zones, fallback, skip=actor.slack_id)


def _read_deadline(words: list[str], *, current: Deadline | None) -> Deadline:
    """`DATE [HH:MM] [ZONE]`: time and zone default to the current deadline's (else 23:59 AoE)."""
    if not words:
        raise InvalidInput("Give the deadline as `2027-05-15 23:59 AoE` (time and zone optional).")
    time_text = words[1] if len(words) > 1 and _TIME_RE.match(words[1]) else None
    rest = words[2:] if time_text else words[1:]
    if len(rest) > 1 or (rest and not is_zone_word(rest[0])):
        raise InvalidInput(
            f"I did not understand “{' '.join(rest)[:60]}” after the date; write e.g. `2027-05-15 23:59 AoE`."
        )
    if time_text is None and current is not None:
        time_text = f"{current.local():%H:%M}"
    zone = rest[0] if rest else (current.zone if current else "AoE")
    return parse_deadline(words[0], time_text, zone)


def read_venue_args(args: list[str], command: str) -> VenueDraft:
    """`KEY KIND DATE [HH:MM] [ZONE] NAME… [URL] [notify=DATE] [event=DATE[..DATE]]` (DATE may be `none`).

    Raises:
        InvalidInput: Anything missing or malformed, with the expected form.
    """
    usage = f"Write `{command} venue-add adcon27 conference 2027-05-15 23:59 AoE AdCon 2027 https://…`."
    if len(args) < 4:
        raise InvalidInput("Give the venue's key, kind, deadline and name. " + usage)
    key, kind = args[0].lower(), parse_kind(args[1])
    rest = args[2:]
    deadline: Deadline | None = None
    if rest[0].lower() == "none":
        rest = rest[1:]
    else:
        day = rest.pop(0)
        time_text = rest.pop(0) if rest and _TIME_RE.match(rest[0]) else None
        zone = rest.pop(0) if rest and is_zone_word(rest[0]) else "AoE"
        deadline = parse_deadline(day, time_text, zone)
    url = notify = starts = ends = None
    name_words: list[str] = []
    for word in rest:
        if _URL_RE.match(word):
            url = word
        elif word.lower().startswith("notify="):
            notify = parse_day(word.partition("=")[2])
        elif word.lower().startswith("event="):
            first, _, last = word.partition("=")[2].partition("..")
            starts = parse_day(first)
            ends = parse_day(last) if last else starts
        else:
            name_words.append(word)
    if not name_words:
        raise InvalidInput("Give the venue a name. " + usage)
    return VenueDraft(
        key=key,
        name=" ".join(name_words),
        kind=kind,
        deadline=deadline,
        notification_on=notify,
        starts_on=starts,
        ends_on=ends,
        url=url,
    )


# -- the add form -----------------------------------------------------------------------------------


def _open_form(session: Session, actor: Actor, project_query: str | None) -> PaperOutcome:
    chosen = find_project(session, actor, project_query) if project_query else None
    projects = [
        p
        for p in visible_projects(session, actor)
        if p.archived_at is None and (actor.is_admin or role_of(p, actor) is not None)
    ]
    if chosen is not None and chosen not in projects:
        raise InvalidInput(f"Only members of *{chosen.key}* (or an admin) can add its papers; join it first.")
    if not projects:
        raise InvalidInput("You are on no project yet; papers belong to a project you are on.")
    venues = list_venues(session, actor)
    return PaperOutcome(modal=kit.build_paper_modal(projects, venues, chosen, actor.slack_id))


def read_paper_form(values: Any) -> PaperDraft:
    """The form's values as a draft; what is missing or forged reads as empty (validated later).

    Raises:
        InvalidInput: An external co-author line with an impossible position.
    """
    people = strings_of(input_state(values, ids.PAPER_PEOPLE_INPUT), "selected_users")
    authors: list[AuthorEntry] = [AuthorEntry(slack_id=user) for user in people]
    external = string_of(input_state(values, ids.PAPER_EXTERNAL_INPUT)) or ""
    for line in (line.strip() for line in external.splitlines()):
        if not line:
            continue
        match = _EXTERNAL_RE.match(line)
        if match is None:
            authors.append(AuthorEntry(name=line))
            continue
        position = int(match.group(1))
        if not 1 <= position <= len(authors) + 1:
            raise InvalidInput(f"“{line[:60]}”: there are only {len(authors)} authors before it.")
        authors.insert(position - 1, AuthorEntry(name=match.group(2)))
    status_text = selected_value(input_state(values, ids.PAPER_STATUS_INPUT)) or "idea"
    links = (string_of(input_state(values, ids.PAPER_LINKS_INPUT)) or "").split()
    return PaperDraft(
        project=selected_value(input_state(values, ids.PAPER_PROJECT_INPUT)) or "",
        title=string_of(input_state(values, ids.PAPER_TITLE_INPUT)) or "",
        authors=tuple(authors),
        venue=selected_value(input_state(values, ids.PAPER_VENUE_INPUT)),
        status=parse_paper_status(status_text),
        links=tuple(links),
    )


def _field_of(message: str) -> str:
    """The form field an error is about, by what it names."""
    lowered = message.lower()
    for word, block in (
        ("author", ids.PAPER_PEOPLE_INPUT),
        ("directory", ids.PAPER_PEOPLE_INPUT),
        ("link", ids.PAPER_LINKS_INPUT),
        ("venue", ids.PAPER_VENUE_INPUT),
        ("status", ids.PAPER_STATUS_INPUT),
        ("project", ids.PAPER_PROJECT_INPUT),
        ("member", ids.PAPER_PROJECT_INPUT),
        ("archived", ids.PAPER_PROJECT_INPUT),
    ):
        if word in lowered:
            return block
    return ids.PAPER_TITLE_INPUT


@dataclass(frozen=True)
class PaperSubmission:
    """A submitted add form: field errors to keep it open, or the reply and DMs after saving."""

    errors: dict[str, str] | None = None
    reply: Reply | None = None
    messages: tuple[DirectMessage, ...] = ()


def submit_paper_form(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    requester: Requester,
    values: Any,
    command: str,
) -> PaperSubmission:
    """Add the paper the form describes, as the person who submitted it (permissions checked again)."""
    try:
        draft = read_paper_form(values)
        with session_factory.begin() as session:
            actor = act_as(session, settings, requester)
            change = add_paper(session, actor, draft, now, planning_defaults(settings))
            ref = paper_ref(change.paper)
            text = (
                f"Paper *{ref}* “{escape(change.paper.title)}” added. See it with `{command} status {ref}`."
            )
            replanned = change.replanned
            late = replanned.late if replanned else None
            return PaperSubmission(
                reply=kit.build_change_reply(text + kit.replan_note(replanned), late, actor.zone),
                messages=tuple(late_messages(session, actor, late)),
            )
    except UserFacingError as error:
        return PaperSubmission(errors={_field_of(error.message): error.message})
