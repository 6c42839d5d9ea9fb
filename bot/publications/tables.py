"""The tables of `bot.publications` (registered on `bot.db.Base` by `bot.schema`)."""

from __future__ import annotations
