"""Who sent a Slack payload: one reading of team and user for every surface.

Slack puts the team in different places per surface: `team_id` on slash commands and events, `team.id`
on interactions (buttons, forms, shortcuts), and `user.team_id` where an interaction comes from a shared
channel or an org-wide install without a `team` object. Handlers call these instead of digging.
"""

from __future__ import annotations

from typing import Any

from bot.access import Requester


def team_id_of(body: dict[str, Any]) -> str | None:
    """The Slack team a payload belongs to, or None when Slack sent none (the demo, some events)."""
    team = body.get("team")
    if isinstance(team, dict) and team.get("id"):
        return str(team["id"])
    if isinstance(team, str) and team:
        return team
    if body.get("team_id"):
        return str(body["team_id"])
    user = body.get("user")
    if isinstance(user, dict) and user.get("team_id"):
        return str(user["team_id"])
    return None


def requester_of(body: dict[str, Any]) -> Requester:
    """The person (and team) behind an interaction payload or a slash command."""
    user = body.get("user")
    user_id = user.get("id") if isinstance(user, dict) else body.get("user_id")
    return Requester(user_id=str(user_id or ""), team_id=team_id_of(body))
