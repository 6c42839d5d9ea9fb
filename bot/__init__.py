"""Liaison: keeps cross-disciplinary research alliances coordinated in Slack."""

from __future__ import annotations

__version__ = "0.1.0"
