"""Tokens never logged: every record is redacted before any handler writes it, text or JSON."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.serving.logs import RedactingFilter, configure_logging, redact, settings_secrets
from bot.settings import LogFormat, Settings

BOT_TOKEN = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
USER_TOKEN = "xoxp-1111-2222-3333-abcdef0123456789"
APP_TOKEN = "xapp-1-A0LIAISON-1234567890-0a1b2c3d4e5f"
REFRESH_TOKEN = "xoxe-1-My0xLTE4MzUyNzk1NzE2MDUwLTQ1Njc4OTA"
ROTATED_TOKEN = "xoxe.xoxp-1-Mi0yLTE4MzUyNzk1NzE2MDUwLTQ1Njc4"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
DB_PASSWORD = "hunter2-but-longer"
LLM_KEY = "sk-live-0123456789abcdef"
SECRETS = [
    BOT_TOKEN,
    USER_TOKEN,
    APP_TOKEN,
    REFRESH_TOKEN,
    ROTATED_TOKEN,
    SIGNING_SECRET,
    DB_PASSWORD,
    LLM_KEY,
]


@pytest.fixture
def settings_with_secrets() -> Settings:
    return Settings.from_env(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_APP_TOKEN": APP_TOKEN,
            "DATABASE_URL": f"postgresql://liaison:{DB_PASSWORD}@db.example.org/liaison",
            "LIAISON_LLM_BASE_URL": "http://127.0.0.1:8080/v1",
            "LIAISON_LLM_MODEL": "m",
            "LIAISON_LLM_API_KEY": LLM_KEY,
        }
    )


@pytest.fixture
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_filters = {handler: list(handler.filters) for handler in saved_handlers}
    yield
    for handler in list(root.handlers):
        if handler not in saved_handlers:
            root.removeHandler(handler)
    for handler, filters in saved_filters.items():
        handler.filters[:] = filters
    root.setLevel(saved_level)


def _log_everything(logger: logging.Logger) -> None:
    logger.info("posting with token %s", BOT_TOKEN)
    message = f"Authorization: Bearer {USER_TOKEN}"  # already in the message, not an argument
    logger.warning(message)
    logger.info("tokens %s and %s", APP_TOKEN, {"refresh": REFRESH_TOKEN, "rotated": ROTATED_TOKEN})
    logger.error("signing secret is %s, llm key %s", SIGNING_SECRET, LLM_KEY)
    logger.info("connecting to postgresql://liaison:%s@db/liaison", DB_PASSWORD)
    try:
        raise RuntimeError(f"Slack said no to {BOT_TOKEN} (secret {SIGNING_SECRET})")
    except RuntimeError:
        logger.exception("request failed for %s", APP_TOKEN)
    logger.info("a stack for %s", USER_TOKEN, stack_info=True)


@pytest.mark.parametrize("log_format", list(LogFormat))
def test_no_token_or_secret_reaches_the_output(
    log_format: LogFormat, settings_with_secrets: Settings, restore_root_logger: None
) -> None:
    stream = io.StringIO()
    configure_logging(
        "DEBUG", log_format, secrets=settings_secrets(settings_with_secrets), stream=stream, force=True
    )

    _log_everything(logging.getLogger("liaison.test.redaction"))

    output = stream.getvalue()
    assert output.count("\n") >= 7
    for secret in SECRETS:
        assert secret not in output, secret
    # What was there is still recognisable, minus the secret part.
    assert "xoxb-***" in output
    assert "xapp-***" in output
    assert "xoxe.xoxp-***" in output
    assert "RuntimeError" in output


def test_other_handlers_on_the_root_logger_are_redacted_too(
    settings_with_secrets: Settings, restore_root_logger: None
) -> None:
    foreign_stream = io.StringIO()
    foreign = logging.StreamHandler(foreign_stream)
    logging.getLogger().addHandler(foreign)

    # Someone else owns the root logger (as in tests): no handler of ours is added, but theirs is redacted.
    installed = configure_logging("INFO", secrets=settings_secrets(settings_with_secrets))
    logging.getLogger("liaison.test.redaction").warning("token %s secret %s", BOT_TOKEN, SIGNING_SECRET)

    assert installed is None
    assert BOT_TOKEN not in foreign_stream.getvalue()
    assert SIGNING_SECRET not in foreign_stream.getvalue()
    assert "xoxb-***" in foreign_stream.getvalue()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"token={BOT_TOKEN}&x=1", "token=xoxb-***&x=1"),
        (f'{{"token": "{USER_TOKEN}"}}', '{"token": "xoxp-***"}'),
        (f"Bearer {APP_TOKEN}.", "Bearer xapp-***."),
        (ROTATED_TOKEN, "xoxe.xoxp-***"),
        ("no secrets here: xox, xoxb, xapp", "no secrets here: xox, xoxb, xapp"),
    ],
)
def test_redact_masks_token_shapes(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_short_secrets_are_not_masked_by_value() -> None:
    # A two-letter "secret" would garble every line it occurs in; real secrets are long.
    assert redact("an ordinary line", ["an"]) == "an ordinary line"


def test_filter_keeps_records_and_flattens_arguments() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a %s b %d", (BOT_TOKEN, 5), None)

    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == "a xoxb-*** b 5"
