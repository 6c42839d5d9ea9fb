"""The tables of `bot.experts.sources` (registered on `bot.db.Base` by `bot.schema`)."""

from __future__ import annotations
