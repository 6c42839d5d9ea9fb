"""The `liaison` command line and the local demo console."""

from __future__ import annotations
