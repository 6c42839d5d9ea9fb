"""`/profile` and linked records: the sources section of a profile, the link and unlink replies.

Pure functions, no Slack calls. Titles come from ORCID, OpenAlex or a file: they enter mrkdwn only
through `truncate_escaped`. The owner gets a Hide (or Show) button per work; others see the works the
owner has not hidden, and no buttons.
"""

from __future__ import annotations

from datetime import datetime

from bot.experts.sources.records import SOURCE_NAMES
from bot.experts.sources.service import LinkOutcome
from bot.experts.sources.store import SourcesView, WorkLine
from bot.slack.blocks import Block, Reply, button, context, escape, section, truncate_escaped
from bot.slack.ids import PROFILE_WORK_HIDE_ACTION, PROFILE_WORK_SHOW_ACTION

# Characters of a work's title shown (section text allows 3,000; a list stays readable).
TITLE_CHARS = 200


def _day(instant: datetime | None) -> str:
    return f"{instant.day} {instant:%b %Y}" if instant is not None else "not yet"


def _work_text(work: WorkLine) -> str:
    year = f" ({work.year})" if work.year else ""
    source = SOURCE_NAMES.get(work.source, work.source)
    text = f"{truncate_escaped(work.title, TITLE_CHARS)}{year} · _{source}_"
    return f"~{text}~ _hidden_" if work.hidden else text


def build_sources_blocks(view: SourcesView, *, own: bool, command: str) -> list[Block]:
    """The linked records and fetched works of a profile (empty when there are none).

    Args:
        view: The links and the first works (`bot.experts.sources.store.sources_view`).
        own: The viewer may hide and show works (the owner, or an admin acting for them).
        command: The configured `/profile` name, for the hints.
    """
    if not view.links and not view.works:
        if own:
            return [context(f"Link your ORCID record to list your works: `{command} link orcid 0000-…`.")]
        return []
    lines = []
    for link in view.links:
        line = (
            f"• {SOURCE_NAMES.get(link.source, link.source)} `{escape(link.external_id)}`: "
            f"{link.works} work{'s' if link.works != 1 else ''}, fetched {_day(link.fetched_at)}"
        )
        if link.last_error:
            line += f" (:warning: last refresh failed: {truncate_escaped(link.last_error, 200)})"
        lines.append(line)
    heading = "*Linked records*\n" + "\n".join(lines) if lines else "*Uploaded works*"
    blocks: list[Block] = [section(heading)]
    shown = [w for w in view.works if own or not w.hidden]
    for work in shown:
        if own:
            hide = not work.hidden
            accessory = button(
                "Hide" if hide else "Show",
                PROFILE_WORK_HIDE_ACTION if hide else PROFILE_WORK_SHOW_ACTION,
                str(work.id),
            )
            blocks.append(section(_work_text(work), accessory=accessory))
        else:
            blocks.append(section(_work_text(work)))
    rest = view.total_works - len(view.works)
    notes = []
    if rest > 0:
        notes.append(f"…and {rest} older work{'s' if rest != 1 else ''}.")
    if own:
        if view.hidden_works:
            notes.append(f"{view.hidden_works} hidden: not shown to colleagues, not used for suggestions.")
        notes.append(f"`{command} unlink orcid` removes a link and its works.")
    if notes:
        blocks.append(context(" ".join(notes)))
    return blocks


def build_linked_reply(outcome: LinkOutcome, view: SourcesView, *, command: str) -> Reply:
    """The answer to `/profile link orcid …`: what was fetched, and the works with Hide buttons."""
    source = SOURCE_NAMES.get(outcome.source, outcome.source)
    whose = "your" if outcome.own else f"{escape(outcome.name)}'s"
    report = outcome.report
    counts = f"{report.total} work{'s' if report.total != 1 else ''} ({report.added} new"
    counts += f", {report.removed} removed)" if report.removed else ")"
    message = (
        f":link: Linked {whose} {source} record `{escape(outcome.external_id)}`: {counts}. "
        "Expert suggestions use them within a minute; hide any that do not describe "
        f"{'your' if outcome.own else 'their'} work."
    )
    plain = f"Linked {source} record {outcome.external_id}: {report.total} works."
    return Reply(
        text=plain, blocks=[section(message), *build_sources_blocks(view, own=True, command=command)]
    )


def build_unlinked_reply(source: str, name: str, removed: int, *, own: bool) -> Reply:
    """The answer to `/profile unlink orcid`."""
    label = SOURCE_NAMES.get(source, source)
    whose = "your" if own else f"{escape(name)}'s"
    message = (
        f":broken_chain: Unlinked {whose} {label} record and removed its {removed} "
        f"work{'s' if removed != 1 else ''} from the profile."
    )
    return Reply(text=f"Unlinked {label} record.", blocks=[section(message)])


def build_fetch_failed_reply(source: str, message: str) -> Reply:
    """A fetch that failed (network fault, refusal): the profile is unchanged."""
    label = SOURCE_NAMES.get(source, source)
    text = f"Could not read the {label} record: {message} Your profile was not changed; try again later."
    return Reply(text=text, blocks=[section(f":warning: {escape(text)}")])
