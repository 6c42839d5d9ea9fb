"""The one HTTP client of scholarly sources: timeouts, polite retries, a User-Agent, conditional GETs.

ORCID and OpenAlex ask API users to identify themselves (OpenAlex's "polite pool": a `mailto` in the
User-Agent) and to back off when told to: a 429 or 503 carries `Retry-After` (seconds or an HTTP date),
which is honoured up to a bound; other 5xx answers and timeouts are retried with a short exponential
backoff. Every request has a connect and a read timeout (urllib takes one timeout, applied to each
blocking socket operation: connecting and every read).

Responses with an `ETag` or `Last-Modified` are kept (`ResponseCache`), and the next request of the
same URL asks `If-None-Match` / `If-Modified-Since`: an unchanged record costs a 304 and no parsing
of a fresh body. The cache is written by the caller's transaction (`DatabaseCache`), so a fetch that
fails half-way leaves no cached half either.
"""

from __future__ import annotations

import email.utils
import json
import logging
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_ATTEMPTS = 4
# Longest Retry-After honoured: beyond it the fetch fails and the next refresh tries again.
MAX_RETRY_AFTER_SECONDS = 60.0
_BACKOFF_SECONDS = 0.5


class SourceFetchError(Exception):
    """A source could not be read (network fault, refusal, malformed answer); nothing was saved.

    Attributes:
        message: What went wrong, fit to show the person who asked.
        status: The HTTP status of the last answer, if there was one.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class NotFoundAtSource(SourceFetchError):
    """The source answered 404: no such record."""


@dataclass(frozen=True)
class CachedResponse:
    """A stored response body with its validators."""

    body: str
    etag: str | None = None
    last_modified: str | None = None


class ResponseCache(Protocol):
    """Where conditional-GET validators and bodies are kept, by URL."""

    def load(self, url: str) -> CachedResponse | None:
        """The stored response of `url`, if any."""

    def store(self, url: str, response: CachedResponse) -> None:
        """Keep the response of `url` (replacing an older one)."""


@dataclass
class MemoryCache:
    """A `ResponseCache` in a dict (tests; one CLI run)."""

    entries: dict[str, CachedResponse] = field(default_factory=dict)

    def load(self, url: str) -> CachedResponse | None:
        """The stored response of `url`, if any."""
        return self.entries.get(url)

    def store(self, url: str, response: CachedResponse) -> None:
        """Keep the response of `url`."""
        self.entries[url] = response


@dataclass
class FetchStats:
    """What a client did, for progress lines and tests."""

    requests: int = 0
    not_modified: int = 0
    retries: int = 0


class ScholarlyHttpClient:
    """GET JSON from a scholarly API, politely and with bounded waits.

    Args:
        user_agent: Sent with every request; should name a contact (``mailto:``).
        timeout: Seconds for connecting and for each read.
        attempts: Tries per request, the first included.
        cache: Where validators and bodies are kept (None: no conditional requests).
        sleep: Waits between attempts (tests pass a recorder).
    """

    def __init__(
        self,
        user_agent: str,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        attempts: int = DEFAULT_ATTEMPTS,
        cache: ResponseCache | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.cache = cache
        self.sleep = sleep
        self.stats = FetchStats()

    def get_json(self, url: str, params: Mapping[str, str] | None = None) -> Any:
        """GET `url` (with `params` as its query) and decode the JSON answer.

        Raises:
            NotFoundAtSource: A 404.
            SourceFetchError: Any other failure once the attempts are used up.
        """
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(params)}"
        cached = self.cache.load(url) if self.cache is not None else None
        headers = {"User-Agent": self.user_agent, "Accept": "application/json"}
        if cached is not None and cached.etag:
            headers["If-None-Match"] = cached.etag
        if cached is not None and cached.last_modified:
            headers["If-Modified-Since"] = cached.last_modified
        body = self._get(url, headers, cached)
        try:
            return json.loads(body)
        except ValueError:
            raise SourceFetchError(f"The answer from {_host(url)} was not JSON.") from None

    def _get(self, url: str, headers: dict[str, str], cached: CachedResponse | None) -> str:
        last_error = "no answer"
        status: int | None = None
        for attempt in range(1, self.attempts + 1):
            wait = _BACKOFF_SECONDS * 2 ** (attempt - 1)
            self.stats.requests += 1
            try:
                request = urllib.request.Request(url, headers=headers, method="GET")
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    body = response.read().decode("utf-8")
                    if self.cache is not None and (
                        response.headers.get("ETag") or response.headers.get("Last-Modified")
                    ):
                        self.cache.store(
                            url,
                            CachedResponse(
                                body, response.headers.get("ETag"), response.headers.get("Last-Modified")
                            ),
                        )
                    return body
            except urllib.error.HTTPError as error:
                status = error.code
                if error.code == 304 and cached is not None:
                    self.stats.not_modified += 1
                    return cached.body
                if error.code == 404:
                    raise NotFoundAtSource(f"{_host(url)} has no such record.", status=404) from None
                if error.code not in (429, 500, 502, 503, 504):
                    raise SourceFetchError(
                        f"{_host(url)} refused the request (HTTP {error.code}).", status=error.code
                    ) from None
                last_error = f"HTTP {error.code}"
                if error.code in (429, 503):
                    told = retry_after_seconds(error.headers.get("Retry-After"), datetime.now(UTC))
                    if told is not None:
                        if told > MAX_RETRY_AFTER_SECONDS:
                            raise SourceFetchError(
                                f"{_host(url)} asked to wait {told:.0f} s; try again later.",
                                status=error.code,
                            ) from None
                        wait = told
            except TimeoutError:
                last_error = "timed out"
            except (urllib.error.URLError, ConnectionError, OSError) as error:
                reason = getattr(error, "reason", error)
                if isinstance(reason, TimeoutError | socket.timeout):
                    last_error = "timed out"
                else:
                    last_error = f"could not connect ({reason})"
            if attempt < self.attempts:
                self.stats.retries += 1
                logger.info("retrying %s in %.1f s (%s)", _host(url), wait, last_error)
                self.sleep(wait)
        raise SourceFetchError(
            f"{_host(url)} did not answer ({last_error}, {self.attempts} tries).", status=status
        )


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date (RFC 9110 §10.2.3).

    Returns:
        The wait (never negative), or None when the header is absent or unreadable.
    """
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def polite_user_agent(contact: str | None) -> str:
    """The User-Agent of every request: the app, and a contact address when one is configured."""
    return f"Liaison/1.0 (expert profiles; mailto:{contact})" if contact else "Liaison/1.0 (expert profiles)"


def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url
