"""A local fake of the Slack Web API over real HTTP, for the demo console and the tests.

It listens on 127.0.0.1 with a random port, records every call (method, arguments, Authorization
header), answers like Slack does for the methods Liaison uses, and injects faults on demand: Slack
errors, 429 with `Retry-After`, 5xx, delays and dropped connections. `response_url` posts land here too
(`/response/<token>`), recorded under the method name `response_url`.

Posted messages are kept per conversation (a user id means the app's DM, `D…`), so
`conversations.history` can find them again; `chat.update` edits them. For load tests it can enforce
Slack's pace of about one post per second per channel (`limit_channel_rate`) and fail a share of calls
at random (`chaos`).

For installs into several workspaces it plays Slack's OAuth side too (`register_oauth_app`): it grants
install codes (`grant_install`, what Slack's consent page would redirect with), exchanges them and
refresh tokens in `oauth.v2.access` (bot tokens that expire when rotation is on), answers `auth.test`
with each issued token's own team, and refuses tokens that were revoked (`revoke`, `token_revoked`),
rotated away (`invalid_auth`) or expired (`token_expired`) on every method. Tokens it did not issue are
answered as before, for the default team.
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

RESPONSE_URL_METHOD = "response_url"


@dataclass(frozen=True)
class RecordedCall:
    """One request the fake received."""

    method: str
    params: dict[str, Any]
    authorization: str | None
    at: float


@dataclass
class _Fault:
    kind: str  # "error" | "status" | "rate_limit" | "delay" | "drop"
    times: int
    error: str = ""
    status: int = 500
    retry_after: int = 1
    seconds: float = 0.0


@dataclass
class IssuedToken:
    """A bot token the fake issued in `oauth.v2.access`, and what became of it."""

    token: str
    team_id: str | None
    team_name: str | None
    enterprise_id: str | None
    enterprise_name: str | None
    is_enterprise_install: bool
    installer: str
    bot_user_id: str
    refresh_token: str | None = None
    expires_at: float | None = None
    # "active", "revoked" (token_revoked), "rotated" (refreshed away: invalid_auth) or "expired".
    state: str = "active"

    @property
    def error(self) -> str | None:
        """What Slack answers to a call made with this token, None while it is usable."""
        if self.state == "revoked":
            return "token_revoked"
        if self.state == "rotated":
            return "invalid_auth"
        if self.state == "expired" or (self.expires_at is not None and self.expires_at <= time.time()):
            return "token_expired"
        return None


@dataclass
class _OAuthApp:
    client_id: str
    client_secret: str
    app_id: str
    token_expires_in: int | None
    invalidate_on_refresh: bool


@dataclass
class _Directory:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class _Chaos:
    server_error: float
    drop: float
    rng: random.Random


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 resets connections when many clients post at once (the
    # reminder load tests); Slack itself does not.
    request_queue_size = 256

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a `delay` longer than its timeout) leaves a broken pipe behind: that
        # is the fault working, not a crash worth a traceback on stderr.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class FakeSlackApi:
    """A thread-safe fake Slack Web API server. Use as a context manager or call `start`/`stop`."""

    team_id = "T0LIAISON"
    bot_user_id = "U0LIAISONBOT"
    bot_id = "B0LIAISONBOT"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[RecordedCall] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._replies: dict[str, dict[str, Any]] = {}
        self._directory = _Directory()
        self._ts = itertools.count(1)
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._chaos: dict[str, _Chaos] = {}
        self._channel_interval: float | None = None
        self._channel_last_post: dict[str, float] = {}
        self._listeners: list[Callable[[RecordedCall], None]] = []
        self._condition = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._oauth_app: _OAuthApp | None = None
        self._grants: dict[str, IssuedToken] = {}
        self._tokens: dict[str, IssuedToken] = {}
        self._refresh_tokens: dict[str, IssuedToken] = {}

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeSlackApi:
        """Start serving on 127.0.0.1 with a port the OS picks."""
        handler = _make_handler(self)
        self._server = _Server(("127.0.0.1", 0), handler)
        # A short poll interval keeps `stop()` (and so every test using the fake) fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the server and close its socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlackApi:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        assert self._server is not None, "FakeSlackApi is not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL for `WebClient(base_url=...)`, ending in a slash."""
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, token: str = "r1") -> str:
        """A `response_url` that posts back to this fake."""
        return f"http://127.0.0.1:{self.port}/response/{token}"

    # -- configuration ---------------------------------------------------------------------------
    def add_user(self, user_id: str, *, name: str, tz: str | None = None, is_bot: bool = False) -> None:
        """Make `users.info` know a user (name and time zone as Slack reports them)."""
        with self._lock:
            self._directory.users[user_id] = {
                "id": user_id,
                "name": name,
                "real_name": name,
                "tz": tz,
                "is_bot": is_bot,
                "team_id": self.team_id,
            }

    def respond(self, method: str, body: dict[str, Any]) -> None:
        """Always answer `method` with `body` (merged over `{"ok": true}`)."""
        with self._lock:
            self._replies[method] = body

    def fail(self, method: str, error: str, *, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with `{"ok": false, "error": error}`."""
        self._add_fault(method, _Fault("error", times, error=error))

    def server_error(self, method: str, *, status: int = 503, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with an HTTP 5xx."""
        self._add_fault(method, _Fault("status", times, status=status))

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next `times` calls of `method` with 429 and `Retry-After`."""
        self._add_fault(method, _Fault("rate_limit", times, retry_after=retry_after))

    def delay(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Sleep `seconds` before answering the next `times` calls (to provoke client timeouts)."""
        self._add_fault(method, _Fault("delay", times, seconds=seconds))

    def drop(self, method: str, *, times: int = 1) -> None:
        """Close the connection without an answer for the next `times` calls."""
        self._add_fault(method, _Fault("drop", times))

    def chaos(self, method: str, *, server_error: float = 0.0, drop: float = 0.0, seed: int = 0) -> None:
        """Fail a share of `method` calls at random: HTTP 503, or a connection closed unanswered.

        Queued faults (`fail`, `rate_limit`, …) still come first.
        """
        with self._lock:
            self._chaos[method] = _Chaos(server_error, drop, random.Random(seed))

    def limit_channel_rate(self, per_second: float | None = 1.0) -> None:
        """Answer 429 (`Retry-After: 1`) to a `chat.postMessage` that comes sooner than 1/`per_second`
        seconds after the last accepted post to the same channel, as Slack does; None turns it off."""
        with self._lock:
            self._channel_interval = None if per_second is None else 1.0 / per_second
            self._channel_last_post.clear()

    def subscribe(self, listener: Callable[[RecordedCall], None]) -> None:
        """Call `listener` for every successfully answered call (the console prints them)."""
        with self._lock:
            self._listeners.append(listener)

    # -- OAuth (installs into several workspaces) -------------------------------------------------
    def register_oauth_app(
        self,
        client_id: str,
        client_secret: str,
        *,
        token_expires_in: int | None = None,
        app_id: str = "A0LIAISON",
        invalidate_on_refresh: bool = True,
    ) -> None:
        """Accept `oauth.v2.access` for this app.

        Args:
            client_id: The app's client id.
            client_secret: Its secret (checked like Slack does, from HTTP Basic auth or the form).
            token_expires_in: Seconds a bot token lives (token rotation on: refresh tokens are issued);
                None issues tokens that never expire.
            app_id: Reported in the exchange.
            invalidate_on_refresh: Refuse a token once it was refreshed away (stricter than Slack, which
                lets it live until it expires; it makes a test see which token a caller used).
        """
        with self._lock:
            self._oauth_app = _OAuthApp(
                client_id, client_secret, app_id, token_expires_in, invalidate_on_refresh
            )

    def grant_install(
        self,
        team_id: str | None,
        *,
        team_name: str = "",
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
        org_wide: bool = False,
        installer: str = "U0INSTALLER",
    ) -> str:
        """What Slack's consent page does when an admin approves: a one-time code for `oauth.v2.access`.

        Args:
            team_id: The installing workspace (None for an org-wide install).
            team_name: Its name.
            enterprise_id: Its Enterprise Grid org, if any.
            enterprise_name: The org's name.
            org_wide: An org-wide install (`is_enterprise_install`).
            installer: Who approved.

        Returns:
            The code the browser brings to the redirect URL.
        """
        code = f"{int(time.time())}.{secrets.token_hex(8)}"
        grant = IssuedToken(
            token="",
            team_id=None if org_wide else team_id,
            team_name=None if org_wide else (team_name or team_id),
            enterprise_id=enterprise_id,
            enterprise_name=enterprise_name,
            is_enterprise_install=org_wide,
            installer=installer,
            bot_user_id=f"U0BOT{(team_id or enterprise_id or 'X')[-6:]}",
        )
        with self._lock:
            self._grants[code] = grant
        return code

    def issued_tokens(self, team_id: str | None = None) -> list[IssuedToken]:
        """Tokens issued so far (oldest first), optionally of one team or org."""
        with self._lock:
            return [
                t
                for t in self._tokens.values()
                if team_id is None
                or team_id in (t.team_id, t.enterprise_id if t.is_enterprise_install else None)
            ]

    def revoke(self, token: str) -> None:
        """Revoke a token (and its refresh token): Slack answers `token_revoked` from now on."""
        with self._lock:
            issued = self._tokens[token]
            issued.state = "revoked"
            if issued.refresh_token:
                self._refresh_tokens.pop(issued.refresh_token, None)

    def revoke_team(self, team_id: str) -> None:
        """Revoke every token issued to a team (or org): what uninstalling does on Slack's side."""
        for issued in self.issued_tokens(team_id):
            self.revoke(issued.token)

    def expire(self, token: str) -> None:
        """Make a token expire now (`token_expired`)."""
        with self._lock:
            self._tokens[token].state = "expired"

    def _token_error(self, authorization: str | None) -> str | None:
        if not authorization or not authorization.startswith("Bearer "):
            return None
        with self._lock:
            issued = self._tokens.get(authorization.removeprefix("Bearer ").strip())
        return None if issued is None else issued.error

    def _oauth_access(self, params: dict[str, Any], authorization: str | None) -> dict[str, Any]:
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization.removeprefix("Basic ")).decode("utf-8")
            client_id, _, client_secret = decoded.partition(":")
        with self._lock:
            app = self._oauth_app
            if app is None or client_id != app.client_id:
                return {"ok": False, "error": "invalid_client_id"}
            if client_secret != app.client_secret:
                return {"ok": False, "error": "bad_client_secret"}
            if params.get("grant_type") == "refresh_token":
                previous = self._refresh_tokens.pop(str(params.get("refresh_token")), None)
                if previous is None:
                    return {"ok": False, "error": "invalid_refresh_token"}
                if app.invalidate_on_refresh and previous.state == "active":
                    previous.state = "rotated"
                issued = self._issue(app, previous)
                return {**self._exchange_answer(app, issued), "authed_user": None}
            grant = self._grants.pop(str(params.get("code")), None)
            if grant is None:
                return {"ok": False, "error": "invalid_code"}
            issued = self._issue(app, grant)
            return {**self._exchange_answer(app, issued), "authed_user": {"id": grant.installer}}

    def _issue(self, app: _OAuthApp, like: IssuedToken) -> IssuedToken:
        # Called with the lock held. Token shapes as Slack's (rotating tokens start with xoxe.).
        serial = len(self._tokens) + 1
        rotating = app.token_expires_in is not None
        token = f"{'xoxe.' if rotating else ''}xoxb-{serial}-{secrets.token_hex(12)}"
        issued = IssuedToken(
            token=token,
            team_id=like.team_id,
            team_name=like.team_name,
            enterprise_id=like.enterprise_id,
            enterprise_name=like.enterprise_name,
            is_enterprise_install=like.is_enterprise_install,
            installer=like.installer,
            bot_user_id=like.bot_user_id,
            refresh_token=f"xoxe-1-{secrets.token_hex(16)}" if rotating else None,
            expires_at=time.time() + app.token_expires_in if app.token_expires_in is not None else None,
        )
        self._tokens[token] = issued
        if issued.refresh_token:
            self._refresh_tokens[issued.refresh_token] = issued
        return issued

    @staticmethod
    def _exchange_answer(app: _OAuthApp, issued: IssuedToken) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "ok": True,
            "app_id": app.app_id,
            "access_token": issued.token,
            "token_type": "bot",
            "scope": "chat:write,commands,users:read",
            "bot_user_id": issued.bot_user_id,
            "team": {"id": issued.team_id, "name": issued.team_name} if issued.team_id else None,
            "enterprise": (
                {"id": issued.enterprise_id, "name": issued.enterprise_name} if issued.enterprise_id else None
            ),
            "is_enterprise_install": issued.is_enterprise_install,
        }
        if issued.refresh_token and issued.expires_at is not None:
            answer["refresh_token"] = issued.refresh_token
            answer["expires_in"] = int(round(issued.expires_at - time.time()))
        return answer

    def _auth_test(self, authorization: str | None) -> dict[str, Any] | None:
        if not authorization or not authorization.startswith("Bearer "):
            return None
        with self._lock:
            issued = self._tokens.get(authorization.removeprefix("Bearer ").strip())
        if issued is None:
            return None
        return {
            "ok": True,
            "url": f"https://{(issued.team_id or issued.enterprise_id or 'x').lower()}.slack.com/",
            "team": issued.team_name or issued.enterprise_name,
            "user": "liaison",
            "team_id": issued.team_id,
            "enterprise_id": issued.enterprise_id,
            "user_id": issued.bot_user_id,
            "bot_id": "B" + issued.bot_user_id[1:],
            "is_enterprise_install": issued.is_enterprise_install,
        }

    def _add_fault(self, method: str, fault: _Fault) -> None:
        with self._lock:
            self._faults.setdefault(method, []).append(fault)

    # -- inspection ------------------------------------------------------------------------------
    def calls(self, method: str | None = None) -> list[RecordedCall]:
        """Calls received so far (answered or not), optionally only those of `method`."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages posted (and accepted) so far, oldest first; with `channel`, only those there.

        Each has `channel`, `ts`, `text`, `blocks` and `metadata` (as posted, or as last updated), and
        `at`, when the post was accepted (seconds since the epoch).
        """
        with self._lock:
            if channel is not None:
                return [dict(m) for m in self._messages.get(_conversation(channel), [])]
            found = [dict(m) for items in self._messages.values() for m in items]
        return sorted(found, key=lambda m: _ts_key(m["ts"]))

    def reset(self) -> None:
        """Forget recorded calls, posted messages and pending faults."""
        with self._lock:
            self._calls.clear()
            self._faults.clear()
            self._messages.clear()
            self._chaos.clear()
            self._channel_last_post.clear()

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[RecordedCall]:
        """Block until at least `count` calls of `method` arrived, then return them."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                found = [c for c in self._calls if c.method == method]
                remaining = deadline - time.monotonic()
                if len(found) >= count or remaining <= 0:
                    return found
                self._condition.wait(remaining)

    # -- request handling ------------------------------------------------------------------------
    def _record(self, method: str, params: dict[str, Any], authorization: str | None) -> RecordedCall:
        call = RecordedCall(method, params, authorization, time.time())
        with self._condition:
            self._calls.append(call)
            self._condition.notify_all()
        return call

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(method)
            if not queue:
                return self._random_fault(method)
            fault = queue[0]
            fault.times -= 1
            if fault.times <= 0:
                queue.pop(0)
            return fault

    def _random_fault(self, method: str) -> _Fault | None:
        chaos = self._chaos.get(method)
        if chaos is None:
            return None
        draw = chaos.rng.random()
        if draw < chaos.server_error:
            return _Fault("status", 1, status=503)
        if draw < chaos.server_error + chaos.drop:
            return _Fault("drop", 1)
        return None

    def _channel_rate_limited(self, method: str, params: dict[str, Any]) -> bool:
        """Whether a post comes too soon after the channel's last accepted one (and if not, count it)."""
        if method != "chat.postMessage":
            return False
        channel = _conversation(str(params.get("channel", "")))
        now = time.monotonic()
        with self._lock:
            if self._channel_interval is None:
                return False
            last = self._channel_last_post.get(channel)
            if last is not None and now - last < self._channel_interval:
                return True
            self._channel_last_post[channel] = now
            return False

    def _store(self, channel: str, ts: str, params: dict[str, Any]) -> None:
        with self._lock:
            self._messages.setdefault(channel, []).append(
                {
                    "channel": channel,
                    "ts": ts,
                    "text": params.get("text"),
                    "blocks": params.get("blocks"),
                    "metadata": params.get("metadata"),
                    "at": time.time(),
                }
            )

    def _edit(self, channel: str, ts: str, params: dict[str, Any]) -> bool:
        with self._lock:
            for message in self._messages.get(channel, []):
                if message["ts"] == ts:
                    message.update(text=params.get("text"), blocks=params.get("blocks"))
                    return True
        return False

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = _conversation(str(params.get("channel", "")))
        oldest = _ts_key(str(params.get("oldest") or "0"))
        limit = int(params.get("limit") or 100)
        start = int(params.get("cursor") or 0)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        with self._lock:
            found = [dict(m) for m in self._messages.get(channel, []) if _ts_key(m["ts"]) >= oldest]
        found.sort(key=lambda m: _ts_key(m["ts"]), reverse=True)
        page = found[start : start + limit]
        for message in page:
            message["type"] = "message"
            message.pop("at", None)
            if not with_metadata or not message.get("metadata"):
                message.pop("metadata", None)
        more = start + limit < len(found)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _notify(self, call: RecordedCall) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(call)

    def _answer(
        self, method: str, params: dict[str, Any], authorization: str | None = None
    ) -> dict[str, Any]:
        if method == "oauth.v2.access":
            return self._oauth_access(params, authorization)
        refused = self._token_error(authorization)
        if refused is not None:
            return {"ok": False, "error": refused}
        with self._lock:
            override = self._replies.get(method)
            users = dict(self._directory.users)
        if override is not None:
            return {"ok": True, **override}
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        if method == "auth.test":
            issued = self._auth_test(authorization)
            if issued is not None:
                return issued
            return {
                "ok": True,
                "url": "https://liaison-demo.slack.com/",
                "team": "Liaison demo",
                "user": "liaison",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": self.bot_id,
                "is_enterprise_install": False,
            }
        if method == "chat.postMessage":
            # Like Slack, a post to a user id lands in (and is reported as) the app's DM with them.
            channel = _conversation(str(params.get("channel", "")))
            self._store(channel, ts, params)
            return {
                "ok": True,
                "channel": channel,
                "ts": ts,
                "message": {"text": params.get("text"), "ts": ts, "bot_id": self.bot_id},
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "chat.update":
            self._edit(_conversation(str(params.get("channel", ""))), str(params.get("ts")), params)
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method == "conversations.history":
            return self._history(params)
        if method == "conversations.open":
            user = str(params.get("users", "")).split(",")[0]
            return {"ok": True, "channel": {"id": "D" + user.removeprefix("U")}}
        if method in ("views.open", "views.publish", "views.update", "views.push"):
            return {"ok": True, "view": {"id": f"V{next(self._ts):08d}", "hash": ts}}
        if method == "users.info":
            user_id = str(params.get("user"))
            if user_id not in users:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": users[user_id]}
        return {"ok": True}


def _conversation(channel: str) -> str:
    """The conversation a `channel` argument names: a user id means the app's DM with them."""
    return "D" + channel[1:] if channel.startswith(("U", "W")) else channel


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, fraction = ts.partition(".")
    return int(seconds or 0), int((fraction or "0").ljust(6, "0")[:6])


def _parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "application/json" in content_type:
        parsed = json.loads(raw.decode("utf-8"))
        return parsed if isinstance(parsed, dict) else {"payload": parsed}
    params: dict[str, Any] = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    # slack_sdk form-encodes lists and dicts (blocks, attachments, view) as JSON strings.
    for key in ("blocks", "attachments", "view", "metadata"):
        value = params.get(key)
        if isinstance(value, str) and value[:1] in "[{":
            params[key] = json.loads(value)
    return params


def _make_handler(fake: FakeSlackApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return  # keep test and console output clean

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            params = _parse_body(raw, self.headers.get("Content-Type", ""))
            # GET-style query args (some clients send them on the URL).
            if "?" in self.path:
                path, query = self.path.split("?", 1)
                params = {**dict(parse_qsl(query)), **params}
            else:
                path = self.path
            if path.startswith("/response/"):
                method = RESPONSE_URL_METHOD
                params = {**params, "_response_token": path.removeprefix("/response/")}
            elif path.startswith("/api/"):
                method = path.removeprefix("/api/")
            else:
                self._send(404, {"ok": False, "error": "unknown_path"})
                return
            call = fake._record(method, params, self.headers.get("Authorization"))
            fault = fake._take_fault(method)
            if fault is not None:
                if fault.kind == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                if fault.kind == "delay":
                    time.sleep(fault.seconds)
                elif fault.kind == "rate_limit":
                    self._send(
                        429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(fault.retry_after)}
                    )
                    return
                elif fault.kind == "status":
                    self._send(fault.status, {"ok": False, "error": "internal_error"})
                    return
                elif fault.kind == "error":
                    self._send(200, {"ok": False, "error": fault.error})
                    return
            if fake._channel_rate_limited(method, params):
                self._send(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
                return
            authorization = self.headers.get("Authorization")
            answer = None if method == RESPONSE_URL_METHOD else fake._answer(method, params, authorization)
            # Listeners run before the reply is sent, so the console prints a post before the
            # caller (and thus the prompt) moves on.
            fake._notify(call)
            if answer is None:
                self._send_text(200, "ok")
            else:
                self._send(200, answer)

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _send_text(self, status: int, text: str) -> None:
            data = text.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
