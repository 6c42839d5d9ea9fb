"""Settings read from the environment (and `.env`, loaded by the CLI only).

Every variable is listed, with a one-line comment, in `.env.example`. `Settings.from_env` takes a
mapping so tests pass a literal dict; a missing or malformed value raises `SettingsError` whose message
names the variable, and the CLI prints that one line and exits.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"
_COMMAND_RE = re.compile(r"^/[a-z0-9_\-]{1,31}$")
_USER_ID_RE = re.compile(r"^[UW][A-Z0-9]{2,}$")
_Getter = Callable[[str], "str | None"]


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable and says what is wrong."""


def default_database_url() -> str:
    """SQLite file in the user's data directory, the embedded default."""
    data_dir = Path(platformdirs.user_data_dir("liaison"))
    return f"sqlite:///{data_dir / 'liaison.db'}"


@dataclass(frozen=True)
class CommandNames:
    """Slash command names, configurable because a workspace may already use `/project`."""

    project: str = "/project"
    milestone: str = "/milestone"
    blocker: str = "/blocker"
    help: str = "/liaison"


@dataclass(frozen=True)
class Settings:
    """Validated configuration of one Liaison process."""

    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = field(default_factory=default_database_url)
    default_timezone: str = "UTC"
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    admins: frozenset[str] = frozenset()
    http_host: str = "0.0.0.0"
    http_port: int = 3000
    reminder_tick_seconds: int = 15
    log_level: str = "INFO"
    commands: CommandNames = field(default_factory=CommandNames)

    @property
    def zone(self) -> ZoneInfo:
        """The workspace fallback time zone as a `ZoneInfo`."""
        return ZoneInfo(self.default_timezone)

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, require_slack: bool = False) -> Settings:
        """Build settings from environment variables.

        Args:
            env: The variables, usually `os.environ` after `.env` was loaded.
            require_slack: Demand real Slack credentials (for `liaison serve`).

        Returns:
            Validated settings.

        Raises:
            SettingsError: A variable is missing or malformed; the message names it.
        """

        def get(name: str) -> str | None:
            value = env.get(name)
            if value is None:
                return None
            value = value.strip()
            return value or None

        bot_token = get("SLACK_BOT_TOKEN") or ""
        signing_secret = get("SLACK_SIGNING_SECRET") or ""
        app_token = get("SLACK_APP_TOKEN")
        if require_slack:
            if not bot_token:
                raise SettingsError(
                    "SLACK_BOT_TOKEN is not set (the bot token, xoxb-…, from the app's OAuth page)"
                )
            if not signing_secret and not app_token:
                raise SettingsError(
                    "SLACK_SIGNING_SECRET is not set (needed for HTTP mode; "
                    "set SLACK_APP_TOKEN for Socket Mode)"
                )
        if bot_token and not bot_token.startswith("xoxb-"):
            raise SettingsError("SLACK_BOT_TOKEN must start with 'xoxb-'")
        if app_token is not None and not app_token.startswith("xapp-"):
            raise SettingsError(
                "SLACK_APP_TOKEN must start with 'xapp-' (an app-level token with connections:write)"
            )

        api_url = get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
        if not re.match(r"^https?://[^\s/]+", api_url):
            raise SettingsError(f"SLACK_API_URL is not an http(s) URL: {api_url!r}")
        if not api_url.endswith("/"):
            api_url += "/"

        database_url = get("DATABASE_URL") or default_database_url()
        if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", database_url):
            raise SettingsError("DATABASE_URL must be a sqlite:/// or postgresql:// URL")

        timezone = get("LIAISON_TIMEZONE") or "UTC"
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                f"LIAISON_TIMEZONE is not an IANA time zone: {timezone!r} (e.g. Europe/Amsterdam)"
            ) from None

        admins = frozenset(a.strip() for a in (get("LIAISON_ADMINS") or "").split(",") if a.strip())
        for admin in admins:
            if not _USER_ID_RE.match(admin):
                raise SettingsError(
                    f"LIAISON_ADMINS must be comma-separated Slack user ids; {admin!r} is not one"
                )

        return cls(
            slack_bot_token=bot_token,
            slack_signing_secret=signing_secret,
            slack_app_token=app_token,
            slack_api_url=api_url,
            database_url=database_url,
            default_timezone=timezone,
            embedding_model=get("EMBEDDING_MODEL") or DEFAULT_EMBEDDING_MODEL,
            admins=admins,
            http_host=get("LIAISON_HOST") or "0.0.0.0",
            http_port=_int_setting(get, "LIAISON_PORT", 3000, 1, 65535),
            reminder_tick_seconds=_int_setting(get, "LIAISON_REMINDER_TICK_SECONDS", 15, 1, 3600),
            log_level=_log_level(get("LOG_LEVEL") or "INFO"),
            commands=CommandNames(
                project=_command(get, "LIAISON_PROJECT_COMMAND", "/project"),
                milestone=_command(get, "LIAISON_MILESTONE_COMMAND", "/milestone"),
                blocker=_command(get, "LIAISON_BLOCKER_COMMAND", "/blocker"),
                help=_command(get, "LIAISON_HELP_COMMAND", "/liaison"),
            ),
        )


def _int_setting(get: _Getter, name: str, default: int, low: int, high: int) -> int:
    raw = get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _command(get: _Getter, name: str, default: str) -> str:
    value = get(name) or default
    if not _COMMAND_RE.match(value):
        raise SettingsError(f"{name} must look like /name (lowercase, at most 32 characters), got {value!r}")
    return value


def _log_level(value: str) -> str:
    level = value.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingsError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {value!r}")
    return level
