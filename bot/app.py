"""The Bolt app factory: the only place a Bolt `App` is built."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services import Services
from bot.settings import Settings
from bot.slack.client import build_web_client
from bot.slack.input_hygiene import RemoveControlCharacters
from bot.slack.installations import InstallationTokens
from bot.slack.replay import once_per_event
from bot.slack.response_url import PooledRespond, ResponseUrlPoster
from bot.slack.workspaces import OrgTeams
from handlers import register_all

logger = logging.getLogger(__name__)

RESPONSE_USER_AGENT = "Liaison Slack bot (response_url poster)"
APOLOGY = ":warning: Sorry, something went wrong on our side and nothing was changed. Please try again."


def create_app(
    settings: Settings,
    services: Services,
    *,
    client: WebClient | None = None,
    process_before_response: bool = False,
    token_verification_enabled: bool = True,
    verify_signatures: bool = True,
    listener_executor: Executor | None = None,
    installations: InstallationTokens | None = None,
) -> App:
    """Build the Bolt app with every listener registered.

    With `SLACK_CLIENT_ID` and `SLACK_CLIENT_SECRET` set (OAuth mode) the app serves every workspace
    that installed it: each request is authorized with its team's stored token, and the app has an
    OAuth flow (`app.oauth_flow`) that `bot.serving.web` serves at /slack/install and /slack/oauth_redirect.
    Otherwise it serves one workspace with `SLACK_BOT_TOKEN`, exactly as before.

    Args:
        settings: Validated settings.
        services: Shared dependencies; injected into listeners as the `services` argument.
        client: A ready WebClient (tests pass one pointed at the fake Slack API).
        process_before_response: Finish the listener before answering Slack; tests and the demo
            console use it so `dispatch` returns after all Slack calls were made. The ack itself is
            still the listener's first act.
        token_verification_enabled: Call `auth.test` at start-up to fail fast on a bad token.
        verify_signatures: Let Bolt check request signatures. `bot.serving.web` turns it off because it
            checks them itself, before its replay check and with an injectable clock (HTTP serving).
        listener_executor: Where Bolt finishes listeners after the ack; the runtime passes one that
            carries the request id into the listener and can be drained on shutdown (HTTP serving).
        installations: OAuth mode: the stored tokens, shared with the notifier (the runtime passes
            them); built from the services when not given.

    Returns:
        The configured `App`.
    """
    web_client = client or build_web_client(settings)
    socket_mode_only = bool(settings.slack_app_token) and not settings.slack_signing_secret
    bolt_logger = _bolt_logger(settings.log_level)
    oauth: dict[str, Any] = {}
    if settings.oauth_enabled:
        from bot.slack.oauth import (
            LiaisonAuthorize,
            build_installation_tokens,
            build_oauth_flow,
            install_oauth_log_filter,
        )

        install_oauth_log_filter()
        installations = installations or build_installation_tokens(services, web_client)
        oauth = {
            "oauth_flow": build_oauth_flow(services, installations, web_client),
            "authorize": LiaisonAuthorize(installations, logger=bolt_logger),
        }
    else:
        installations = None
    app = App(
        # Named, or Bolt names the app after its caller's file with `inspect.stack()`, which reads the
        # source of every frame on the stack: 30 ms and more per app, more than the rest of this function.
        name="liaison",
        client=web_client,
        logger=bolt_logger,
        signing_secret=settings.slack_signing_secret or None,
        # HTTP serving (issue 6): bot.serving.web verifies signatures before Bolt when
        # verify_signatures is off.
        request_verification_enabled=verify_signatures and not socket_mode_only,
        listener_executor=listener_executor,
        process_before_response=process_before_response,
        token_verification_enabled=token_verification_enabled,
        # Unhandled requests reach `handle_listener_error`, which answers 200: a 404 would make Slack
        # retry an event we deliberately ignore.
        raise_error_for_unhandled_request=True,
        **oauth,
    )
    # Global middlewares are `Middleware` subclasses, which Bolt calls as they are: a function
    # middleware costs a build of its keyword arguments on every request.
    app.use(RemoveControlCharacters())
    poster = ResponseUrlPoster(ssl=web_client.ssl, user_agent=RESPONSE_USER_AGENT)
    app.use(_InjectServices(services, installations, poster))
    app.use(once_per_event(services.session_factory, services.clock))
    if installations is not None:
        app.use(_RecordOrgTeams(OrgTeams(services.session_factory), services))
    register_all(app, settings)
    app.error(handle_listener_error)
    return app


class _EnvTokenWarningFilter(logging.Filter):
    """Drops Bolt's "`token` will be unused" warning.

    Bolt reads SLACK_BOT_TOKEN from the environment even when it is given a ready client, then warns
    that the token it found is ignored. Our client is built from the same settings, so the warning is
    noise on every start.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "will be unused" not in record.getMessage()


