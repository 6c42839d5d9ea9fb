"""Slack installations of a multi-workspace Liaison: stored tokens, their encryption and their rotation.

With `SLACK_CLIENT_ID` and `SLACK_CLIENT_SECRET` set, every workspace (or Enterprise Grid org) that
installs Liaison gets its own bot token, stored by slack_sdk's `SQLAlchemyInstallationStore` in the
tables of `bot.models` (migrated by Alembic like the others). This module adds three things on top:

- **Encryption at rest** (`LIAISON_TOKEN_ENCRYPTION_KEY`): bot, user and refresh tokens are Fernet-
  encrypted before they are written and decrypted when read; the database never holds one in plain
  text. Several keys may be given (the first encrypts, all decrypt), so a key can be replaced without
  downtime; rows written before encryption was turned on stay readable.
- **Token rotation, once across all instances**: a token that expires within two hours is refreshed
  (`oauth.v2.access`, `grant_type=refresh_token`) before it is used, by requests (through Bolt's
  authorize) and by jobs alike. Slack invalidates a refresh token once it has been used, so two
  instances refreshing at once would leave one of them with a dead token. The refresh therefore runs
  inside a transaction holding `SELECT … FOR UPDATE` on the installation's row (PostgreSQL): a second
  instance waits on the lock, then reads the rotated row and uses it without calling Slack. Threads of
  one process queue on a lock per installation first (SQLite has no row locks). Should a refresh still
  be refused (`invalid_refresh_token`: another process on SQLite got there first), the latest stored
  installation is read again and used if its token changed.
- **Where jobs get their tokens**: `InstallationTokens.bot_token_for_team` finds a workspace's current
  bot token by its `Workspace.slack_team_id` (a team id, or an enterprise id for an org-wide install),
  rotated when due, cached for a few seconds; None when the app is not installed there (any more).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, overload

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator
from sqlalchemy import Engine, Select, and_, delete, or_, select, true, update

from bot.db import Base
from bot.models import SECRET_INSTALLATION_COLUMNS, slack_bots, slack_installations, slack_oauth_states

logger = logging.getLogger(__name__)

# Refresh a token this long before it expires (Slack's tokens live 12 hours; Bolt's default).
ROTATE_MINUTES_BEFORE_EXPIRY = 120
# How long a job reuses a token it looked up before asking the database again.
TOKEN_CACHE_SECONDS = 10.0
ENCRYPTED_PREFIX = "fernet:"


class TokenDecryptionError(RuntimeError):
    """A stored token cannot be decrypted: the key that encrypted it is not configured."""


class TokenCipher:
    """Fernet encryption of stored tokens; the first key encrypts, every key decrypts.

    Args:
        keys: Fernet keys (`LIAISON_TOKEN_ENCRYPTION_KEY`, already validated by the settings).
    """

    def __init__(self, keys: Sequence[str]) -> None:
        from cryptography.fernet import Fernet, MultiFernet

        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(key.encode("ascii")) for key in keys])

    def encrypt(self, value: str) -> str:
        """The encrypted form of `value`, marked so it is recognised when read (idempotent)."""
        if value.startswith(ENCRYPTED_PREFIX):
            return value
        return ENCRYPTED_PREFIX + self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, value: str) -> str:
        """The token behind `value`; a value without the marker (written before encryption) as it is.

        Raises:
            TokenDecryptionError: None of the keys decrypts it.
        """
        from cryptography.fernet import InvalidToken

        if not value.startswith(ENCRYPTED_PREFIX):
            return value
        try:
            return self._fernet.decrypt(value.removeprefix(ENCRYPTED_PREFIX).encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise TokenDecryptionError(
                "a stored Slack token cannot be decrypted with LIAISON_TOKEN_ENCRYPTION_KEY "
                "(was the key that encrypted it removed?)"
            ) from None

    def reencrypt(self, value: str) -> str:
        """`value` encrypted with the first key (whatever key, or none, it was encrypted with)."""
        return self.encrypt(self.decrypt(value))


@overload
def _open(cipher: TokenCipher | None, value: str) -> str: ...
@overload
def _open(cipher: TokenCipher | None, value: str | None) -> str | None: ...
def _open(cipher: TokenCipher | None, value: str | None) -> str | None:
    if value is None or not value.startswith(ENCRYPTED_PREFIX):
        return value
    if cipher is None:
        raise TokenDecryptionError(
            "the stored Slack tokens are encrypted but LIAISON_TOKEN_ENCRYPTION_KEY is not set"
        )
    return cipher.decrypt(value)


@overload
def _seal(cipher: TokenCipher | None, value: str) -> str: ...
@overload
def _seal(cipher: TokenCipher | None, value: str | None) -> str | None: ...
def _seal(cipher: TokenCipher | None, value: str | None) -> str | None:
    return value if cipher is None or value is None else cipher.encrypt(value)


@dataclass(frozen=True)
class InstallationKey:
    """Which installation: Slack's enterprise and team ids (team None for an org-wide install)."""

    enterprise_id: str | None
    team_id: str | None
    is_enterprise_install: bool

    @property
    def workspace_key(self) -> str | None:
        """What `Workspace.slack_team_id` holds for it: the team id, or the enterprise id if org-wide."""
        return self.enterprise_id if self.is_enterprise_install else self.team_id

    @classmethod
    def of(cls, installation: Installation | Bot) -> InstallationKey:
        """The key of a stored installation (or bot)."""
        org_wide = bool(installation.is_enterprise_install)
        return cls(installation.enterprise_id, None if org_wide else installation.team_id, org_wide)


class LiaisonInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's SQLAlchemy installation store on Liaison's migrated tables, encrypting tokens.

    Args:
        client_id: The Slack app's client id (rows are per app).
        engine: Liaison's engine.
        cipher: Encrypts tokens at rest; None stores them as Slack issued them.
        logger: For slack_sdk's own messages.
    """

    def __init__(
        self,
        client_id: str,
        engine: Engine,
        *,
        cipher: TokenCipher | None = None,
        logger: logging.Logger = logger,
    ) -> None:
        # Not super().__init__: it would declare the tables again in a MetaData of its own; Liaison's
        # live in Base.metadata, created and changed only by migrations.
        self.client_id = client_id
        self.engine = engine
        self.metadata = Base.metadata
        self.installations = slack_installations
        self.bots = slack_bots
        self._logger = logger
        self.cipher = cipher

    def create_tables(self) -> None:
        """Refused: the tables belong to the migrations (`liaison db upgrade`)."""
        raise NotImplementedError("the installation tables are created by `liaison db upgrade`")

    # -- slack_sdk's interface, with tokens sealed on the way in and opened on the way out -------
    def save(self, installation: Installation) -> None:
        """Store an installation (and its bot), tokens encrypted when a key is configured."""
        sealed = Installation(**installation.to_dict_for_copying())
        sealed.bot_token = _seal(self.cipher, sealed.bot_token)
        sealed.bot_refresh_token = _seal(self.cipher, sealed.bot_refresh_token)
        sealed.user_token = _seal(self.cipher, sealed.user_token)
        sealed.user_refresh_token = _seal(self.cipher, sealed.user_refresh_token)
        # slack_sdk's save calls self.save_bot with these sealed values: sealing is idempotent.
        super().save(sealed)

    def save_bot(self, bot: Bot) -> None:
        """Store a bot installation, its tokens encrypted when a key is configured."""
        sealed = Bot(**bot.to_dict_for_copying())
        sealed.bot_token = _seal(self.cipher, sealed.bot_token)
        sealed.bot_refresh_token = _seal(self.cipher, sealed.bot_refresh_token)
        super().save_bot(sealed)

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        """The latest bot of a team (or org), tokens decrypted."""
        bot: Bot | None = super().find_bot(
            enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
        )
        if bot is not None:
            bot.bot_token = _open(self.cipher, bot.bot_token)
            bot.bot_refresh_token = _open(self.cipher, bot.bot_refresh_token)
        return bot

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        """The latest installation of a team (or org, or one of its users), tokens decrypted."""
        installation: Installation | None = super().find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return None if installation is None else self._opened(installation)

    # -- what Liaison adds ---------------------------------------------------------------------
    def locate(self, workspace_key: str) -> InstallationKey | None:
        """The installation serving `Workspace.slack_team_id` = `workspace_key`, if there is one.

        A team id matches a workspace installation (also one inside an Enterprise Grid, whose rows
        carry the enterprise id too); an enterprise id matches an org-wide installation.
        """
        c = self.installations.c
        query = (
            select(c.enterprise_id, c.team_id, c.is_enterprise_install)
            .where(
                c.client_id == self.client_id,
                or_(
                    c.team_id == workspace_key,
                    and_(c.enterprise_id == workspace_key, c.is_enterprise_install == true()),
                ),
            )
            .order_by(c.installed_at.desc())
            .limit(1)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return InstallationKey(row.enterprise_id, row.team_id, bool(row.is_enterprise_install))

    def rotate_locked(
        self,
        key: InstallationKey,
        *,
        due: Callable[[Installation], bool],
        refresh: Callable[[Installation], Installation | None],
    ) -> Installation | None:
        """Refresh the latest installation's tokens holding a lock on its row, and store the result.

        Under the lock the row is read again: if it is no longer `due` (another instance rotated it
        while this one waited) it is returned as it is and Slack is not called.

        Args:
            key: Which installation.
            due: Whether an installation's tokens need refreshing now.
            refresh: Calls Slack; returns the refreshed installation (None: nothing to refresh).

        Returns:
            The current installation (rotated, or as another instance left it); None if uninstalled.

        Raises:
            SlackTokenRotationError: Slack refused the refresh.
        """
        with self.engine.begin() as connection:
            # FOR UPDATE: PostgreSQL holds a second rotator here until this transaction ends (SQLite
            # ignores it; one process there, whose threads queue in InstallationTokens).
            row = connection.execute(self._latest(key).with_for_update()).mappings().first()
            if row is None:
                return None
            current = self._opened(self.build_installation_entity(row))
            if not due(current):
                return current
            rotated = refresh(current)
            if rotated is None:
                return current
            connection.execute(
                update(self.installations)
                .where(self.installations.c.id == row["id"])
                .values(**self._token_values(rotated))
            )
            # The bots table keeps a copy of the bot token (slack_sdk reads it when an installation
            # row has none): keep its latest row of this team the same.
            b = self.bots.c
            latest_bot = (
                select(b.id)
                .where(*self._key_criteria(self.bots, key))
                .order_by(b.installed_at.desc())
                .limit(1)
                .scalar_subquery()
            )
            connection.execute(
                update(self.bots)
                .where(b.id == latest_bot)
                .values(
                    bot_token=_seal(self.cipher, rotated.bot_token),
                    bot_refresh_token=_seal(self.cipher, rotated.bot_refresh_token),
                    bot_token_expires_at=_naive(rotated.bot_token_expires_at),
                )
            )
        return rotated

    def latest(self, key: InstallationKey) -> Installation | None:
        """The latest stored installation for `key`, tokens decrypted (no rotation)."""
        with self.engine.connect() as connection:
            row = connection.execute(self._latest(key)).mappings().first()
        return None if row is None else self._opened(self.build_installation_entity(row))

    def delete_bot_tokens(self, key: InstallationKey) -> None:
        """Forget the bot token of a team or org (Slack revoked it): its bots, and the copies in its
        installations. The installations themselves stay (who installed, when)."""
        with self.engine.begin() as connection:
            connection.execute(delete(self.bots).where(*self._key_criteria(self.bots, key)))
            connection.execute(
                update(self.installations)
                .where(*self._key_criteria(self.installations, key))
                .values(bot_token=None, bot_refresh_token=None, bot_token_expires_at=None)
            )

    def delete_user_tokens(self, key: InstallationKey, user_ids: Sequence[str]) -> None:
        """Forget the user tokens of these users (Slack revoked them), keeping the rows and bot token.

        slack_sdk's own handler deletes the users' installation rows, which would also drop the bot
        token stored in the installer's row.
        """
        if not user_ids:
            return
        c = self.installations.c
        with self.engine.begin() as connection:
            connection.execute(
                update(self.installations)
                .where(*self._key_criteria(self.installations, key), c.user_id.in_(list(user_ids)))
                .values(
                    user_token=None, user_refresh_token=None, user_token_expires_at=None, user_scopes=None
                )
            )

    def reencrypt_all(self) -> int:
        """Encrypt every stored token with the first configured key (after adding a new key).

        Returns:
            How many rows were rewritten.
        """
        if self.cipher is None:
            raise ValueError("no LIAISON_TOKEN_ENCRYPTION_KEY is configured")
        cipher = self.cipher
        rewritten = 0
        with self.engine.begin() as connection:
            for table in (self.installations, self.bots):
                columns = [c for c in table.columns if c.name in SECRET_INSTALLATION_COLUMNS]
                for row in connection.execute(select(table.c.id, *columns)).mappings().all():
                    values = {c.name: cipher.reencrypt(row[c.name]) for c in columns if row[c.name]}
                    if values:
                        connection.execute(update(table).where(table.c.id == row["id"]).values(**values))
                        rewritten += 1
        return rewritten

    # -- helpers -------------------------------------------------------------------------------
    def _opened(self, installation: Installation) -> Installation:
        installation.bot_token = _open(self.cipher, installation.bot_token)
        installation.bot_refresh_token = _open(self.cipher, installation.bot_refresh_token)
        installation.user_token = _open(self.cipher, installation.user_token)
        installation.user_refresh_token = _open(self.cipher, installation.user_refresh_token)
        return installation

    def _key_criteria(self, table: Any, key: InstallationKey) -> list[Any]:
        c = table.c
        # `== None` renders IS NULL, as slack_sdk's own queries rely on.
        return [c.client_id == self.client_id, c.enterprise_id == key.enterprise_id, c.team_id == key.team_id]

    def _latest(self, key: InstallationKey) -> Select[Any]:
        c = self.installations.c
        return (
            select(self.installations)
            .where(*self._key_criteria(self.installations, key))
            .order_by(c.installed_at.desc())
            .limit(1)
        )

    def _token_values(self, installation: Installation) -> dict[str, Any]:
        return {
            "bot_token": _seal(self.cipher, installation.bot_token),
            "bot_refresh_token": _seal(self.cipher, installation.bot_refresh_token),
            "bot_token_expires_at": _naive(installation.bot_token_expires_at),
            "user_token": _seal(self.cipher, installation.user_token),
            "user_refresh_token": _seal(self.cipher, installation.user_refresh_token),
            "user_token_expires_at": _naive(installation.user_token_expires_at),
        }


def _naive(epoch_seconds: int | None) -> datetime | None:
    # slack_sdk stores expiry instants as naive UTC (`normalize_datetime_for_db`).
    if epoch_seconds is None:
        return None
    return datetime.fromtimestamp(epoch_seconds, UTC).replace(tzinfo=None)


class LiaisonOAuthStateStore(SQLAlchemyOAuthStateStore):
    """slack_sdk's OAuth state store on Liaison's migrated table, shared by every instance.

    A state issued by one instance (GET /slack/install) is consumed by whichever instance Slack's
    redirect reaches. Expired states of abandoned installs are deleted whenever a new one is issued.

    Args:
        engine: Liaison's engine.
        expiration_seconds: How long an install link stays valid.
    """

    def __init__(self, engine: Engine, *, expiration_seconds: int = 600) -> None:
        # Not super().__init__, for the same reason as LiaisonInstallationStore.
        self.expiration_seconds = expiration_seconds
        self.engine = engine
        self.metadata = Base.metadata
        self.oauth_states = slack_oauth_states
        self._logger = logger

    def create_tables(self) -> None:
        """Refused: the table belongs to the migrations (`liaison db upgrade`)."""
        raise NotImplementedError("the OAuth state table is created by `liaison db upgrade`")

    def issue(self, *args: Any, **kwargs: Any) -> str:
        """A new state for an install link (and the expired ones deleted)."""
        now = datetime.now(UTC).replace(tzinfo=None)
        with self.engine.begin() as connection:
            connection.execute(delete(self.oauth_states).where(self.oauth_states.c.expire_at <= now))
        state: str = super().issue(*args, **kwargs)
        return state


@dataclass
class _CachedToken:
    token: str | None
    expires_at: int | None
    looked_up: float


class InstallationTokens:
    """The current bot token of each installation: found, rotated when due (once), cached briefly.

    Shared by the Bolt app (requests) and the notifier (jobs) of one process.

    Args:
        store: Where installations live.
        client_id: The app's client id (for refreshing).
        client_secret: The app's client secret.
        api_client: A token-less WebClient for `oauth.v2.access` (pointed at SLACK_API_URL).
        minutes_before_expiry: Refresh tokens that expire sooner than this.
        cache_seconds: How long `bot_token_for_team` reuses a token it looked up.
        monotonic: Clock of the cache (tests).
    """

    def __init__(
        self,
        store: LiaisonInstallationStore,
        *,
        client_id: str,
        client_secret: str,
        api_client: WebClient,
        minutes_before_expiry: int = ROTATE_MINUTES_BEFORE_EXPIRY,
        cache_seconds: float = TOKEN_CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.client_id = client_id
        self.client_secret = client_secret
        self.minutes_before_expiry = minutes_before_expiry
        self.rotator = TokenRotator(client_id=client_id, client_secret=client_secret, client=api_client)
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._guard = threading.Lock()
        self._rotation_locks: dict[InstallationKey, threading.Lock] = {}
        self._cache: dict[str, _CachedToken] = {}

    def is_due(self, installation: Installation) -> bool:
        """Whether the installation's bot or user token expires within the rotation window.

        Real time, not the services' clock: Slack decides expiry (the demo's simulated clock must not).
        """
        horizon = time.time() + self.minutes_before_expiry * 60
        bot_due = installation.bot_refresh_token is not None and (
            installation.bot_token_expires_at is not None and installation.bot_token_expires_at <= horizon
        )
        user_due = installation.user_refresh_token is not None and (
            installation.user_token_expires_at is not None and installation.user_token_expires_at <= horizon
        )
        return bot_due or user_due

    def refreshed(self, installation: Installation) -> Installation | None:
        """The installation with fresh tokens if they were due, else None (use it as it is).

        Safe to call from any number of threads and processes at once: exactly one of them calls
        Slack, the others get its result (see the module docstring).

        Raises:
            SlackTokenRotationError: Slack refused the refresh, and nobody else rotated meanwhile.
        """
        if not self.is_due(installation):
            return None
        key = InstallationKey.of(installation)
        with self._lock_for(key):
            try:
                current = self.store.rotate_locked(key, due=self.is_due, refresh=self._refresh)
            except SlackTokenRotationError as error:
                current = self._recover(key, installation, error)
        if current is None or current.bot_token == installation.bot_token:
            return None
        self._forget_key(key)
        return current

    def installation_for(self, key: InstallationKey) -> Installation | None:
        """The latest installation for `key`, rotated first if due; None if there is none."""
        installation = self.store.find_installation(
            enterprise_id=key.enterprise_id,
            team_id=key.team_id,
            is_enterprise_install=key.is_enterprise_install,
        )
        if installation is None:
            return None
        return self.refreshed(installation) or installation

    def bot_token_for_team(self, workspace_key: str | None) -> str | None:
        """The bot token to reach the workspace whose `slack_team_id` is `workspace_key`.

        Returns:
            The token, rotated if it was due; None when Liaison is not installed there (never, or not
            any more), or the installation has no bot token (revoked).

        Raises:
            SlackTokenRotationError: The token is due and Slack refused to refresh it.
        """
        if not workspace_key:
            return None
        now = self._monotonic()
        horizon = time.time() + self.minutes_before_expiry * 60
        with self._guard:
            cached = self._cache.get(workspace_key)
        if (
            cached is not None
            and now - cached.looked_up < self._cache_seconds
            and (cached.expires_at is None or cached.expires_at > horizon)
        ):
            return cached.token
        key = self.store.locate(workspace_key)
        installation = self.installation_for(key) if key is not None else None
        token = installation.bot_token if installation is not None else None
        expires_at = installation.bot_token_expires_at if installation is not None else None
        with self._guard:
            self._cache[workspace_key] = _CachedToken(token, expires_at, now)
        return token

    def forget(self, workspace_key: str | None) -> None:
        """Drop what this process cached for a workspace (after an uninstall or a revocation)."""
        with self._guard:
            self._cache.pop(workspace_key or "", None)

    def _forget_key(self, key: InstallationKey) -> None:
        self.forget(key.workspace_key)

    def _refresh(self, installation: Installation) -> Installation | None:
        rotated = self.rotator.perform_token_rotation(
            installation=installation, minutes_before_expiration=self.minutes_before_expiry
        )
        if rotated is not None:
            # Team and enterprise only: never a token, not even a prefix.
            logger.info(
                "rotated the Slack tokens of team %s (enterprise %s)",
                installation.team_id,
                installation.enterprise_id,
            )
        return rotated

    def _recover(
        self, key: InstallationKey, seen: Installation, error: SlackTokenRotationError
    ) -> Installation | None:
        # Slack refuses a refresh token that was already used; if another process used it, the row
        # now holds that process's result. (PostgreSQL's row lock makes this path rare: it serves
        # processes sharing a SQLite file, and a process that crashed between Slack and its commit
        # cannot be helped.)
        latest = self.store.latest(key)
        if latest is not None and latest.bot_token != seen.bot_token and not self.is_due(latest):
            logger.info("token refresh refused, but another process had rotated team %s already", key.team_id)
            return latest
        code = _error_code(error.api_error)
        logger.error("Slack refused to refresh the tokens of team %s: %s", key.team_id, code)
        raise error

    def _lock_for(self, key: InstallationKey) -> threading.Lock:
        with self._guard:
            lock = self._rotation_locks.get(key)
            if lock is None:
                lock = self._rotation_locks[key] = threading.Lock()
            return lock


def _error_code(error: SlackApiError) -> str:
    data = error.response.data if isinstance(error.response.data, dict) else {}
    return str(data.get("error") or f"http_{error.response.status_code}")
