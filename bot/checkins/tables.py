"""The tables of `bot.checkins` (registered on `bot.db.Base` by `bot.schema`)."""

from __future__ import annotations