def _bolt_logger(level: str) -> logging.Logger:
    bolt_logger = logging.getLogger("liaison.bolt")
    # Bolt tests its logger's own `level` attribute, not the effective level, before building a debug
    # line for every middleware and listener it passes: a logger left at NOTSET builds ten per request.
    bolt_logger.setLevel(level)
    if not any(isinstance(f, _EnvTokenWarningFilter) for f in bolt_logger.filters):
        bolt_logger.addFilter(_EnvTokenWarningFilter())
    return bolt_logger


class _InjectServices(Middleware):
    def __init__(
        self, services: Services, installations: InstallationTokens | None, poster: ResponseUrlPoster
    ) -> None:
        self._services = services
        self._installations = installations
        self._poster = poster

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        # Bolt passes context keys to listeners as keyword arguments, so handlers declare `services`
        # (and `installations`: the stored tokens in OAuth mode, None with SLACK_BOT_TOKEN).
        context = req.context
        context["services"] = self._services
        context["installations"] = self._installations
        if context.response_url:
            # Answers go out over kept-alive connections instead of one new connection each.
            context["respond"] = PooledRespond(response_url=context.response_url, poster=self._poster)
        return next()


class _RecordOrgTeams(Middleware):
    def __init__(self, org_teams: OrgTeams, services: Services) -> None:
        self._org_teams = org_teams
        self._services = services

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        # An org-wide install serves every team of the org from one workspace; the handlers resolve
        # workspaces by team id, so the team is recorded before they run (once per team and process).
        context = req.context
        if context.is_enterprise_install and context.enterprise_id and context.team_id:
            self._org_teams.remember(context.enterprise_id, context.team_id, self._services.clock.now())
        return next()


def handle_listener_error(
    error: Exception, body: dict[str, Any], context: BoltContext
) -> BoltResponse | None:
    """Log an unexpected listener failure and tell the user, ephemerally, that nothing happened.

    Never raises: it runs when something already went wrong, on payloads that may be malformed (a
    `response_url` that is not a string makes the apology itself fail).
    """
    if isinstance(error, BoltUnhandledRequestError):
        return BoltResponse(status=200, body="")
    logger.exception("listener failed", exc_info=error)
    try:
        _apologise(body, context)
    except (SlackApiError, OSError):
        logger.warning("could not deliver the apology for a failed listener")
    except Exception:
        # Deliberately broad: an error handler that raises turns one failure into a 500 (and Slack's
        # retries); whatever kept the apology from being sent is logged instead.
        logger.warning("could not deliver the apology for a failed listener", exc_info=True)
    return None


def _apologise(body: dict[str, Any], context: BoltContext) -> None:
    response_url = body.get("response_url") if isinstance(body, dict) else None
    if context.respond is not None and isinstance(response_url, str) and response_url:
        context.respond(text=APOLOGY, response_type="ephemeral", replace_original=False)
    elif context.client is not None and context.channel_id and context.user_id:
        context.client.chat_postEphemeral(channel=context.channel_id, user=context.user_id, text=APOLOGY)
    elif context.client is not None and context.user_id:
        # Modal submissions have neither response_url nor channel: apologise in the app's DM.
        context.client.chat_postMessage(channel=context.user_id, text=APOLOGY)
