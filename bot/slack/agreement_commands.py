"""`/agreement list|status|add|set-status|require`: parse, call `bot.agreements.records`, reply.

Runs in one transaction like the command interpreter (`bot.slack.commands.execute_command`): a
`UserFacingError` rolls back and becomes an ephemeral error; nothing is half-written. Every answer is
ephemeral, errors included.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.access import Actor, Requester, act_as, is_lead, with_roles_and_lead
from bot.agreements.records import (
    add_agreement,
    agreement_status,
    list_agreements,
    parse_status,
    require_agreement,
    set_status,
    validate_draft,
)
from bot.agreements.tables import Agreement
from bot.domain.dates import DateParseError, parse_due
from bot.errors import InvalidInput, UserFacingError
from bot.models import Project
from bot.publications.papers import replan_papers_for_agreement
from bot.settings import Settings
from bot.slack import agreement_blocks as ui
from bot.slack import ids
from bot.slack.blocks import DirectMessage, Reply, build_error_reply
from bot.slack.commands import CommandOutcome, CommandRequest
from bot.slack.help import build_help_reply
from bot.slack.paper_commands import late_messages, planning_defaults

_HELP_WORDS = ("", "help", "-h", "--help", "?")


def execute_agreement_command(
    session_factory: sessionmaker[Session], settings: Settings, now: datetime, request: CommandRequest
) -> CommandOutcome:
    """Run `/agreement …` in its own transaction: committed on success, rolled back on any user error."""
    try:
        with session_factory.begin() as session:
            actor = act_as(session, settings, Requester(user_id=request.user_id, team_id=request.team_id))
            return run_agreement_command(session, actor, now, request, settings=settings)
    except UserFacingError as error:
        # No "did you mean" buttons: they re-run commands through the interpreter, which does not
        # know /agreement; the message names the near misses.
        return CommandOutcome(reply=build_error_reply(error.message), is_error=True)


def run_agreement_command(
    session: Session, actor: Actor, now: datetime, request: CommandRequest, *, settings: Settings
) -> CommandOutcome:
    """Interpret one `/agreement` command for its author (the caller commits).

    Raises:
        UserFacingError: Bad input, an unknown or invisible agreement, a refused permission.
    """
    command = request.command
    verb, _, args = request.text.strip().partition(" ")
    verb, args = verb.lower(), args.strip()
    today = now.astimezone(actor.zone).date()
    if verb in _HELP_WORDS:
        # The catalogue's rows (bot.commands), as `/liaison help` shows them: a command is declared once.
        return CommandOutcome(reply=build_help_reply(settings.commands, focus=command))
    if verb == "list":
        project, views = list_agreements(session, actor, args or None)
        return CommandOutcome(reply=ui.build_agreement_list_reply(project, views, today))
    if verb in ("status", "show"):
        key = _one(args, f"{command} status KEY")
        return CommandOutcome(
            reply=ui.build_agreement_status_reply(agreement_status(session, actor, key), today)
        )
    if verb == "add":
        if args:
            raise InvalidInput(f"`{command} add` takes nothing after it: it opens a form.")
        projects = editable_projects(session, actor)
        if not projects:
            raise InvalidInput(
                "You lead no active project, so there is nothing you can record an agreement for. "
                "Ask a project's lead or a Liaison admin."
            )
        return CommandOutcome(modal=ui.build_agreement_modal(projects, actor.slack_id))
    if verb in ("set-status", "set_status", "setstatus"):
        return _set_status(session, actor, now, command, args, today, settings)
    if verb == "require":
        words = args.split()
        if len(words) != 2:
            raise InvalidInput(
                f"Usage: `{command} require MILESTONE KEY`, e.g. `{command} require pcm-3 dua-7`."
            )
        requirement = require_agreement(session, actor, words[0], words[1], now)
        return CommandOutcome(reply=ui.build_requirement_reply(requirement, today))
    raise InvalidInput(
        f"`{command} {verb[:30]}` is not something I know. Try `{command} list`, `status`, `add`, "
        "`set-status` or `require`."
    )


def _one(args: str, usage: str) -> str:
    words = args.split()
    if len(words) != 1:
        raise InvalidInput(f"Usage: `{usage}`.")
    return words[0]


def _set_status(
    session: Session, actor: Actor, now: datetime, command: str, args: str, today: date, settings: Settings
) -> CommandOutcome:
    usage = (
        f"Usage: `{command} set-status KEY STATUS [DATE]`, "
        f"e.g. `{command} set-status dua-7 signed 2026-12-01`."
    )
    words = args.split()
    if len(words) < 2:
        raise InvalidInput(usage)
    key, rest = words[0], words[1:]
    # "legal review" may be written in two words.
    if len(rest) >= 2 and f"{rest[0]} {rest[1]}".lower() == "legal review":
        rest = ["legal_review", *rest[2:]]
    status = parse_status(rest[0])
    on: date | None = None
    if rest[1:]:
        try:
            on = parse_due(" ".join(rest[1:]), now=now, zone=actor.zone).local.date()
        except DateParseError as error:
            raise InvalidInput(str(error)) from None
    change = set_status(session, actor, key, status, on, now)
    messages: list[DirectMessage] = []
    if change.changed:
        # A signed (or ended) agreement changes its projects' review windows: their papers are
        # planned again in this transaction, and a review that no longer fits is told at once.
        agreement_id = session.scalar(
            select(Agreement.id).where(
                Agreement.workspace_id == actor.workspace_id, Agreement.key == change.view.key
            )
        )
        if agreement_id is not None:
            replans = replan_papers_for_agreement(
                session, actor, agreement_id, now, planning_defaults(settings)
            )
            messages = [m for r in replans for m in late_messages(session, actor, r.late)]
    return CommandOutcome(reply=ui.build_status_changed_reply(change, today), messages=tuple(messages))


def editable_projects(session: Session, actor: Actor) -> list[Project]:
    """The active projects the actor may record agreements for: all for admins, else those they lead."""
    projects = session.scalars(
        select(Project)
        .where(Project.workspace_id == actor.workspace_id, Project.archived_at.is_(None))
        .options(*with_roles_and_lead())
        .order_by(Project.key)
    )
    return [p for p in projects if actor.is_admin or is_lead(p, actor)][:100]


def submit_agreement(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    requester: Requester,
    values: object,
) -> tuple[dict[str, str], Reply | None]:
    """The add form submitted: record the agreement for the submitter (permissions checked again).

    Returns:
        (errors by block id, to keep the form open; the confirmation for the submitter's DM).
    """
    try:
        draft = ui.parse_agreement_submission(values)
    except ui.FormError as error:
        return {error.block_id: error.message[:150]}, None
    problems = validate_draft(draft)
    if problems:
        return {
            ui.FIELD_BLOCKS.get(field, ids.AGREEMENT_TITLE_INPUT): text[:150]
            for field, text in problems.items()
        }, None
    try:
        with session_factory.begin() as session:
            actor = act_as(session, settings, requester)
            agreement = add_agreement(session, actor, draft, now)
            view = agreement_status(session, actor, agreement.key)
    except UserFacingError as error:
        return {ids.AGREEMENT_PROJECTS_INPUT: error.message[:150]}, None
    return {}, ui.build_added_reply(view, now.astimezone(actor.zone).date())
