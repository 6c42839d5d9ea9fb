"""Listeners of the profiles feature: `/profile`, its "Edit profile" button and the edit form.

Every answer is ephemeral. The edit form always changes the profile of the user who submits it
(`bot.experts.profile_edits.save_own_profile`). A modal submission has no response_url (and no channel
for an ephemeral message), so the confirmation goes to the app's DM with the user, as for the project
and milestone forms.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.access import Requester
from bot.errors import InvalidInput, NotFound, UserFacingError
from bot.experts.profile_edits import EditResult, ProfileEditError, save_end_date, save_own_profile
from bot.experts.profiles import NotInDirectory, ProfileView, show_profile
from bot.experts.sources.http_client import SourceFetchError
from bot.experts.sources.service import link_and_fetch, set_hidden, sources_of, unlink
from bot.services import Services
from bot.settings import Settings
from bot.slack.blocks import Reply, build_error_reply, cap_blocks
from bot.slack.ids import (
    PROFILE_EDIT_ACTION,
    PROFILE_MODAL,
    PROFILE_TITLE_INPUT,
    PROFILE_UNTIL_ACTION,
    PROFILE_UNTIL_MODAL,
    PROFILE_WORK_HIDE_ACTION,
    PROFILE_WORK_SHOW_ACTION,
    UNTIL_INPUT,
)
from bot.slack.payload_values import row_id
from bot.slack.private_replies import Responder, responder
from bot.slack.profile_blocks import (
    build_not_in_directory_reply,
    build_profile_help_reply,
    build_profile_modal,
    build_profile_reply,
    build_profile_saved_reply,
    build_until_modal,
    build_until_saved_reply,
    field_errors,
    opened_by,
    parse_profile_submission,
    parse_profile_text,
    parse_until_submission,
)
from bot.slack.profile_source_blocks import (
    build_fetch_failed_reply,
    build_linked_reply,
    build_sources_blocks,
    build_unlinked_reply,
)
from bot.slack.requesters import requester_of


def register(app: App, settings: Settings) -> None:
    """Register the profiles listeners."""
    app.action(PROFILE_EDIT_ACTION)(handle_profile_edit_action)
    app.view(PROFILE_MODAL)(handle_profile_submission)
    app.action(PROFILE_UNTIL_ACTION)(handle_profile_until_action)
    app.view(PROFILE_UNTIL_MODAL)(handle_profile_until_submission)
    app.action(PROFILE_WORK_HIDE_ACTION)(handle_profile_work_action)
    app.action(PROFILE_WORK_SHOW_ACTION)(handle_profile_work_action)


def handle_profile_command(
    ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient, services: Services
) -> None:
    """`/profile [edit | help | @someone | show NAME | link orcid ID | unlink orcid]`: ack, then answer."""
    ack()
    name, requester = command["command"], requester_of(command)
    try:
        parsed = parse_profile_text(command.get("text") or "", name)
    except InvalidInput as error:
        respond(response_type="ephemeral", **build_error_reply(error.message).as_kwargs())
        return
    if parsed.verb in ("link", "unlink"):
        reply = _link(
            services, requester, parsed.verb, parsed.source, parsed.external_id, parsed.target or None
        )
        respond(response_type="ephemeral", **reply.as_kwargs())
    elif parsed.verb == "help":
        respond(response_type="ephemeral", **build_profile_help_reply(name).as_kwargs())
    elif parsed.verb == "edit":
        _open_edit_form(client, respond, services, requester, command.get("trigger_id"))
    else:
        reply = _profile(services, requester, parsed.target if parsed.verb == "show" else None)
        respond(response_type="ephemeral", **reply.as_kwargs())


def handle_profile_edit_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """ "Edit profile" button: open the edit form of whoever clicked (the button's value is ignored)."""
    ack()
    say = responder(body, respond, client)
    _open_edit_form(client, say, services, requester_of(body), body.get("trigger_id"))


def handle_profile_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, services: Services
) -> None:
    """Profile edit form submitted: field errors keep it open; else save, close and DM a confirmation."""
    requester = requester_of(body)
    outcome = _save(services, requester, view)
    if not isinstance(outcome, EditResult):
        # Field errors must travel in the ack itself: it is the only way to keep the modal open.
        ack(response_action="errors", errors=outcome)
        return
    ack()
    reply = build_profile_saved_reply(outcome, services.settings.commands.profile)
    client.chat_postMessage(channel=requester.user_id, **reply.as_kwargs())


def handle_profile_until_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, services: Services
) -> None:
    """ "Set last day…" on someone's profile (admins): open the form for their last day."""
    ack()
    say = responder(body, respond, client)
    shown = _show(services, requester_of(body), str(body["actions"][0].get("value") or ""))
    if isinstance(shown, Reply):
        say(response_type="ephemeral", replace_original=False, **shown.as_kwargs())
    elif not (shown.own or shown.admin_view):
        denial = build_error_reply("Only the person themself or an admin can set someone's last day.")
        say(response_type="ephemeral", replace_original=False, **denial.as_kwargs())
    elif body.get("trigger_id"):
        client.views_open(trigger_id=body["trigger_id"], view=build_until_modal(shown))


