"""The slash commands Liaison answers, each declared once.

Everything else about a command is derived from its entry here: the setting that renames it
(`LIAISON_<KEY>_COMMAND`, read by `bot.settings`), its line in the Slack app manifest
(`bot.slack.manifest`, hence `manifest.yml` and `liaison manifest`), its rows in `/liaison help`
(`bot.slack.help`), and its Bolt registration (`handlers.commands` registers the entry's `listener`;
the interpreter's by default, whose subcommand tables are in `bot.slack.commands`). Tests check that
every listener kind has a function and that the committed manifest equals the generated one.

Help rows are templates: `{cmd}` is this command's configured name, `{project}`, `{milestone}`, … any
other command's, so renamed commands show their real names everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Listener(StrEnum):
    """Which Bolt listener answers a command (handlers/commands.py maps each to its function)."""

    # The command interpreter (bot.slack.commands): subcommands answered in one ephemeral reply.
    INTERPRETER = "interpreter"
    ASK = "ask"  # a question in plain language; may wait for the model
    EXPERT = "expert"  # expert suggestions; may wait for the model
    PROFILE = "profile"  # a profile, or its form
    AGREEMENT = "agreement"  # the agreements register (its own transaction; the add form)
    PAPER = "paper"  # joint papers and venues (its own transaction; the add form; DMs)


@dataclass(frozen=True)
class SlashCommand:
    """One slash command: its key, default name and the words Slack and `/liaison help` show for it."""

    key: str
    default_name: str
    description: str
    usage_hint: str
    help: tuple[tuple[str, str], ...] = ()
    listener: Listener = Listener.INTERPRETER

    @property
    def setting(self) -> str:
        """The environment variable that renames the command."""
        return f"LIAISON_{self.key.upper()}_COMMAND"


COMMANDS: tuple[SlashCommand, ...] = (
    SlashCommand(
        key="project",
        default_name="/project",
        description=(
            "Projects: list, status, members, blockers, create, edit, join, leave, remove, set-status, "
            "archive…"
        ),
        usage_hint="status bidshade",
        help=(
            (
                "{cmd} list [mine|all|archived]",
                "projects you are on, every project you can see (archived ones too), or the archived ones",
            ),
            ("{cmd} status bidshade", "status, lead, members, next milestones, overdue, blockers"),
            ("{cmd} status bid shading", "names work too, even misspelt"),
            ("{cmd} members KEY", "who is on it, with their disciplines"),
            ("{cmd} blockers KEY", "open blockers"),
            ("{cmd} create", "new project (opens a form; you are on it, a lead you name is told)"),
            ("{cmd} edit KEY", "change name, description, lead, members (lead or admin)"),
            ("{cmd} join KEY / {cmd} leave KEY", "join a public project, or leave a project"),
            ("{cmd} leave KEY --to @someone", "leave, handing your open milestones to a member"),
            (
                "{cmd} remove @someone KEY [--to @other]",
                "take someone off a project (lead or admin); their open milestones need a new owner",
            ),
            ("{cmd} set-status KEY at_risk", "on_track, at_risk, blocked or done (lead or admin)"),
            (
                "{cmd} subscribe KEY [C0123ABCD] [status,blockers,milestones,members]",
                "post the project's changes in a channel, this one unless named (lead or admin; "
                "its own channel gets them all by default; a private project's go nowhere else)",
            ),
            ("{cmd} unsubscribe KEY [C0123ABCD]", "stop posting them there (in its own channel: mute it)"),
            (
                "{cmd} checkins KEY on|off|schedule mon 10:00 [cutoff tue 10:00]",
                "weekly check-ins: members asked by DM at their own time, one summary in the channel "
                "(lead or admin; `{cmd} checkins KEY` shows them)",
            ),
            (
                "{cmd} archive KEY / {cmd} restore KEY",
                "archive: read-only, hidden from lists, no reminders; restore brings it back (lead or admin)",
            ),
        ),
    ),
    SlashCommand(
        key="milestone",
        default_name="/milestone",
        description="Milestones: list, show, next, overdue, add, done, move, assign, describe, link, after…",
        usage_hint="next",
        help=(
            (
                "{cmd} list [PROJECT|all]",
                "open milestones of a project, of your projects, or of all you can see",
            ),
            ("{cmd} next", "what you own that is due in the next 14 days"),
            ("{cmd} overdue [all]", "overdue milestones on your projects (or everywhere)"),
            ("{cmd} add [PROJECT]", "new milestone (opens a form; project leads)"),
            ("{cmd} done bidshade-2", "mark a milestone done (owner, lead or admin)"),
            ("{cmd} move bidshade-2 2026-12-04 17:00", "new due time, in your time zone"),
            ("{cmd} move bidshade-2 next friday", "relative dates are echoed back for you to confirm"),
            ("{cmd} assign bidshade-2 @someone", "hand a milestone to a member (owner, lead or admin)"),
            ("{cmd} remind bidshade", "reminder policy; leads change it: `lead-times 7d,1d,0 at 09:00`"),
            ("{cmd} remind me off", "no daily “waiting on you” message for you (`on` to get it again)"),
            ("{cmd} delete bidshade-2", "delete a milestone, with an Undo button (owner, lead or admin)"),
            (
                "{cmd} show bidshade-2",
                "one milestone in full: description, links, what it comes after and before, its blockers",
            ),
            ("{cmd} describe bidshade-2 what it is…", "set its description (no text clears it)"),
            ("{cmd} link bidshade-2 https://… / {cmd} unlink bidshade-2 https://…", "add or remove a link"),
            (
                "{cmd} after bidshade-3 bidshade-2 / {cmd} not-after bidshade-3 bidshade-2",
                "bidshade-3 comes after bidshade-2, or no longer (owner, lead or admin; no cycles)",
            ),
        ),
    ),
    SlashCommand(
        key="blocker",
        default_name="/blocker",
        description="Blockers: add, list, resolve, delete",
        usage_hint="add pcm waiting for legal",
        help=(
            ("{cmd} add pcm waiting for the legal memo", "raise a blocker on a project you are on"),
            ('{cmd} add "bid shading" no auction logs', "quote a multi-word project name"),
            ("{cmd} list [PROJECT]", "open blockers"),
            ("{cmd} resolve pcm-b1", "resolve (whoever raised it, the lead or an admin)"),
            ("{cmd} delete pcm-b1", "delete, with an Undo button (whoever raised it, the lead or an admin)"),
        ),
    ),
    # `/liaison help` (or anything else) lists every command; its one subcommand is the personal opt-out.
    SlashCommand(
        key="help",
        default_name="/liaison",
        description="What Liaison can do",
        usage_hint="help",
        help=(
            (
                "{cmd} notifications off",
                "no DMs when someone else moves a milestone of yours or adds one for you (`on` again)",
            ),
            (
                "{cmd} calendar [PROJECT]",
                "your private calendar feed (or a project's, for members) to subscribe to in Google "
                "Calendar or Outlook; *Reset address* makes a new one",
            ),
        ),
    ),
    SlashCommand(
        key="ask",
        default_name="/ask",
        description="Ask about projects in plain language",
        usage_hint="what is overdue on pcm?",
        help=(
            ("{cmd} what is overdue on pcm?", "ask in plain language; answered from the project records"),
            ("@liaison who leads bid shading?", "in a channel or thread (answered in the thread), or DM me"),
            ("Ask Liaison about this", "message shortcut: answers that message, only you see it"),
        ),
        listener=Listener.ASK,
    ),
    SlashCommand(
        key="expert",
        default_name="/expert",
        description="Suggest experts from other disciplines",
        usage_hint="project pcm  |  consent law for cookie walls",
        help=(
            ("{cmd} consent law for cookie walls", "who in the alliance knows about a need, and why"),
            ("{cmd} project pcm", "experts for a project, from disciplines it does not have yet"),
            ("{cmd} project pcm all-disciplines", "include the disciplines already on the project"),
            ("Ask for an intro", "button on a suggestion: they accept or decline; accepted means a group DM"),
        ),
        listener=Listener.EXPERT,
    ),
    SlashCommand(
        key="profile",
        default_name="/profile",
        description="Show or edit your expertise profile",
        usage_hint="edit",
        help=(
            ("{cmd}", "your profile, as colleagues and expert suggestions see it"),
            ("{cmd} edit", "change it: expertise, publications, visibility, intro requests a week (a form)"),
            ("{cmd} @someone", "a colleague's profile"),
            ("{cmd} link orcid 0000-…", "list your works from your ORCID record; hide any of them"),
            ("{cmd} unlink orcid", "remove that link and its works"),
        ),
        listener=Listener.PROFILE,
    ),
    SlashCommand(
        key="agreement",
        default_name="/agreement",
        description="Agreements: list, status, add, set-status, require",
        usage_hint="list pcm",
        help=(
            ("{cmd} list [PROJECT]", "NDAs, data-use and research agreements you can see"),
            ("{cmd} status dua-7", "one agreement: parties, dates, review window, data restriction, history"),
            ("{cmd} add", "record an agreement (a form; project leads and admins)"),
            (
                "{cmd} set-status dua-7 signed [2026-12-01]",
                "move it on: draft, negotiation, legal_review, signed, expired or terminated (project leads "
                "and admins); signing tells waiting milestones",
            ),
            ("{cmd} require pcm-3 dua-7", "a milestone waits on an agreement until it is signed"),
        ),
        listener=Listener.AGREEMENT,
    ),
    SlashCommand(
        key="paper",
        default_name="/paper",
        description="Joint papers: list, status, add, set-status, venue, venues…",
        usage_hint="list fatigue",
        help=(
            ("{cmd} list [PROJECT]", "joint papers and funding proposals, with venue and deadline"),
            ("{cmd} status fatigue-p1", "authors, venue, partners' review window, planned milestones"),
            ("{cmd} add [PROJECT]", "new paper (a form): milestones planned back from the deadline"),
            (
                "{cmd} set-status fatigue-p1 drafting",
                "idea, drafting, internal_review, partner_review, submitted…",
            ),
            ("{cmd} venue fatigue-p1 adcon27", "target a venue; its milestones are replanned"),
            (
                "{cmd} venues / {cmd} venue-add / {cmd} venue-move",
                "venues and funding calls (leads add them)",
            ),
        ),
        listener=Listener.PAPER,
    ),
)
COMMANDS_BY_KEY: Mapping[str, SlashCommand] = {command.key: command for command in COMMANDS}


class CommandNames(Mapping[str, str]):
    """The configured name of every slash command, by key (`names["project"]` or `names.project`).

    Args:
        overrides: Names that differ from the defaults, by key; unknown keys are refused.

    Raises:
        KeyError: An override names no declared command.
    """

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        unknown = set(overrides or {}) - set(COMMANDS_BY_KEY)
        if unknown:
            raise KeyError(f"no slash command is declared with the key(s) {sorted(unknown)}")
        self._names = {c.key: (overrides or {}).get(c.key, c.default_name) for c in COMMANDS}

    def __getitem__(self, key: str) -> str:
        return self._names[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __getattr__(self, key: str) -> str:
        # Attribute access reads well in message templates (`names.project`); unknown keys stay errors.
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self._names[key]
        except KeyError:
            raise AttributeError(key) from None

    def __hash__(self) -> int:
        return hash(tuple(self._names.items()))

    def __repr__(self) -> str:
        return f"CommandNames({self._names!r})"
