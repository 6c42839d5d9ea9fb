"""Builds the Slack Web API clients every part of the process shares, with one retry policy."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.settings import Settings

logger = logging.getLogger(__name__)

# Slack answers these when it is overloaded or restarting; the request was not processed.
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})


class CappedBackoff(RetryIntervalCalculator):
    """Exponential backoff with "equal jitter", capped: attempt n sleeps between d/2 and d, where
    d = min(cap, base · 2ⁿ). slack_sdk's default grows without bound and adds up to 1 s of jitter."""

    def __init__(
        self, base: float = 0.5, cap: float = 8.0, random_fraction: Callable[[], float] = random.random
    ) -> None:
        self.base = base
        self.cap = cap
        self._random = random_fraction

    def calculate_sleep_duration(self, current_attempt: int) -> float:
        """Seconds to wait before retry number `current_attempt` (zero-based)."""
        ceiling = min(self.cap, self.base * (2**current_attempt))
        return ceiling / 2 + self._random() * ceiling / 2


class _ServerErrorRetry(ServerErrorRetryHandler):
    """slack_sdk's handler retries only 500 and 503; 502 and 504 are as transient."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code in RETRYABLE_STATUSES


class _ConnectionRetry(ConnectionErrorRetryHandler):
    """Retries connection failures, telling apart those after which Slack may have acted.

    A failure to connect or to send (`URLError`) means Slack never saw the request: always safe to
    retry. A connection dropped while waiting for the answer may come after Slack processed it, and
    `chat.postMessage` has no idempotency key: such a resend is logged as ambiguous, or, with
    `resend_when_ambiguous=False` (the reminder notifier, which looks for the message itself first),
    not made here at all.
    """

    def __init__(
        self,
        max_retry_count: int,
        interval_calculator: RetryIntervalCalculator,
        *,
        resend_when_ambiguous: bool,
    ) -> None:
        super().__init__(max_retry_count=max_retry_count, interval_calculator=interval_calculator)
        self.resend_when_ambiguous = resend_when_ambiguous

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if error is None or response is not None:
            return False
        if isinstance(error, URLError):
            return True
        if isinstance(error, ConnectionResetError) and self.resend_when_ambiguous:
            logger.warning(
                "ambiguous resend: the connection dropped after %s was sent; Slack may have acted on it",
                request.url.rsplit("/", 1)[-1],
            )
            return True
        return False


def build_retry_handlers(*, resend_when_ambiguous: bool = True) -> list[RetryHandler]:
    """Retry policy for every client: slack_sdk retries only connection errors by default.

    429s honour `Retry-After` (plus up to a second of jitter, slack_sdk's own handler); 5xx and
    connection failures back off exponentially with jitter, capped at 8 s.

    Args:
        resend_when_ambiguous: Also resend after a connection dropped mid-request (logged).
    """
    backoff = CappedBackoff()
    return [
        _ConnectionRetry(2, backoff, resend_when_ambiguous=resend_when_ambiguous),
        RateLimitErrorRetryHandler(max_retry_count=3),
        _ServerErrorRetry(max_retry_count=2, interval_calculator=backoff),
    ]


def build_web_client(
    settings: Settings, *, timeout: int = 10, resend_when_ambiguous: bool = True
) -> WebClient:
    """Create the WebClient for the bot token, pointed at `SLACK_API_URL` (a local fake in tests/demo).

    Args:
        settings: Token and API URL.
        timeout: Seconds to wait for an answer.
        resend_when_ambiguous: See `build_retry_handlers`; the reminder notifier passes False.
    """
    return WebClient(
        token=settings.slack_bot_token or None,
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=build_retry_handlers(resend_when_ambiguous=resend_when_ambiguous),
    )
