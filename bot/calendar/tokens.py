"""Feed URLs: unguessable tokens, stored only as hashes, shown again on request, reset at once.

A token is HMAC-SHA256(server secret, the feed's random salt), base64url without padding (43
characters, 256 bits). The database keeps the salt and SHA-256(token): a dump of it opens no feed,
yet `/liaison calendar` can show the same URL again (derived anew). Resetting draws a new salt, so the
old URL's hash is gone from the table in the same transaction and it answers 404 from then on.
Changing the secret (`LIAISON_CALENDAR_SECRET`) changes every URL; each is re-hashed the next time its
owner asks for it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from bot.calendar.tables import PERSON_SCOPE, CalendarFeed, project_scope
from bot.db import insert_ignoring_conflicts
from bot.errors import InvalidInput
from bot.settings import Settings

TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")
_CONTEXT = b"liaison calendar feed v1\x00"
NO_SECRET = (
    "Calendar feeds are not set up here: an admin needs to set `LIAISON_CALENDAR_SECRET` "
    "(or `SLACK_SIGNING_SECRET`) and restart Liaison."
)


@dataclass(frozen=True)
class FeedToken:
    """A feed and the token of its URL (to be shown to its owner only)."""

    feed_id: int
    token: str
    project_id: int | None
    reset: bool = False


def feed_key(settings: Settings) -> bytes | None:
    """The secret feed tokens are derived with, or None when no secret is configured."""
    secret = settings.calendar_secret or settings.slack_signing_secret or settings.slack_client_secret
    return secret.encode("utf-8") if secret else None


def derive_token(key: bytes, salt: str) -> str:
    """The URL token of a feed with `salt`."""
    digest = hmac.new(key, _CONTEXT + salt.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def hash_token(token: str) -> str:
    """What the table stores of a token (SHA-256, hex)."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def find_feed(session: Session, token: str) -> CalendarFeed | None:
    """The feed a URL token opens, or None (malformed, reset, never issued).

    The row is found by the token's hash (an index lookup on a value an attacker cannot aim at
    without the token), and the stored hash is then compared in constant time.
    """
    if not TOKEN_RE.fullmatch(token):
        return None
    wanted = hash_token(token)
    feed = session.scalars(select(CalendarFeed).where(CalendarFeed.token_hash == wanted)).first()
    if feed is None or not hmac.compare_digest(feed.token_hash, wanted):
        return None
    return feed


def ensure_feed(
    session: Session,
    settings: Settings,
    *,
    workspace_id: int,
    person_id: int,
    project_id: int | None,
    now: datetime,
) -> FeedToken:
    """The person's feed (their own items, or one project's), made on first use; its current token.

    Raises:
        InvalidInput: No secret is configured to derive tokens with.
    """
    key = _require_key(settings)
    scope = PERSON_SCOPE if project_id is None else project_scope(project_id)
    feed = _feed_of(session, person_id, scope)
    if feed is None:
        salt = secrets.token_hex(16)
        row = {
            "workspace_id": workspace_id,
            "person_id": person_id,
            "project_id": project_id,
            "scope": scope,
            "salt": salt,
            "token_hash": hash_token(derive_token(key, salt)),
            "created_at": now,
        }
        # Two `/liaison calendar` at once: one insert wins, both then show its URL.
        insert_ignoring_conflicts(session, cast(Table, CalendarFeed.__table__), row)
        feed = _feed_of(session, person_id, scope)
        assert feed is not None
    token = derive_token(key, feed.salt)
    if not hmac.compare_digest(feed.token_hash, hash_token(token)):
        # The secret changed since this URL was made: the URL shown from now on is the one that works.
        feed.token_hash = hash_token(token)
    return FeedToken(feed.id, token, feed.project_id)


def reset_feed(
    session: Session,
    settings: Settings,
    *,
    workspace_id: int,
    person_id: int,
    project_id: int | None,
    now: datetime,
) -> FeedToken:
    """Give the person's feed a new URL; the old one stops working when the caller commits.

    Raises:
        InvalidInput: No secret is configured to derive tokens with.
    """
    key = _require_key(settings)
    current = ensure_feed(
        session, settings, workspace_id=workspace_id, person_id=person_id, project_id=project_id, now=now
    )
    feed = session.get(CalendarFeed, current.feed_id)
    assert feed is not None
    feed.salt = secrets.token_hex(16)
    feed.token_hash = hash_token(derive_token(key, feed.salt))
    feed.reset_at = now
    return FeedToken(feed.id, derive_token(key, feed.salt), feed.project_id, reset=True)


def _require_key(settings: Settings) -> bytes:
    key = feed_key(settings)
    if key is None:
        raise InvalidInput(NO_SECRET)
    return key


def _feed_of(session: Session, person_id: int, scope: str) -> CalendarFeed | None:
    return session.scalars(
        select(CalendarFeed).where(CalendarFeed.person_id == person_id, CalendarFeed.scope == scope)
    ).first()
