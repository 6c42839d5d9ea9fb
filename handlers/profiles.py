"""Listeners of the profiles feature (filled in by the issue-4 work)."""

from __future__ import annotations

from slack_bolt import App

from bot.settings import Settings


def register(app: App, settings: Settings) -> None:
    """Register the profiles listeners."""
