"""Projects, their members, milestones and blockers: the records teams work on, reports and App Home data."""

from __future__ import annotations
