"""Bolt's OAuth install flow and per-workspace authorization, wired to Liaison's stores.

Built by `bot.app.create_app` when `SLACK_CLIENT_ID` and `SLACK_CLIENT_SECRET` are set:

- `GET /slack/install` sets the state cookie and redirects the installer to Slack's consent page; the
  state itself is kept in the database (`slack_oauth_states`), so any instance can finish the flow.
- `GET /slack/oauth_redirect?code=…&state=…` checks the state against the cookie and consumes it once,
  exchanges the code (`oauth.v2.access`), creates (or keeps) the team's workspace, then stores the
  installation; the workspace comes first, so a stored token always has a workspace to serve.
- Every Slack request is authorized with its team's stored token (rotated first when it is about to
  expire, once across instances: `bot.slack.installations.InstallationTokens`).
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.error import BoltError
from slack_bolt.oauth import OAuthFlow
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.services import Services
from bot.slack.installations import (
    InstallationTokens,
    LiaisonInstallationStore,
    LiaisonOAuthStateStore,
    TokenCipher,
)
from bot.slack.manifest import BOT_SCOPES
from bot.slack.workspaces import record_installed_workspace

logger = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# How long an install link (its state) stays valid.
STATE_EXPIRATION_SECONDS = 600
# Bolt checks each token with auth.test once and caches the answer; bounded, since rotation makes a
# new token per workspace twice a day.
AUTHORIZE_CACHE_SIZE = 512
_OAUTH_VALUE_RE = re.compile(r"""(\b(?:code|state)\b['"]?\s*[:=]\s*\[?\s*['"]?)[^'"\s,\]\)]+""")


def build_installation_tokens(services: Services, api_client: WebClient) -> InstallationTokens:
    """The installation store, its encryption and token rotation, for the settings' OAuth app.

    Args:
        services: Settings (client id and secret, encryption keys) and the session factory, whose
            engine the stores use.
        api_client: A token-less client for `oauth.v2.access` (SLACK_API_URL).
    """
    settings = services.settings
    if not (settings.slack_client_id and settings.slack_client_secret):
        raise ValueError("OAuth installs need SLACK_CLIENT_ID and SLACK_CLIENT_SECRET")
    cipher = TokenCipher(settings.token_encryption_keys) if settings.token_encryption_keys else None
    store = LiaisonInstallationStore(settings.slack_client_id, engine_of(services), cipher=cipher)
    return InstallationTokens(
        store,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        api_client=api_client,
    )


def engine_of(services: Services) -> Engine:
    """The engine behind the services' session factory (the stores run Core statements on it)."""
    bind = services.session_factory.kw.get("bind")
    if not isinstance(bind, Engine):
        raise ValueError("the session factory is not bound to an engine")
    return bind


