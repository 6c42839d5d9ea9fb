"""The reminder notifier: the only way jobs reach Slack, and the reminders' `Sender`.

It wraps a `WebClient` from `bot.slack.client.build_web_client` (429s honour `Retry-After`; 5xx and
connection failures back off exponentially with jitter, capped) and adds what a sender of many
messages needs:

- Per-channel pacing: at most `posts_per_second` posts per channel (Slack allows about one), counted
  from the end of the previous post so that Slack sees the gap even when answers are slow.
  Thread-safe: posts to one channel wait for each other, posts to different channels do not.
- Errors sorted into three kinds: permanent (Slack refused: the channel is gone), transient (try
  again later), and ambiguous (no answer after the request was sent: Slack may have posted it). The
  error classes are the reminders package's (`bot.reminders.sending`), so the tick never sees Slack's.
- `send_reminder` (`bot.reminders.sending.Sender`): renders a composed reminder as Block Kit
  (`bot.slack.reminder_blocks`) and posts it; a combined DM carries every delivery key it settles.
- `find_reminder`: every reminder carries its delivery key in message metadata, so after an
  ambiguous attempt the message can be looked for in the conversation's history before posting again
  (when a miss proves the message absent is the tick's business: `bot.reminders.reconciliation`).
- Per-workspace tokens (OAuth installs): each call goes out with the token of the workspace it is for,
  found (and rotated when due) by `bot.slack.installations.InstallationTokens`. A workspace where Liaison is
  not installed (any more) raises `NotInstalledError` without calling Slack, which the reminder tick
  turns into a cancelled delivery: no retries, no failure report to a lead nobody can message.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.web import SlackResponse

from bot.reminders.content import Content, DirectMessage
from bot.reminders.sending import (
    AmbiguousDeliveryError,
    DeliveryError,
    HistoryUnavailableError,
    NotInstalledError,
    PermanentDeliveryError,
    PostedMessage,
    TransientDeliveryError,
)
from bot.settings import Settings
from bot.slack.blocks import Reply
from bot.slack.client import build_retry_handlers, build_web_client
from bot.slack.reminder_blocks import build_content_reply

if TYPE_CHECKING:
    from bot.slack.installations import InstallationTokens

REMINDER_EVENT_TYPE = "liaison_reminder"
# Slack errors that no retry will fix: the delivery fails at once and its project lead is told.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "too_many_attachments",
        "user_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "team_access_not_granted",
        "ekm_access_denied",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
    }
)
# History lookups that fail for these reasons will not work later either: the tick posts, and logs it.
HISTORY_UNAVAILABLE = frozenset(
    {"missing_scope", "not_allowed_token_type", "channel_not_found", "not_in_channel"}
)
# Pages of `conversations.history` searched for a reminder (200 messages each); a conversation with more
# messages since the first attempt cannot prove a reminder absent.
HISTORY_PAGES = 5
_T = TypeVar("_T")


class ChannelPacer:
    """At most `per_second` posts per channel, thread-safe."""

    def __init__(
        self,
        per_second: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / per_second
        self._monotonic = monotonic
        self._sleep = sleep
        self._guard = threading.Lock()
        self._locks: dict[Any, threading.Lock] = defaultdict(threading.Lock)
        self._free_at: dict[Any, float] = {}

    def run(self, channel: Any, send: Callable[[], _T]) -> _T:
        """Call `send` for `channel` once the channel's previous post is `interval` seconds old."""
        with self._guard:
            lock = self._locks[channel]
        with lock:
            wait = self._free_at.get(channel, 0.0) - self._monotonic()
            if wait > 0:
                self._sleep(wait)
            try:
                return send()
            finally:
                # From the end of this post: Slack has then certainly seen it, however slow the answer.
                self._free_at[channel] = max(
                    self._free_at.get(channel, 0.0), self._monotonic() + self.interval
                )

    def hold(self, channel: Any, seconds: float) -> None:
        """Keep the channel quiet for `seconds` (after Slack answered 429 beyond our retries)."""
        with self._guard:
            self._free_at[channel] = max(self._free_at.get(channel, 0.0), self._monotonic() + seconds)


