"""`/profile` in Slack: reading the command text, the profile reply, the edit modal and its submission.

Pure functions, no Slack calls. User text enters mrkdwn only through `escape`/`truncate_escaped`;
modal inputs are plain text and need no escaping. Block ids of the modal equal the field names of
`bot.experts.profile_edits.FIELDS`, so field errors map one to one and the demo console's
`:submit title=…` reads naturally.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from bot.commands import CommandNames
from bot.domain.dates.vocabulary import day_label
from bot.errors import InvalidInput
from bot.experts.profile_edits import (
    FIELDS,
    MAX_DISCIPLINE,
    MAX_EXPERTISE,
    MAX_ORGANISATION,
    MAX_TITLE,
    EditResult,
    EndDateChange,
    ProfileEdit,
)
from bot.experts.profiles import ProfileView
from bot.models import MAX_WEEKLY_REQUEST_CAP, ExpertVisibility, Sector
from bot.slack.blocks import (
    MAX_SECTION_TEXT,
    Block,
    Reply,
    actions,
    button,
    context,
    escape,
    header,
    section,
    truncate,
    truncate_escaped,
)
from bot.slack.ids import (
    CAP_INPUT,
    DISCIPLINE_INPUT,
    EXPERTISE_INPUT,
    ORGANISATION_INPUT,
    PROFILE_ACTIONS_BLOCK,
    PROFILE_EDIT_ACTION,
    PROFILE_MODAL,
    PROFILE_TITLE_INPUT,
    PROFILE_UNTIL_ACTION,
    PROFILE_UNTIL_MODAL,
    PUBLICATIONS_INPUT,
    SECTOR_INPUT,
    UNTIL_INPUT,
    VISIBILITY_INPUT,
)
from bot.slack.modals import input_block, option, plain_text
from bot.slack.payload_values import input_state, loads_clean, selected_value, string_of

# What one Slack text input holds; longer stored texts are not offered for editing (they would be
# saved cut) and are kept as they are.
MAX_INPUT = 3000
NO_SECTOR = "none"
SECTOR_TEXT = {Sector.INDUSTRY: "Industry", Sector.ACADEMIA: "Academia"}
FIELD_LABELS = {
    "title": "title",
    "discipline": "discipline",
    "organisation": "organisation",
    "sector": "sector",
    "expertise": "expertise",
    "publications": "publications",
    "visibility": "visibility",
    "weekly_request_cap": "weekly request cap",
    "until": "last day",
}
# A last day is typed like a due date (`2026-12-18`, `dec 18`); this is plenty.
MAX_UNTIL_INPUT = 40
_HELP_VERBS = ("help", "-h", "--help", "?")
_MENTION_RE = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_SLACK_ID_RE = re.compile(r"^[UW][A-Z0-9]{2,}$")


# -- the command text ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileCommand:
    """What `/profile …` asks for.

    Attributes:
        verb: "own" (show mine), "show" (someone's), "edit" (open my form) or "help".
        target: For "show": a Slack id or a name, without mention markup.
    """

    verb: str
    target: str = ""
    # For "link" / "unlink": the source ("orcid", "openalex") and, for "link", the id as typed.
    source: str = ""
    external_id: str = ""


def parse_profile_text(text: str, command: str) -> ProfileCommand:
    """Read the text after `/profile`.

    Accepted: nothing or `me` (your profile), `edit`, `help`, `@someone` / `<@U…>` / a Slack id, and
    `show NAME`. A bare word is not taken for a name, so a mistyped subcommand is reported, not searched.

    Raises:
        InvalidInput: An unknown subcommand, or `edit` with arguments; the message gives the usage.
    """
    stripped = text.strip()
    verb, _, rest = stripped.partition(" ")
    verb, rest = verb.lower(), rest.strip()
    if not stripped or (verb == "me" and not rest):
        return ProfileCommand("own")
    if verb in _HELP_VERBS:
        return ProfileCommand("help")
    if verb == "edit":
        if rest:
            raise InvalidInput(f"You can only edit your own profile: `{command} edit`. {usage_line(command)}")
        return ProfileCommand("edit")
    if verb == "show":
        return ProfileCommand("show", _target(rest)) if rest else ProfileCommand("own")
    if verb in ("link", "unlink"):
        return _link_command(verb, rest, command)
    if stripped.startswith(("<@", "@")) or _SLACK_ID_RE.match(stripped):
        return ProfileCommand("show", _target(stripped))
    raise InvalidInput(f"“{truncate(verb, 40)}” is not a {command} command. {usage_line(command)}")


def _link_command(verb: str, rest: str, command: str) -> ProfileCommand:
    """`link orcid ID [@someone]`, `link openalex ID [@someone]`, `unlink orcid [@someone]`."""
    words = rest.split()
    usage = f"`{command} link orcid 0000-0002-1825-0097` or `{command} unlink orcid` (admins add `@someone`)."
    if not words or words[0].lower() not in ("orcid", "openalex"):
        raise InvalidInput(f"Link what? {usage}")
    wanted = 2 if verb == "link" else 1
    # A trailing mention names whose record (admins); only a word beyond the id counts, since an
    # OpenAlex id such as `W123…` looks like a Slack user id.
    target = _target(words.pop()) if len(words) == wanted + 1 and _is_person(words[-1]) else ""
    if len(words) != wanted:
        raise InvalidInput(f"Not quite: {usage}")
    return ProfileCommand(verb, target, words[0].lower(), words[1] if verb == "link" else "")


def _is_person(word: str) -> bool:
    return word.startswith(("<@", "@")) or bool(_SLACK_ID_RE.match(word))


def _target(text: str) -> str:
    """A Slack id from a mention (`<@U123|name>`), else the name with a leading `@` dropped."""
    mention = _MENTION_RE.match(text)
    if mention:
        return mention.group(1)
    return text[1:].strip() if text.startswith("@") else text


def usage_line(command: str) -> str:
    """One sentence listing the forms of the command."""
    return (
        f"Try `{command}` (yours), `{command} edit`, `{command} @someone`, "
        f"`{command} show NAME` or `{command} help`."
    )


def build_profile_help_reply(command: str) -> Reply:
    """`/profile help`."""
    rows = [
        (command, "your profile, with an Edit button"),
        (f"{command} edit", "edit your title, discipline, expertise, publications, settings and last day"),
        (f"{command} @someone", "a colleague's profile (also `show NAME`)"),
        (f"{command} link orcid 0000-…", "list your works from ORCID (and OpenAlex); `link openalex A…` too"),
        (f"{command} unlink orcid", "remove the link and the works it brought"),
        (f"{command} help", "this help"),
    ]
    lines = "\n".join(f"• `{usage}` — {what}" for usage, what in rows)
    note = (
        "Everyone sees your name, title, discipline, organisation and sector. Your expertise and "
        "publications are shown to colleagues and used for expert suggestions only while your profile "
        "is *listed*; *hidden* keeps them to yourself."
    )
    return Reply(
        text="Profile commands: " + "; ".join(usage for usage, _ in rows),
        blocks=[header("Liaison help"), section(f"*{command}*\n{lines}"), context(note)],
    )


def build_not_in_directory_reply(names: CommandNames) -> Reply:
    """What a Slack user unknown to Liaison gets from `/profile`: how to be added."""
    message = (
        "You are not in Liaison's directory yet, so you have no profile to show or edit. "
        "Ask a Liaison admin to add you: they list people in the workspace file and run "
        f"`liaison import`. Joining a project (`{names.project} join KEY`) also adds you, under your "
        "Slack id; you can then fill in your profile here."
    )
    return Reply(text=message, blocks=[section(f":wave: {escape(message)}")])


# -- the profile -----------------------------------------------------------------------------------


def _summary(view: ProfileView) -> str:
    parts = [view.title, view.discipline, view.organisation]
    if view.sector is not None:
        parts.append(SECTOR_TEXT[view.sector].lower())
    return " · ".join(p for p in parts if p)


def _publications_text(view: ProfileView) -> str:
    heading = f"*Publications* ({len(view.publications)})"
    budget = MAX_SECTION_TEXT - len(heading) - 40  # room for the "…and N more" line
    lines: list[str] = []
    for line in view.publications:
        entry = "• " + truncate_escaped(line.title, 300)
        if sum(len(x) + 1 for x in lines) + len(entry) + 1 > budget:
            break
        lines.append(entry)
    if len(lines) < len(view.publications):
        lines.append(f"…and {len(view.publications) - len(lines)} more.")
    return heading + "\n" + "\n".join(lines)


def _settings_note(view: ProfileView, default_cap: int) -> str:
    if view.visibility == ExpertVisibility.LISTED:
        seen = (
            ":mag: *Listed*: Liaison may suggest you as an expert, and colleagues can read your "
            "expertise and publications."
        )
    else:
        seen = (
            ":lock: *Hidden*: you are never suggested as an expert, and colleagues see only your name, "
            "title, discipline, organisation and sector."
        )
    cap = view.weekly_request_cap
    if cap is None:
        requests = f"at most {default_cap} intro requests a week (the workspace default)"
    elif cap == 0:
        requests = "no intro requests"
    else:
        requests = f"at most {cap} intro request{'s' if cap != 1 else ''} a week"
    return f"{seen}\nYou accept {requests}."


def build_profile_reply(view: ProfileView, *, default_cap: int, command: str) -> Reply:
    """A profile as its viewer may see it; the owner also gets their settings and an Edit button.

    Someone else's hidden profile shows only the public fields and a note: its `ProfileView` carries
    no texts, so none can be rendered.
    """
    summary = _summary(view)
    blocks: list[Block] = [header(view.name)]
    if summary:
        blocks.append(section(truncate_escaped(summary, MAX_SECTION_TEXT)))
    if view.until is not None:
        whose = "Your" if view.own else f"{escape(view.name)}'s"
        blocks.append(context(f":wave: {whose} last day on the alliance: *{day_label(view.until)}*."))
    if not view.texts_shown:
        blocks.append(section(f":lock: {escape(view.name)} keeps their profile private."))
    else:
        expertise = (
            truncate_escaped(view.expertise, MAX_SECTION_TEXT - 20)
            if view.expertise
            else "_No expertise written yet._"
        )
        blocks.append(section(f"*Expertise*\n{expertise}"))
        blocks.append(
            section(_publications_text(view))
            if view.publications
            else section("*Publications*: none listed.")
        )
    if view.own:
        blocks.append(context(_settings_note(view, default_cap)))
        blocks.append(
            actions(
                [button("Edit profile", PROFILE_EDIT_ACTION, "edit", style="primary")],
                block_id=PROFILE_ACTIONS_BLOCK,
            )
        )
        blocks.append(context(f"Only you see this. `{command} help` for more."))
        text = f"Your profile: {summary}" if summary else "Your profile"
    else:
        if view.admin_view:
            blocks.append(
                actions(
                    [button("Set last day…", PROFILE_UNTIL_ACTION, view.slack_id)],
                    block_id=PROFILE_ACTIONS_BLOCK,
                )
            )
        text = f"Profile of {view.name}" + (f": {summary}" if summary else "")
        if not view.texts_shown:
            text += f". {view.name} keeps their profile private."
    return Reply(text=text, blocks=blocks)


def build_profile_saved_reply(result: EditResult, command: str) -> Reply:
    """The confirmation after the edit form was saved (sent to the app's DM with its owner)."""
    if not result.changed:
        message = "Nothing changed in your profile."
        return Reply(text=message, blocks=[section(message)])
    changed = ", ".join(FIELD_LABELS[name] for name in result.changed)
    message = f":white_check_mark: Saved your profile (changed: {changed})."
    if "visibility" in result.changed:
        message += (
            " You are now *listed*: you may be suggested as an expert."
            if result.profile.visibility == ExpertVisibility.LISTED
            else " You are now *hidden*: never suggested as an expert; nobody else reads your texts."
        )
    return Reply(
        text=f"Saved your profile (changed: {changed}).",
        blocks=[section(message), context(f"See it with `{command}`.")],
    )


# -- the edit modal --------------------------------------------------------------------------------


def _text_input(
    block_id: str,
    label: str,
    value: str | None,
    limit: int,
    *,
    multiline: bool = False,
    placeholder: str | None = None,
    hint: str | None = None,
) -> Block:
    """A text input prefilled with `value`; a note instead when `value` is longer than it could hold."""
    if value is not None and len(value) > limit:
        # Slack refuses an initial value over max_length; a cut copy would be saved cut. Keep it as is.
        return context(
            f"Your {escape(label.lower())} has {len(value)} characters, more than this form can edit; "
            "it is kept as it is."
        )
    element: dict[str, Any] = {"type": "plain_text_input", "max_length": limit, "multiline": multiline}
    if value:
        element["initial_value"] = value
    if placeholder:
        element["placeholder"] = plain_text(placeholder)
    return input_block(block_id, label, element, optional=True, hint=hint)


def build_profile_modal(view: ProfileView, *, default_cap: int) -> Block:
    """The edit form of the viewer's own profile (`view.own` must be true)."""
    publications = "\n".join(p.title for p in view.publications)
    sector_options = [option(text, sector.value) for sector, text in SECTOR_TEXT.items()]
    sector_options.append(option("Neither / rather not say", NO_SECTOR))
    sector_initial = (
        sector_options[list(SECTOR_TEXT).index(view.sector)] if view.sector else sector_options[-1]
    )
    listed = option(
        "Suggest me as an expert (listed)",
        ExpertVisibility.LISTED.value,
        "Colleagues can read your expertise and publications",
    )
    hidden = option(
        "Hidden", ExpertVisibility.HIDDEN.value, "Never suggested; others see only name, title, discipline"
    )
    cap: dict[str, Any] = {
        "type": "number_input",
        "is_decimal_allowed": False,
        "min_value": "0",
        "max_value": str(MAX_WEEKLY_REQUEST_CAP),
        "placeholder": plain_text(f"Workspace default: {default_cap}"),
    }
    if view.weekly_request_cap is not None:
        cap["initial_value"] = str(view.weekly_request_cap)
    blocks: list[Block] = [
        context(f"Profile of *{escape(view.name)}*. Your name comes from Liaison's directory."),
        _text_input(
            PROFILE_TITLE_INPUT, "Title", view.title, MAX_TITLE, placeholder="e.g. Research Scientist"
        ),
        _text_input(
            DISCIPLINE_INPUT,
            "Discipline",
            view.discipline,
            MAX_DISCIPLINE,
            placeholder="e.g. Machine learning",
        ),
        _text_input(ORGANISATION_INPUT, "Organisation", view.organisation, MAX_ORGANISATION),
        input_block(
            SECTOR_INPUT,
            "Sector",
            {"type": "static_select", "options": sector_options, "initial_option": sector_initial},
            optional=False,
        ),
        _text_input(
            EXPERTISE_INPUT,
            "Expertise",
            view.expertise,
            min(MAX_EXPERTISE, MAX_INPUT),
            multiline=True,
            hint="What you know well, in a few sentences; expert suggestions are matched against it.",
        ),
        _text_input(
            PUBLICATIONS_INPUT,
            "Publications",
            publications,
            MAX_INPUT,
            multiline=True,
            hint="One title per line. Titles you keep keep their abstracts.",
        ),
        input_block(
            VISIBILITY_INPUT,
            "Expert suggestions",
            {
                "type": "radio_buttons",
                "options": [listed, hidden],
                "initial_option": listed if view.visibility == ExpertVisibility.LISTED else hidden,
            },
            optional=False,
        ),
        input_block(
            CAP_INPUT,
            "Intro requests per week",
            cap,
            optional=True,
            hint=f"How many introductions you accept a week. Empty: the workspace default ({default_cap}). "
            "0: none.",
        ),
        _until_input(view),
    ]
    return {
        "type": "modal",
        "callback_id": PROFILE_MODAL,
        "title": plain_text("Your profile"),
        "submit": plain_text("Save"),
        "close": plain_text("Cancel"),
        "blocks": blocks,
        # Only to notice a submission made by someone other than the opener; never used to decide
        # whose profile is edited (that is always the submitting user).
        "private_metadata": json.dumps({"opened_by": view.slack_id}),
    }


def _text_value(values: dict[str, Any], block_id: str) -> str | None:
    """A text input's value: "" when emptied (Slack sends null), None when not sent as Slack sends it."""
    state = input_state(values, block_id)
    if state is None:
        return None
    value = state.get("value")
    return "" if value is None else string_of(state)


def parse_profile_submission(values: dict[str, Any]) -> ProfileEdit:
    """Turn the modal's `state.values` into an edit; an input missing from the form keeps its field.

    A radio group without a selection keeps the visibility (Slack always sends one for a required
    group that starts selected). An empty number input means the workspace default. An input not
    shaped as Slack sends it (a forged or garbled form) counts as not sent: its field is kept.
    """
    sector_state = input_state(values, SECTOR_INPUT)
    sector: str | None = None
    if sector_state is not None and not _malformed_selection(sector_state):
        chosen = selected_value(sector_state) or NO_SECTOR
        sector = "" if chosen == NO_SECTOR else chosen
    visibility = selected_value(input_state(values, VISIBILITY_INPUT))
    return ProfileEdit(
        title=_text_value(values, PROFILE_TITLE_INPUT),
        discipline=_text_value(values, DISCIPLINE_INPUT),
        organisation=_text_value(values, ORGANISATION_INPUT),
        sector=sector,
        expertise=_text_value(values, EXPERTISE_INPUT),
        publications=_text_value(values, PUBLICATIONS_INPUT),
        visibility=visibility or None,
        weekly_request_cap=_text_value(values, CAP_INPUT),
        until=_text_value(values, UNTIL_INPUT),
    )


def _malformed_selection(state: dict[str, Any]) -> bool:
    """A `selected_option` that is there but is not an option with a string value."""
    chosen = state.get("selected_option")
    return chosen is not None and selected_value(state) is None


def field_errors(errors: dict[str, str]) -> dict[str, str]:
    """Field problems keyed by the modal's block ids (which are the field names)."""
    # Anything not tied to a field (e.g. "not in the directory") goes on the first input.
    return {(name if name in FIELDS else PROFILE_TITLE_INPUT): message for name, message in errors.items()}


def opened_by(metadata: str) -> str | None:
    """The Slack id the modal was opened for, from its private_metadata (None if absent or garbled)."""
    try:
        data = loads_clean(metadata or "{}")
    except (ValueError, TypeError):  # TypeError: metadata that is not a string (a forged form)
        return None
    value = data.get("opened_by") if isinstance(data, dict) else None
    return str(value) if value else None


# -- the last day ----------------------------------------------------------------------------------


def _until_input(view: ProfileView) -> Block:
    return _text_input(
        UNTIL_INPUT,
        "Last day",
        view.until.isoformat() if view.until is not None else None,
        MAX_UNTIL_INPUT,
        placeholder="e.g. 2027-01-29 (students, interns)",
        hint="Your last day on the alliance, if you leave; empty if you don't. Leads are told two weeks "
        "ahead, and your open milestones go to them the day after.",
    )


def build_until_modal(view: ProfileView) -> Block:
    """An admin's form for someone's last day (`view` is that person's profile)."""
    return {
        "type": "modal",
        "callback_id": PROFILE_UNTIL_MODAL,
        "title": plain_text("Last day"),
        "submit": plain_text("Save"),
        "close": plain_text("Cancel"),
        "blocks": [
            context(f"Last day of *{escape(view.name)}* on the alliance; empty if they are not leaving."),
            _text_input(
                UNTIL_INPUT,
                "Last day",
                view.until.isoformat() if view.until is not None else None,
                MAX_UNTIL_INPUT,
                placeholder="e.g. 2027-01-29",
                hint="The leads of their projects are told ahead; their open milestones go to them the "
                "day after.",
            ),
        ],
        # Whose last day: re-checked on submission (only that person or an admin may set it).
        "private_metadata": json.dumps({"person": view.slack_id}),
    }


def parse_until_submission(view: dict[str, Any]) -> tuple[str, str] | None:
    """(whose Slack id, the typed day) from the "Set last day" form; None when it is not one of ours."""
    try:
        data = loads_clean(view.get("private_metadata") or "{}")
    except (ValueError, TypeError):
        return None
    person = data.get("person") if isinstance(data, dict) else None
    if not isinstance(person, str) or not _SLACK_ID_RE.match(person):
        return None
    typed = _text_value((view.get("state") or {}).get("values") or {}, UNTIL_INPUT)
    return person, typed or ""


def build_until_saved_reply(change: EndDateChange, *, by: str | None = None) -> Reply:
    """The confirmation after an admin's "Set last day" form was saved (in the admin's DM); with `by`
    (the admin's Slack id), the note to the person whose last day it is."""
    name = escape(change.name)
    if by is not None:
        day = f"*{day_label(change.until)}*" if change.until is not None else "not set any more"
        message = f":wave: <@{by}> set your last day on the alliance: {day}. See it with your profile."
        return Reply(text=f"Your last day on the alliance: {day.replace('*', '')}", blocks=[section(message)])
    if not change.changed:
        message = f"Nothing changed: {name}'s last day is still " + (
            f"*{day_label(change.until)}*." if change.until is not None else "not set."
        )
    elif change.until is None:
        message = f":white_check_mark: {name} has no last day any more."
    else:
        message = f":white_check_mark: {name}'s last day is now *{day_label(change.until)}*."
    return Reply(text=message.replace("*", "").replace(":white_check_mark: ", ""), blocks=[section(message)])
