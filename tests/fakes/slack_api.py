"""The fake Slack Web API used by tests.

The implementation lives in `bot.cli.console.fake_slack` because the demo console (a product feature)
runs against it too; tests import it from here so test code reads as test code.
"""

from __future__ import annotations

from bot.cli.console.fake_slack import FakeSlackApi, RecordedCall
from bot.cli.console.fake_slack_http import RESPONSE_URL_METHOD
from bot.cli.console.fake_slack_oauth import IssuedToken

__all__ = ["RESPONSE_URL_METHOD", "FakeSlackApi", "IssuedToken", "RecordedCall"]