def handle_profile_until_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, services: Services
) -> None:
    """ "Set last day" form submitted: re-check who may, save, close, confirm by DM (and tell the person)."""
    parsed = parse_until_submission(view)
    if parsed is None:
        ack(response_action="errors", errors={UNTIL_INPUT: "This form is out of date; open it again."})
        return
    requester = requester_of(body)
    try:
        change = save_end_date(
            services.session_factory, services.settings, requester, parsed[0], parsed[1], services.clock.now()
        )
    except UserFacingError as error:
        ack(response_action="errors", errors={UNTIL_INPUT: error.message})
        return
    ack()
    reply = build_until_saved_reply(change)
    client.chat_postMessage(channel=requester.user_id, **reply.as_kwargs())
    if change.changed and change.slack_id != requester.user_id:
        told = build_until_saved_reply(change, by=requester.user_id)
        client.chat_postMessage(channel=change.slack_id, **told.as_kwargs())


def handle_profile_work_action(
    ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, services: Services
) -> None:
    """Hide / Show on a fetched work under /profile: owner or admin only; the profile is redrawn."""
    ack()
    say = responder(body, respond, client)
    action = body["actions"][0]
    requester = requester_of(body)
    work_id = row_id(action.get("value"))
    try:
        if work_id is None:
            raise NotFound("That work is no longer on the profile.")
        owner = set_hidden(
            services.session_factory,
            services.settings,
            requester,
            work_id,
            hidden=action.get("action_id") == PROFILE_WORK_HIDE_ACTION,
        )
    except UserFacingError as error:
        reply = build_error_reply(error.message)
        say(response_type="ephemeral", replace_original=False, **reply.as_kwargs())
        return
    target = None if owner == requester.user_id else owner
    say(response_type="ephemeral", replace_original=True, **_profile(services, requester, target).as_kwargs())


# -- helpers ---------------------------------------------------------------------------------------


def _show(services: Services, requester: Requester, target: str | None) -> ProfileView | Reply:
    """The profile asked for (the requester's own when `target` is None), or the reply saying why not."""
    try:
        return show_profile(services.session_factory, services.settings, requester, target)
    except NotInDirectory:
        return build_not_in_directory_reply(services.settings.commands)
    except UserFacingError as error:
        return build_error_reply(error.message)


def _profile_reply(view: ProfileView, settings: Settings) -> Reply:
    return build_profile_reply(
        view, default_cap=settings.expert_weekly_request_cap, command=settings.commands.profile
    )


def _profile(services: Services, requester: Requester, target: str | None) -> Reply:
    """A profile reply with its linked records and fetched works (Hide buttons for the owner)."""
    shown = _show(services, requester, target)
    if isinstance(shown, Reply):
        return shown
    reply = _profile_reply(shown, services.settings)
    if not shown.texts_shown:
        return reply
    sources = sources_of(services.session_factory, services.settings, requester, shown.slack_id)
    extra = build_sources_blocks(sources, own=shown.own, command=services.settings.commands.profile)
    # After the publications, before the owner's settings note and Edit button.
    at = next(
        (
            i + 1
            for i, b in enumerate(reply.blocks)
            if str((b.get("text") or {}).get("text", "")).startswith("*Publications")
        ),
        len(reply.blocks),
    )
    return Reply(text=reply.text, blocks=cap_blocks([*reply.blocks[:at], *extra, *reply.blocks[at:]]))


def _link(
    services: Services, requester: Requester, verb: str, source: str, raw_id: str, target: str | None
) -> Reply:
    """`/profile link|unlink SOURCE …`: the change (fetching over the network), then its reply."""
    settings, now = services.settings, services.clock.now()
    try:
        if verb == "unlink":
            name, removed = unlink(services.session_factory, settings, requester, source, target, now)
            return build_unlinked_reply(source, name, removed, own=target is None)
        outcome = link_and_fetch(services.session_factory, settings, requester, source, raw_id, target, now)
    except SourceFetchError as error:
        return build_fetch_failed_reply(source, error.message)
    except UserFacingError as error:
        return build_error_reply(error.message)
    view = sources_of(services.session_factory, settings, requester, outcome.slack_id)
    return build_linked_reply(outcome, view, command=settings.commands.profile)


def _open_edit_form(
    client: WebClient, respond: Responder, services: Services, requester: Requester, trigger_id: str | None
) -> None:
    shown = _show(services, requester, None)
    if isinstance(shown, Reply):
        respond(response_type="ephemeral", replace_original=False, **shown.as_kwargs())
    elif trigger_id:
        modal = build_profile_modal(shown, default_cap=services.settings.expert_weekly_request_cap)
        client.views_open(trigger_id=trigger_id, view=modal)
    else:
        # Slack always sends a trigger id with commands and clicks; without one no form can open.
        message = f"Slack did not let me open the form; try `{services.settings.commands.profile} edit`."
        respond(response_type="ephemeral", replace_original=False, **build_error_reply(message).as_kwargs())


def _save(services: Services, requester: Requester, view: dict[str, Any]) -> EditResult | dict[str, str]:
    """Apply the submitted form to the submitter's own profile; field errors (by block id) if not."""
    edit = parse_profile_submission((view.get("state") or {}).get("values") or {})
    try:
        return save_own_profile(
            services.session_factory,
            services.settings,
            requester,
            edit,
            services.clock.now(),
            opened_for=opened_by(view.get("private_metadata") or ""),
        )
    except ProfileEditError as error:
        return field_errors(error.errors)
    except UserFacingError as error:
        return {PROFILE_TITLE_INPUT: error.message}
