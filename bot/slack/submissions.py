"""Modal submissions: validate, apply in one transaction, and say which field is wrong if any.

Slack shows `response_action: errors` next to the named input blocks, so problems go back keyed by
block id and the modal stays open with what the user typed.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.access import Requester, act_as, can_see, require_editor
from bot.domain.dates import DateParseError, form_due_problem, format_local, parse_due
from bot.errors import Forbidden, InvalidInput, NotFound, UserFacingError
from bot.models import Project, Role
from bot.projects.milestones import add_milestone
from bot.projects.project import (
    affected_users,
    create_project,
    draft_people_problems,
    edit_project,
    find_project,
    validate_draft,
)
from bot.settings import Settings
from bot.slack import blocks as kit
from bot.slack import ids
from bot.slack.input_hygiene import clean_strings_in_place
from bot.slack.modals import parse_milestone_submission, parse_project_submission

_DRAFT_FIELD_TO_BLOCK = {
    "key": ids.KEY_INPUT,
    "name": ids.NAME_INPUT,
    "description": ids.DESCRIPTION_INPUT,
    "channel": ids.CHANNEL_INPUT,
    "lead": ids.LEAD_INPUT,
    "members": ids.MEMBERS_INPUT,
}


@dataclass(frozen=True)
class SubmissionResult:
    """Either field errors (modal stays open) or a confirmation and homes to refresh."""

    errors: dict[str, str] = field(default_factory=dict)
    notice: kit.Reply | None = None
    refresh_homes: frozenset[str] = field(default_factory=frozenset)
    # Others told about the change (a lead named by someone else).
    messages: tuple[kit.DirectMessage, ...] = ()


def _cleaned(metadata: dict[str, Any]) -> dict[str, Any]:
    """A copy of the form's decoded private_metadata without control characters.

    The app's middleware cleaned the metadata string, but a JSON escape such as `\\u0000` in it only
    became NUL when it was decoded (PostgreSQL refuses NUL in text, so a forged key would fail the query).
    """
    copy = deepcopy(metadata)
    clean_strings_in_place(copy)
    return copy


def submit_project(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    user_id: str,
    team_id: str | None,
    values: dict[str, Any],
    metadata: dict[str, Any],
) -> SubmissionResult:
    """Create or edit a project from the project modal."""
    metadata = _cleaned(metadata)
    editing = metadata.get("mode") == "edit"
    first_block = ids.NAME_INPUT if editing else ids.KEY_INPUT
    try:
        with session_factory.begin() as session:
            actor = act_as(session, settings, Requester(user_id=user_id, team_id=team_id))
            existing = None
            if editing:
                existing = session.scalars(
                    select(Project).where(
                        Project.workspace_id == actor.workspace_id, Project.key == str(metadata.get("key"))
                    )
                ).first()
            try:
                draft = parse_project_submission(values, metadata, existing)
            except InvalidInput as error:
                return SubmissionResult(errors={ids.STATUS_INPUT: error.message})
            if editing:
                # Permission first: the people checks below name members and their milestones.
                if existing is None or not can_see(existing, actor):
                    raise NotFound(f"No project `{kit.truncate(draft.key, 40)}`.")
                require_editor(existing, actor, "edit it")
            problems = validate_draft(draft) or draft_people_problems(session, actor, draft, existing)
            if problems:
                return SubmissionResult(
                    errors={_DRAFT_FIELD_TO_BLOCK.get(k, first_block): v for k, v in problems.items()}
                )
            previous_lead = existing.lead.slack_id if existing is not None and existing.lead else None
            members_before = (
                {m.person.slack_id for m in existing.memberships if m.role != Role.VIEWER}
                if existing is not None
                else set()
            )
            if editing:
                project, changed = edit_project(session, actor, draft.key, draft, now)
                template = (
                    "Saved *{name}* (`{key}`)." if changed else "Nothing changed in *{name}* (`{key}`)."
                )
            else:
                project, changed = create_project(session, actor, draft, now), True
                template = (
                    "Created *{name}* (`{key}`). Add milestones with `"
                    + settings.commands.milestone
                    + " add {key}`."
                )
            notice = kit.Reply(
                text=template.format(name=project.name, key=project.key),
                blocks=[kit.section(template.format(name=kit.escape(project.name), key=project.key))],
            )
            messages: list[kit.DirectMessage] = []
            lead = project.lead
            if lead is not None and lead.slack_id not in (actor.slack_id, previous_lead):
                messages.append(
                    _lead_named(actor.slack_id, lead.slack_id, project.name, project.key, settings)
                )
            if (
                previous_lead
                and previous_lead != actor.slack_id
                and (lead is None or lead.slack_id != previous_lead)
            ):
                # The lead who was replaced hears it from Liaison, not from the channel.
                new = f"<@{lead.slack_id}>" if lead is not None else "nobody"
                message = (
                    f"<@{actor.slack_id}> made {new} the lead of *{kit.escape(project.name)}* "
                    f"(`{project.key}`) in your place; you stay on it as a member."
                )
                text = f"You are no longer the lead of {project.name} ({project.key})."
                messages.append(
                    kit.DirectMessage(previous_lead, kit.Reply(text=text, blocks=[kit.section(message)]))
                )
            # Everyone the form put on the project or took off it is told, as `/project remove` tells.
            members_after = {m.person.slack_id for m in project.memberships if m.role != Role.VIEWER}
            told = {actor.slack_id, lead.slack_id if lead is not None else ""}
            messages += [
                _membership_changed(actor.slack_id, person, project.name, project.key, settings, added=True)
                for person in sorted(members_after - members_before - told)
            ]
            messages += [
                _membership_changed(actor.slack_id, person, project.name, project.key, settings, added=False)
                for person in sorted(members_before - members_after - {actor.slack_id})
            ]
            return SubmissionResult(
                notice=notice,
                refresh_homes=frozenset(affected_users(project)) if changed else frozenset(),
                messages=tuple(messages),
            )
    except UserFacingError as error:
        return SubmissionResult(errors={first_block: error.message})


def _membership_changed(
    by: str, person: str, name: str, key: str, settings: Settings, *, added: bool
) -> kit.DirectMessage:
    """The DM that tells someone the project form put them on a project, or took them off it."""
    command = settings.commands.project
    project = f"*{kit.escape(name)}* (`{key}`)"
    if added:
        message = (
            f":wave: <@{by}> added you to {project}. See it with `{command} status {key}`; "
            f"`{command} leave {key}` takes you off."
        )
        text = f"You were added to {name} ({key})."
    else:
        message = f"<@{by}> removed you from {project}."
        text = f"You were removed from {name} ({key})."
    return kit.DirectMessage(person, kit.Reply(text=text, blocks=[kit.section(message)]))


def _lead_named(by: str, lead: str, name: str, key: str, settings: Settings) -> kit.DirectMessage:
    """The DM that tells someone another person made them a project's lead."""
    command = settings.commands.project
    message = (
        f":wave: <@{by}> made you the lead of *{kit.escape(name)}* (`{key}`). See it with "
        f"`{command} status {key}`; if that is a mistake, change the lead with `{command} edit {key}`."
    )
    text = f"You are now the lead of {name} ({key}), named by someone else."
    return kit.DirectMessage(lead, kit.Reply(text=text, blocks=[kit.section(message)]))


