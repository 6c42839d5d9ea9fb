"""Milestone reminders: policies, the delivery ledger, composing messages and sending them.

APScheduler is only the timer (jobs/reminders.py); the ledger in the database decides what is sent,
once. Pure planning rules live in `bot.domain.reminders`; see docs/reminders.md.

- `policy`, `admin`: policy rows and `/milestone remind`.
- `delivery_table`, `planning`, `claims`, `outcomes`: the ledger (plan and replan; claim and lease;
  settle and report failures).
- `content`: what a claimed delivery says; `dispatch`: one tick; `actions`: the reminder buttons.
- `sending`: the `Sender` protocol through which the tick reaches Slack (`bot.slack.notifier`
  implements it) and the delivery errors. Nothing in this package imports Slack.
"""
