"""Slash command interpreter: command text → domain call → reply. No Slack calls are made here.

The Bolt handlers ack, open a session, call `run_command`, then carry out the outcome (respond, open
a modal, republish App Homes). Keeping the interpretation here makes every command testable as a
function and lets "did you mean" buttons re-run a command with the chosen project.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.access import (
    Actor,
    Requester,
    act_as,
    is_lead,
    require_editor,
    require_milestone_editor,
    visible_projects,
)
from bot.domain.dates import DateParseError, format_local
from bot.errors import InvalidInput, NotFound, UserFacingError
from bot.models import Milestone, ProjectStatus
from bot.projects.blockers import list_blockers, resolve_blocker
from bot.projects.milestones import (
    NEXT_WINDOW,
    complete_milestone,
    find_milestone,
    list_milestones,
    move_milestone,
    overdue,
    read_move_due,
    same_due,
)
from bot.projects.ownership import Departure, assign_milestone, leave_project, remove_member
from bot.projects.project import (
    STATUS_LABELS,
    affected_users,
    find_project,
    join_project,
    list_projects,
    match_project,
    parse_status,
    project_for_edit,
    project_status,
    set_project_status,
)
from bot.projects.reports import (
    MilestoneLine,
    member_lines,
    milestone_line,
    open_blockers,
    project_key_and_status,
    project_line,
    upcoming_milestones,
)
from bot.reminders.admin import change_policy, parse_policy_words, set_waiting_digest, show_policy
from bot.settings import Settings
from bot.slack import blocks as kit
from bot.slack import milestone_details as details
from bot.slack.agreement_joins import join_request_outcome
from bot.slack.archive_commands import run_lifecycle_command
from bot.slack.blocker_arguments import project_and_blocker_text, split_project_argument
from bot.slack.calendar_commands import calendar_subcommand as _calendar
from bot.slack.checkin_commands import run_checkins_command as run_checkins
from bot.slack.feed_commands import run_feed_command
from bot.slack.handover import (
    assignment_messages,
    assignment_reply,
    departure_messages,
    departure_reply,
    split_new_owner,
    split_person_and_project,
)
from bot.slack.help import build_help_reply, with_unknown_word
from bot.slack.modals import build_milestone_modal, build_project_modal
from bot.slack.move_button import encode_move_button, read_move_button
from bot.slack.read_only import command_session, names_a_project
from bot.slack.reminder_blocks import build_policy_reply


@dataclass(frozen=True)
class CommandRequest:
    """A slash command as Slack sent it (or as a "did you mean" button re-issues it)."""

    command: str
    text: str
    user_id: str
    team_id: str | None
    channel_id: str | None = None


@dataclass(frozen=True)
class CommandOutcome:
    """What the handler must do after the session closes."""

    reply: kit.Reply | None = None
    modal: dict[str, Any] | None = None
    refresh_homes: frozenset[str] = field(default_factory=frozenset)
    is_error: bool = False
    # People told about a change someone else made (a milestone handed to them, a member who left).
    messages: tuple[kit.DirectMessage, ...] = ()


@dataclass(frozen=True)
class _Call:
    session: Session
    actor: Actor
    settings: Settings
    now: datetime
    request: CommandRequest
    args: str


Subcommand = Callable[[_Call], CommandOutcome]
_HELP_WORDS = ("", "help", "-h", "--help", "?")


def run_command(
    session: Session, settings: Settings, now: datetime, request: CommandRequest
) -> CommandOutcome:
    """Interpret one slash command for its author.

    Args:
        session: The request's session; the caller commits it.
        settings: For command names, admins and the fallback zone.
        now: The current instant (UTC).
        request: The command.

    Returns:
        The reply (always ephemeral), and possibly a modal to open and App Homes to republish.

    Raises:
        UserFacingError: The command cannot be carried out; the caller rolls back and shows the message.
    """
    names = settings.commands
    table: dict[str, dict[str, Subcommand]] = {
        names.project: _PROJECT,
        names.milestone: _MILESTONE,
        names.blocker: _BLOCKER,
        names.help: {"notifications": _feed_command, "calendar": lambda c: CommandOutcome(_calendar(c))},
    }
    verb, _, args = request.text.strip().partition(" ")
    verb = verb.lower()
    subcommands = table.get(request.command, {})
    handler = subcommands.get(verb)
    if handler is None and (not subcommands or verb in _HELP_WORDS or request.command == names.help):
        # `/liaison` with anything but its own subcommand shows the help of every command.
        focus = None if request.command == names.help else request.command
        reply = build_help_reply(names, focus=focus)
        if request.command == names.help and verb and verb not in _HELP_WORDS:
            reply = with_unknown_word(reply, request.command, verb)  # "/liaison foo": said first
        return CommandOutcome(reply=reply)
    if handler is None:
        usage = ", ".join(f"`{v}`" for v in subcommands)
        raise InvalidInput(
            f"“{verb}” is not a {request.command} command. Try {usage}, or `{request.command} help`."
        )
    requester = Requester(user_id=request.user_id, team_id=request.team_id)
    with_projects = names_a_project(settings, request.command, request.text)
    actor = act_as(session, settings, requester, with_visible_projects=with_projects)
    return handler(_Call(session, actor, settings, now, request, args.strip()))


def execute_command(
    session_factory: sessionmaker[Session], settings: Settings, now: datetime, request: CommandRequest
) -> CommandOutcome:
    """Run a command in its own transaction: committed on success, rolled back on any error.

    A `UserFacingError` becomes an ephemeral error reply (with "did you mean" buttons when the
    project name was unclear); nothing is half-written.
    """
    try:
        with command_session(session_factory, settings, request.command, request.text) as session:
            return run_command(session, settings, now, request)
    except NotFound as error:
        return CommandOutcome(
            reply=kit.build_error_reply(
                error.message,
                alternatives=error.alternatives,
                command=request.command,
                retry_template=_retry_template(request.text, error.query),
            ),
            is_error=True,
        )
    except UserFacingError as error:
        return CommandOutcome(reply=kit.build_error_reply(error.message), is_error=True)


def execute_confirmed_move(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    request: CommandRequest,
    payload: str,
) -> CommandOutcome:
    """Apply a move the user confirmed with the button that `/milestone move … next friday` offered.

    The button carries the instant that was echoed, so the move means what the user saw. A button
    whose value Liaison could not have written is refused as out of date; one pressed again after its
    move was made changes nothing and says so.
    """
    read = read_move_button(payload, now)
    if read is None:
        stale = "That button is out of date; run the command again."
        return CommandOutcome(reply=kit.build_error_reply(stale), is_error=True)
    ref, due = read
    try:
        with session_factory.begin() as session:
            actor = act_as(session, settings, Requester(user_id=request.user_id, team_id=request.team_id))
            milestone = find_milestone(session, actor, ref)
            require_milestone_editor(milestone, actor, "move it")
            local_text = format_local(due.instant, actor.zone)
            if same_due(milestone, due):
                return _already_due(milestone_line(milestone, now), local_text)
            moved, previous = move_milestone(
                session, actor, ref, due, now, reminders=settings.reminder_policy
            )
            return _moved(session, moved, local_text, previous, actor, now)
    except UserFacingError as error:
        return CommandOutcome(reply=kit.build_error_reply(error.message), is_error=True)


def _moved(
    session: Session, moved: Milestone, local_text: str, previous: datetime, actor: Actor, now: datetime
) -> CommandOutcome:
    reply = details.build_moved_reply(session, moved, local_text, previous, actor.zone, now)
    return CommandOutcome(reply=reply, refresh_homes=frozenset(affected_users(moved.project)))


def _already_due(line: MilestoneLine, local_text: str) -> CommandOutcome:
    """A move to the date a milestone has already: nothing changed, nothing to republish."""
    message = f"`{line.ref}` *{kit.escape(line.title)}* is already due *{local_text}*; nothing changed."
    return CommandOutcome(
        reply=kit.Reply(text=f"{line.ref} is already due {local_text}", blocks=[kit.section(message)])
    )


def _retry_template(text: str, query: str) -> str:
    """The command text with the unresolved project name replaced by `{key}`."""
    if not query:
        return ""
    escaped = text.strip().replace("{", "{{").replace("}", "}}")
    needle = query.replace("{", "{{").replace("}", "}}")
    return escaped.replace(needle, "{key}", 1) if needle in escaped else ""


def _require(args: str, usage: str) -> str:
    if not args:
        raise InvalidInput(f"Usage: `{usage}`")
    return args


# -- /project ------------------------------------------------------------------------------------


def _project_list(call: _Call) -> CommandOutcome:
    scope = call.args.lower() or "mine"
    if scope not in ("mine", "all", "archived"):
        raise InvalidInput(f"Usage: `{call.request.command} list [mine|all|archived]`")
    archived = {"mine": False, "all": None, "archived": True}[scope]  # all: archived ones too, marked
    lines = list_projects(call.session, call.actor, mine=scope == "mine", archived=archived)
    return CommandOutcome(
        reply=kit.build_project_list_reply(lines, mine=scope == "mine", command=call.request.command)
    )


def _project_status(call: _Call) -> CommandOutcome:
    query = _require(call.args, f"{call.request.command} status PROJECT")
    report = project_status(call.session, call.actor, query, call.now)
    return CommandOutcome(
        reply=kit.build_project_status_reply(report, call.actor.zone, call.now, call.actor.slack_id)
    )


def _project_members(call: _Call) -> CommandOutcome:
    project = find_project(
        call.session, call.actor, _require(call.args, f"{call.request.command} members PROJECT")
    )
    return CommandOutcome(reply=kit.build_members_reply(project_line(project, None), member_lines(project)))


def _project_blockers(call: _Call) -> CommandOutcome:
    return _blockers_of(call, _require(call.args, f"{call.request.command} blockers PROJECT"))


def _blockers_of(call: _Call, query: str) -> CommandOutcome:
    """The open blockers of one project (read as rows); a blocked one without any says what to do."""
    project_id = match_project(call.session, call.actor, query)
    key, status = project_key_and_status(call.session, project_id, call.actor)
    lines = open_blockers(call.session, call.actor, project_id)
    hint = None
    if status == ProjectStatus.BLOCKED:
        names = call.settings.commands
        hint = (
            f"Record what blocks it with `{names.blocker} add {key} …`, or set its status with "
            f"`{names.project} set-status {key} on_track`."
        )
    return CommandOutcome(reply=kit.build_blockers_reply(lines, f"on {key}", blocked_hint=hint, now=call.now))


def _project_create(call: _Call) -> CommandOutcome:
    return CommandOutcome(modal=build_project_modal(None))


def _project_edit(call: _Call) -> CommandOutcome:
    project = project_for_edit(
        call.session, call.actor, _require(call.args, f"{call.request.command} edit PROJECT")
    )
    return CommandOutcome(modal=build_project_modal(project))


def _project_join(call: _Call) -> CommandOutcome:
    project, changed = join_project(
        call.session, call.actor, _require(call.args, f"{call.request.command} join PROJECT"), call.now
    )
    if not changed:
        return join_request_outcome(call.session, call.actor, project, call.now, CommandOutcome) or _notice(
            "You are already on *{name}* (`{key}`).", frozenset(), name=project.name, key=project.key
        )
    return _notice(
        "You joined *{name}* (`{key}`).", frozenset({call.actor.slack_id}), name=project.name, key=project.key
    )


def _project_leave(call: _Call) -> CommandOutcome:
    usage = f"{call.request.command} leave PROJECT [--to @someone]"
    query, to = split_new_owner(_require(call.args, usage))
    if not query:
        raise InvalidInput(f"Usage: `{usage}`")
    departure = leave_project(
        call.session, call.actor, query, call.now, to=to, reminders=call.settings.reminder_policy
    )
    return _departure_outcome(call, departure, removing=False)


def _project_remove(call: _Call) -> CommandOutcome:
    usage = f"{call.request.command} remove @person PROJECT [--to @someone]"
    rest, to = split_new_owner(_require(call.args, usage))
    person, query = split_person_and_project(rest, usage)
    departure = remove_member(
        call.session, call.actor, person, query, call.now, to=to, reminders=call.settings.reminder_policy
    )
    return _departure_outcome(call, departure, removing=True)


def _departure_outcome(call: _Call, departure: Departure, *, removing: bool) -> CommandOutcome:
    reply = departure_reply(
        departure,
        actor_id=call.actor.slack_id,
        command=call.request.command,
        removing=removing,
        zone=call.actor.zone,
        now=call.now,
    )
    messages = departure_messages(
        departure, removing=removing, fallback_zone=call.settings.zone, now=call.now
    )
    return CommandOutcome(reply=reply, refresh_homes=departure.affected, messages=messages)


def _project_set_status(call: _Call) -> CommandOutcome:
    usage = f"{call.request.command} set-status PROJECT on_track|at_risk|blocked|done"
    words = _require(call.args, usage).split()
    if len(words) < 2:
        raise InvalidInput(f"Usage: `{usage}`")
    status: ProjectStatus | None = None
    query = ""
    for take in (2, 1):  # "on track" is two words; try the longer reading first
        if len(words) > take:
            try:
                status = parse_status(" ".join(words[-take:]))
                query = " ".join(words[:-take])
                break
            except InvalidInput:
                continue
    if status is None:
        parse_status(words[-1])  # raises with the list of valid statuses
        raise InvalidInput(f"Usage: `{usage}`")
    project, previous = set_project_status(call.session, call.actor, query, status, call.now)
    if previous == status:
        return _notice(
            "*{name}* (`{key}`) is already {status}; nothing changed.",
            frozenset(),
            name=project.name,
            key=project.key,
            status=STATUS_LABELS[status],
        )
    return _notice(
        "*{name}* (`{key}`) is now {status} (was {previous}).",
        frozenset(affected_users(project)),
        name=project.name,
        key=project.key,
        status=STATUS_LABELS[status],
        previous=STATUS_LABELS[previous],
    )


def _notice(template: str, refresh: frozenset[str], **parts: str) -> CommandOutcome:
    """A one-line confirmation; `parts` are user-supplied and escaped in the mrkdwn version only."""
    mrkdwn = template.format(**{k: kit.escape(v) for k, v in parts.items()})
    return CommandOutcome(
        reply=kit.Reply(text=template.format(**parts), blocks=[kit.section(mrkdwn)]), refresh_homes=refresh
    )


def _feed_command(call: _Call) -> CommandOutcome:
    """`/project subscribe|unsubscribe …`, `/liaison notifications on|off` (bot.slack.feed_commands)."""
    verb, request = call.request.text.strip().partition(" ")[0].lower(), call.request
    reply = run_feed_command(
        call.session,
        call.actor,
        call.now,
        verb=verb,
        command=request.command,
        channel_id=request.channel_id,
        args=call.args,
    )
    return CommandOutcome(reply=reply)


def _checkins_command(call: _Call) -> CommandOutcome:
    """`/project checkins KEY [on|off|schedule …]` (bot.slack.checkin_commands)."""
    reply = run_checkins(call.session, call.actor, call.now, command=call.request.command, args=call.args)
    return CommandOutcome(reply=reply)


def _lifecycle_command(call: _Call) -> CommandOutcome:
    """`/project archive|restore`, `/milestone delete`, `/blocker delete` (bot.slack.archive_commands)."""
    c = call
    done = run_lifecycle_command(c.session, c.actor, c.settings, c.now, c.request.command, c.request.text)
    return CommandOutcome(reply=done.reply, refresh_homes=done.refresh_homes)


def _detail_command(call: _Call) -> CommandOutcome:
    """`/milestone show|describe|link|unlink|after|not-after` (bot.slack.milestone_details)."""
    c = call
    reply, refresh = details.run_detail_command(c.session, c.actor, c.now, c.request.command, c.request.text)
    return CommandOutcome(reply=reply, refresh_homes=refresh)


_PROJECT: dict[str, Subcommand] = {
    "list": _project_list,
    "status": _project_status,
    "members": _project_members,
    "blockers": _project_blockers,
    "create": _project_create,
    "edit": _project_edit,
    "join": _project_join,
    "leave": _project_leave,
    "remove": _project_remove,
    "set-status": _project_set_status,
    "subscribe": _feed_command,
    "unsubscribe": _feed_command,
    "archive": _lifecycle_command,
    "restore": _lifecycle_command,
    "checkins": _checkins_command,
}


# -- /milestone ----------------------------------------------------------------------------------


def _milestone_list(call: _Call) -> CommandOutcome:
    everywhere = call.args.strip().lower() == "all"  # as `/project list all` and `/milestone overdue all`
    query = None if everywhere else (call.args or None)
    lines = list_milestones(call.session, call.actor, query, call.now, everywhere=everywhere)
    if everywhere:
        scope = "on every project you can see"
    elif query:
        scope = f"on {lines[0].project_key}" if lines else f"on {query}"
    else:
        scope = "on your projects"
    return CommandOutcome(
        reply=kit.build_milestone_list_reply(
            f"Open milestones {scope}",
            lines,
            call.actor.zone,
            call.now,
            viewer=call.actor.slack_id,
            empty=f"No open milestones {scope}.",
        )
    )


def _milestone_next(call: _Call) -> CommandOutcome:
    lines = upcoming_milestones(call.session, call.actor, call.now, call.now + NEXT_WINDOW)
    return CommandOutcome(
        reply=kit.build_milestone_list_reply(
            "Yours in the next 14 days",
            lines,
            call.actor.zone,
            call.now,
            viewer=call.actor.slack_id,
            empty="Nothing of yours is due in the next 14 days.",
        )
    )


def _milestone_overdue(call: _Call) -> CommandOutcome:
    everywhere = call.args.lower() == "all"
    if call.args and not everywhere:
        raise InvalidInput(f"Usage: `{call.request.command} overdue [all]`")
    lines = overdue(call.session, call.actor, call.now, everywhere=everywhere)
    scope = "in all projects" if everywhere else "on your projects"
    return CommandOutcome(
        reply=kit.build_milestone_list_reply(
            f"Overdue {scope}",
            lines,
            call.actor.zone,
            call.now,
            viewer=call.actor.slack_id,
            empty=f"Nothing is overdue {scope}.",
        )
    )


def _milestone_add(call: _Call) -> CommandOutcome:
    chosen = find_project(call.session, call.actor, call.args) if call.args else None
    projects = [
        p for p in visible_projects(call.session, call.actor) if call.actor.is_admin or is_lead(p, call.actor)
    ]
    if chosen is not None and chosen not in projects:
        require_editor(chosen, call.actor, "add milestones")
    if chosen is None and not projects:
        raise InvalidInput(
            "You lead no project, so there is nowhere you can add milestones. "
            "Ask a project lead, or name a project you lead."
        )
    return CommandOutcome(modal=build_milestone_modal(projects, chosen))


def _milestone_done(call: _Call) -> CommandOutcome:
    ref = _require(call.args, f"{call.request.command} done ID")
    words = ref.split()
    if len(words) > 1:
        # "/milestone done pcm-3 pcm-4": nothing is marked rather than the first alone, unsaid.
        first, second = (kit.escape(word[:40]) for word in words[:2])
        command = call.request.command
        raise InvalidInput(
            f"One milestone at a time: `{command} done {first}`, then `{command} done {second}`."
        )
    milestone, changed = complete_milestone(call.session, call.actor, words[0], call.now)
    line = milestone_line(milestone, call.now)
    verb = "Marked done" if changed else "Already done"
    message = f":white_check_mark: {verb}: `{line.ref}` *{kit.escape(line.title)}*."
    return CommandOutcome(
        reply=kit.Reply(text=f"{verb}: {line.ref} {line.title}", blocks=[kit.section(message)]),
        refresh_homes=frozenset(affected_users(milestone.project)) if changed else frozenset(),
    )


def _milestone_move(call: _Call) -> CommandOutcome:
    command = call.request.command
    usage = (
        f"Usage: `{command} move ID DATE`, e.g. `{command} move bidshade-2 2026-12-04 17:00` or "
        f"`{command} move bidshade-2 next friday`."
    )
    ref, _, date_text = call.args.partition(" ")
    if not date_text.strip():
        raise InvalidInput(usage)
    milestone = find_milestone(call.session, call.actor, ref)
    try:
        due = read_move_due(milestone, date_text, now=call.now, zone=call.actor.zone)
    except DateParseError as error:
        raise InvalidInput(str(error)) from None
    local_text = format_local(due.instant, call.actor.zone)
    in_the_past = due.instant < call.now
    if due.relative or in_the_past:
        # Relative phrases are echoed back for confirmation; the button carries the instant, not the
        # phrase, so "tomorrow" keeps the meaning it had when it was typed. A date in the past (a typo
        # of the year, mostly) would make the milestone overdue at once: asked first too.
        require_milestone_editor(milestone, call.actor, "move it")
        payload = encode_move_button(ref.lower(), due)
        return CommandOutcome(
            reply=kit.build_confirm_move_reply(
                milestone_line(milestone, call.now), local_text, payload, in_the_past=in_the_past
            )
        )
    require_milestone_editor(milestone, call.actor, "move it")
    if same_due(milestone, due):
        return _already_due(milestone_line(milestone, call.now), local_text)
    moved, previous = move_milestone(
        call.session, call.actor, ref, due, call.now, reminders=call.settings.reminder_policy
    )
    return _moved(call.session, moved, local_text, previous, call.actor, call.now)


def _milestone_assign(call: _Call) -> CommandOutcome:
    usage = f"{call.request.command} assign ID @person"
    ref, _, person = _require(call.args, usage).partition(" ")
    if not person.strip():
        raise InvalidInput(f"Usage: `{usage}`")
    assignment = assign_milestone(
        call.session, call.actor, ref, person, call.now, reminders=call.settings.reminder_policy
    )
    messages = assignment_messages(assignment, fallback_zone=call.settings.zone, now=call.now)
    return CommandOutcome(
        reply=assignment_reply(assignment), refresh_homes=assignment.affected, messages=messages
    )


def _milestone_remind(call: _Call) -> CommandOutcome:
    """`remind [PROJECT|workspace] [SETTING VALUE …|reset]` and `remind me on|off`."""
    command = call.request.command
    defaults = call.settings.reminder_policy
    words = call.args.split()
    if words and words[0].lower() == "me":
        if len(words) != 2 or words[1].lower() not in ("on", "off"):
            raise InvalidInput(
                f"Usage: `{command} remind me off` (or `on`) for your daily “waiting on you” DM."
            )
        enabled = words[1].lower() == "on"
        changed = set_waiting_digest(call.session, call.actor, enabled, call.now, defaults)
        state = "on" if enabled else "off"
        verb = "is now" if changed else "was already"
        return _notice(f"Your daily “waiting on you” message {verb} {state}.", frozenset())
    project = None
    if words and words[0].lower() != "workspace":
        project_word, rest = split_project_argument(call.args)
        project = find_project(call.session, call.actor, project_word)
        words = rest.split()
    else:
        words = words[1:]
    if not words:
        view = show_policy(call.session, call.actor, project, defaults)
        changed = False
    else:
        changes = None if [w.lower() for w in words] == ["reset"] else parse_policy_words(words)
        view = change_policy(call.session, call.actor, project, changes, call.now, defaults)
        changed = True
    return CommandOutcome(reply=build_policy_reply(view, changed=changed, command=command))


_MILESTONE: dict[str, Subcommand] = {
    "list": _milestone_list,
    "next": _milestone_next,
    "overdue": _milestone_overdue,
    "add": _milestone_add,
    "done": _milestone_done,
    "move": _milestone_move,
    "assign": _milestone_assign,
    "remind": _milestone_remind,
    "delete": _lifecycle_command,
    **dict.fromkeys(details.DETAIL_VERBS, _detail_command),
}


# -- /blocker ------------------------------------------------------------------------------------


def _blocker_add(call: _Call) -> CommandOutcome:
    usage = f'{call.request.command} add PROJECT what is blocking (quote a multi-word name: "bid shading")'
    project_query, text = project_and_blocker_text(
        call.session, call.actor, call.request.command, _require(call.args, usage)
    )
    if not text:
        raise InvalidInput(f"Usage: `{usage}`")
    blocker, reply = details.raise_blocker(call.session, call.actor, project_query, text, call.now)
    return CommandOutcome(reply=reply, refresh_homes=frozenset(affected_users(blocker.project)))


def _blocker_list(call: _Call) -> CommandOutcome:
    if call.args:
        return _blockers_of(call, call.args)
    lines = list_blockers(call.session, call.actor, None)
    return CommandOutcome(reply=kit.build_blockers_reply(lines, "in your visible projects", now=call.now))


def _blocker_resolve(call: _Call) -> CommandOutcome:
    ref = _require(call.args, f"{call.request.command} resolve ID").split()[0]
    blocker, changed = resolve_blocker(call.session, call.actor, ref, call.now)
    verb = "Resolved" if changed else "Already resolved"
    message = f":white_check_mark: {verb}: `{ref.lower()}` {kit.escape(blocker.text)}"
    return CommandOutcome(
        reply=kit.Reply(text=f"{verb} {ref}", blocks=[kit.section(message)]),
        refresh_homes=frozenset(affected_users(blocker.project)) if changed else frozenset(),
    )


_BLOCKER: dict[str, Subcommand] = {
    "add": _blocker_add,
    "list": _blocker_list,
    "resolve": _blocker_resolve,
    "delete": _lifecycle_command,
}

SUBCOMMANDS: dict[str, tuple[str, ...]] = {
    "project": tuple(_PROJECT),
    "milestone": tuple(_MILESTONE),
    "blocker": tuple(_BLOCKER),
}
