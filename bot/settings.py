"""Settings read from the environment (and `.env`, loaded by the CLI only).

Every variable is listed, with a one-line comment, in `.env.example`. `Settings.from_env` takes a
mapping so tests pass a literal dict; a missing or malformed value raises `SettingsError` whose message
names the variable, and the CLI prints that one line and exits.
"""

from __future__ import annotations

import base64
import binascii
import enum
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from bot.commands import COMMANDS, CommandNames
from bot.domain.reminders import (
    PolicyError,
    ReminderPolicy,
    parse_clock,
    parse_days,
    parse_lead_times,
    parse_quiet_hours,
    parse_weekday,
)
from bot.experts.embeddings.calibration import DEFAULT_MODEL_NAME as DEFAULT_EMBEDDING_MODEL

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
_COMMAND_RE = re.compile(r"^/[a-z0-9_\-]{1,31}$")
_USER_ID_RE = re.compile(r"^[UW][A-Z0-9]{2,}$")
_Getter = Callable[[str], "str | None"]
_V = TypeVar("_V")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable and says what is wrong."""


def default_database_url() -> str:
    """SQLite file in the user's data directory, the embedded default."""
    data_dir = Path(platformdirs.user_data_dir("liaison"))
    return f"sqlite:///{data_dir / 'liaison.db'}"


class ProcessRole(enum.StrEnum):
    """What one Liaison process runs (`LIAISON_PROCESS_ROLE`); docs/deployment.md has the layouts.

    The embedding model is loaded by every process that answers Slack, because questions are answered
    in the process that received them; the scheduler needs no model.
    """

    ALL = "all"  # Slack (HTTP or Socket Mode) + scheduler + model: the single-process default
    WEB = "web"  # Slack + model, no scheduler: several behind a load balancer
    WORKER = "worker"  # scheduler only (reminders, digests, housekeeping); HTTP only for health/metrics

    @property
    def serves_slack(self) -> bool:
        """Whether this process receives Slack's requests (and so needs the Bolt app)."""
        return self is not ProcessRole.WORKER

    @property
    def runs_scheduler(self) -> bool:
        """Whether this process runs the periodic jobs."""
        return self is not ProcessRole.WEB


