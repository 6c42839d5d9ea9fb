"""People named in commands and forms: reading who is meant, and whether Liaison knows them.

Only people in the workspace's directory (the `person` table: imported, or who used Liaison before)
can be named as a project's lead or member or as a milestone's owner, so that a forged id (`<!here>`, a
string longer than the column, someone in another workspace) never becomes a person whose mention
later pings a channel. Whoever sends a request is the one exception: Slack vouches for them, and
`bot.projects.project.person_for` adds them on first need.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.access import Actor
from bot.domain.matching import Candidate, MatchKind, match_name
from bot.errors import InvalidInput, NotFound
from bot.models import Person, Project, Role

# What Slack's user ids look like (users start with U, Enterprise Grid users with W); `person.slack_id`
# holds at most 32 characters.
SLACK_USER_ID_RE = re.compile(r"^[UW][A-Z0-9]{2,31}$")
_MENTION_RE = re.compile(r"^<@([UW][A-Z0-9]{2,31})(?:\|[^>]*)?>$")


def is_slack_user_id(text: object) -> bool:
    """Whether `text` is shaped like a Slack user id (`U0123ABCD`, `W0123ABCD`)."""
    return isinstance(text, str) and SLACK_USER_ID_RE.match(text) is not None


def people_by_slack_id(session: Session, workspace_id: int, slack_ids: Iterable[str]) -> dict[str, Person]:
    """The people of the workspace's directory among `slack_ids` (ids not shaped like Slack's are skipped)."""
    wanted = sorted({s for s in slack_ids if is_slack_user_id(s)})
    if not wanted:
        return {}
    found = session.scalars(
        select(Person).where(Person.workspace_id == workspace_id, Person.slack_id.in_(wanted))
    )
    return {person.slack_id: person for person in found}


def unknown_ids(session: Session, workspace_id: int, slack_ids: Iterable[str]) -> list[str]:
    """The ids among `slack_ids` that name nobody in the workspace's directory, in the order given."""
    ids = list(dict.fromkeys(slack_ids))
    known = people_by_slack_id(session, workspace_id, ids)
    return [s for s in ids if s not in known]


def resolve_person(
    session: Session, actor: Actor, text: str, *, among: Sequence[Person] | None = None
) -> Person:
    """The person a command names: a mention (`<@U123|lena>`), a Slack id, or a name (`@Lena K`).

    Names are matched like project names (`bot.domain.matching`), only an exact or confident match is
    taken, never a guess.

    Args:
        session: The request's session.
        actor: Who is asking (their workspace's directory is searched).
        text: What was typed.
        among: Search only these people (a project's members, say); the whole directory when None.

    Raises:
        InvalidInput: Nothing was typed.
        NotFound: Nobody fits, or several people do; the message says which.
    """
    query = text.strip()
    mention = _MENTION_RE.match(query)
    if mention:
        query = mention.group(1)
    elif query.startswith("@"):
        query = query[1:].strip()
    if not query:
        raise InvalidInput("Who? Mention them, e.g. `@Lena Kovalenko`.")
    people = (
        list(among)
        if among is not None
        else list(session.scalars(select(Person).where(Person.workspace_id == actor.workspace_id)))
    )
    by_id = {p.slack_id: p for p in people}
    if query in by_id:
        return by_id[query]
    match = match_name(query, [Candidate(p.slack_id, p.name) for p in people])
    if match.kind in (MatchKind.EXACT, MatchKind.CONFIDENT) and match.best is not None:
        return by_id[match.best.key]
    names = ", ".join(c.name for c in match.alternatives)
    if match.kind == MatchKind.AMBIGUOUS:
        raise NotFound(f"More than one person matches “{query}”: {names}. Mention the one you mean.")
    hint = f" Did you mean {names}?" if names else ""
    shown = query if len(query) <= 60 else query[:59] + "…"
    raise NotFound(f"Nobody called “{shown}” is in Liaison's directory.{hint}")


def working_disciplines(project: Project) -> tuple[str, ...]:
    """The disciplines of the people working on a project: its lead first, then members in order.

    Viewers are left out: they follow a project without working on it, so their discipline is not one
    the project has. `/expert <project>` and "who outside our disciplines…" leave these out.

    Args:
        project: With its lead and memberships (and their people) loaded.

    Returns:
        Disciplines as written on profiles, each once (case-insensitive), blank ones dropped.
    """
    people = [project.lead] if project.lead is not None else []
    members = sorted(project.memberships, key=lambda m: m.position)
    people += [m.person for m in members if m.role != Role.VIEWER]
    disciplines: dict[str, str] = {}
    for person in people:
        if person is not None and person.discipline and person.discipline.strip():
            disciplines.setdefault(person.discipline.strip().casefold(), person.discipline.strip())
    return tuple(disciplines.values())
