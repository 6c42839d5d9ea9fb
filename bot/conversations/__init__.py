"""Conversations: what Liaison remembers of a thread or DM so follow-ups resolve (issue 14)."""
