"""Milestone reminders: policies, the delivery ledger, composing messages and sending them.

APScheduler is only the timer (jobs/reminders.py); the ledger in the database decides what is sent,
once. Pure planning rules live in `bot.domain.reminders`; see docs/reminders.md.
"""
