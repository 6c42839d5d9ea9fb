"""`GET|HEAD /calendar/<token>.ics`: a private iCalendar feed (docs/calendar.md), for `bot.serving.web`.

Calendar clients (Google Calendar, Outlook, Apple Calendar) poll the URL; it carries no cookie and no
signature, only the token, so the token is the whole secret: it is never logged here (a failure is
logged without the path), and any token that opens nothing — malformed, reset, never issued, or its
owner no longer on the project — is the same plain 404. Answers carry a strong ETag (the SHA-256 of
the document, which is byte-stable while nothing changes), and `If-None-Match` with it gets a 304.
Rendering records event revisions (SEQUENCE), so a fetch is one short write transaction.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from bot.calendar.feeds import render_feed
from bot.services import Services

if TYPE_CHECKING:
    from wsgiref.types import WSGIEnvironment

logger = logging.getLogger(__name__)

CALENDAR_PREFIX = "/calendar/"
_PATH_RE = re.compile(r"/calendar/([A-Za-z0-9_-]{43})\.ics")
_TEXT = ("Content-Type", "text/plain; charset=utf-8")
# Feed URLs are secrets: no shared cache keeps them, and no page they link to learns them.
_PRIVATE = (("Cache-Control", "private, no-cache"), ("Referrer-Policy", "no-referrer"))

CalendarAnswer = tuple[int, bytes, tuple[tuple[str, str], ...]]


def serve_calendar(services: Services, environ: WSGIEnvironment, method: str, path: str) -> CalendarAnswer:
    """Answer one request under `/calendar/`: (status, body, headers); HEAD's body is dropped by the caller.

    Args:
        services: Sessions and the clock.
        environ: The WSGI environment (for `If-None-Match`).
        method: The HTTP method.
        path: The request path.
    """
    if method not in ("GET", "HEAD"):
        return 405, b"", (("Allow", "GET, HEAD"),)
    match = _PATH_RE.fullmatch(path)
    if match is None:
        return _not_found()
    try:
        with services.session_factory.begin() as session:
            feed = render_feed(session, match.group(1), services.clock.now())
    except SQLAlchemyError as error:
        logger.error("calendar feed unavailable, the database is unreachable: %s", type(error).__name__)
        return 503, b"Service Unavailable", (_TEXT, ("Retry-After", "60"))
    except Exception:
        # Not `logger.exception` with the path, as the generic handler would: the path is the secret.
        logger.exception("calendar feed failed")
        return 500, b"Internal Server Error", (_TEXT,)
    if feed is None:
        return _not_found()
    headers = (("ETag", feed.etag), *_PRIVATE)
    if _matches(str(environ.get("HTTP_IF_NONE_MATCH") or ""), feed.etag):
        return 304, b"", headers
    return (
        200,
        feed.body,
        (
            ("Content-Type", "text/calendar; charset=utf-8"),
            ("Content-Disposition", f'inline; filename="{feed.filename}"'),
            ("X-Content-Type-Options", "nosniff"),
            *headers,
        ),
    )


def _not_found() -> CalendarAnswer:
    return 404, b"Not Found", (_TEXT, *_PRIVATE)


def _matches(if_none_match: str, etag: str) -> bool:
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags
