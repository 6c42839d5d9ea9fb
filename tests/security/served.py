"""The real WSGI application (`bot.serving.web`) on a real socket on 127.0.0.1, for HTTP-level tests.

The Bolt app is built as `bot.serving.wsgi.build_runtime` builds it: Bolt's own signature check off (the WSGI
layer checks), listeners finished on a `ListenerExecutor` after the ack. `Served.settle()` waits for
that work, so a test can look at the fake Slack API afterwards without polling.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient

from bot.app import create_app
from bot.cli.console.fake_slack_http import FAKE_POLL_INTERVAL
from bot.cli.console.payloads import SignedBody
from bot.services import Services
from bot.serving.http_server import GracefulWSGIServer, make_http_server
from bot.serving.metrics import Metrics
from bot.serving.readiness import Readiness
from bot.serving.web import SLACK_EVENTS_PATH, LiaisonWsgiApp, build_wsgi_app
from bot.serving.wsgi import ListenerExecutor
from bot.slack.client import build_web_client


@dataclass(frozen=True)
class Reply:
    """An HTTP answer."""

    status: int
    body: bytes
    headers: dict[str, str]
    seconds: float

    @property
    def content_type(self) -> str | None:
        """The Content-Type header."""
        return self.headers.get("content-type")

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)


def http_request(
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
    timeout: float = 10,
) -> Reply:
    """One HTTP request; an error status is returned, not raised."""
    request = urllib.request.Request(
        url, data=data, headers=headers or {}, method=method or ("POST" if data is not None else "GET")
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            found = {k.lower(): v for k, v in response.headers.items()}
            return Reply(response.status, body, found, time.monotonic() - started)
    except urllib.error.HTTPError as error:
        body = error.read()
        found = {k.lower(): v for k, v in error.headers.items()}
        return Reply(error.code, body, found, time.monotonic() - started)


class ManualClock:
    """A clock for the signature check that stays where a test puts it."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Served:
    """A running server: its base URL, the WSGI app and the listener pool behind it."""

    url: str
    web: LiaisonWsgiApp
    listeners: ListenerExecutor
    server: GracefulWSGIServer
    thread: threading.Thread

    def post(
        self, signed: SignedBody, *, path: str = SLACK_EVENTS_PATH, settle: bool = True, **headers: str
    ) -> Reply:
        """POST a signed Slack request (extra headers may be added, e.g. retry headers).

        By default this also waits for the listener work the request started: the tests' in-memory
        SQLite database is one connection shared by all threads (StaticPool), which must not be used
        by a listener and the next request at once. `settle=False` returns right after the ack.
        """
        reply = http_request(
            f"{self.url}{path}", data=signed.body.encode("utf-8"), headers={**signed.headers, **headers}
        )
        if settle:
            self.settle()
        return reply

    def get(self, path: str, **headers: str) -> Reply:
        """GET a path."""
        return http_request(f"{self.url}{path}", headers=headers)

    def settle(self, timeout: float = 15) -> None:
        """Wait until Bolt has finished every listener it started after its acks."""
        assert self.listeners.drain(timeout), "listener work did not finish"


@dataclass
class ServerPool:
    """Starts servers for a test and stops them all afterwards."""

    running: list[Served] = field(default_factory=list)

    def start(
        self,
        services: Services,
        *,
        clock: Callable[[], float] = time.time,
        readiness: Readiness | None = None,
        client: WebClient | None = None,
        with_bolt: bool = True,
        poll_inbox: bool = False,
    ) -> Served:
        """Serve `services` (settings, database) on a free port.

        `poll_inbox` starts the inbox's poller, which takes requests this server did not run itself;
        off by default, because the tests' in-memory SQLite database is one connection that the
        poller would use while a listener does.
        """
        settings = services.settings
        listeners = ListenerExecutor(4)
        app = (
            create_app(
                settings,
                services,
                client=client or build_web_client(settings, timeout=5),
                verify_signatures=False,
                # As bot.serving.wsgi builds it for HTTP: bot.serving.web acks, then Bolt runs the
                # listener to its end.
                process_before_response=True,
                listener_executor=listeners,
            )
            if with_bolt
            else None
        )
        web = build_wsgi_app(
            app, services, readiness=readiness, metrics=Metrics(), clock=clock, background=listeners
        )
        if poll_inbox:
            web.start()
        server = make_http_server(web, "127.0.0.1", 0)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": FAKE_POLL_INTERVAL}, daemon=True
        )
        thread.start()
        served = Served(f"http://127.0.0.1:{server.server_port}", web, listeners, server, thread)
        self.running.append(served)
        return served

    def stop_all(self) -> None:
        """Stop every server and its listener pool."""
        for served in self.running:
            served.server.shutdown()
            served.server.server_close()
            served.thread.join(timeout=5)
            served.web.stop_taking_work()
            served.listeners.drain(5)
            served.listeners.shutdown(wait=False)
        self.running.clear()
