"""Modal submissions (`view_submission`)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services import Services
from bot.settings import Settings
from bot.slack import ids
from bot.slack.home_publisher import publish_homes
from bot.slack.outcome_delivery import post_direct_messages
from bot.slack.payload_values import loads_clean
from bot.slack.requesters import team_id_of
from bot.slack.submissions import SubmissionResult, submit_milestone, submit_project


def register(app: App, settings: Settings) -> None:
    """Register the modal submission listeners."""
    app.view(ids.PROJECT_MODAL)(handle_project_submission)
    app.view(ids.MILESTONE_MODAL)(handle_milestone_submission)


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The modal's `private_metadata` object; {} for anything else (a forged or garbled submission)."""
    try:
        data = loads_clean(view.get("private_metadata") or "{}")
    except (ValueError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def _finish(
    result: SubmissionResult, ack: Ack, body: dict[str, Any], client: WebClient, services: Services
) -> None:
    # Field errors must travel in the ack itself: it is the only way to keep the modal open.
    if result.errors:
        ack(response_action="errors", errors=result.errors)
        return
    ack()
    user_id = body["user"]["id"]
    if result.notice is not None:
        # Modals have no response_url; the confirmation goes to the app's DM with the user.
        client.chat_postMessage(channel=user_id, **result.notice.as_kwargs())
    post_direct_messages(client, result.messages)
    publish_homes(client, services, team_id_of(body), {*result.refresh_homes, user_id})


def handle_project_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, services: Services
) -> None:
    """Project create/edit modal submitted."""
    result = submit_project(
        services.session_factory,
        services.settings,
        services.clock.now(),
        user_id=body["user"]["id"],
        team_id=team_id_of(body),
        values=view["state"]["values"],
        metadata=_metadata(view),
    )
    _finish(result, ack, body, client, services)


def handle_milestone_submission(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, services: Services
) -> None:
    """Add-milestone modal submitted."""
    result = submit_milestone(
        services.session_factory,
        services.settings,
        services.clock.now(),
        user_id=body["user"]["id"],
        team_id=team_id_of(body),
        values=view["state"]["values"],
        metadata=_metadata(view),
    )
    _finish(result, ack, body, client, services)
