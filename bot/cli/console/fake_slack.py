"""A local fake of the Slack Web API over real HTTP, for the demo console and the tests.

It listens on 127.0.0.1 with a random port, records every call (method, arguments, Authorization
header), answers like Slack does for the methods Liaison uses, and injects faults on demand: Slack
errors, 429 with `Retry-After`, 5xx, delays and dropped connections. `response_url` posts land here too
(`/response/<token>`), recorded under the method name `response_url`. A `stall` plays slow Slack: the
call is carried out (a post lands in the conversation's history) only after the stall, whether or not
the caller is still waiting, or, with `lands=False`, never; faults may be aimed at one conversation.

Posted messages are kept per conversation (a user id means the app's DM, `D…`), so
`conversations.history` and `conversations.replies` can find them again; `chat.update` edits them.
The console adds what its user types too (`post_user_message`), so a thread reads as it would in
Slack. `conversations.open` with several users opens a group DM (`G…`; `group_members` names them).
Message timestamps are real time in microseconds, strictly increasing, so they are unique even across
processes (`liaison say` runs one per line). For load tests it can enforce
Slack's pace of about one post per second per channel (`limit_channel_rate`) and fail a share of calls
at random (`chaos`).

For installs into several workspaces it plays Slack's OAuth side too, through its `installs`
(`bot.cli.console.fake_slack_oauth`): after `installs.register_app` it grants install codes
(`installs.grant_install`, what Slack's consent page would redirect with), exchanges them and refresh
tokens in `oauth.v2.access` (bot tokens that expire when rotation is on), answers `auth.test` with each
issued token's own team, and refuses tokens that were revoked (`installs.revoke`, `token_revoked`),
rotated away (`invalid_auth`) or expired (`installs.expire`, `token_expired`) on every method. Tokens
it did not issue are answered as before, for the default team.

The HTTP plumbing (paths, body parsing, writing the answer) is `bot.cli.console.fake_slack_http`; this
module decides how each call is answered.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import ThreadingHTTPServer
from typing import Any

from bot.cli.console.fake_slack_http import RESPONSE_URL_METHOD, WebApiReply, start_web_api_server
from bot.cli.console.fake_slack_oauth import FakeSlackInstalls


@dataclass(frozen=True)
class RecordedCall:
    """One request the fake received."""

    method: str
    params: dict[str, Any]
    authorization: str | None
    at: float
    # The answer, once the call was answered as Slack would (a post's `ts` and `channel`).
    reply: dict[str, Any] | None = None


@dataclass
class _Fault:
    kind: str  # "error" | "status" | "rate_limit" | "delay" | "drop" | "stall"
    times: int
    error: str = ""
    status: int = 500
    retry_after: int = 1
    seconds: float = 0.0
    lands: bool = True
    # Only calls to this conversation (a user id means the app's DM with them); None: any call.
    conversation: str | None = None


@dataclass
class _Directory:
    users: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class _Chaos:
    server_error: float
    drop: float
    rng: random.Random


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
        self._last_ts_us = 0
        self._groups: dict[str, tuple[str, ...]] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._chaos: dict[str, _Chaos] = {}
        self._channel_interval: float | None = None
        self._channel_last_post: dict[str, float] = {}
        self._listeners: list[Callable[[RecordedCall], None]] = []
        self._condition = threading.Condition(self._lock)
        self._server: ThreadingHTTPServer | None = None
        # Slack's OAuth side: apps, install codes and the tokens issued (tests drive it directly).
        self.installs = FakeSlackInstalls()

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeSlackApi:
        """Start serving on 127.0.0.1 with a port the OS picks."""
        self._server = start_web_api_server(self)
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

    def stall(
        self, method: str, seconds: float, *, lands: bool = True, channel: str | None = None, times: int = 1
    ) -> None:
        """Hold the next `times` calls `seconds` before carrying them out, as an overloaded Slack does.

        A stalled post lands in the conversation's history only when the stall ends (its `ts` is then),
        even if the caller gave up waiting long before: a history lookup during the stall finds nothing.
        With `lands=False` the call is never carried out and the connection is closed unanswered after
        the stall. With `channel`, only calls for that conversation (a channel id, or a user id for the
        app's DM with them) are stalled; others pass.
        """
        conversation = None if channel is None else _conversation(channel)
        self._add_fault(
            method, _Fault("stall", times, seconds=seconds, lands=lands, conversation=conversation)
        )

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

    def _add_fault(self, method: str, fault: _Fault) -> None:
        with self._lock:
            self._faults.setdefault(method, []).append(fault)

    # -- inspection ------------------------------------------------------------------------------
    def calls(self, method: str | None = None) -> list[RecordedCall]:
        """Calls received so far (answered or not), optionally only those of `method`."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def calls_to(self, method: str, channel: str) -> list[RecordedCall]:
        """Calls of `method` received so far for one conversation (a user id means the app's DM)."""
        conversation = _conversation(channel)
        return [
            c for c in self.calls(method) if _conversation(str(c.params.get("channel", ""))) == conversation
        ]

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

    def group_members(self, channel: str) -> tuple[str, ...]:
        """The people of a group DM opened with `conversations.open` (empty for any other id)."""
        with self._lock:
            return self._groups.get(channel, ())

    def post_user_message(
        self,
        channel: str,
        user: str,
        text: str,
        *,
        thread_ts: str | None = None,
        subtype: str | None = None,
        ts: str | None = None,
    ) -> str:
        """Add a message a person posted (not a Web API call: Slack's own client sends it) and return its
        ts, so `conversations.replies` and `conversations.history` find it as Slack's would.

        Args:
            channel: The conversation (a user id means the app's DM with them).
            user: Who posted it.
            text: Its text.
            thread_ts: The thread it is a reply in.
            subtype: Slack's message subtype (`assistant_app_thread` for an assistant thread's root).
            ts: Its ts, for a message posted before this fake started (a thread `liaison say` continues).
        """
        ts = ts or self._next_ts()
        self._store(
            _conversation(channel), ts, {"text": text, "thread_ts": thread_ts}, user=user, subtype=subtype
        )
        return ts

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
    def handle_call(self, method: str, params: dict[str, Any], authorization: str | None) -> WebApiReply:
        """Record one call received over HTTP and answer it: with its queued fault, or as Slack would.

        Args:
            method: The Web API method (`RESPONSE_URL_METHOD` for a `response_url` post).
            params: Its arguments.
            authorization: The `Authorization` header.

        Returns:
            What the HTTP server sends back.
        """
        call = self._record(method, params, authorization)
        fault = self._take_fault(method, params)
        if fault is not None:
            if fault.kind == "drop":
                return WebApiReply(drop=True)
            if fault.kind in ("delay", "stall"):
                time.sleep(fault.seconds)
                if not fault.lands:
                    return WebApiReply(drop=True)
            elif fault.kind == "rate_limit":
                return WebApiReply(
                    429,
                    {"ok": False, "error": "ratelimited"},
                    headers={"Retry-After": str(fault.retry_after)},
                )
            elif fault.kind == "status":
                return WebApiReply(fault.status, {"ok": False, "error": "internal_error"})
            elif fault.kind == "error":
                return WebApiReply(200, {"ok": False, "error": fault.error})
        if self._channel_rate_limited(method, params):
            return WebApiReply(429, {"ok": False, "error": "ratelimited"}, headers={"Retry-After": "1"})
        answer = None if method == RESPONSE_URL_METHOD else self._answer(method, params, authorization)
        if answer is not None:
            call = self._answered(call, answer)
        # Listeners run before the reply is sent, so the console prints a post before the
        # caller (and thus the prompt) moves on.
        self._notify(call)
        return WebApiReply(text="ok") if answer is None else WebApiReply(body=answer)

    def _record(self, method: str, params: dict[str, Any], authorization: str | None) -> RecordedCall:
        call = RecordedCall(method, params, authorization, time.time())
        with self._condition:
            self._calls.append(call)
            self._condition.notify_all()
        return call

    def _answered(self, call: RecordedCall, answer: dict[str, Any]) -> RecordedCall:
        answered = replace(call, reply=answer)
        with self._lock:
            for index in range(len(self._calls) - 1, -1, -1):
                if self._calls[index] is call:
                    self._calls[index] = answered
                    break
        return answered

    def _take_fault(self, method: str, params: dict[str, Any]) -> _Fault | None:
        conversation = _conversation(str(params.get("channel", "")))
        with self._lock:
            queue = self._faults.get(method) or []
            index = next((i for i, f in enumerate(queue) if f.conversation in (None, conversation)), None)
            if index is None:
                return self._random_fault(method)
            fault = queue[index]
            fault.times -= 1
            if fault.times <= 0:
                del queue[index]
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

    def _next_ts(self) -> str:
        """A message ts: now, in microseconds, and later than every ts handed out before."""
        with self._lock:
            self._last_ts_us = max(int(time.time() * 1_000_000), self._last_ts_us + 1)
            micros = self._last_ts_us
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _store(
        self,
        channel: str,
        ts: str,
        params: dict[str, Any],
        *,
        user: str | None = None,
        subtype: str | None = None,
    ) -> None:
        message: dict[str, Any] = {
            "channel": channel,
            "ts": ts,
            "text": params.get("text"),
            "blocks": params.get("blocks"),
            "metadata": params.get("metadata"),
            "at": time.time(),
            # Like Slack: the bot's posts carry its user and bot ids; a person's only their user id.
            "user": user or self.bot_user_id,
        }
        if user is None:
            message["bot_id"] = self.bot_id
        if params.get("thread_ts"):
            message["thread_ts"] = str(params["thread_ts"])
        if subtype:
            message["subtype"] = subtype
        with self._lock:
            self._messages.setdefault(channel, []).append(message)

    def _edit(self, channel: str, ts: str, params: dict[str, Any]) -> bool:
        with self._lock:
            for message in self._messages.get(channel, []):
                if message["ts"] == ts:
                    message.update(text=params.get("text"), blocks=params.get("blocks"))
                    if params.get("metadata"):
                        message["metadata"] = params["metadata"]
                    return True
        return False

    def _thread_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        """A thread, oldest first: its parent, then the replies (`oldest` and `limit` as Slack reads them)."""
        channel = _conversation(str(params.get("channel", "")))
        parent = str(params.get("ts", ""))
        oldest = _ts_key(str(params.get("oldest") or "0"))
        limit = int(params.get("limit") or 1000)
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        with self._lock:
            stored = [dict(m) for m in self._messages.get(channel, [])]
        if not any(m["ts"] == parent for m in stored):
            return {"ok": False, "error": "thread_not_found"}
        thread = [
            m
            for m in stored
            if (m["ts"] == parent or m.get("thread_ts") == parent) and _ts_key(m["ts"]) >= oldest
        ]
        thread.sort(key=lambda m: _ts_key(m["ts"]))
        for message in thread:
            message["type"] = "message"
            message.pop("at", None)
            message.pop("channel", None)
            if not with_metadata or not message.get("metadata"):
                message.pop("metadata", None)
        return {"ok": True, "messages": thread[:limit], "has_more": len(thread) > limit}

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
            return self.installs.access(params, authorization)
        refused = self.installs.token_error(authorization)
        if refused is not None:
            return {"ok": False, "error": refused}
        with self._lock:
            override = self._replies.get(method)
            users = dict(self._directory.users)
        if override is not None:
            return {"ok": True, **override}
        ts = self._next_ts()
        if method == "auth.test":
            issued = self.installs.auth_test(authorization)
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
        if method == "conversations.replies":
            return self._thread_replies(params)
        if method == "conversations.open":
            people = tuple(sorted({u for u in str(params.get("users", "")).split(",") if u}))
            if len(people) > 1:
                # Several people: Slack opens (or finds) their group DM, an mpim with a G… id.
                group = "G" + hashlib.sha1(",".join(people).encode()).hexdigest()[:10].upper()
                with self._lock:
                    self._groups[group] = people
                return {"ok": True, "channel": {"id": group, "is_mpim": True}}
            user = people[0] if people else ""
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
