"""Events API: `app_home_opened`, `app_mention` (questions in channels), `message.im` (DMs), and the
install's end: `app_uninstalled` and `tokens_revoked` (bot/slack/workspaces.py says what they keep)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.services import Services
from bot.settings import Settings
from bot.slack.answer_publisher import is_direct_message, post_answer
from bot.slack.home_publisher import publish_homes
from bot.slack.installations import InstallationKey, InstallationTokens
from bot.slack.questions import Question
from bot.slack.workspaces import forget_installation


def register(app: App, settings: Settings) -> None:
    """Register the event listeners."""
    app.event("app_home_opened")(handle_app_home_opened)
    app.event("app_mention")(handle_app_mention)
    app.event("message")(handle_direct_message)
    app.event("app_uninstalled")(handle_app_uninstalled)
    app.event("tokens_revoked")(handle_tokens_revoked)


def handle_app_home_opened(
    event: dict[str, Any], body: dict[str, Any], client: WebClient, services: Services
) -> None:
    """The user opened Liaison's Home tab: publish a fresh view (the Messages tab needs nothing)."""
    if event.get("tab", "home") != "home":
        return
    publish_homes(client, services, body.get("team_id"), [event["user"]])


def _question(
    event: dict[str, Any], body: dict[str, Any], context: BoltContext, *, conversation_ts: str
) -> Question:
    return Question(
        text=str(event.get("text") or ""),
        user_id=str(event["user"]),
        team_id=body.get("team_id"),
        channel_id=event.get("channel"),
        thread_ts=event.get("thread_ts"),
        bot_user_id=context.bot_user_id,
        # Follow-ups ("and who owns it?") resolve against the asker's last answer in this thread or DM.
        conversation_ts=conversation_ts,
    )


def _from_a_bot(event: dict[str, Any], context: BoltContext) -> bool:
    # Our own replies (and other bots') come back as events too; answering them would loop.
    return bool(event.get("bot_id")) or not event.get("user") or event.get("user") == context.bot_user_id


def handle_app_mention(
    event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext, services: Services
) -> None:
    """@liaison in a channel or thread: answer in the thread (once: `bot.slack.replay.once_per_event`)."""
    # Events need no ack body: Bolt acknowledges them itself before (or, in tests, after) this runs.
    if _from_a_bot(event, context) or is_direct_message(event.get("channel")):
        return  # a mention inside a DM is answered as that DM's message
    thread_ts = str(event.get("thread_ts") or event.get("ts") or "")
    post_answer(
        client,
        services,
        _question(event, body, context, conversation_ts=thread_ts),
        reply_thread_ts=thread_ts or None,
        message_ts=event.get("ts"),
    )


def handle_direct_message(
    event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext, services: Services
) -> None:
    """A message in Liaison's DM (`message.im`): answer it there (once per event, like every event)."""
    if event.get("channel_type") != "im" or event.get("subtype") or _from_a_bot(event, context):
        return  # edits, deletions, joins and bot posts are not questions
    post_answer(
        client,
        services,
        # The DM's top level is one conversation (""); each thread in it is another.
        _question(event, body, context, conversation_ts=str(event.get("thread_ts") or "")),
        reply_thread_ts=event.get("thread_ts"),
        message_ts=event.get("ts"),
    )


def _installation_key(context: BoltContext) -> InstallationKey:
    org_wide = bool(context.is_enterprise_install)
    # An org-wide install is stored without a team (slack_sdk's convention), whichever team the
    # event names.
    return InstallationKey(context.enterprise_id, None if org_wide else context.team_id, org_wide)


def handle_app_uninstalled(
    context: BoltContext, services: Services, installations: InstallationTokens | None
) -> None:
    """`app_uninstalled`: delete the team's tokens and cancel its reminders; its data stays, unless
    `LIAISON_UNINSTALL_DATA=purge`."""
    forget_installation(
        services.session_factory,
        installations,
        _installation_key(context),
        now=services.clock.now(),
        uninstalled=True,
        purge_data=services.settings.uninstall_purges_data,
    )


def handle_tokens_revoked(
    event: dict[str, Any],
    context: BoltContext,
    services: Services,
    installations: InstallationTokens | None,
) -> None:
    """`tokens_revoked`: delete the revoked tokens; without a bot token, reminders stop as on uninstall."""
    revoked = event.get("tokens") or {}
    forget_installation(
        services.session_factory,
        installations,
        _installation_key(context),
        now=services.clock.now(),
        bot_token_revoked=bool(revoked.get("bot")),
        user_ids=[str(user) for user in revoked.get("oauth") or []],
    )