class _BoundedCache(OrderedDict[str, AuthorizeResult]):
    """A dict that forgets its oldest entries beyond `size` (Bolt's authorize cache grows forever)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def __setitem__(self, key: str, value: AuthorizeResult) -> None:
        super().__setitem__(key, value)
        while len(self) > self.size:
            self.popitem(last=False)


class LiaisonAuthorize(InstallationStoreAuthorize):
    """Bolt's installation-store authorization, rotating tokens through `InstallationTokens`.

    Bolt's own rotation refreshes and saves without a lock, so two instances could each spend the same
    refresh token (Slack accepts it once) and one would store a dead token.

    Args:
        tokens: Finds and rotates tokens.
        logger: Bolt's logger.
    """

    def __init__(self, tokens: InstallationTokens, *, logger: logging.Logger) -> None:
        super().__init__(
            logger=logger,
            installation_store=tokens.store,
            client_id=tokens.client_id,
            client_secret=tokens.client_secret,
            token_rotation_expiration_minutes=tokens.minutes_before_expiry,
            # The auth.test answer per token is cached (a request otherwise waits for one before its
            # ack); an uninstalled team's token is never looked up, so it is never served from here.
            cache_enabled=True,
        )
        self.tokens = tokens
        self.authorize_result_cache = _BoundedCache(AUTHORIZE_CACHE_SIZE)

    def _rotate_and_save_tokens_if_necessary(self, installation: Installation | None) -> Installation | None:
        if installation is None or (
            installation.bot_refresh_token is None and installation.user_refresh_token is None
        ):
            return None
        return self.tokens.refreshed(installation)


class LiaisonOAuthFlow(OAuthFlow):
    """Bolt's OAuth flow, recording the team's workspace before its installation is stored.

    Args:
        settings: Bolt's OAuth settings.
        services: For the workspace row (sessions, settings, clock).
        client: Where `oauth.v2.access` and `auth.test` go (SLACK_API_URL).
        logger: Bolt's logger.
    """

    def __init__(
        self, *, settings: OAuthSettings, services: Services, client: WebClient, logger: logging.Logger
    ) -> None:
        super().__init__(client=client, logger=logger, settings=settings)
        self.services = services

    def store_installation(self, request: BoltRequest, installation: Installation) -> None:
        """Create (or keep) the workspace, then store the installation; BoltError if either fails."""
        try:
            self._record_workspace(installation)
            self.settings.installation_store.save(installation)
        except SQLAlchemyError as error:
            # BoltError makes Bolt answer with its failure page ("storage_error") instead of a 500.
            logger.error("could not store the installation of team %s: %s", installation.team_id, error)
            raise BoltError("the installation could not be stored") from error

    def _record_workspace(self, installation: Installation) -> None:
        services = self.services
        settings = services.settings
        for attempt in (1, 2):
            try:
                with services.session_factory.begin() as session:
                    record_installed_workspace(
                        session,
                        installation,
                        timezone=settings.default_timezone,
                        now=services.clock.now(),
                        defaults=settings.reminder_policy,
                    )
                return
            except IntegrityError:
                # Another instance created the team's workspace at the same moment: use that one.
                if attempt == 2:
                    raise


def build_oauth_flow(services: Services, tokens: InstallationTokens, client: WebClient) -> LiaisonOAuthFlow:
    """Bolt's OAuth flow for the settings' app, with Liaison's stores and callbacks.

    Args:
        services: Settings, sessions, clock.
        tokens: Owns the installation store.
        client: Bolt's token-less client (SLACK_API_URL).
    """
    settings = services.settings
    assert settings.slack_client_id and settings.slack_client_secret
    engine = tokens.store.engine
    redirect_uri = f"{settings.public_url}{REDIRECT_PATH}" if settings.public_url else None
    oauth_settings = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        # Without LIAISON_PUBLIC_URL, Slack uses the one redirect URL configured for the app.
        redirect_uri=redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        # The install link goes straight to Slack's consent page (no intermediate page of ours).
        install_page_rendering_enabled=False,
        callback_options=CallbackOptions(success=_installed, failure=_install_failed),
        installation_store=tokens.store,
        token_rotation_expiration_minutes=tokens.minutes_before_expiry,
        state_store=LiaisonOAuthStateStore(engine, expiration_seconds=STATE_EXPIRATION_SECONDS),
        state_expiration_seconds=STATE_EXPIRATION_SECONDS,
        logger=logger,
    )
    return LiaisonOAuthFlow(settings=oauth_settings, services=services, client=client, logger=logger)


def _installed(args: SuccessArgs) -> BoltResponse:
    installation = args.installation
    logger.info(
        "Liaison installed into %s %s (enterprise %s) by %s",
        "org" if installation.is_enterprise_install else "team",
        installation.team_id or installation.enterprise_id,
        installation.enterprise_id,
        installation.user_id,
    )
    response: BoltResponse = args.default.success(args)
    return response


def _install_failed(args: FailureArgs) -> BoltResponse:
    # The reason is Bolt's short code (invalid_state, invalid_browser, access_denied, …), never a secret.
    logger.warning("an installation failed: %s", args.reason)
    response: BoltResponse = args.default.failure(args)
    return response


def install_oauth_log_filter() -> None:
    """Mask OAuth codes and states in the log lines of Bolt's flow and slack_sdk's request logging.

    Logger filters see only records made on their own logger, so each one that prints a redirect's
    query (Bolt's OAuth flow, ours), a state row (the state store's DEBUG) or a request's form
    (`oauth.v2.access`, slack_sdk's DEBUG) gets one.
    """
    for name in ("liaison.bolt", __name__, "bot.slack.installations", "slack_sdk.web.base_client"):
        target = logging.getLogger(name)
        if not any(isinstance(f, OAuthValueFilter) for f in target.filters):
            target.addFilter(OAuthValueFilter())


class OAuthValueFilter(logging.Filter):
    """Masks OAuth codes and states in Bolt's log lines (its debug lines print the redirect's query).

    A code is single-use and short-lived, but until it is used it is worth a token.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the message in place; never drops a record."""
        message = record.getMessage()
        masked = _OAUTH_VALUE_RE.sub(r"\1***", message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