class LogFormat(enum.StrEnum):
    """How log records are written (`LOG_FORMAT`)."""

    TEXT = "text"
    JSON = "json"


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
    public_url: str | None = None
    # Reminder defaults (a workspace or project may override the policy with `/milestone remind`).
    reminder_policy: ReminderPolicy = field(default_factory=ReminderPolicy)
    reminder_grace_hours: int = 24
    reminder_retry_hours: int = 24
    reminder_lease_seconds: int = 60
    # How long after a reminder post went unanswered (timeout, dropped connection) Slack may still carry
    # it out: it is posted again only if a history lookup this late does not find it.
    reminder_landing_seconds: float = 60
    # Agreements (bot/agreements, docs/agreements.md): days before expiry the owner is reminded, and
    # days in one non-final status before the owner is nudged (0: never).
    agreement_expiry_days: tuple[int, ...] = (60, 30, 7)
    agreement_stale_days: int = 21
    # The change feed (bot/feed, docs/feed.md): seconds between feed ticks, and how long after a post to a
    # channel about a project further changes of that project wait, to go out together as one post.
    feed_seconds: int = 5
    feed_batch_seconds: int = 60
    # Bounds on every database wait of a serving process (docs/deployment.md, "A stalled database").
    database_statement_timeout_seconds: int = 30
    database_pool_timeout_seconds: int = 10
    reminder_batch_size: int = 1000
    reminder_workers: int = 16
    channel_posts_per_second: float = 1.0
    # Optional phrasing of answers by an OpenAI-compatible endpoint (off unless both are set).
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = None
    # Expert profiles from ORCID and OpenAlex (bot/experts/sources, docs/profiles.md): the APIs' base URLs
    # (tests and the demo point them at a local fake), the contact address sent in the User-Agent, the
    # per-request timeout, and the weekly refresh of linked profiles (off by default).
    orcid_api_url: str = "https://pub.orcid.org"
    openalex_api_url: str = "https://api.openalex.org"
    scholarly_contact: str | None = None
    scholarly_timeout_seconds: int = 10
    profile_refresh_enabled: bool = False
    # Expert suggestions: how many a query returns, and the intro requests a week a person accepts
    # unless their profile says otherwise.
    # On app_uninstalled: keep the workspace's data (an admin may reinstall) or delete all of it.
    uninstall_purges_data: bool = False
    expert_suggestions: int = 5
    expert_weekly_request_cap: int = 3
    # Days before a person's end date (`until`) when the leads of their projects are told.
    handover_notice_days: int = 14
    # Joint papers (docs/publications.md): days kept free between "draft complete" and the partners'
    # review, and each organisation's internal sign-off window before a funding call's deadline.
    paper_buffer_days: int = 7
    signoff_days: tuple[tuple[str, int], ...] = ()
    # Process layout and HTTP serving (docs/deployment.md).
    process_role: ProcessRole = ProcessRole.ALL
    embeddings_enabled: bool = True
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    web_workers: int = 1
    web_threads: int = 8
    shutdown_seconds: int = 10
    # The durable inbox (bot/serving/inbox.py): how long an instance holds a request it is processing
    # (a dead instance's requests wait this long), and how many it keeps in memory.
    inbox_lease_seconds: int = 60
    inbox_queue_limit: int = 256
    log_format: LogFormat = LogFormat.TEXT
    # Installing into several workspaces over OAuth (docs/slack-app.md): on when both are set; tokens
    # then live per workspace in the database instead of SLACK_BOT_TOKEN.
    slack_client_id: str | None = None
    slack_client_secret: str | None = None
    # Fernet keys for the stored tokens: the first encrypts, every one decrypts (key rotation).
    token_encryption_keys: tuple[str, ...] = ()
    # Derives calendar feed URLs (bot/calendar/tokens.py); unset: the signing secret, else the client secret.
    calendar_secret: str | None = None

    @property
    def oauth_enabled(self) -> bool:
        """Whether Liaison is installed per workspace over OAuth (else: one workspace, SLACK_BOT_TOKEN)."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @property
    def zone(self) -> ZoneInfo:
        """The workspace fallback time zone as a `ZoneInfo`."""
        return ZoneInfo(self.default_timezone)

    @property
    def loads_model(self) -> bool:
        """Whether this process loads the embedding model (it answers Slack and embeddings are on)."""
        return self.process_role.serves_slack and self.embeddings_enabled

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
        role = _choice(get, "LIAISON_PROCESS_ROLE", ProcessRole, ProcessRole.ALL)
        client_id, client_secret = get("SLACK_CLIENT_ID"), get("SLACK_CLIENT_SECRET")
        oauth = _check_oauth(client_id, client_secret, bot_token=bot_token, app_token=app_token)
        encryption_keys = _encryption_keys(get, oauth=oauth)
        if require_slack:
            if not bot_token and not oauth:
                raise SettingsError(
                    "SLACK_BOT_TOKEN is not set (the bot token, xoxb-…, from the app's OAuth page; or set "
                    "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to install into several workspaces)"
                )
            # A worker only posts (reminders): it needs a token (or the OAuth client, for stored tokens),
            # never the signing secret.
            if not signing_secret and not app_token and role.serves_slack:
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
        if not _is_web_url(api_url, ("http", "https")):
            raise SettingsError(f"SLACK_API_URL is not an http(s) URL: {api_url!r}")
        if not api_url.endswith("/"):
            api_url += "/"

        public_url = get("LIAISON_PUBLIC_URL")
        if public_url is not None and not _is_web_url(public_url, ("https",)):
            # Slack accepts only https request URLs for slash commands, events and interactivity.
            raise SettingsError(
                f"LIAISON_PUBLIC_URL must be an https:// URL (e.g. https://liaison.example.org), "
                f"got {public_url!r}"
            )

        database_url = get("DATABASE_URL") or default_database_url()
        _check_database_url(database_url)

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

        commands = CommandNames(
            {command.key: _command(get, command.setting, command.default_name) for command in COMMANDS}
        )
        _check_distinct(commands)

        llm_base_url = get("LIAISON_LLM_BASE_URL")
        llm_model = get("LIAISON_LLM_MODEL")
        if llm_base_url is not None and not _is_web_url(llm_base_url, ("http", "https")):
            raise SettingsError(
                "LIAISON_LLM_BASE_URL is not an http(s) URL (e.g. http://127.0.0.1:8080/v1): "
                f"{llm_base_url!r}"
            )
        if bool(llm_base_url) != bool(llm_model):
            raise SettingsError(
                "LIAISON_LLM_BASE_URL and LIAISON_LLM_MODEL must be set together (or neither)"
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
            commands=commands,
            public_url=public_url.rstrip("/") if public_url else None,
            reminder_policy=_reminder_policy(get),
            reminder_grace_hours=_int_setting(get, "LIAISON_REMINDER_GRACE_HOURS", 24, 0, 24 * 14),
            reminder_retry_hours=_int_setting(get, "LIAISON_REMINDER_RETRY_HOURS", 24, 1, 24 * 14),
            reminder_lease_seconds=_int_setting(get, "LIAISON_REMINDER_LEASE_SECONDS", 60, 10, 3600),
            reminder_landing_seconds=_int_setting(get, "LIAISON_REMINDER_LANDING_SECONDS", 60, 1, 3600),
            agreement_expiry_days=_days_list(get, "LIAISON_AGREEMENT_EXPIRY_DAYS", (60, 30, 7)),
            agreement_stale_days=_int_setting(get, "LIAISON_AGREEMENT_STALE_DAYS", 21, 0, 365),
            feed_seconds=_int_setting(get, "LIAISON_FEED_SECONDS", 5, 1, 3600),
            feed_batch_seconds=_int_setting(get, "LIAISON_FEED_BATCH_SECONDS", 60, 0, 3600),
            database_statement_timeout_seconds=_int_setting(
                get, "LIAISON_DB_STATEMENT_TIMEOUT_SECONDS", 30, 1, 3600
            ),
            database_pool_timeout_seconds=_int_setting(get, "LIAISON_DB_POOL_TIMEOUT_SECONDS", 10, 1, 300),
            reminder_batch_size=_int_setting(get, "LIAISON_REMINDER_BATCH_SIZE", 1000, 1, 50_000),
            reminder_workers=_int_setting(get, "LIAISON_REMINDER_WORKERS", 16, 1, 256),
            channel_posts_per_second=_rate_setting(get, "LIAISON_CHANNEL_POSTS_PER_SECOND", 1.0),
            llm_base_url=llm_base_url.rstrip("/") if llm_base_url else None,
            llm_model=llm_model,
            llm_api_key=get("LIAISON_LLM_API_KEY"),
            orcid_api_url=_scholarly_url(get, "LIAISON_ORCID_API_URL", "https://pub.orcid.org"),
            openalex_api_url=_scholarly_url(get, "LIAISON_OPENALEX_API_URL", "https://api.openalex.org"),
            scholarly_contact=get("LIAISON_SCHOLARLY_CONTACT"),
            scholarly_timeout_seconds=_int_setting(get, "LIAISON_SCHOLARLY_TIMEOUT_SECONDS", 10, 1, 120),
            profile_refresh_enabled=_bool_setting(get, "LIAISON_PROFILE_REFRESH", False),
            uninstall_purges_data=_uninstall_data(get("LIAISON_UNINSTALL_DATA")),
            expert_suggestions=_int_setting(get, "LIAISON_EXPERT_SUGGESTIONS", 5, 1, 10),
            expert_weekly_request_cap=_int_setting(get, "LIAISON_EXPERT_WEEKLY_REQUEST_CAP", 3, 0, 100),
            handover_notice_days=_int_setting(get, "LIAISON_HANDOVER_NOTICE_DAYS", 14, 1, 180),
            paper_buffer_days=_int_setting(get, "LIAISON_PAPER_BUFFER_DAYS", 7, 0, 90),
            signoff_days=_signoff_days(get("LIAISON_SIGNOFF_DAYS")),
            process_role=role,
            embeddings_enabled=_bool_setting(get, "LIAISON_EMBEDDINGS", True),
            # 1 KiB is less than any real Slack request; 16 MiB is far more than any (modal states
            # are the biggest, a few hundred KB at most).
            max_body_bytes=_int_setting(
                get, "LIAISON_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1024, 16 * 1024 * 1024
            ),
            web_workers=_int_setting(get, "LIAISON_WEB_WORKERS", 1, 1, 32),
            web_threads=_int_setting(get, "LIAISON_WEB_THREADS", 8, 1, 128),
            shutdown_seconds=_int_setting(get, "LIAISON_SHUTDOWN_SECONDS", 10, 1, 600),
            inbox_lease_seconds=_int_setting(get, "LIAISON_INBOX_LEASE_SECONDS", 60, 2, 3600),
            inbox_queue_limit=_int_setting(get, "LIAISON_INBOX_QUEUE_LIMIT", 256, 1, 100_000),
            log_format=_choice(get, "LOG_FORMAT", LogFormat, LogFormat.TEXT),
            slack_client_id=client_id if oauth else None,
            slack_client_secret=client_secret if oauth else None,
            token_encryption_keys=encryption_keys,
            calendar_secret=get("LIAISON_CALENDAR_SECRET"),
        )


def _check_oauth(
    client_id: str | None, client_secret: str | None, *, bot_token: str, app_token: str | None
) -> bool:
    """Whether OAuth (multi-workspace) mode is configured, refusing half or conflicting configurations."""
    if bool(client_id) != bool(client_secret):
        missing = "SLACK_CLIENT_SECRET" if client_id else "SLACK_CLIENT_ID"
        raise SettingsError(
            f"{missing} is not set: SLACK_CLIENT_ID and SLACK_CLIENT_SECRET turn on installs into several "
            "workspaces together (or leave both empty for one workspace with SLACK_BOT_TOKEN)"
        )
    if not client_id:
        return False
    if bot_token:
        # Two sources of tokens would leave it unclear which workspace a reminder is sent with.
        raise SettingsError(
            "SLACK_BOT_TOKEN is set together with SLACK_CLIENT_ID: with OAuth installs each workspace's "
            "token is stored at install time, so leave SLACK_BOT_TOKEN empty"
        )
    if app_token:
        raise SettingsError(
            "SLACK_APP_TOKEN is set together with SLACK_CLIENT_ID: installing over OAuth needs HTTP mode "
            "(Slack sends the installer's browser to /slack/oauth_redirect), so leave SLACK_APP_TOKEN empty"
        )
    return True


def _encryption_keys(get: _Getter, *, oauth: bool) -> tuple[str, ...]:
    raw = get("LIAISON_TOKEN_ENCRYPTION_KEY")
    if raw is None:
        return ()
    if not oauth:
        raise SettingsError(
            "LIAISON_TOKEN_ENCRYPTION_KEY is set but OAuth installs are off (SLACK_CLIENT_ID): "
            "no tokens are stored to encrypt"
        )
    keys = tuple(key.strip() for key in raw.split(",") if key.strip())
    for position, key in enumerate(keys, start=1):
        # Never echo the value: it is a secret.
        if not _is_fernet_key(key):
            raise SettingsError(
                f"LIAISON_TOKEN_ENCRYPTION_KEY: key {position} is not a Fernet key (32 url-safe base64 "
                'bytes; make one with `python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())"`)'
            )
    return keys


def _is_fernet_key(key: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32 and len(key) == 44
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return False


def _is_web_url(value: str, schemes: tuple[str, ...]) -> bool:
    if any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        _ = parts.port  # a port that is not a number raises ValueError
    except ValueError:
        return False
    return parts.scheme in schemes and bool(parts.hostname)


def _check_database_url(url: str) -> None:
    # The message never repeats the URL: it may hold a password.
    try:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        if backend in ("sqlite", "postgresql"):
            parsed.get_dialect()  # an unknown driver (sqlite+nope://) fails here, not at first use
    except NoSuchModuleError:
        raise SettingsError(
            "DATABASE_URL names a driver SQLAlchemy does not know (use sqlite:/// or postgresql://)"
        ) from None
    except (ArgumentError, ValueError):
        raise SettingsError(
            "DATABASE_URL is not a valid database URL (e.g. sqlite:////var/lib/liaison/liaison.db)"
        ) from None
    if backend not in ("sqlite", "postgresql"):
        raise SettingsError("DATABASE_URL must be a sqlite:/// or postgresql:// URL")


def _check_distinct(commands: CommandNames) -> None:
    seen: dict[str, str] = {}
    for command in COMMANDS:
        value = commands[command.key]
        if value in seen:
            raise SettingsError(f"{command.setting} is {value!r}, which {seen[value]} already uses")
        seen[value] = command.setting


def _signoff_days(raw: str | None) -> tuple[tuple[str, int], ...]:
    """`Brightbid Ads=10; University of Leiden=14`: each organisation's sign-off window in days."""
    windows: dict[str, int] = {}
    for item in (raw or "").split(";"):
        if not item.strip():
            continue
        name, _, days = item.rpartition("=")
        if not name.strip() or not days.strip().isdigit() or not 0 < int(days) <= 180:
            raise SettingsError(
                "LIAISON_SIGNOFF_DAYS must read like `Brightbid Ads=10; University of Leiden=14` "
                f"(1 to 180 days each), got {item.strip()!r}"
            )
        windows[" ".join(name.split())] = int(days)
    return tuple(sorted(windows.items()))


