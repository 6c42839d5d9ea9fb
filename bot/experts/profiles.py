"""People's profiles: show one's own or a colleague's (`/profile`).

Who sees what: everyone sees a person's name, title, discipline, organisation and sector. The
expertise text and the publications are shown to others only when the person is LISTED; a HIDDEN
profile's texts are shown to nobody but its owner — admins included, because "hidden" promises that
nobody else reads them (an admin still has the database and `liaison export`). The visibility and
the weekly request cap are shown only to the owner; the last day (`until`), if any, to everyone. Edits
are `bot.experts.profile_edits`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.access import Actor, Requester, act_as
from bot.domain.matching import Candidate, MatchKind, match_name
from bot.errors import InvalidInput, NotFound
from bot.models import ExpertVisibility, Person, Sector
from bot.settings import Settings


class NotInDirectory(NotFound):
    """The Slack user asking has no person record in Liaison yet, so has no profile."""


@dataclass(frozen=True)
class PublicationLine:
    """One publication as shown on a profile."""

    title: str
    has_abstract: bool


@dataclass(frozen=True)
class ProfileView:
    """A profile as one viewer may see it (a snapshot, safe to render after the session closes).

    Attributes:
        own: The viewer is the profile's owner (may edit; sees visibility and cap).
        texts_shown: `expertise` and `publications` are filled in; False for someone else's hidden
            profile, whose texts are then left empty here so they cannot be rendered by mistake.
        weekly_request_cap: The owner's own cap (None: the workspace default); always None for others.
    """

    slack_id: str
    name: str
    title: str | None
    discipline: str | None
    sector: Sector | None
    organisation: str | None
    visibility: ExpertVisibility
    own: bool
    texts_shown: bool
    expertise: str | None = None
    publications: tuple[PublicationLine, ...] = ()
    weekly_request_cap: int | None = None
    # Their last day (students, interns), shown to everyone: colleagues plan around it.
    until: date | None = None
    # The viewer is an admin looking at someone else's profile: they may set its last day.
    admin_view: bool = False


def own_profile(session: Session, actor: Actor) -> ProfileView:
    """The actor's own profile, everything included.

    Raises:
        NotInDirectory: The actor is not in Liaison's directory.
    """
    return profile_view(own_person(session, actor), actor)


def view_profile(session: Session, actor: Actor, query: str) -> ProfileView:
    """Someone's profile as the actor may see it (see the module docstring for the rules).

    Args:
        session: The request's session.
        actor: Who is looking.
        query: A Slack user id, or a (possibly partial or misspelt) name.

    Raises:
        InvalidInput: Empty query.
        NotFound: Nobody in the directory fits, or several do (the message names them).
    """
    return profile_view(find_person(session, actor, query), actor)


def find_person(session: Session, actor: Actor, query: str) -> Person:
    """Resolve a Slack user id or a name to a person of the actor's workspace.

    A Slack id must match exactly; a name is matched like project names (`bot.domain.matching`), and
    only an exact or confident match is used, never a guess.

    Raises:
        InvalidInput: Empty query.
        NotFound: Nobody fits, or several people do (the message names up to three of them).
    """
    query = query.strip()
    if not query:
        raise InvalidInput("Whose profile? Mention them, e.g. `@Kwame Osei`.")
    people = list(session.scalars(select(Person).where(Person.workspace_id == actor.workspace_id)))
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
    raise NotFound(f"Nobody called “{query}” is in Liaison's directory.{hint}")


def show_profile(
    session_factory: sessionmaker[Session], settings: Settings, requester: Requester, target: str | None
) -> ProfileView:
    """The profile a requester asked for, as they may see it: their own, or `target`'s.

    Args:
        session_factory: The database.
        settings: Admins and the fallback zone.
        requester: Who asks.
        target: A Slack user id or a name (`find_person`); None for the requester's own profile.

    Raises:
        NotInDirectory: Their own profile, and they are not in Liaison's directory.
        UserFacingError: No workspace for their team, or nobody (or several people) fit `target`.
    """
    with session_factory() as session:
        actor = act_as(session, settings, requester)
        return own_profile(session, actor) if target is None else view_profile(session, actor, target)


def own_person(session: Session, actor: Actor) -> Person:
    """The actor's own person record, with publications.

    Raises:
        NotInDirectory: The actor is not in Liaison's directory.
    """
    person = (
        session.get(Person, actor.person_id, options=[selectinload(Person.publications)])
        if actor.person_id is not None
        else None
    )
    if person is None:
        raise NotInDirectory("You are not in Liaison's directory yet, so you have no profile.")
    return person


def profile_view(person: Person, actor: Actor) -> ProfileView:
    """`person`'s profile as `actor` may see it (the rules in the module docstring)."""
    own = actor.person_id == person.id
    texts_shown = own or person.expert_visibility == ExpertVisibility.LISTED
    return ProfileView(
        slack_id=person.slack_id,
        name=person.name,
        title=person.title,
        discipline=person.discipline,
        sector=person.sector,
        organisation=person.organisation,
        visibility=person.expert_visibility,
        own=own,
        texts_shown=texts_shown,
        expertise=person.expertise if texts_shown else None,
        publications=(
            tuple(PublicationLine(p.title, bool(p.abstract)) for p in person.publications)
            if texts_shown
            else ()
        ),
        weekly_request_cap=person.weekly_request_cap if own else None,
        until=person.until,
        admin_view=actor.is_admin and not own,
    )
