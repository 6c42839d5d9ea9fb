"""Builds the Slack Web API client every part of the process shares."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler

from bot.settings import Settings


def build_retry_handlers() -> list[RetryHandler]:
    """Retry policy for every client: slack_sdk retries only connection errors by default.

    429s honour `Retry-After`; 5xx and dropped connections back off exponentially.
    """
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ]


def build_web_client(settings: Settings, *, timeout: int = 10) -> WebClient:
    """Create the WebClient for the bot token, pointed at `SLACK_API_URL` (a local fake in tests/demo)."""
    return WebClient(
        token=settings.slack_bot_token or None,
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=build_retry_handlers(),
    )