def submit_milestone(
    session_factory: sessionmaker[Session],
    settings: Settings,
    now: datetime,
    *,
    user_id: str,
    team_id: str | None,
    values: dict[str, Any],
    metadata: dict[str, Any],
) -> SubmissionResult:
    """Add a milestone from the milestone modal."""
    metadata = _cleaned(metadata)
    submission = parse_milestone_submission(values, metadata)
    project_block = ids.TITLE_INPUT if metadata.get("project") else ids.PROJECT_INPUT
    try:
        with session_factory.begin() as session:
            actor = act_as(session, settings, Requester(user_id=user_id, team_id=team_id))
            try:
                project = find_project(session, actor, submission.project_key)
            except NotFound as error:
                return SubmissionResult(errors={project_block: error.message})
            try:
                due = parse_due(submission.due_text, now=now, zone=actor.zone)
            except DateParseError as error:
                return SubmissionResult(errors={ids.DUE_INPUT: str(error)})
            problem = form_due_problem(due, submission.due_text, now)
            if problem is not None:
                return SubmissionResult(errors={ids.DUE_INPUT: problem})
            try:
                milestone = add_milestone(
                    session,
                    actor,
                    project,
                    title=submission.title,
                    due=due,
                    owner_slack_id=submission.owner_slack_id,
                    now=now,
                    reminders=settings.reminder_policy,
                )
            except Forbidden as error:
                return SubmissionResult(errors={project_block: error.message})
            except InvalidInput as error:
                block = (
                    ids.OWNER_INPUT
                    if submission.owner_slack_id and "not on" in error.message
                    else ids.TITLE_INPUT
                )
                return SubmissionResult(errors={block: error.message})
            ref = f"{project.key}-{milestone.number}"
            local = format_local(due.instant, actor.zone)
            text = f"Added {ref} {milestone.title}, due {local}."
            notice = kit.Reply(
                text=text,
                blocks=[
                    kit.section(
                        f":spiral_calendar_pad: Added `{ref}` *{kit.escape(milestone.title)}* to "
                        f"*{kit.escape(project.name)}*, due *{local}*."
                    )
                ],
            )
            return SubmissionResult(notice=notice, refresh_homes=frozenset(affected_users(project)))
    except UserFacingError as error:
        return SubmissionResult(errors={project_block: error.message})
