"""Reading the parts of an `/expert` button click that both suggestion and intro listeners need."""

from __future__ import annotations

from typing import Any

from bot.experts.intros.messaging import MessageRef
from bot.slack.payload_values import row_id


def button_value(body: dict[str, Any]) -> str:
    """The clicked button's value ("" if none)."""
    return str(body["actions"][0].get("value") or "")


def intro_id_of(body: dict[str, Any]) -> int | None:
    """The intro request id an Accept/Decline button carries, or None if it is not one (`row_id`)."""
    return row_id(button_value(body))


def clicked_message(body: dict[str, Any]) -> MessageRef:
    """The message the clicked button is on; a part Slack did not send is ""."""
    container = body.get("container") or {}
    return MessageRef(
        channel=str(container.get("channel_id") or ""), ts=str(container.get("message_ts") or "")
    )
