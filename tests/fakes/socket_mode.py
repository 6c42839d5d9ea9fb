"""A fake Slack Socket Mode server: a small WebSocket server on 127.0.0.1, standard library only.

Slack's side of Socket Mode, as slack_sdk's builtin client (`slack_sdk.socket_mode.builtin`, which
Bolt's `SocketModeHandler` uses) sees it:

- `apps.connections.open` (a Web API method; point the fake Web API at `FakeSocketModeServer.url`)
  hands out a `wss://…/link/?ticket=…&app_id=…` URL; here it is `ws://127.0.0.1:<port>/link/?…`
  (slack_sdk opens plain TCP to any port but 443);
- the client's opening handshake (RFC 6455: `Sec-WebSocket-Key` answered with
  `Sec-WebSocket-Accept`, status 101), then a `hello` message from Slack;
- envelopes as text frames (`{"envelope_id", "type", "payload", "accepts_response_payload"}`), each
  acknowledged by the client with a text frame `{"envelope_id": …}` (plus `payload` when the app
  answers with one);
- ping and pong control frames both ways (the client pings right after the handshake and then every
  `ping_interval` seconds, and answers the server's pings), close frames both ways.

Frames from the client are masked (RFC 6455 §5.3) and unmasked here; frames to the client are never
masked (slack_sdk's reader cannot unmask). slack_sdk's client closes by closing its socket without a
close frame, so a connection ends when the server reads end-of-stream.

Usage:

    with FakeSocketModeServer() as socket_mode, FakeSlackApi() as api:
        api.respond("apps.connections.open", {"url": socket_mode.url})
        ...start the app...
        connection = socket_mode.wait_for_connection()
        envelope_id = socket_mode.send_slash_command({"command": "/project", ...})
        ack = socket_mode.wait_for_ack(envelope_id)
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import secrets
import socket
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OPCODE_CONTINUATION = 0x0
OPCODE_TEXT = 0x1
OPCODE_BINARY = 0x2
OPCODE_CLOSE = 0x8
OPCODE_PING = 0x9
OPCODE_PONG = 0xA

# Close status codes (RFC 6455 §7.4.1).
CLOSE_NORMAL = 1000
CLOSE_PROTOCOL_ERROR = 1002

_MAX_HANDSHAKE_BYTES = 16 * 1024
_MAX_FRAME_BYTES = 16 * 1024 * 1024


def websocket_accept(key: str) -> str:
    """The `Sec-WebSocket-Accept` value for a client's `Sec-WebSocket-Key` (RFC 6455 §4.2.2)."""
    digest = hashlib.sha1((key.strip() + WEBSOCKET_GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def encode_frame(opcode: int, payload: bytes, *, fin: bool = True, mask: bytes | None = None) -> bytes:
    """One WebSocket frame; `mask` (4 bytes) masks it as a client must, None leaves it unmasked."""
    first = (0x80 if fin else 0) | opcode
    length = len(payload)
    mask_bit = 0x80 if mask is not None else 0
    if length <= 125:
        header = struct.pack("!BB", first, mask_bit | length)
    elif length <= 0xFFFF:
        header = struct.pack("!BBH", first, mask_bit | 126, length)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, length)
    if mask is None:
        return header + payload
    if len(mask) != 4:
        raise ValueError("a WebSocket mask is 4 bytes")
    return header + mask + _unmask(payload, mask)


def _unmask(payload: bytes, mask: bytes) -> bytes:
    """XOR `payload` with the repeating 4-byte `mask` (masking and unmasking are the same)."""
    if not payload:
        return payload
    repeated = (mask * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(payload), "big")


class _ConnectionEnded(Exception):
    """The peer closed the TCP stream (or the server is stopping)."""


@dataclass(frozen=True)
class Frame:
    """One complete message or control frame received from the client (already unmasked)."""

    opcode: int
    payload: bytes
    masked: bool
    at: float  # time.monotonic() when it was read


@dataclass(frozen=True)
class Ack:
    """An envelope acknowledgement the client sent: `{"envelope_id": …}` with an optional `payload`."""

    envelope_id: str
    payload: dict[str, Any] | None
    connection_id: int
    at: float  # time.monotonic() when it was read


@dataclass
class FakeConnection:
    """One client connection: what was sent and received, and how it ended.

    Times are `time.monotonic()` of this process, comparable with a test's own.
    """

    id: int
    path: str
    headers: dict[str, str]
    opened_at: float
    frames: list[Frame] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    closed_at: float | None = None
    # "client" (end of stream, or a close frame from the client) or "server" (close() or stop()).
    closed_by: str | None = None
    close_code: int | None = None
    _sock: socket.socket | None = field(default=None, repr=False)
    _send_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def is_open(self) -> bool:
        """Whether the connection is still up."""
        return self.closed_at is None

    @property
    def pings(self) -> list[Frame]:
        """Ping frames the client sent."""
        return [f for f in self.frames if f.opcode == OPCODE_PING]

    @property
    def pongs(self) -> list[Frame]:
        """Pong frames the client sent (answers to the server's pings)."""
        return [f for f in self.frames if f.opcode == OPCODE_PONG]

    @property
    def texts(self) -> list[str]:
        """Text messages the client sent, in order."""
        return [f.payload.decode("utf-8") for f in self.frames if f.opcode == OPCODE_TEXT]


class FakeSocketModeServer:
    """A fake Socket Mode endpoint. Use as a context manager or call `start()` / `stop()`.

    Args:
        app_id: Reported in `hello` and put in the URL, as Slack does.
        send_hello: Send Slack's `hello` message right after the handshake.
        ping_interval: Ping every open connection this often (seconds), as Slack's servers do; None
            sends no pings. Each ping ends the client's blocking read, so a short interval also makes
            the client notice its own `close()` sooner (slack_sdk reads with a 3 s timeout and closes
            its socket only between reads).
    """

    def __init__(
        self, *, app_id: str = "A0LIAISON", send_hello: bool = True, ping_interval: float | None = None
    ) -> None:
        if ping_interval is not None and ping_interval <= 0:
            raise ValueError("ping_interval must be positive (or None for no pings)")
        self.app_id = app_id
        self.send_hello = send_hello
        self.ping_interval = ping_interval
        self.ticket = secrets.token_hex(8)
        self._condition = threading.Condition()
        self._connections: list[FakeConnection] = []
        self._acks: list[Ack] = []
        self._rejected_handshakes: list[str] = []
        self._ids = itertools.count(1)
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> FakeSocketModeServer:
        """Listen on 127.0.0.1 with a port the OS picks, and accept connections in a thread."""
        listener = socket.create_server(("127.0.0.1", 0))
        listener.settimeout(0.05)  # accept() wakes up regularly, so stop() is quick
        self._listener = listener
        self._spawn(self._accept_loop, "fake-socket-mode-accept")
        if self.ping_interval is not None:
            self._spawn(self._ping_loop, "fake-socket-mode-ping", self.ping_interval)
        return self

    def stop(self) -> None:
        """Close every connection (without a close frame) and the listening socket."""
        self._stopping.set()
        with self._condition:
            connections = list(self._connections)
        for connection in connections:
            self._mark_closed(connection, "server", None)
            self._close_socket(connection)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for thread in self._threads:
            thread.join(timeout=2)

    def __enter__(self) -> FakeSocketModeServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        assert self._listener is not None, "FakeSocketModeServer is not started"
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        """What `apps.connections.open` answers: the URL the client connects to."""
        return f"ws://127.0.0.1:{self.port}/link/?ticket={self.ticket}&app_id={self.app_id}"

    # -- inspection ------------------------------------------------------------------------------
    @property
    def connections(self) -> list[FakeConnection]:
        """Every connection accepted so far (a handshake that succeeded), oldest first."""
        with self._condition:
            return list(self._connections)

    @property
    def rejected_handshakes(self) -> list[str]:
        """Why handshakes were refused (a bad path, ticket or key), oldest first."""
        with self._condition:
            return list(self._rejected_handshakes)

    def acks(self, envelope_id: str | None = None) -> list[Ack]:
        """Acknowledgements received so far, optionally only those of one envelope."""
        with self._condition:
            return [a for a in self._acks if envelope_id is None or a.envelope_id == envelope_id]

    def wait_for_connection(self, count: int = 1, timeout: float = 10.0) -> FakeConnection:
        """Block until `count` connections were accepted; return the latest open one.

        Raises:
            TimeoutError: Fewer connections came within `timeout` seconds.
        """
        with self._condition:
            if not self._condition.wait_for(lambda: len(self._connections) >= count, timeout):
                raise TimeoutError(f"{len(self._connections)} of {count} Socket Mode connections came")
            open_ones = [c for c in self._connections if c.is_open]
            return open_ones[-1] if open_ones else self._connections[-1]

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> Ack:
        """Block until the client acknowledged `envelope_id`; return the (first) acknowledgement.

        Raises:
            TimeoutError: No acknowledgement within `timeout` seconds.
        """
        with self._condition:
            if not self._condition.wait_for(
                lambda: any(a.envelope_id == envelope_id for a in self._acks), timeout
            ):
                raise TimeoutError(f"envelope {envelope_id} was not acknowledged within {timeout} s")
            return next(a for a in self._acks if a.envelope_id == envelope_id)

    def wait_closed(self, connection: FakeConnection, timeout: float = 10.0) -> bool:
        """Block until `connection` ended; False when it is still open after `timeout` seconds."""
        with self._condition:
            return self._condition.wait_for(lambda: not connection.is_open, timeout)

    # -- what Slack sends ------------------------------------------------------------------------
    def send(self, message: dict[str, Any], connection: FakeConnection | None = None) -> None:
        """Send one JSON message as a text frame (to the latest open connection by default).

        Raises:
            ConnectionError: There is no open connection, or it broke.
        """
        target = connection or self._latest_open()
        self._send_frame(target, OPCODE_TEXT, json.dumps(message).encode("utf-8"))
        with self._condition:
            target.sent.append(message)

    def send_envelope(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        accepts_response_payload: bool = False,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        connection: FakeConnection | None = None,
    ) -> str:
        """Deliver an envelope (`slash_commands`, `interactive`, `events_api`); return its id."""
        envelope_id = envelope_id or str(uuid.uuid4())
        message: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if retry_attempt is not None:
            message["retry_attempt"] = retry_attempt
            message["retry_reason"] = retry_reason or ""
        self.send(message, connection)
        return envelope_id

    def send_slash_command(
        self,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        connection: FakeConnection | None = None,
    ) -> str:
        """Deliver a slash command (the fields Slack posts over HTTP, as a JSON object); return the id.

        Slack lets an app answer a command in its ack (`accepts_response_payload: true`).
        """
        return self.send_envelope(
            "slash_commands",
            payload,
            envelope_id=envelope_id,
            accepts_response_payload=True,
            connection=connection,
        )

    def send_disconnect(
        self, reason: str = "refresh_requested", connection: FakeConnection | None = None
    ) -> None:
        """Ask the client to reconnect elsewhere, as Slack does before it retires a connection."""
        self.send({"type": "disconnect", "reason": reason, "debug_info": {"host": "fake"}}, connection)

    def ping(self, payload: bytes = b"", connection: FakeConnection | None = None) -> None:
        """Send a ping frame (the client answers with a pong carrying the same payload)."""
        self._send_frame(connection or self._latest_open(), OPCODE_PING, payload)

    def close(
        self, code: int = CLOSE_NORMAL, reason: str = "", connection: FakeConnection | None = None
    ) -> None:
        """Close a connection from the server's side: a close frame, then the socket."""
        target = connection or self._latest_open()
        with contextlib.suppress(ConnectionError):
            self._send_frame(target, OPCODE_CLOSE, struct.pack("!H", code) + reason.encode("utf-8"))
        self._mark_closed(target, "server", code)
        self._close_socket(target)

    # -- internals -------------------------------------------------------------------------------
    def _spawn(self, target: Any, name: str, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _latest_open(self) -> FakeConnection:
        with self._condition:
            open_ones = [c for c in self._connections if c.is_open]
        if not open_ones:
            raise ConnectionError("no open Socket Mode connection")
        return open_ones[-1]

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            listener = self._listener
            if listener is None:
                return
            try:
                sock, _address = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # the listening socket was closed by stop()
            sock.settimeout(None)
            self._spawn(self._serve, "fake-socket-mode-connection", sock)

    def _ping_loop(self, interval: float) -> None:
        pings = itertools.count(1)
        while not self._stopping.wait(interval):
            for connection in self.connections:
                if connection.is_open:
                    # A connection that just closed: its reader thread records how.
                    with contextlib.suppress(ConnectionError):
                        self._send_frame(connection, OPCODE_PING, f"fake-ping-{next(pings)}".encode())

    def _serve(self, sock: socket.socket) -> None:
        """One client: the handshake, `hello`, then frames until either side closes."""
        reader = _SocketReader(sock)
        try:
            connection = self._handshake(sock, reader)
        except (_ConnectionEnded, _ProtocolError, OSError):
            connection = None
        if connection is None:
            sock.close()
            return
        try:
            if self.send_hello:
                self.send(self._hello(), connection)
            self._read_frames(connection, reader)
        except _ProtocolError as error:
            try:
                reason = str(error).encode("utf-8")[:120]
                self._send_frame(connection, OPCODE_CLOSE, struct.pack("!H", CLOSE_PROTOCOL_ERROR) + reason)
            except ConnectionError:
                pass
            self._mark_closed(connection, "server", CLOSE_PROTOCOL_ERROR)
        except (_ConnectionEnded, OSError):
            self._mark_closed(connection, "client", None)
        finally:
            self._close_socket(connection)

    def _read_frames(self, connection: FakeConnection, reader: _SocketReader) -> None:
        """Read and act on the client's frames until it closes (returns) or breaks (raises)."""
        fragments: list[bytes] | None = None
        message_opcode = OPCODE_TEXT
        while True:
            fin, opcode, payload, masked = _read_frame(reader)
            if not masked:
                raise _ProtocolError("client frames must be masked")
            if opcode >= 0x8:
                if not fin or len(payload) > 125:
                    raise _ProtocolError("control frames are short and never fragmented")
                self._received(connection, Frame(opcode, payload, masked, time.monotonic()))
                if opcode == OPCODE_CLOSE:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                    # Echo the close (RFC 6455 §5.5.1); the caller then ends the TCP connection.
                    with contextlib.suppress(ConnectionError):
                        self._send_frame(connection, OPCODE_CLOSE, payload[:2])
                    self._mark_closed(connection, "client", code)
                    return
                continue
            if opcode == OPCODE_CONTINUATION:
                if fragments is None:
                    raise _ProtocolError("a continuation frame without a message to continue")
                fragments.append(payload)
            elif opcode in (OPCODE_TEXT, OPCODE_BINARY):
                if fragments is not None:
                    raise _ProtocolError("a new message inside a fragmented one")
                fragments, message_opcode = [payload], opcode
            else:
                raise _ProtocolError(f"unexpected opcode {opcode:#x}")
            if fin:
                message = Frame(message_opcode, b"".join(fragments), masked, time.monotonic())
                fragments = None
                self._received(connection, message)

    def _handshake(self, sock: socket.socket, reader: _SocketReader) -> FakeConnection | None:
        request = reader.read_until(b"\r\n\r\n", _MAX_HANDSHAKE_BYTES).decode("latin-1")
        request_line, *header_lines = request.split("\r\n")
        headers: dict[str, str] = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        method, _, rest = request_line.partition(" ")
        path = rest.rpartition(" ")[0]
        problem = None
        if method != "GET" or not path.startswith("/link/"):
            problem = f"unexpected request line {request_line!r}"
        elif f"ticket={self.ticket}" not in path:
            problem = f"unknown ticket in {path!r}"
        elif headers.get("upgrade", "").lower() != "websocket" or "upgrade" not in headers.get(
            "connection", ""
        ).lower().replace(" ", "").split(","):
            problem = "not a WebSocket upgrade"
        elif headers.get("sec-websocket-version") != "13" or not headers.get("sec-websocket-key"):
            problem = "missing Sec-WebSocket-Key or version 13"
        if problem is not None:
            with self._condition:
                self._rejected_handshakes.append(problem)
                self._condition.notify_all()
            body = problem.encode("utf-8")
            sock.sendall(
                b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode("ascii")
                + body
            )
            return None
        sock.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\n"
                "Upgrade: websocket\r\n"
                "Connection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {websocket_accept(headers['sec-websocket-key'])}\r\n"
                "\r\n"
            ).encode("ascii")
        )
        connection = FakeConnection(
            id=next(self._ids), path=path, headers=headers, opened_at=time.monotonic(), _sock=sock
        )
        with self._condition:
            self._connections.append(connection)
            self._condition.notify_all()
        return connection

    def _hello(self) -> dict[str, Any]:
        with self._condition:
            count = sum(1 for c in self._connections if c.is_open)
        return {
            "type": "hello",
            "num_connections": count,
            "debug_info": {
                "host": "fake-socket-mode",
                "build_number": 1,
                "approximate_connection_time": 3600,
            },
            "connection_info": {"app_id": self.app_id},
        }

    def _received(self, connection: FakeConnection, frame: Frame) -> None:
        with self._condition:
            connection.frames.append(frame)
            self._condition.notify_all()
        if frame.opcode == OPCODE_PING:
            self._send_frame(connection, OPCODE_PONG, frame.payload)
        elif frame.opcode == OPCODE_TEXT:
            try:
                message = json.loads(frame.payload.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                raise _ProtocolError(f"not JSON: {error}") from error
            if isinstance(message, dict) and isinstance(message.get("envelope_id"), str):
                payload = message.get("payload")
                ack = Ack(
                    envelope_id=message["envelope_id"],
                    payload=payload if isinstance(payload, dict) else None,
                    connection_id=connection.id,
                    at=frame.at,
                )
                with self._condition:
                    self._acks.append(ack)
                    self._condition.notify_all()

    def _send_frame(self, connection: FakeConnection, opcode: int, payload: bytes) -> None:
        data = encode_frame(opcode, payload)
        with connection._send_lock:
            sock = connection._sock
            if sock is None or not connection.is_open:
                raise ConnectionError(f"Socket Mode connection {connection.id} is closed")
            try:
                sock.sendall(data)
            except OSError as error:
                raise ConnectionError(f"Socket Mode connection {connection.id} broke: {error}") from error

    def _mark_closed(self, connection: FakeConnection, by: str, code: int | None) -> None:
        with self._condition:
            if connection.closed_at is None:
                connection.closed_at = time.monotonic()
                connection.closed_by = by
                connection.close_code = code
            self._condition.notify_all()

    @staticmethod
    def _close_socket(connection: FakeConnection) -> None:
        with connection._send_lock:
            sock, connection._sock = connection._sock, None
        if sock is None:
            return
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # wakes the connection's reader thread
        sock.close()


class _ProtocolError(Exception):
    """The client broke RFC 6455 (or sent something Slack would refuse)."""


class _SocketReader:
    """Buffered exact reads from a blocking socket."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()

    def _fill(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise _ConnectionEnded()
        self._buffer += chunk

    def read(self, size: int) -> bytes:
        """Exactly `size` bytes."""
        while len(self._buffer) < size:
            self._fill()
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def read_until(self, marker: bytes, limit: int) -> bytes:
        """Everything up to and including `marker` (at most `limit` bytes)."""
        while True:
            end = self._buffer.find(marker)
            if end >= 0:
                return self.read(end + len(marker))
            if len(self._buffer) > limit:
                raise _ProtocolError("handshake too long")
            self._fill()


def _read_frame(reader: _SocketReader) -> tuple[bool, int, bytes, bool]:
    """One raw frame: (fin, opcode, unmasked payload, masked)."""
    first, second = reader.read(2)
    fin = bool(first & 0x80)
    if first & 0x70:
        raise _ProtocolError("reserved bits set without an extension")
    opcode = first & 0x0F
    masked = bool(second & 0x80)
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", reader.read(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", reader.read(8))
    if length > _MAX_FRAME_BYTES:
        raise _ProtocolError(f"frame of {length} bytes")
    mask = reader.read(4) if masked else b""
    payload = reader.read(length)
    if masked:
        payload = _unmask(payload, mask)
    return fin, opcode, payload, masked
