"""Multi-workspace (OAuth) test support: settings, the app with its stored tokens, a served instance.

An `OAuthWorld` is one Liaison process in OAuth mode against the fake Slack API: the Bolt app (with its
OAuth flow and per-team authorization), the notifier the jobs use, and the `InstallationTokens` both
share. `Instance` serves a world over real HTTP on 127.0.0.1 (the WSGI app of `bot.serving.web`), and
`Instance.install` walks an installer's browser through /slack/install and /slack/oauth_redirect.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy.orm import Session, sessionmaker

from bot.app import create_app
from bot.cli.console.fake_slack_http import FAKE_POLL_INTERVAL
from bot.cli.console.payloads import SignedBody, SlackPayloads
from bot.clock import Clock
from bot.services import Services
from bot.serving.http_server import GracefulWSGIServer, make_http_server
from bot.serving.metrics import Metrics
from bot.serving.web import build_wsgi_app
from bot.serving.wsgi import ListenerExecutor
from bot.settings import Settings
from bot.slack.client import build_web_client
from bot.slack.installations import InstallationTokens
from bot.slack.notifier import build_notifier
from bot.slack.oauth import build_installation_tokens
from tests.conftest import SIGNING_SECRET
from tests.fakes.slack_api import FakeSlackApi

CLIENT_ID = "1234567890.9876543210"
CLIENT_SECRET = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
TEAM_A = "T0ALPHA"
TEAM_B = "T0BRAVO"
STATE_COOKIE = "slack-app-oauth-state"


def oauth_settings(slack_api: FakeSlackApi, *, database_url: str = "sqlite://", **extra: str) -> Settings:
    """Settings of a multi-workspace Liaison against the fake Slack API (no SLACK_BOT_TOKEN)."""
    return Settings.from_env(
        {
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack_api.url,
            "DATABASE_URL": database_url,
            "LIAISON_TIMEZONE": "Europe/Amsterdam",
            "LIAISON_ADMINS": "U0ADMIN",
            **extra,
        }
    )


@dataclass
class OAuthWorld:
    """One Liaison process in OAuth mode."""

    settings: Settings
    services: Services
    tokens: InstallationTokens
    app: App
    slack_api: FakeSlackApi

    def payloads(self, team_id: str) -> SlackPayloads:
        """Signed Slack requests as one team sends them."""
        return SlackPayloads(
            SIGNING_SECRET,
            team_id=team_id,
            response_url_base=f"http://127.0.0.1:{self.slack_api.port}/response",
        )

    def install_directly(self, team_id: str | None, **grant: Any) -> Installation:
        """Install without a browser: Slack's code exchanged and stored as the redirect would."""
        flow = self.app.oauth_flow
        assert flow is not None
        installation = flow.run_installation(self.slack_api.installs.grant_install(team_id, **grant))
        assert installation is not None
        flow.store_installation(BoltRequest(body=""), installation)
        return installation


def build_world(
    settings: Settings,
    session_factory: sessionmaker[Session],
    slack_api: FakeSlackApi,
    clock: Clock,
    *,
    process_before_response: bool | None = None,
    listener_executor: ListenerExecutor | None = None,
    token_expires_in: int | None = None,
) -> OAuthWorld:
    """The app, notifier and stored tokens of one process, sharing one `InstallationTokens`.

    `token_expires_in` turns token rotation on in the fake (tokens it issues then expire).
    """
    slack_api.installs.register_app(CLIENT_ID, CLIENT_SECRET, token_expires_in=token_expires_in)
    services = Services(settings=settings, session_factory=session_factory, clock=clock)
    client = build_web_client(settings, timeout=5)
    tokens = build_installation_tokens(services, client)
    services.notifier = build_notifier(settings, timeout=5, installations=tokens)
    app = create_app(
        settings,
        services,
        client=client,
        process_before_response=listener_executor is None
        if process_before_response is None
        else process_before_response,
        verify_signatures=listener_executor is None,
        listener_executor=listener_executor,
        installations=tokens,
    )
    return OAuthWorld(settings, services, tokens, app, slack_api)


@dataclass(frozen=True)
class Answer:
    """An HTTP answer (redirects are not followed)."""

    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


@dataclass
class Instance:
    """A world served over HTTP on 127.0.0.1, as gunicorn or `liaison serve` would serve it."""

    world: OAuthWorld
    server: GracefulWSGIServer
    thread: threading.Thread
    listeners: ListenerExecutor
    cookies: dict[str, str] = field(default_factory=dict)

    @property
    def port(self) -> int:
        """Where it listens."""
        return int(self.server.server_port)

    def get(self, path: str, *, cookie: str | None = None) -> Answer:
        """GET `path` (with a Cookie header when given)."""
        return self.request("GET", path, headers={"Cookie": cookie} if cookie else {})

    def post(self, signed: SignedBody) -> Answer:
        """POST a signed Slack request to /slack/events and wait for the listener work it started."""
        answer = self.request(
            "POST", "/slack/events", body=signed.body.encode("utf-8"), headers=signed.headers
        )
        assert self.listeners.drain(15), "listener work did not finish"
        return answer

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Answer:
        """One HTTP request over a fresh connection."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Answer(response.status, response.read(), {k.lower(): v for k, v in response.getheaders()})
        finally:
            connection.close()

    def start_install(self) -> tuple[str, str]:
        """GET /slack/install as a browser: returns (the state in Slack's URL, the cookie set)."""
        answer = self.get("/slack/install")
        assert answer.status == 302, answer
        location = urlsplit(answer.headers["location"])
        state = parse_qs(location.query)["state"][0]
        cookie = answer.headers["set-cookie"].split(";")[0]
        return state, cookie

    def finish_install(self, code: str, state: str, cookie: str | None) -> Answer:
        """Slack's redirect back with the code, as the installer's browser follows it."""
        return self.get(f"/slack/oauth_redirect?{urlencode({'code': code, 'state': state})}", cookie=cookie)

    def install(self, team_id: str | None, **grant: Any) -> Answer:
        """The whole browser flow: install link, consent (the fake grants a code), redirect back."""
        state, cookie = self.start_install()
        return self.finish_install(
            self.world.slack_api.installs.grant_install(team_id, **grant), state, cookie
        )


def serve(
    settings: Settings,
    session_factory: sessionmaker[Session],
    slack_api: FakeSlackApi,
    clock: Clock,
    *,
    token_expires_in: int | None = None,
) -> Instance:
    """Serve a new world over HTTP (stop it with `stop`)."""
    listeners = ListenerExecutor(4)
    world = build_world(
        settings,
        session_factory,
        slack_api,
        clock,
        listener_executor=listeners,
        token_expires_in=token_expires_in,
    )
    web = build_wsgi_app(world.app, world.services, metrics=Metrics(), clock=time.time)
    server = make_http_server(web, "127.0.0.1", 0)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": FAKE_POLL_INTERVAL}, daemon=True
    )
    thread.start()
    return Instance(world, server, thread, listeners)


def stop(instance: Instance) -> None:
    """Stop serving."""
    instance.server.shutdown()
    instance.server.server_close()
    instance.thread.join(timeout=5)
    instance.listeners.drain(5)
    instance.listeners.shutdown(wait=False)
