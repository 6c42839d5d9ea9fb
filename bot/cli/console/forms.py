"""Filling in a form from the console (`:submit field=value …`): checking the fields against the open
modal and building the `state.values` Slack would send for them."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def response_action(body: str) -> str | None:
    try:
        data = json.loads(body) if body else None
    except ValueError:
        return None
    return data.get("response_action") if isinstance(data, dict) else None


def _inputs(modal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b["element"] for b in modal.get("blocks", []) if b.get("type") == "input"}


def form_problems(
    modal: dict[str, Any], fields: dict[str, str], resolve_user: Callable[[str], str | None]
) -> list[str]:
    """What is wrong with `field=value` pairs for a modal: unknown fields, options it does not offer,
    people that cannot be told apart. Empty when the submission can be sent."""
    inputs = _inputs(modal)
    problems: list[str] = []
    for name, raw in fields.items():
        element = inputs.get(name)
        if element is None:
            problems.append(f"this form has no field {name!r} (fields: {', '.join(inputs)})")
            continue
        kind = element.get("type")
        offered = [o["value"] for o in element.get("options", [])]
        chosen = [v for v in raw.split(",") if v] if kind == "checkboxes" else [raw]
        if (
            kind in ("static_select", "checkboxes", "radio_buttons")
            and raw
            and any(v not in offered for v in chosen)
        ):
            problems.append(f"{name} must be one of: {', '.join(offered)}")
        elif kind in ("users_select", "multi_users_select"):
            people = [v for v in raw.split(",") if v] if kind == "multi_users_select" else [raw]
            unknown = [p for p in people if p and resolve_user(p) is None]
            if unknown:
                problems.append(
                    f"{name}: who is {', '.join(repr(p) for p in unknown)}? (:users lists everyone)"
                )
    return problems


def with_user_ids(
    modal: dict[str, Any], fields: dict[str, str], resolve_user: Callable[[str], str | None]
) -> dict[str, str]:
    inputs = _inputs(modal)
    resolved = dict(fields)
    for name, raw in fields.items():
        kind = inputs.get(name, {}).get("type")
        if kind == "users_select" and raw:
            resolved[name] = resolve_user(raw) or raw
        elif kind == "multi_users_select":
            resolved[name] = ",".join(resolve_user(v) or v for v in raw.split(",") if v)
    return resolved


def form_values(modal: dict[str, Any], fields: dict[str, str]) -> dict[str, dict[str, dict[str, Any]]]:
    """Build a modal's `state.values` from `field=value` pairs, by each input's element type."""
    values: dict[str, dict[str, dict[str, Any]]] = {}
    for block in modal.get("blocks", []):
        if block.get("type") != "input":
            continue
        block_id = block["block_id"]
        element = block["element"]
        kind = element.get("type")
        raw = fields.get(block_id)
        state: dict[str, Any] = {"type": kind}
        if kind == "plain_text_input":
            state["value"] = raw if raw is not None else element.get("initial_value")
        elif kind == "static_select":
            option = next(
                (o for o in element.get("options", []) if raw is not None and o["value"] == raw), None
            )
            state["selected_option"] = option or (
                element.get("initial_option")
                if raw is None
                else {"value": raw, "text": {"type": "plain_text", "text": raw}}
            )
        elif kind == "users_select":
            state["selected_user"] = raw if raw is not None else element.get("initial_user")
        elif kind == "multi_users_select":
            state["selected_users"] = (
                [u for u in raw.split(",") if u] if raw is not None else element.get("initial_users", [])
            )
        elif kind == "conversations_select":
            state["selected_conversation"] = raw if raw is not None else element.get("initial_conversation")
        elif kind == "number_input":
            state["value"] = raw if raw is not None else element.get("initial_value")
        elif kind == "radio_buttons":
            option = next(
                (o for o in element.get("options", []) if raw is not None and o["value"] == raw), None
            )
            state["selected_option"] = option or element.get("initial_option")
        elif kind == "checkboxes":
            chosen = (
                {v for v in (raw or "").split(",") if v}
                if raw is not None
                else {o["value"] for o in element.get("initial_options", [])}
            )
            state["selected_options"] = [o for o in element.get("options", []) if o["value"] in chosen]
        values[block_id] = {block_id: state}
    return values