def _days_list(get: _Getter, name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    """Comma-separated whole days (1 to 365), e.g. `60,30,7`; largest first."""
    raw = get(name)
    if raw is None:
        return default
    words = [word.strip() for word in raw.split(",") if word.strip()]
    if not words or not all(word.isdigit() and 0 < int(word) <= 365 for word in words):
        raise SettingsError(f"{name} must read like `60,30,7` (1 to 365 days each), got {raw!r}")
    return tuple(sorted({int(word) for word in words}, reverse=True))


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


def _reminder_policy(get: _Getter) -> ReminderPolicy:
    """The reminder defaults; each malformed variable is reported by name."""
    defaults = ReminderPolicy()

    def parsed(name: str, parse: Callable[[str], _V], default: _V) -> _V:
        raw = get(name)
        if raw is None:
            return default
        try:
            return parse(raw)
        except PolicyError as error:
            raise SettingsError(f"{name}: {error}") from None

    return ReminderPolicy(
        lead_times=parsed("LIAISON_REMINDER_LEAD_TIMES", parse_lead_times, defaults.lead_times),
        local_time=parsed("LIAISON_REMINDER_LOCAL_TIME", parse_clock, defaults.local_time),
        quiet_hours=parsed("LIAISON_QUIET_HOURS", parse_quiet_hours, defaults.quiet_hours),
        skip_weekends=_bool_setting(get, "LIAISON_SKIP_WEEKENDS", defaults.skip_weekends),
        escalate_lead_days=parsed(
            "LIAISON_ESCALATE_LEAD_DAYS",
            lambda text: parse_days(text, "LIAISON_ESCALATE_LEAD_DAYS"),
            defaults.escalate_lead_days,
        ),
        escalate_channel_days=parsed(
            "LIAISON_ESCALATE_CHANNEL_DAYS",
            lambda text: parse_days(text, "LIAISON_ESCALATE_CHANNEL_DAYS"),
            defaults.escalate_channel_days,
        ),
        digest_weekday=parsed("LIAISON_DIGEST_WEEKDAY", parse_weekday, defaults.digest_weekday),
        digest_time=parsed("LIAISON_DIGEST_TIME", parse_clock, defaults.digest_time),
        waiting_digest=_bool_setting(get, "LIAISON_WAITING_DIGEST", defaults.waiting_digest),
    )


def _scholarly_url(get: _Getter, name: str, default: str) -> str:
    url = get(name) or default
    if not _is_web_url(url, ("http", "https")):
        raise SettingsError(f"{name} is not an http(s) URL: {url!r}")
    return url.rstrip("/")


def _bool_setting(get: _Getter, name: str, default: bool) -> bool:
    raw = get(name)
    if raw is None:
        return default
    value = raw.lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


_E = TypeVar("_E", bound=enum.StrEnum)


def _choice(get: _Getter, name: str, kind: type[_E], default: _E) -> _E:
    raw = get(name)
    if raw is None:
        return default
    try:
        return kind(raw.lower())
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise SettingsError(f"{name} must be one of {allowed}, got {raw!r}") from None


def _rate_setting(get: _Getter, name: str, default: float) -> float:
    raw = get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if not 0.01 <= value <= 100:
        raise SettingsError(f"{name} must be between 0.01 and 100, got {raw}")
    return value


def _command(get: _Getter, name: str, default: str) -> str:
    value = get(name) or default
    if not _COMMAND_RE.match(value):
        raise SettingsError(f"{name} must look like /name (lowercase, at most 32 characters), got {value!r}")
    return value


def _uninstall_data(value: str | None) -> bool:
    choice = (value or "keep").lower()
    if choice not in ("keep", "purge"):
        raise SettingsError(f"LIAISON_UNINSTALL_DATA must be keep or purge, got {value!r}")
    return choice == "purge"


def _log_level(value: str) -> str:
    level = value.upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise SettingsError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {value!r}")
    return level
