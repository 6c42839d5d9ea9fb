"""Reading a verified Slack request body: what kind of request it is, and where its user can be told.

Slack sends JSON envelopes (events, `url_verification`) and form-encoded bodies (slash commands,
`ssl_check`, and interactions, whose `payload` field holds JSON). `parse_body` tells, from one parse,
what kind of request a body is, whether no Slack request looks like it (refused with 400 before any
listener), and what its listeners are given: the parsed body travels with the request to Bolt
(`bot.serving.intake`), so a body is parsed once, and what was checked is what listeners read. Nothing
here raises on a body it cannot make sense of.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

# Interaction payload types reported as they are; anything else is "other" (bounded label values).
_PAYLOAD_KINDS = frozenset(
    {"block_actions", "view_submission", "view_closed", "shortcut", "message_action", "block_suggestion"}
)


@dataclass(frozen=True)
class ParsedBody:
    """A request body, parsed once.

    Attributes:
        kind: What the request is (see `classify_body`).
        problem: Why it cannot be given to a listener, or None.
        payload: What Bolt's listeners read as `body`: a JSON envelope, an interaction's `payload`, or a
            form's fields (the last value of a repeated field, as Bolt reads them); empty when the
            body does not parse.
    """

    kind: str
    problem: str | None
    payload: dict[str, Any] = field(default_factory=dict, repr=False)


def parse_body(body: str) -> ParsedBody:
    """Parse a verified Slack request body: its kind, whether it is malformed, and its payload.

    Args:
        body: The body, decoded.

    Returns:
        The parsed body; `classify_body` describes the kinds and the refusals.
    """
    stripped = body.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            envelope = json.loads(stripped)
        except (ValueError, RecursionError):  # RecursionError: JSON nested thousands of levels deep
            return ParsedBody("other", "the JSON body does not parse")
        if not isinstance(envelope, dict):
            return ParsedBody("other", "the JSON body is not an object")
        kind = {"event_callback": "event", "url_verification": "url_verification"}.get(
            str(envelope.get("type")), "other"
        )
        return ParsedBody(kind, None, envelope)
    form = parse_qs(body, keep_blank_values=True)
    problem = None
    payload: dict[str, Any] | None = None
    if "payload" in form:
        payload = _interaction_payload(form)
        problem = (
            "the interaction payload is not a JSON object"
            if payload is None
            else _interaction_problem(payload)
        )
    # An interaction's listeners read its payload; a form's, its fields (a repeated field's last value,
    # as Bolt reads forms).
    fields = payload if payload is not None else {name: values[-1] for name, values in form.items()}
    if "command" in form:
        return ParsedBody("command", problem, fields)
    if "ssl_check" in form:
        return ParsedBody("ssl_check", problem, fields)
    payload_type = fields.get("type") if payload is not None else None
    return ParsedBody(str(payload_type) if payload_type in _PAYLOAD_KINDS else "other", problem, fields)


def classify_body(body: str) -> tuple[str, str | None]:
    """What a verified Slack request is, and why it cannot be given to a listener, from one parse.

    Returns:
        The kind, for metrics and logs (a small fixed set of values): `command`, an interaction payload
        type (`block_actions`, `view_submission`, …), `event`, `url_verification`, `ssl_check` or
        `other`; and the reason the body is malformed, or None when it may be dispatched. Refused: a
        JSON envelope that does not parse (including JSON nested too deep to parse) or is not an
        object; an interaction whose `payload` does not parse or is not an object; a form submission
        or closing whose view carries no `state.values` object; an interaction without a
        `user` object with a string `id`; a click whose `actions` is not a non-empty list of objects.
        Slack never sends these, but a signed
        body is not proof of a well-formed one (a leaked secret, a buggy proxy), and each would
        otherwise fail inside a listener as a server error.
    """
    parsed = parse_body(body)
    return parsed.kind, parsed.problem


def response_url(body: str) -> str | None:
    """The `response_url` of a form-encoded slash command or interaction; None when it has none."""
    form = parse_qs(body, keep_blank_values=True)
    if "response_url" in form:
        return form["response_url"][0] or None
    url = (_interaction_payload(form) or {}).get("response_url")
    return url if isinstance(url, str) and url else None


def _interaction_payload(form: dict[str, list[str]]) -> dict[str, Any] | None:
    """The JSON `payload` field of a form-encoded interaction, or None if absent or not an object."""
    if "payload" not in form:
        return None
    try:
        payload = json.loads(form["payload"][0])
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands of levels deep
        return None
    return payload if isinstance(payload, dict) else None


def _has_state(payload: dict[str, Any]) -> bool:
    view = payload.get("view")
    state = view.get("state") if isinstance(view, dict) else None
    return isinstance(state, dict) and isinstance(state.get("values"), dict)


def _interaction_problem(payload: dict[str, Any]) -> str | None:
    """Why an interaction payload is not one Slack sends, or None (the shapes listeners rely on)."""
    kind = payload.get("type")
    if kind not in _PAYLOAD_KINDS:
        return None
    user = payload.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str):
        return "the interaction has no user"
    if kind in ("view_submission", "view_closed") and not _has_state(payload):
        return "the view carries no state"
    if kind == "block_actions":
        actions = payload.get("actions")
        if not isinstance(actions, list) or not actions or not all(isinstance(a, dict) for a in actions):
            return "the click carries no actions"
    return None
