"""The settings a CLI command runs with: the environment (and `.env`), `--database-url` over it."""

from __future__ import annotations

import os
import sys

import click

from bot.settings import Settings, SettingsError


def settings_or_exit(database_url: str | None = None, *, require_slack: bool = False) -> Settings:
    """The settings from the environment, with `database_url` (a command's option) taking precedence.

    A configuration error is printed to standard error and exits with status 2, as every `liaison`
    command does for it.

    Args:
        database_url: The command's `--database-url`, if given.
        require_slack: Whether the Slack tokens must be set (commands that talk to Slack).

    Returns:
        The settings.
    """
    env = dict(os.environ)
    if database_url:
        env["DATABASE_URL"] = database_url
    try:
        return Settings.from_env(env, require_slack=require_slack)
    except SettingsError as error:
        click.echo(f"Configuration error: {error}", err=True)
        sys.exit(2)
