"""The local demo console: a real Bolt app, scheduler and fake Slack Web API in one process."""

from __future__ import annotations
