"""Socket Mode with the same fast ack as HTTP, and a close that lets every ack out first.

Bolt's `SocketModeHandler` dispatches each envelope on one of slack_sdk's message workers and sends the
ack once the listener called `ack()`. With `process_before_response` off, that listener runs on the
runtime's listener pool, so when every pool thread is busy (slow Slack calls, questions waiting for the
model at start-up) the ack waits for a free thread and can miss Slack's 3 seconds. Here, as in
`bot.serving.web` over HTTP, envelopes whose ack never carries content in Liaison (slash commands, events,
`block_actions`, shortcuts and message actions) are acked over the socket at once, and dispatched on
the listener pool, where Bolt (built with `process_before_response`) runs the listener to its end; the
rest (`view_submission` with its field errors, options, …) is dispatched on the message worker and
answered with Bolt's response as before. Listener work waits while acks are being sent
(`bot.serving.ack_priority`), as over HTTP (not for a form's listener, which mostly waits on Slack's API).

As over HTTP, an envelope acked at once is first recorded in the durable inbox (`bot.serving.intake`),
so that a process killed after the ack leaves it to another instance: the ack waits for the record
(at most a second; an event's up to 2.5 s). When the database refuses it, a slash command's ack
carries the ephemeral "nothing was done", a click is acked and its user told through `response_url`,
and an event is not acked, so that Slack delivers it again.

`close()` stops taking envelopes, lets the message workers finish (every envelope taken gets its ack
over the still-open socket), and only then closes the connection. slack_sdk's own `close()` closes the
socket first, so an envelope being dispatched at that moment lost its ack (a command the user saw
fail, an event Slack would deliver again). The runtime's shutdown then drains the listener pool.
"""

from __future__ import annotations

import hashlib
import json
import logging
from concurrent.futures import Executor
from time import monotonic
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import build_headers, run_bolt_app, send_response
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.serving.ack_priority import AckPriority
from bot.serving.checks import REPLAY_KEY_PREFIX
from bot.serving.intake import DATABASE_UNREACHABLE, SOCKET_MODE, TRANSPORT_HEADER, Recorded, RecordedRequests

logger = logging.getLogger(__name__)

# Interaction payloads whose ack never carries content in Liaison
# (bot.serving.web.FAST_ACK_KINDS, by envelope).
_FAST_INTERACTIONS = frozenset({"block_actions", "shortcut", "message_action"})


def envelope_kind(request: SocketModeRequest) -> str:
    """The envelope's kind in `bot.serving.slack_body.classify_body`'s terms ("command", "event", …)."""
    if request.type == "slash_commands":
        return "command"
    if request.type == "events_api":
        return "event"
    payload: Any = request.payload
    kind = payload.get("type") if isinstance(payload, dict) else None
    return kind if isinstance(kind, str) else request.type


def acks_at_once(request: SocketModeRequest) -> bool:
    """Whether the envelope is acked before its listener runs (its ack can carry nothing)."""
    if request.type in ("slash_commands", "events_api"):
        return True
    if request.type == "interactive":
        payload: Any = request.payload
        return isinstance(payload, dict) and payload.get("type") in _FAST_INTERACTIONS
    return False


class LiaisonSocketModeHandler(SocketModeHandler):
    """Bolt's Socket Mode handler with the fast ack and the ack-preserving close described above.

    Args:
        app: The Bolt app, built with `process_before_response=True` (the listener runs to its end in
            the dispatching thread).
        app_token: The app-level token (`xapp-…`).
        listeners: Where envelopes acked at once are dispatched (the runtime's listener pool).
        ack_priority: Holds listener work back while acks are being sent.
        intake: Where envelopes acked at once are recorded first (the runtime's inbox); None runs
            them from memory (tests of the handler alone).
        **kwargs: Passed to `SocketModeHandler` (e.g. `concurrency`).
    """

    def __init__(
        self,
        app: App,
        app_token: str,
        *,
        listeners: Executor,
        ack_priority: AckPriority | None = None,
        intake: RecordedRequests | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(app, app_token, **kwargs)
        self._listeners = listeners
        self.ack_priority = ack_priority or AckPriority()
        self.intake = intake

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        """Ack at once and dispatch on the listener pool, or dispatch here and send Bolt's answer."""
        if not acks_at_once(req):
            # A form's listener, mostly waiting on Slack's API: listener work need not wait for it.
            started = monotonic()
            send_response(client, req, run_bolt_app(self.app, req), started)
            return
        with self.ack_priority.acking():
            if self.intake is not None:
                self._record_then_ack(client, req, self.intake)
                return
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            self._listeners.submit(self._dispatch_after_ack, req, self.ack_priority.now())

    def _record_then_ack(
        self, client: SocketModeClient, req: SocketModeRequest, intake: RecordedRequests
    ) -> None:
        kind = envelope_kind(req)
        body = json.dumps(req.payload, sort_keys=True, separators=(",", ":"))
        headers = {
            TRANSPORT_HEADER: SOCKET_MODE,
            **{k: str(v) for k, v in (build_headers(req) or {}).items()},
        }
        key = REPLAY_KEY_PREFIX + "socket:" + hashlib.sha256(body.encode("utf-8")).hexdigest()
        envelope_payload: Any = req.payload
        recorded = intake.record(
            kind=kind,
            key=key,
            body=body,
            query="",
            headers=headers,
            parsed=envelope_payload if isinstance(envelope_payload, dict) else None,
        )
        if recorded is Recorded.UNREACHABLE and kind == "command":
            # The ack of a slash command may carry its answer: the user reads it at once.
            payload = {"response_type": "ephemeral", "text": DATABASE_UNREACHABLE}
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id, payload=payload))
        elif kind == "event" and recorded in (Recorded.UNREACHABLE, Recorded.PENDING):
            # Unacked, Slack delivers the event again (a retry of a slow write that landed is a replay).
            logger.warning("left a Socket Mode event unacked: its record could not be written")
        else:
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))

    def _dispatch_after_ack(self, req: SocketModeRequest, queued_at: float) -> None:
        self.ack_priority.wait_for_turn(queued_at)
        try:
            answer = run_bolt_app(self.app, req)
        except Exception:
            logger.exception("Bolt failed on a Socket Mode %s envelope after its ack", req.type)
            return
        if answer.status >= 500:
            # Listener errors were logged (and the user told) by the app's error handler.
            logger.warning("a Socket Mode %s envelope ended with status %d", req.type, answer.status)

    def close(self) -> None:
        """Stop taking envelopes, let those taken send their acks, then close the connection."""
        client = self.client
        client.auto_reconnect_enabled = False
        # `process_messages` stops taking queued envelopes once `closed` is set; envelopes left in the
        # queue are never acked, so Slack delivers them again (events) or the user may retry (commands).
        client.closed = True
        if client.message_processor.is_alive():
            client.message_processor.shutdown()
        client.message_workers.shutdown(wait=True)
        super().close()
