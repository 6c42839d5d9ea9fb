"""Block Kit for calendar feeds: the private URL with how to subscribe, and its Reset button."""

from __future__ import annotations

from bot.slack import blocks as kit
from bot.slack import ids

SUBSCRIBE_HELP = (
    "*Google Calendar*: Other calendars › + › From URL. *Outlook*: Add calendar › Subscribe from web. "
    "*Apple Calendar*: File › New Calendar Subscription. Calendars refresh the feed every few hours "
    "(Google: up to a day), so a change in Slack reaches them with that delay."
)


def build_calendar_reply(
    *, url: str, what: str, reset_value: str, reset: bool = False, local_note: str | None = None
) -> kit.Reply:
    """The ephemeral answer to `/liaison calendar [PROJECT]` and to its Reset button.

    Args:
        url: The feed's private URL (a secret: shown to its owner only, ephemerally).
        what: What the feed holds, plain text ("your milestones, agreements and papers").
        reset_value: The Reset button's value ("@me" for the personal feed, else the project key).
        reset: Whether the URL was just reset (the old one no longer works).
        local_note: Why the URL may not be reachable from outside (no public URL configured).
    """
    lead = (
        ":arrows_counterclockwise: New address made; the old one stopped working. Subscribe again with:"
        if reset
        else ":calendar: Subscribe to this private address in your calendar:"
    )
    blocks = [
        kit.section(f"{lead}\n*{kit.escape(what)}*\n`{kit.escape(url)}`"),
        kit.context(
            SUBSCRIBE_HELP
            + "\nAnyone with this address can read these events: keep it to yourself, and press "
            "*Reset address* if it got out."
        ),
    ]
    if local_note:
        blocks.append(kit.context(f":warning: {kit.escape(local_note)}"))
    reset_button = kit.button("Reset address", ids.CALENDAR_RESET_ACTION, reset_value, style="danger")
    reset_button["confirm"] = {
        "title": {"type": "plain_text", "text": "Reset the address?"},
        "text": {
            "type": "plain_text",
            "text": "The current address stops working at once; calendars subscribed to it stop updating.",
        },
        "confirm": {"type": "plain_text", "text": "Reset"},
        "deny": {"type": "plain_text", "text": "Keep it"},
    }
    blocks.append(kit.actions([reset_button], block_id=ids.CALENDAR_ACTIONS_BLOCK))
    text = f"Your calendar feed ({what}): {url}"
    return kit.Reply(text=text, blocks=blocks)