class SlackNotifier:
    """Posts and updates reminder messages, paced per channel, with typed errors.

    Args:
        client: The workspace's client (built by `build_web_client(..., resend_when_ambiguous=False)`).
        posts_per_second: Pacing per channel.
        client_for_team: Returns the client of a Slack team (`Workspace.slack_team_id`), or None where
            Liaison is not installed; multi-workspace installs resolve and refresh each workspace's
            token here. Defaults to `client` for every team (one workspace, SLACK_BOT_TOKEN).
        monotonic: Clock for pacing (tests).
        sleep: How to wait for pacing (tests).
        wall: Real time in seconds, compared with Slack's message timestamps.
    """

    def __init__(
        self,
        client: WebClient,
        *,
        posts_per_second: float = 1.0,
        client_for_team: Callable[[str | None], WebClient | None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._wall = wall
        self._client_for_team: Callable[[str | None], WebClient | None] = client_for_team or (
            lambda _team: client
        )
        self.pacer = ChannelPacer(posts_per_second, monotonic=monotonic, sleep=sleep)

    def client_for(self, team_id: str | None) -> WebClient:
        """The client that reaches `team_id`'s workspace.

        Raises:
            NotInstalledError: Liaison is not installed there.
            TransientDeliveryError: Its token is due for rotation and Slack refused to refresh it.
        """
        try:
            client = self._client_for_team(team_id)
        except SlackTokenRotationError as error:
            raise TransientDeliveryError(
                f"token refresh failed: {_classify(error.api_error).error}"
            ) from error
        if client is None:
            raise NotInstalledError("not_installed")
        return client

    def send_reminder(
        self, target: str, content: Content, *, key: str, team_id: str | None = None
    ) -> PostedMessage:
        """Render a composed reminder as Block Kit and post it (`bot.reminders.sending.Sender`).

        Args:
            target: A channel id, or a user id for the app's DM with that user.
            content: What the reminder says.
            key: The delivery key (what `find_reminder` looks for).
            team_id: The Slack team, to pick its client.

        Returns:
            Where it was posted.

        Raises:
            DeliveryError: As for `post_reminder`.
        """
        keys = content.keys if isinstance(content, DirectMessage) else ()
        return self.post_reminder(target, build_content_reply(content), key=key, keys=keys, team_id=team_id)

    def post_reminder(
        self,
        channel: str,
        reply: Reply,
        *,
        key: str,
        keys: Sequence[str] = (),
        team_id: str | None = None,
        event_type: str = REMINDER_EVENT_TYPE,
    ) -> PostedMessage:
        """Post a reminder message, tagged with its delivery key(s) in message metadata.

        Args:
            channel: A channel id, or a user id for the app's DM with that user.
            reply: Text and blocks.
            key: The delivery key (what `find_reminder` looks for).
            keys: Every delivery key a combined message settles (`bot.reminders.combining`), each of
                which `find_reminder` finds it by.
            team_id: The Slack team, to pick its client.
            event_type: The metadata's event type (the change feed tags its posts with its own).

        Returns:
            Where it was posted.

        Raises:
            PermanentDeliveryError: Slack refused it for good.
            AmbiguousDeliveryError: It may or may not have been posted.
            TransientDeliveryError: It was not posted; try again later.
        """
        client = self.client_for(team_id)
        payload: dict[str, Any] = {"key": key}
        if keys:
            payload["keys"] = list(keys)

        def send() -> SlackResponse:
            return client.chat_postMessage(
                channel=channel,
                metadata={"event_type": event_type, "event_payload": payload},
                unfurl_links=False,
                unfurl_media=False,
                **reply.as_kwargs(),
            )

        response = self._paced((team_id, channel), send)
        return PostedMessage(str(response.get("channel") or channel), str(response["ts"]))

    def update_message(self, channel: str, ts: str, reply: Reply, *, team_id: str | None = None) -> str:
        """Replace a message the app posted (e.g. to show who pressed Done).

        Returns:
            The message's `ts`.

        Raises:
            DeliveryError: As for `post_reminder`.
        """
        client = self.client_for(team_id)
        response = self._call(lambda: client.chat_update(channel=channel, ts=ts, **reply.as_kwargs()))
        return str(response.get("ts") or ts)

    def find_reminder(
        self,
        channel: str,
        *,
        key: str,
        since: datetime,
        team_id: str | None = None,
        event_type: str = REMINDER_EVENT_TYPE,
    ) -> PostedMessage | None:
        """Look for a reminder with this delivery key posted since `since` (before resending it).

        Args:
            channel: Where it would have been posted (a user id means the app's DM with them).
            key: Its delivery key.
            since: The first attempt's time (give some margin).
            team_id: The Slack team.
            event_type: The metadata's event type it was posted with.

        Returns:
            The message if found, else None.

        Raises:
            HistoryUnavailableError: Slack refused to show the history in a way that will not change
                (a missing scope, a conversation Liaison is not in), or more was posted there since
                `since` than is searched (`HISTORY_PAGES`).
            DeliveryError: The history could not be read this time.
        """
        client = self.client_for(team_id)
        try:
            return self._find_in_history(client, channel, key=key, since=since, event_type=event_type)
        except DeliveryError as error:
            if isinstance(error, PermanentDeliveryError) or error.error in HISTORY_UNAVAILABLE:
                raise HistoryUnavailableError(error.error) from error
            raise

    def _find_in_history(
        self, client: WebClient, channel: str, *, key: str, since: datetime, event_type: str
    ) -> PostedMessage | None:
        conversation = channel
        if channel.startswith(("U", "W")):
            opened = self._call(lambda: client.conversations_open(users=channel))
            conversation = str(opened["channel"]["id"])

        # Slack's `ts` is real time; a simulated clock running ahead (the demo) must not hide messages.
        oldest = f"{since.timestamp():.6f}" if since.timestamp() <= self._wall() else "0"

        def history(after: str | None) -> SlackResponse:
            return client.conversations_history(
                channel=conversation,
                oldest=oldest,
                inclusive=True,
                limit=200,
                include_all_metadata=True,
                cursor=after,
            )

        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            page = self._call(partial(history, cursor))
            for message in page.get("messages") or []:
                metadata = message.get("metadata") or {}
                payload = metadata.get("event_payload") or {}
                if metadata.get("event_type") == event_type and key in _keys_of(payload):
                    return PostedMessage(conversation, str(message["ts"]))
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return None
        # Not found in what was searched, but the rest was not: that proves nothing.
        raise HistoryUnavailableError("history_too_long")

    def user_zone(self, user_id: str, *, team_id: str | None = None) -> str | None:
        """The IANA time zone on a user's Slack profile (`users.info` → `tz`), if any.

        Raises:
            DeliveryError: The profile could not be read.
        """
        client = self.client_for(team_id)
        user = self._call(lambda: client.users_info(user=user_id)).get("user") or {}
        zone = user.get("tz")
        return str(zone) if zone else None

    def _paced(self, channel: Any, send: Callable[[], SlackResponse]) -> SlackResponse:
        try:
            return self.pacer.run(channel, lambda: self._call(send))
        except TransientDeliveryError as error:
            if error.retry_after:
                self.pacer.hold(channel, error.retry_after)
            raise

    @staticmethod
    def _call(send: Callable[[], SlackResponse]) -> SlackResponse:
        try:
            return send()
        except SlackApiError as error:
            raise _classify(error) from error
        except URLError as error:
            # Connecting or sending failed: Slack never saw the request.
            raise TransientDeliveryError(f"connection failed: {error.reason}") from error
        except (TimeoutError, ConnectionError, http.client.HTTPException, OSError) as error:
            raise AmbiguousDeliveryError(f"no answer: {type(error).__name__}: {error}") from error


def _keys_of(payload: dict[str, Any]) -> set[str]:
    """The delivery keys a reminder message carries: its key, and every key of a combined DM."""
    keys = payload.get("keys")
    found = {str(k) for k in keys} if isinstance(keys, list) else set()
    if payload.get("key"):
        found.add(str(payload["key"]))
    return found


def _classify(error: SlackApiError) -> DeliveryError:
    response = error.response
    status = response.status_code
    data = response.data if isinstance(response.data, dict) else {}
    code = str(data.get("error") or f"http_{status}")
    if status == 429:
        retry_after = response.headers.get("Retry-After") or response.headers.get("retry-after")
        return TransientDeliveryError("ratelimited", retry_after=float(retry_after or 1))
    if status >= 500:
        return TransientDeliveryError(code)
    if code in PERMANENT_ERRORS:
        return PermanentDeliveryError(code)
    return TransientDeliveryError(code)


def build_notifier(
    settings: Settings, *, timeout: int = 10, installations: InstallationTokens | None = None
) -> SlackNotifier:
    """The notifier jobs use: its own client, which never resends blind after a dropped connection
    (the dispatcher looks for the message first), paced by `LIAISON_CHANNEL_POSTS_PER_SECOND`.

    Args:
        settings: API URL, token (one workspace) and pacing.
        timeout: Seconds to wait for Slack's answer.
        installations: With OAuth installs, where each workspace's token comes from.
    """
    client = build_web_client(settings, timeout=timeout, resend_when_ambiguous=False)
    team_clients = TeamClients(installations, client) if installations is not None else None
    return SlackNotifier(
        client, posts_per_second=settings.channel_posts_per_second, client_for_team=team_clients
    )


class TeamClients:
    """One client per workspace token (OAuth installs), made from a template client's settings.

    Args:
        installations: Finds each workspace's current token.
        template: Gives the base URL, timeout and retry policy.
    """

    def __init__(self, installations: InstallationTokens, template: WebClient) -> None:
        self._installations = installations
        self._template = template
        self._guard = threading.Lock()
        self._clients: dict[str, WebClient] = {}

    def __call__(self, team_id: str | None) -> WebClient | None:
        """The client for the workspace whose `slack_team_id` is `team_id`; None if not installed."""
        token = self._installations.bot_token_for_team(team_id)
        if token is None:
            return None
        with self._guard:
            client = self._clients.get(team_id or "")
            if client is None or client.token != token:
                # A rotated token replaces the workspace's client (the old token is never reused).
                client = WebClient(
                    token=token,
                    base_url=self._template.base_url,
                    timeout=self._template.timeout,
                    retry_handlers=build_retry_handlers(resend_when_ambiguous=False),
                )
                self._clients[team_id or ""] = client
            return client
