"""Introductions to suggested experts: requests, weekly caps, and the expert's accept or decline.

- `caps`: weekly request caps.
- `views`: snapshots of requests for the flow and its messages, and reading them back.
- `requests`: recording a request (and withdrawing one whose DM failed).
- `decisions`: the expert's Accept or Decline, claimed once.
- `messaging`: the `IntroMessenger` protocol through which the flow reaches the people involved.
- `flow`: the steps of asking, accepting and declining, each with its undo when a message fails.

No Slack calls here: `bot.slack.intro_messenger` sends the messages, `handlers/experts/intros.py`
hands clicks to `flow`.
"""

from __future__ import annotations
