"""`/liaison help` and `help` on every command: what the bot can do, with examples.

The rows come from the command catalogue (`bot.commands`), so a new command brings its own help.
"""

from __future__ import annotations

from bot.commands import COMMANDS, CommandNames
from bot.slack.blocks import Reply, context, escape, header, section


def _entries(names: CommandNames) -> dict[str, list[tuple[str, str]]]:
    """Each command's help rows under its configured name (the help command itself has none)."""
    return {
        names[command.key]: [
            (usage.format_map(fields), what.format_map(fields))
            for usage, what in command.help
            for fields in [{"cmd": names[command.key], **names}]
        ]
        for command in COMMANDS
        if command.help
    }


def build_help_reply(names: CommandNames, *, focus: str | None = None) -> Reply:
    """Help for one command (when `focus` names it) or for all of them."""
    entries = _entries(names)
    shown = {focus: entries[focus]} if focus in entries else entries
    blocks = [header("Liaison help")]
    if focus not in entries:
        blocks.append(
            section(
                "I keep the alliance's projects, milestones and blockers in one place, "
                "answer questions about them and remind people of what is due. "
                "Everything I answer to a command is visible only to you."
            )
        )
    for command, rows in shown.items():
        blocks.append(section(f"*{command}*\n" + "\n".join(f"• `{usage}` — {what}" for usage, what in rows)))
    blocks.append(
        context(
            "Dates: `2026-12-04 17:00`, `dec 4`, `4 december 2026`, `tomorrow 9:30`, `friday`, "
            "`next friday 5pm`, `in 3 days`, `eod`, `end of week`; not `12/4` (countries order day and "
            "month differently). Times are in your Slack time zone; a new milestone's date alone means "
            "17:00, a moved one keeps its time of day."
        )
    )
    text = "Liaison commands: " + "; ".join(usage for rows in shown.values() for usage, _ in rows)
    return Reply(text=text, blocks=blocks)


def with_unknown_word(reply: Reply, command: str, word: str) -> Reply:
    """The help, after a line saying the word typed is no subcommand ("/liaison foo"), so that a typo is
    not mistaken for an answer."""
    said = f"is not a {command} command; here is what I do."
    return Reply(
        text=f"“{word[:40]}” {said} {reply.text}",  # the fallback is escaped as it is sent
        blocks=[section(f"“{escape(word[:40])}” {said}"), *reply.blocks],
    )
