"""Logging for a Liaison process: request ids, secret redaction, and text or JSON output.

Every HTTP request gets an id (`REQUEST_ID`, a context variable set by `bot.serving.web`); every log
line written while it is handled carries it, including lines from Bolt's listener threads, because the
runtime's listener executor runs each task in a copy of the submitting request's context. Slack tokens and the
configured secrets are masked in every record before any handler writes it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.settings import LogFormat

if TYPE_CHECKING:
    from bot.settings import Settings

# The id of the request being handled in this context; None outside requests (scheduler, start-up).
REQUEST_ID: ContextVar[str | None] = ContextVar("liaison_request_id", default=None)

# Slack token shapes: bot (xoxb-), user (xoxp-), app-level (xapp-), refresh and rotated (xoxe-,
# xoxe.xoxp-), legacy workspace/session/config tokens. Masked wherever they appear in a line.
_TOKEN_RE = re.compile(r"(?P<prefix>(?:xox[abceoprs]|xapp)(?:\.xox[abceoprs])?)-[A-Za-z0-9-]+")
MASK = "***"
# Secrets shorter than this are not masked by value: masking "ab" would garble ordinary text.
_MIN_SECRET_LENGTH = 6
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(request_tag)s: %(message)s"


def current_request_id() -> str | None:
    """The id of the request this code runs for, if any."""
    return REQUEST_ID.get()


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask Slack tokens and the given secret values in `text`.

    Args:
        text: Any text about to be logged.
        secrets: Exact values to mask as well (signing secret, API keys, database password).

    Returns:
        The text with each token reduced to its prefix (`xoxb-***`) and each secret replaced by `***`.
    """
    masked = _TOKEN_RE.sub(lambda match: f"{match.group('prefix')}-{MASK}", text)
    for secret in secrets:
        if len(secret) >= _MIN_SECRET_LENGTH:
            masked = masked.replace(secret, MASK)
    return masked


def settings_secrets(settings: Settings) -> list[str]:
    """The secret values in `settings` that must never reach a log line."""
    values = [
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token or "",
        settings.llm_api_key or "",
        settings.slack_client_secret or "",
        *settings.token_encryption_keys,
    ]
    with contextlib.suppress(ArgumentError, ValueError):
        values.append(make_url(settings.database_url).password or "")
    return [value for value in values if value]


class RedactingFilter(logging.Filter):
    """Masks tokens and secrets in a record's message, arguments, traceback and stack.

    Attached to handlers (not loggers), because a logger's filters do not see records that propagate
    up from child loggers, while a handler sees every record it writes.

    Args:
        secrets: Exact values to mask besides anything shaped like a Slack token.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it."""
        message = record.getMessage()
        record.msg = redact(message, self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            # Formatters reuse `exc_text` once it is set, so the traceback is redacted exactly once here.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.secrets)
        return True


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (or None) and `request_tag` (` [id]` or empty) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate the record with the current request id; never drops it."""
        request_id = getattr(record, "request_id", None) or current_request_id()
        record.request_id = request_id
        record.request_tag = f" [{request_id}]" if request_id else ""
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request id, process.

    Tracebacks go into `exception` as one string, so a line never spans several lines of output.
    """

    def format(self, record: logging.LogRecord) -> str:
        """Serialise one record."""
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            data["request_id"] = request_id
        data["process"] = record.process
        data["thread"] = record.threadName
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            data["exception"] = record.exc_text
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class _LiaisonHandler(logging.StreamHandler[TextIO]):
    """The root handler `configure_logging` installs (a distinct class so a second call replaces it)."""


def build_formatter(log_format: LogFormat) -> logging.Formatter:
    """The formatter for `LOG_FORMAT`."""
    return JsonFormatter() if log_format is LogFormat.JSON else logging.Formatter(TEXT_FORMAT)


def configure_logging(
    level: str,
    log_format: LogFormat = LogFormat.TEXT,
    *,
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
    force: bool = False,
) -> logging.Handler | None:
    """Send log records to standard error (or `stream`), redacted, with request ids.

    Like `logging.basicConfig`, it leaves a root logger that someone else already equipped alone
    (a test harness, an embedding application), unless `force` is given; a handler installed by an
    earlier call is replaced. Every root handler, ours or not, gets the redaction filter: no handler
    may write a token.

    Args:
        level: DEBUG, INFO, WARNING or ERROR.
        log_format: Text lines or JSON lines.
        secrets: Values to mask besides anything shaped like a Slack token (`settings_secrets`).
        stream: Where to write; standard error by default.
        force: Install the handler even when the root logger has other handlers.

    Returns:
        The installed handler, or None when the root logger was left to its owner.
    """
    root = logging.getLogger()
    ours = [h for h in root.handlers if isinstance(h, _LiaisonHandler)]
    foreign = [h for h in root.handlers if not isinstance(h, _LiaisonHandler)]
    handler: logging.Handler | None = None
    if force or not foreign:
        for existing in ours:
            root.removeHandler(existing)
            existing.close()
        handler = _LiaisonHandler(stream or sys.stderr)
        handler.setFormatter(build_formatter(log_format))
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
        root.setLevel(level)
    install_redaction(root.handlers, secrets)
    return handler


def install_redaction(handlers: Iterable[logging.Handler], secrets: Iterable[str] = ()) -> None:
    """Put one `RedactingFilter` (with `secrets`) on each handler, replacing an earlier one."""
    secret_values = tuple(secrets)
    for handler in handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        # First in line, so later filters and the formatter only ever see redacted text.
        handler.filters.insert(0, RedactingFilter(secret_values))


def first_line(error: BaseException) -> str:
    """An error's message cut to its first line, for a one-line log entry or health report.

    A driver error wrapped by SQLAlchemy (`orig`) is described by the driver's own message: the
    wrapper's adds the statement and a link, which a log line does not need.
    """
    return (str(getattr(error, "orig", None) or error).strip().splitlines() or [type(error).__name__])[0]
