"""Reading a verified Slack request body: what kind of request it is, and where its user can be told.

Slack sends JSON envelopes (events, `url_verification`) and form-encoded bodies (slash commands,
`ssl_check`, and interactions, whose `payload` field holds JSON). `malformed_reason` tells a body no
Slack request looks like (refused with 400 before any listener); the other helpers never raise on a
body they cannot make sense of: they answer "other" or None.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

# Interaction payload types reported as they are; anything else is "other" (bounded label values).
_PAYLOAD_KINDS = frozenset(
    {"block_actions", "view_submission", "view_closed", "shortcut", "message_action", "block_suggestion"}
)


def slack_kind(body: str) -> str:
    """What a verified Slack request is, for metrics and logs (a small fixed set of values).

    Returns:
        `command`, an interaction payload type (`block_actions`, `view_submission`, …), `event`,
        `url_verification`, `ssl_check` or `other`.
    """
    stripped = body.lstrip()
    if stripped.startswith("{"):
        try:
            envelope = json.loads(stripped)
        except (ValueError, RecursionError):
            return "other"
        kind = envelope.get("type") if isinstance(envelope, dict) else None
        return {"event_callback": "event", "url_verification": "url_verification"}.get(str(kind), "other")
    form = parse_qs(body, keep_blank_values=True)
    if "command" in form:
        return "command"
    if "ssl_check" in form:
        return "ssl_check"
    kind = (_interaction_payload(form) or {}).get("type")
    return str(kind) if kind in _PAYLOAD_KINDS else "other"


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


def malformed_reason(body: str) -> str | None:
    """Why a (signed) body is no Slack request a listener can be given, or None when it may be.

    Refused: a JSON envelope that does not parse (including JSON nested too deep to parse) or is not
    an object; an interaction whose `payload` does not parse or is not an object; a form submission or
    closing whose view carries no `state.values` object. Slack never sends these, but a signed body is
    not proof of a well-formed one (a leaked secret, a buggy proxy), and each would otherwise fail
    inside a listener as a server error.
    """
    stripped = body.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            envelope = json.loads(stripped)
        except (ValueError, RecursionError):
            return "the JSON body does not parse"
        return None if isinstance(envelope, dict) else "the JSON body is not an object"
    form = parse_qs(body, keep_blank_values=True)
    if "payload" not in form:
        return None
    payload = _interaction_payload(form)
    if payload is None:
        return "the interaction payload is not a JSON object"
    if payload.get("type") in ("view_submission", "view_closed"):
        view = payload.get("view")
        state = view.get("state") if isinstance(view, dict) else None
        if not isinstance(state, dict) or not isinstance(state.get("values"), dict):
            return "the view carries no state"
    return None
