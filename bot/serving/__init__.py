"""How requests reach the app: the WSGI app and its checks, servers, Socket Mode, metrics, logs."""

from __future__ import annotations
