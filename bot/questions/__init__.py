"""Questions in plain language: interpretation, answers per topic, semantic search and the optional LLM."""

from __future__ import annotations
