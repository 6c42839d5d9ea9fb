"""The tables of `bot.conversations` (registered on `bot.db.Base` by `bot.schema`)."""

from __future__ import annotations
