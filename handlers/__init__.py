"""Bolt listeners, one module per Slack surface, each exposing `register(app, settings)`."""

from __future__ import annotations

from slack_bolt import App

from bot.settings import Settings
from handlers import (
    actions,
    agreements,
    assistant,
    calendar,
    checkins,
    commands,
    events,
    experts,
    lead_view,
    papers,
    profiles,
    proposals,
    reminders,
    shortcuts,
    views,
)


def register_all(app: App, settings: Settings) -> None:
    """Register every surface's listeners on `app`."""
    # Bolt asks every listener in turn whether a request is its own, and each question costs about 30 µs:
    # slash commands, the most frequent requests, are answered by the first listener registered.
    commands.register(app, settings)
    # Before the assistant's: its middleware takes replies in a check-in question's thread (see the module).
    checkins.register(app, settings)
    actions.register(app, settings)
    views.register(app, settings)
    events.register(app, settings)
    assistant.register(app, settings)
    shortcuts.register(app, settings)
    reminders.register(app, settings)
    profiles.register(app, settings)
    experts.register(app, settings)
    lead_view.register(app, settings)
    proposals.register(app, settings)
    agreements.register(app, settings)
    calendar.register(app, settings)
    papers.register(app, settings)
