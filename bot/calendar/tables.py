"""The tables of `bot.calendar` (registered on `bot.db.Base` by `bot.schema`)."""

from __future__ import annotations
