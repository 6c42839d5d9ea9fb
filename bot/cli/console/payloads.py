"""Builds signed Slack requests (slash commands, button clicks, view submissions, events).

The demo console, `liaison say` and the tests all talk to the Bolt app through these, so every
request goes through Bolt's real signature check and routing.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier


@dataclass(frozen=True)
class SignedBody:
    """A raw body with the headers Slack would send for it."""

    body: str
    headers: dict[str, str]

    def to_bolt_request(self) -> BoltRequest:
        """Wrap as a `BoltRequest` for `app.dispatch`."""
        return BoltRequest(body=self.body, headers={k.lower(): [v] for k, v in self.headers.items()})


class SlackPayloads:
    """Factory of signed Slack payloads for one workspace."""

    def __init__(
        self,
        signing_secret: str,
        *,
        team_id: str,
        response_url_base: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._verifier = SignatureVerifier(signing_secret)
        self._team_id = team_id
        self._response_url_base = response_url_base.rstrip("/")
        self._clock = clock
        self._counter = itertools.count(1)
        # response_url token → the conversation it answers in (the console says where replies went).
        self.response_channels: dict[str, str] = {}

    def sign(self, body: str, content_type: str, *, timestamp: int | None = None) -> SignedBody:
        """Sign `body` exactly as Slack does (HMAC-SHA256 over `v0:{ts}:{body}`)."""
        ts = str(int(self._clock()) if timestamp is None else timestamp)
        signature = self._verifier.generate_signature(timestamp=ts, body=body)
        assert signature is not None  # only None for a None body
        return SignedBody(
            body=body,
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": signature,
            },
        )

    def next_response_url(self, channel_id: str | None = None) -> str:
        """A fresh `response_url` pointing at the fake Slack API, answering in `channel_id`."""
        token = f"r{next(self._counter)}"
        if channel_id:
            self.response_channels[token] = channel_id
        return f"{self._response_url_base}/{token}"

    def slash_command(
        self, command: str, text: str, *, user_id: str, channel_id: str = "C0GENERAL", user_name: str = ""
    ) -> SignedBody:
        """A slash command invocation, form-encoded like Slack sends it."""
        n = next(self._counter)
        form = {
            "token": "legacy-unused",
            "team_id": self._team_id,
            "team_domain": "liaison-demo",
            "channel_id": channel_id,
            "channel_name": channel_id.lower(),
            "user_id": user_id,
            "user_name": user_name or user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0LIAISON",
            "response_url": self.next_response_url(channel_id),
            "trigger_id": f"{n}.{int(self._clock())}.trigger",
        }
        return self.sign(urlencode(form), "application/x-www-form-urlencoded")

    def block_action(
        self,
        *,
        user_id: str,
        action_id: str,
        value: str = "",
        block_id: str = "b",
        channel_id: str | None = "C0GENERAL",
        message_ts: str | None = None,
        view: dict[str, Any] | None = None,
        response_url: str | None = None,
    ) -> SignedBody:
        """A button click (`block_actions`), on a message or on a view (App Home, modal)."""
        n = next(self._counter)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": self._team_id, "domain": "liaison-demo"},
            "user": {"id": user_id, "team_id": self._team_id},
            "api_app_id": "A0LIAISON",
            "trigger_id": f"{n}.{int(self._clock())}.trigger",
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": value,
                    "action_ts": f"{self._clock():.6f}",
                }
            ],
        }
        if view is not None:
            payload["view"] = view
            payload["container"] = {"type": "view", "view_id": view.get("id", "V0")}
        else:
            payload["channel"] = {"id": channel_id}
            payload["container"] = {
                "type": "message",
                "message_ts": message_ts or "1.000001",
                "channel_id": channel_id,
                "is_ephemeral": message_ts is None,
            }
            payload["message"] = {"ts": message_ts or "1.000001", "text": ""}
            payload["response_url"] = response_url or self.next_response_url(channel_id)
        return self.sign(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def view_submission(
        self,
        *,
        user_id: str,
        callback_id: str,
        values: dict[str, dict[str, dict[str, Any]]],
        private_metadata: str = "",
    ) -> SignedBody:
        """A modal submission with `state.values` as Slack structures them (block → action → value)."""
        n = next(self._counter)
        payload = {
            "type": "view_submission",
            "team": {"id": self._team_id, "domain": "liaison-demo"},
            "user": {"id": user_id, "team_id": self._team_id},
            "api_app_id": "A0LIAISON",
            "trigger_id": f"{n}.{int(self._clock())}.trigger",
            "view": {
                "id": f"V{n:08d}",
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": private_metadata,
                "state": {"values": values},
                "hash": f"{n}.hash",
            },
        }
        return self.sign(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None
    ) -> SignedBody:
        """An Events API callback; `retry_num` adds Slack's retry headers."""
        n = next(self._counter)
        envelope = {
            "token": "legacy-unused",
            "team_id": self._team_id,
            "api_app_id": "A0LIAISON",
            "event": event,
            "type": "event_callback",
            # Unique across processes too: `liaison say` runs one process per line against one database,
            # where event ids already seen are ignored as Slack retries.
            "event_id": event_id or f"Ev{n:08d}{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(self._clock()),
            "authorizations": [{"team_id": self._team_id, "user_id": "U0LIAISONBOT", "is_bot": True}],
        }
        signed = self.sign(json.dumps(envelope), "application/json")
        if retry_num is not None:
            signed.headers["X-Slack-Retry-Num"] = str(retry_num)
            signed.headers["X-Slack-Retry-Reason"] = "http_timeout"
        return signed
