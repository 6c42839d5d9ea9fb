"""The console (`liaison say`, `liaison demo`) shows feed posts after the answer, with their channel."""

from __future__ import annotations

from bot.cli.console.session import ConsoleSession
from bot.settings import Settings
from tests.feed.conftest import BANERJEE


def test_say_prints_the_feed_posts_a_change_causes_and_where_they_went(demo_db: str) -> None:
    outputs: list[str] = []
    console = ConsoleSession(
        Settings(database_url=demo_db, default_timezone="Europe/Amsterdam"),
        output=outputs.append,
        with_scheduler=False,
    )
    console.start()
    try:
        assert console.switch_user(BANERJEE)
        console.handle_line("/project set-status bidshade at_risk")
        console.handle_line("/milestone move bidshade-3 in 60 days")  # asks to confirm: nothing changes
        console.handle_line("/blocker add bidshade waiting for <!channel>")
    finally:
        console.stop()
    printed = "\n".join(outputs)
    assert printed.index("is now at risk") < printed.index("── Liaison → #C1BIDSHADE (change feed)")
    posts = [o for o in outputs if o.startswith("── Liaison → #C1BIDSHADE (change feed)")]
    # `say` runs without the scheduler: held changes go at once rather than never.
    assert len(posts) == 2
    assert "@Prof. Ingrid Banerjee set the status to *at risk* (was on track)" in posts[0]
    # Escaped in Slack, so the console shows the text as typed, not a ping (which it would print as @channel).
    assert "raised blocker `bidshade-b1`: waiting for <!channel>" in posts[1] and "@channel" not in posts[1]
