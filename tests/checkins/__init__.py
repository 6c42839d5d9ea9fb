"""Tests of the weekly check-ins (bot/checkins, docs/checkins.md)."""
