"""Reading a verified Slack request body: what kind of request it is, and where its user can be told.

Slack sends JSON envelopes (events, `url_verification`) and form-encoded bodies (slash commands,
`ssl_check`, and interactions, whose `payload` field holds JSON). These helpers never raise on a
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
        except ValueError:
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
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None
