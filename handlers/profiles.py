"""Listeners of the profiles feature: `/profile`, its "Edit profile" button and the edit form.

Every answer is ephemeral. The edit form always changes the profile of the user who submits it; the
opener recorded in its private_metadata only serves to refuse a submission that is not theirs. A
modal submission has no response_url (and no channel for an ephemeral message), so the confirmation
goes to the app's DM with the user, as for the project and milestone forms.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.access import Actor, load_actor, resolve_workspace
from bot.errors import InvalidInput, UserFacingError
from bot.experts.profiles import EditResult, NotInDirectory, ProfileEditError, ProfileView, edit_own_profile
from bot.experts.profiles import own_profile as load_own_profile
from bot.experts.profiles import view_profile as load_profile
from bot.services import Services
from bot.settings import Settings
from bot.slack.blocks import Reply, build_error_reply
from bot.slack.profile_blocks import (
    PROFILE_EDIT_ACTION,
    PROFILE_MODAL,
    TITLE_INPUT,
    build_not_in_directory_reply,
    build_profile_help_reply,
    build_profile_modal,
    build_profile_reply,
    build_profile_saved_reply,
    field_errors,
    opened_by,
    parse_profile_submission,
    parse_profile_text,
)


def register(app: App, settings: Settings) -> None:
    """Register the profiles listeners."""
    app.command(settings.commands.profile)(handle_profile_command)
    app.action(PROFILE_EDIT_ACTION)(handle_profile_edit_action)
    app.view(PROFILE_MODAL)(handle_profile_submission)


def handle_profile_command(
    ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, services: Services
) -> None:
    """`/profile [edit | help | @someone | show NAME]`: ack at once, then answer or open the form."""
    ack()
    name, user_id, team_id = command["command"], command["user_id"], command.get("team_id")
    try:
        parsed = parse_profile_text(command.get("text") or "", name)
    except InvalidInput as error:
        respond(response_type="ephemeral", **build_error_reply(error.message).as_kwargs())
        return
    if parsed.verb == "help":
        respond(response_type="ephemeral", **build_profile_help_reply(name).as_kwargs())
    elif parsed.verb == "edit":
        _open_edit_form(client, respond, services, user_id, team_id, command.get("trigger_id"))
    else:
        loaded = _load(services, user_id, team_id, parsed.target if parsed.verb == "show" else None)
        reply = loaded if isinstance(loaded, Reply) else _profile_reply(loaded, services.settings)
        respond(response_type="ephemeral", **reply.as_kwargs())


def handle_profile_edit_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """ "Edit profile" button: open the edit form of whoever clicked (the button's value is ignored)."""
    ack()
    _open_edit_form(
        client,
        respond,
        services,
        body["user"]["id"],
        (body.get("team") or {}).get("id"),
        body.get("trigger_id"),
    )


def handle_profile_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, services: Services
) -> None:
    """Profile edit form submitted: field errors keep it open; else save, close and DM a confirmation."""
    user_id = body["user"]["id"]
    outcome = _save(services, user_id, (body.get("team") or {}).get("id"), view)
    if not isinstance(outcome, EditResult):
        # Field errors must travel in the ack itself: it is the only way to keep the modal open.
        ack(response_action="errors", errors=outcome)
        return
    ack()
    reply = build_profile_saved_reply(outcome, services.settings.commands.profile)
    client.chat_postMessage(channel=user_id, **reply.as_kwargs())


# -- helpers ---------------------------------------------------------------------------------------


def _actor(session: Session, settings: Settings, team_id: str | None, user_id: str) -> Actor:
    workspace = resolve_workspace(session, team_id)
    return load_actor(
        session, workspace, user_id, admins=settings.admins, fallback_zone=settings.default_timezone
    )


def _load(services: Services, user_id: str, team_id: str | None, target: str | None) -> ProfileView | Reply:
    """The profile asked for (the user's own when `target` is None), or the reply explaining why not."""
    settings = services.settings
    try:
        with services.session_factory.begin() as session:
            actor = _actor(session, settings, team_id, user_id)
            if target is None:
                return load_own_profile(session, actor)
            return load_profile(session, actor, target)
    except NotInDirectory:
        return build_not_in_directory_reply(settings.commands)
    except UserFacingError as error:
        return build_error_reply(error.message)


def _profile_reply(view: ProfileView, settings: Settings) -> Reply:
    return build_profile_reply(
        view, default_cap=settings.expert_weekly_request_cap, command=settings.commands.profile
    )


def _open_edit_form(
    client: WebClient,
    respond: Respond,
    services: Services,
    user_id: str,
    team_id: str | None,
    trigger_id: str | None,
) -> None:
    loaded = _load(services, user_id, team_id, None)
    if isinstance(loaded, Reply):
        respond(response_type="ephemeral", replace_original=False, **loaded.as_kwargs())
    elif trigger_id:
        modal = build_profile_modal(loaded, default_cap=services.settings.expert_weekly_request_cap)
        client.views_open(trigger_id=trigger_id, view=modal)
    else:
        # Slack always sends a trigger id with commands and clicks; without one no form can open.
        message = f"Slack did not let me open the form; try `{services.settings.commands.profile} edit`."
        respond(response_type="ephemeral", replace_original=False, **build_error_reply(message).as_kwargs())


def _save(
    services: Services, user_id: str, team_id: str | None, view: dict[str, Any]
) -> EditResult | dict[str, str]:
    """Apply the submitted form to the submitting user's profile; field errors (by block id) if not."""
    opener = opened_by(view.get("private_metadata") or "")
    if opener is not None and opener != user_id:
        # Slack only lets the user a modal was opened for submit it: this one was forged or replayed.
        return {TITLE_INPUT: "This form was opened for someone else; nothing was saved."}
    edit = parse_profile_submission((view.get("state") or {}).get("values") or {})
    try:
        with services.session_factory.begin() as session:
            actor = _actor(session, services.settings, team_id, user_id)
            return edit_own_profile(session, actor, edit, services.clock.now())
    except ProfileEditError as error:
        return field_errors(error.errors)
    except UserFacingError as error:
        return {TITLE_INPUT: error.message}
