"""A transcript-style driver: act as a Slack user against the real Bolt app, read what the bot sent.

Every request is signed and goes through `app.dispatch`; every answer is read back from the fake Slack
Web API's recorded HTTP calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_bolt import App

from bot.cli.console.payloads import SignedBody, SlackPayloads
from bot.slack import ids
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi, RecordedCall


@dataclass
class Exchange:
    """What one request produced."""

    status: int
    body: str
    calls: list[RecordedCall]

    def of(self, method: str) -> list[RecordedCall]:
        """The calls of one Web API method."""
        return [c for c in self.calls if c.method == method]

    @property
    def reply(self) -> dict[str, Any]:
        """The single `response_url` reply (ephemeral answer to a command or click)."""
        replies = self.of(RESPONSE_URL_METHOD)
        assert len(replies) == 1, f"expected one reply, got {[c.method for c in self.calls]}"
        return replies[0].params

    @property
    def reply_text(self) -> str:
        """Fallback text plus every block's text of the single reply, for content assertions."""
        return message_text(self.reply)

    def buttons(self) -> list[dict[str, Any]]:
        """Every button in the reply's blocks."""
        return buttons_of(self.reply.get("blocks") or [])


def message_text(params: dict[str, Any]) -> str:
    """Concatenate `text` and all block texts (sections, headers, contexts, button labels)."""
    parts = [str(params.get("text", ""))]
    blocks = params.get("blocks") or []
    if isinstance(params.get("view"), dict):
        blocks = params["view"].get("blocks") or []
    for block in blocks:
        if "text" in block and isinstance(block["text"], dict):
            parts.append(block["text"]["text"])
        for element in block.get("elements", []):
            if isinstance(element.get("text"), dict):
                parts.append(element["text"]["text"])
            elif isinstance(element.get("text"), str):
                parts.append(element["text"])
        accessory = block.get("accessory")
        if accessory and isinstance(accessory.get("text"), dict):
            parts.append(accessory["text"]["text"])
    return "\n".join(parts)


def buttons_of(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """All buttons in a list of blocks, in order."""
    found: list[dict[str, Any]] = []
    for block in blocks:
        if block.get("accessory", {}).get("type") == "button":
            found.append(block["accessory"])
        found += [e for e in block.get("elements", []) if e.get("type") == "button"]
    return found


class SlackDriver:
    """Send signed requests as users; collect the Web API calls each one caused."""

    def __init__(self, app: App, payloads: SlackPayloads, slack_api: FakeSlackApi) -> None:
        self.app = app
        self.payloads = payloads
        self.slack_api = slack_api

    def send(self, signed: SignedBody) -> Exchange:
        """Dispatch through Bolt and return the status and the new Web API calls."""
        before = len(self.slack_api.calls())
        response = self.app.dispatch(signed.to_bolt_request())
        return Exchange(response.status, response.body, self.slack_api.calls()[before:])

    def command(self, user: str, line: str, *, channel: str = "C0GENERAL") -> Exchange:
        """Type a slash command line such as `/project status bidshade`."""
        command, _, text = line.partition(" ")
        exchange = self.send(self.payloads.slash_command(command, text, user_id=user, channel_id=channel))
        assert exchange.status == 200, exchange.body
        return exchange

    def click(self, user: str, button: dict[str, Any], *, view: dict[str, Any] | None = None) -> Exchange:
        """Press a button taken from a previous reply (or from a view, e.g. the App Home)."""
        exchange = self.send(
            self.payloads.block_action(
                user_id=user, action_id=button["action_id"], value=button.get("value", ""), view=view
            )
        )
        assert exchange.status == 200, exchange.body
        return exchange

    def submit(
        self, user: str, view: dict[str, Any], values: dict[str, dict[str, dict[str, Any]]]
    ) -> Exchange:
        """Submit a modal that the bot opened, with `state.values`."""
        return self.send(
            self.payloads.view_submission(
                user_id=user,
                callback_id=view["callback_id"],
                values=values,
                private_metadata=view.get("private_metadata", ""),
            )
        )

    def event(self, event: dict[str, Any], **kwargs: Any) -> Exchange:
        """Deliver an Events API event."""
        return self.send(self.payloads.event(event, **kwargs))


def opened_view(exchange: Exchange) -> dict[str, Any]:
    """The view of the single views.open call."""
    opened = exchange.of("views.open")
    assert len(opened) == 1, [c.method for c in exchange.calls]
    return view_of(opened[0])


def view_of(call: RecordedCall) -> dict[str, Any]:
    """The `view` a views.open / views.publish call carried (form-encoded calls carry it as JSON)."""
    view = call.params["view"]
    return view if isinstance(view, dict) else json.loads(view)


def milestone_form_submission(
    payloads: SlackPayloads, view: dict[str, Any], *, user: str, title: str, due: str
) -> SignedBody:
    """Submit the "add milestone" modal (`/milestone add PROJECT`) with a title, a due text, no owner."""
    return payloads.view_submission(
        user_id=user,
        callback_id=view["callback_id"],
        values={
            ids.TITLE_INPUT: {ids.TITLE_INPUT: {"value": title}},
            ids.DUE_INPUT: {ids.DUE_INPUT: {"value": due}},
            ids.OWNER_INPUT: {ids.OWNER_INPUT: {"selected_user": None}},
        },
        private_metadata=view.get("private_metadata", ""),
    )
