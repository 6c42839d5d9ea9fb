"""A TCP proxy for tests, in front of a real server, that can refuse connections or blackhole them.

- `forward`: bytes pass both ways;
- `refuse`: every connection is closed at once (existing ones too), as a server that is down;
- `blackhole`: connections are accepted and whatever is sent is swallowed, never answered, as behind a
  stopped proxy or a partitioned network; existing connections stall the same way.

Switching to `refuse` or `forward` closes the connections opened before, as a restarted proxy does;
switching to `blackhole` keeps them, stalled.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from typing import Literal

Mode = Literal["forward", "refuse", "blackhole"]


class TcpProxy:
    """Listens on 127.0.0.1 (a free port) and relays to `target`.

    Args:
        target_host: The real server's host.
        target_port: The real server's port.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode: Mode = "forward"
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self._listener.settimeout(0.1)
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        """The port clients connect to."""
        return int(self._listener.getsockname()[1])

    def set_mode(self, mode: Mode) -> None:
        """Switch mode; but for `blackhole`, the connections opened before are closed."""
        with self._lock:
            self.mode = mode
            old: set[socket.socket] = set()
            if mode != "blackhole":
                old, self._connections = self._connections, set()
        for connection in old:
            _close(connection)

    def close(self) -> None:
        """Stop listening and close everything."""
        self._stop.set()
        self._thread.join(timeout=2)
        self.set_mode("refuse")
        self._listener.close()

    def _track(self, *connections: socket.socket) -> None:
        with self._lock:
            self._connections.update(connections)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            mode = self.mode
            if mode == "refuse":
                _close(client)
            elif mode == "blackhole":
                self._track(client)
                threading.Thread(target=self._swallow, args=(client,), daemon=True).start()
            else:
                try:
                    upstream = socket.create_connection(self.target, timeout=5)
                except OSError:
                    _close(client)
                    continue
                self._track(client, upstream)
                threading.Thread(target=self._relay, args=(client, upstream), daemon=True).start()

    def _swallow(self, client: socket.socket) -> None:
        with contextlib.suppress(OSError, ValueError):
            while client.recv(65536):
                pass

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        try:
            while True:
                readable, _, _ = select.select(list(peers), [], [], 0.5)
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    if self.mode == "forward":
                        peers[source].sendall(data)
                    # Blackholed: swallowed, never answered.
        except (OSError, ValueError):
            return
        finally:
            _close(client)
            _close(upstream)


def _close(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        connection.close()
