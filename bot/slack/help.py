"""`/liaison help` and `help` on every command: what the bot can do, with examples."""

from __future__ import annotations

from bot.settings import CommandNames
from bot.slack.blocks import Reply, context, header, section


def _entries(names: CommandNames) -> dict[str, list[tuple[str, str]]]:
    p, m, b, a = names.project, names.milestone, names.blocker, names.ask
    e, pr = names.expert, names.profile
    return {
        p: [
            (f"{p} list [mine|all]", "projects you are on, or every project you can see"),
            (f"{p} status bidshade", "status, lead, members, next milestones, overdue, blockers"),
            (f"{p} status bid shading", "names work too, even misspelt"),
            (f"{p} members KEY", "who is on it, with their disciplines"),
            (f"{p} blockers KEY", "open blockers"),
            (f"{p} create", "new project (opens a form)"),
            (f"{p} edit KEY", "change name, description, lead, members (lead or admin)"),
            (f"{p} join KEY / {p} leave KEY", "join or leave a public project"),
            (f"{p} set-status KEY at_risk", "on_track, at_risk, blocked or done (lead or admin)"),
        ],
        m: [
            (f"{m} list [PROJECT]", "open milestones of a project, or of all your projects"),
            (f"{m} next", "what you own that is due in the next 14 days"),
            (f"{m} overdue [all]", "overdue milestones on your projects (or everywhere)"),
            (f"{m} add [PROJECT]", "new milestone (opens a form; project leads)"),
            (f"{m} done bidshade-2", "mark a milestone done (owner, lead or admin)"),
            (f"{m} move bidshade-2 2026-12-04 17:00", "new due time, in your time zone"),
            (f"{m} move bidshade-2 next friday", "relative dates are echoed back for you to confirm"),
            (f"{m} remind bidshade", "reminder policy; leads change it: `lead-times 7d,1d,0 at 09:00`"),
            (f"{m} remind me off", "no daily “waiting on you” message for you (`on` to get it again)"),
        ],
        b: [
            (f"{b} add pcm waiting for the legal memo", "raise a blocker on a project you are on"),
            (f'{b} add "bid shading" no auction logs', "quote a multi-word project name"),
            (f"{b} list [PROJECT]", "open blockers"),
            (f"{b} resolve pcm-b1", "resolve (whoever raised it, the lead or an admin)"),
        ],
        a: [
            (f"{a} what is overdue on pcm?", "ask in plain language; answered from the project records"),
            ("@liaison who leads bid shading?", "in a channel or thread (answered in the thread), or DM me"),
            ("Ask Liaison about this", "message shortcut: answers that message, only you see it"),
        ],
        e: [
            (f"{e} consent law for cookie walls", "who in the alliance knows about a need, and why"),
            (f"{e} project pcm", "experts for a project, from disciplines it does not have yet"),
            (f"{e} project pcm all-disciplines", "include the disciplines already on the project"),
            ("Ask for an intro", "button on a suggestion: they accept or decline; accepted means a group DM"),
        ],
        pr: [
            (pr, "your profile, as colleagues and expert suggestions see it"),
            (f"{pr} edit", "change it: expertise, publications, visibility, intro requests a week (a form)"),
            (f"{pr} @someone", "a colleague's profile"),
        ],
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
            "Dates: `2026-12-04`, `2026-12-04 17:00`, `tomorrow 9:30`, `friday`, `next friday 5pm`, "
            "`in 3 days`. Times are in your Slack time zone; a date alone means 17:00."
        )
    )
    text = "Liaison commands: " + "; ".join(usage for rows in shown.values() for usage, _ in rows)
    return Reply(text=text, blocks=blocks)
