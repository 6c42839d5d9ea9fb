"""The tables of `bot.proposals` (registered on `bot.db.Base` by `bot.schema`)."""

from __future__ import annotations
