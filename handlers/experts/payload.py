"""Reading the parts of an `/expert` button click that both suggestion and intro listeners need."""

from __future__ import annotations

from typing import Any


def button_value(body: dict[str, Any]) -> str:
    """The clicked button's value ("" if none)."""
    return str(body["actions"][0].get("value") or "")


def team_of(body: dict[str, Any]) -> str | None:
    """The workspace (team) the click came from."""
    team = (body.get("team") or {}).get("id")
    return str(team) if team else None


def intro_id_of(body: dict[str, Any]) -> int | None:
    """The intro request id an Accept/Decline button carries, or None if it is not a number."""
    value = button_value(body)
    return int(value) if value.isdigit() else None
