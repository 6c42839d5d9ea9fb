"""The tables of `bot.agreements` (registered on `bot.db.Base` by `bot.schema`)."""

from __future__ import annotations
