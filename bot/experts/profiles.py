"""People's profiles: show one's own or a colleague's, and edit one's own (`/profile`).

Who sees what: everyone sees a person's name, title, discipline, organisation and sector. The
expertise text and the publications are shown to others only when the person is LISTED; a HIDDEN
profile's texts are shown to nobody but its owner — admins included, because "hidden" promises that
nobody else reads them (an admin still has the database and `liaison export`). The visibility and
the weekly request cap are shown only to the owner.

An edit always acts on the actor's own person record, is validated as a whole (nothing is saved when
any field is wrong; problems come back keyed by field), writes an audit entry and bumps the
workspace's profiles version in the same transaction when — and only when — something changed, so
other processes reload the expert index (vectors are re-embedded lazily there, not here).

Publications are edited as one text, one title per line: blank lines are ignored and a leading bullet
(`•`, `-`, `*`) is dropped. A title that was already listed keeps its abstract (titles are compared
ignoring case and runs of spaces), wherever it moves in the list; a new title has no abstract.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, select
from sqlalchemy.orm import Session, selectinload

from bot.access import Actor
from bot.domain.matching import Candidate, MatchKind, match_name
from bot.errors import InvalidInput, NotFound
from bot.experts.profile_version import bump_profiles_version
from bot.models import MAX_WEEKLY_REQUEST_CAP, ExpertVisibility, Person, Publication, Sector
from bot.projects.project import record_audit


def _column_length(column: str) -> int:
    kind = Person.__table__.c[column].type
    assert isinstance(kind, String) and kind.length is not None
    return kind.length


# Lengths of the short fields come from the columns; the long texts are bounded by what one Slack
# input holds (3,000 characters), since that is where they are edited.
MAX_TITLE = _column_length("title")
MAX_DISCIPLINE = _column_length("discipline")
MAX_ORGANISATION = _column_length("organisation")
MAX_EXPERTISE = 3000
MAX_PUBLICATIONS = 50
MAX_PUBLICATION_TITLE = 300
# The fields of an edit, in form order; `ProfileEditError.errors` and audit details use these names.
FIELDS = (
    "title",
    "discipline",
    "organisation",
    "sector",
    "expertise",
    "publications",
    "visibility",
    "weekly_request_cap",
)
_BULLETS = ("•", "-", "*", "–", "—")


class NotInDirectory(NotFound):
    """The Slack user asking has no person record in Liaison yet, so has no profile."""


class ProfileEditError(InvalidInput):
    """An edit with invalid fields; nothing was saved.

    Attributes:
        errors: Problem per field name (see `FIELDS`), phrased for the person who typed it.
    """

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {problem}" for field, problem in errors.items()))
        self.errors = errors


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


@dataclass(frozen=True)
class ProfileEdit:
    """What the edit form submitted, as typed; `edit_own_profile` validates it.

    None means "not part of this form": the stored value is kept. An empty text clears the field.

    Attributes:
        title: The job title (likewise `discipline`, `organisation`), or None to keep it.
        sector: "industry", "academia", "" for neither, or None to keep it.
        expertise: The expertise text, or None to keep it (too long for Slack to edit).
        publications: One title per line, or None to keep them (too long for Slack to edit).
        visibility: "listed" or "hidden", or None to keep it.
        weekly_request_cap: A whole number 0-100, "" for the workspace default, or None to keep it.
    """

    title: str | None = None
    discipline: str | None = None
    organisation: str | None = None
    sector: str | None = None
    expertise: str | None = None
    publications: str | None = None
    visibility: str | None = None
    weekly_request_cap: str | None = None


@dataclass(frozen=True)
class EditResult:
    """The outcome of a valid edit.

    Attributes:
        changed: Names of the fields that changed (empty: nothing was written at all).
        profile: The profile after the edit, as its owner sees it.
    """

    changed: tuple[str, ...]
    profile: ProfileView


def own_profile(session: Session, actor: Actor) -> ProfileView:
    """The actor's own profile, everything included.

    Raises:
        NotInDirectory: The actor is not in Liaison's directory.
    """
    return _view(_own_person(session, actor), actor)


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
    return _view(find_person(session, actor, query), actor)


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


def edit_own_profile(session: Session, actor: Actor, edit: ProfileEdit, now: datetime) -> EditResult:
    """Validate an edit of the actor's own profile and apply it, all or nothing.

    Args:
        session: The request's session; the caller commits.
        actor: The person editing — always the profile edited, whatever the form claims.
        edit: What the form submitted.
        now: When (UTC), for the audit entry.

    Returns:
        The changed fields (possibly none) and the profile as it now is.

    Raises:
        NotInDirectory: The actor is not in Liaison's directory.
        ProfileEditError: Some field is invalid; nothing was changed.
    """
    person = _own_person(session, actor)
    wanted, errors = _validate(edit, person)
    if errors:
        raise ProfileEditError(errors)
    changed = _apply(person, wanted)
    if changed:
        before_after = {
            name: {"before": wanted.before[name], "after": wanted.after[name]}
            for name in changed
            if name in _SHORT_FIELDS
        }
        record_audit(
            session,
            actor,
            "edit_profile",
            "person",
            person.id,
            now,
            changed=list(changed),
            **before_after,
        )
        bump_profiles_version(session, actor.workspace_id)
        session.flush()
    return EditResult(changed=changed, profile=_view(person, actor))


# -- internals -------------------------------------------------------------------------------------


# Fields whose old and new values go into the audit entry; the long texts are only named there.
_SHORT_FIELDS = frozenset(
    {"title", "discipline", "organisation", "sector", "visibility", "weekly_request_cap"}
)


def _own_person(session: Session, actor: Actor) -> Person:
    person = (
        session.get(Person, actor.person_id, options=[selectinload(Person.publications)])
        if actor.person_id is not None
        else None
    )
    if person is None:
        raise NotInDirectory("You are not in Liaison's directory yet, so you have no profile.")
    return person


def _view(person: Person, actor: Actor) -> ProfileView:
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
    )


@dataclass(frozen=True)
class _Wanted:
    title: str | None
    discipline: str | None
    organisation: str | None
    sector: Sector | None
    expertise: str | None
    publications: tuple[tuple[str, str | None], ...]  # (title, abstract), in order
    visibility: ExpertVisibility
    weekly_request_cap: int | None
    before: dict[str, object]
    after: dict[str, object]


def _short_text(
    value: str | None, current: str | None, limit: int, label: str, errors: dict[str, str], field: str
) -> str | None:
    if value is None:
        return current
    text = " ".join(value.split())  # one line: these are shown inline next to the name
    if current is not None and text == " ".join(current.split()):
        return current  # only spacing differs (e.g. imported text): not a change
    if len(text) > limit:
        errors[field] = f"The {label} can be at most {limit} characters (this has {len(text)})."
    return text or None


def _title_key(title: str) -> str:
    return " ".join(title.split()).casefold()


def parse_publication_titles(text: str) -> list[str]:
    """The titles of a publications text: one per line, blank lines ignored, a leading bullet dropped."""
    titles = []
    for line in text.splitlines():
        title = line.strip()
        if title.startswith(_BULLETS):
            title = title[1:].strip()
        if title:
            titles.append(" ".join(title.split()))
    return titles


def _validate(edit: ProfileEdit, person: Person) -> tuple[_Wanted, dict[str, str]]:
    errors: dict[str, str] = {}
    title = _short_text(edit.title, person.title, MAX_TITLE, "title", errors, "title")
    discipline = _short_text(
        edit.discipline, person.discipline, MAX_DISCIPLINE, "discipline", errors, "discipline"
    )
    organisation = _short_text(
        edit.organisation, person.organisation, MAX_ORGANISATION, "organisation", errors, "organisation"
    )

    sector = person.sector
    if edit.sector is not None:
        try:
            sector = Sector(edit.sector.strip()) if edit.sector.strip() else None
        except ValueError:
            # Only a forged or outdated form sends another value.
            errors["sector"] = "Pick industry, academia or neither."

    expertise = person.expertise
    if edit.expertise is not None:
        typed = edit.expertise.replace("\r\n", "\n").strip()
        # Slack may trim what it prefilled; an expertise that differs only there is not a change.
        expertise = person.expertise if typed == (person.expertise or "").strip() else (typed or None)
        if expertise is not None and len(expertise) > MAX_EXPERTISE:
            errors["expertise"] = f"At most {MAX_EXPERTISE} characters (this has {len(expertise)})."

    publications = tuple((p.title, p.abstract) for p in person.publications)
    if edit.publications is not None:
        publications, problem = _publications(edit.publications, person.publications)
        if problem:
            errors["publications"] = problem

    visibility = person.expert_visibility
    if edit.visibility is not None:
        try:
            visibility = ExpertVisibility(edit.visibility.strip())
        except ValueError:
            errors["visibility"] = "Choose listed or hidden."

    cap = person.weekly_request_cap
    if edit.weekly_request_cap is not None:
        raw = edit.weekly_request_cap.strip()
        if not raw:
            cap = None
        elif not raw.isdigit() or not 0 <= int(raw) <= MAX_WEEKLY_REQUEST_CAP:
            errors["weekly_request_cap"] = (
                f"A whole number from 0 to {MAX_WEEKLY_REQUEST_CAP}, or empty for the workspace default."
            )
        else:
            cap = int(raw)

    before: dict[str, object] = {
        "title": person.title,
        "discipline": person.discipline,
        "organisation": person.organisation,
        "sector": person.sector,
        "expertise": person.expertise,
        "publications": tuple((p.title, p.abstract) for p in person.publications),
        "visibility": person.expert_visibility,
        "weekly_request_cap": person.weekly_request_cap,
    }
    after: dict[str, object] = {
        "title": title,
        "discipline": discipline,
        "organisation": organisation,
        "sector": sector,
        "expertise": expertise,
        "publications": publications,
        "visibility": visibility,
        "weekly_request_cap": cap,
    }
    wanted = _Wanted(
        title=title,
        discipline=discipline,
        organisation=organisation,
        sector=sector,
        expertise=expertise,
        publications=publications,
        visibility=visibility,
        weekly_request_cap=cap,
        before=before,
        after=after,
    )
    return wanted, errors


def _publications(
    text: str, current: list[Publication]
) -> tuple[tuple[tuple[str, str | None], ...], str | None]:
    """New (title, abstract) pairs from the edited text, or a problem to show next to the field."""
    titles = parse_publication_titles(text)
    if len(titles) > MAX_PUBLICATIONS:
        return (), f"At most {MAX_PUBLICATIONS} publications (this lists {len(titles)})."
    too_long = next((t for t in titles if len(t) > MAX_PUBLICATION_TITLE), None)
    if too_long is not None:
        return (), f"A title can be at most {MAX_PUBLICATION_TITLE} characters: “{too_long[:40]}…”."
    seen: set[str] = set()
    for title in titles:
        if _title_key(title) in seen:
            return (), f"“{title}” is listed twice."
        seen.add(_title_key(title))
    abstracts = {_title_key(p.title): p.abstract for p in current}
    # A stored title that differs from the typed one only in spacing is kept verbatim (not a change).
    stored = {" ".join(p.title.split()): p.title for p in current}
    return tuple((stored.get(title, title), abstracts.get(_title_key(title))) for title in titles), None


def _apply(person: Person, wanted: _Wanted) -> tuple[str, ...]:
    """Write what differs; return the names of the fields that changed, in form order."""
    changed = tuple(name for name in FIELDS if wanted.before[name] != wanted.after[name])
    if not changed:
        return ()
    person.title = wanted.title
    person.discipline = wanted.discipline
    person.organisation = wanted.organisation
    person.sector = wanted.sector
    person.expertise = wanted.expertise
    person.expert_visibility = wanted.visibility
    person.weekly_request_cap = wanted.weekly_request_cap
    if "publications" in changed:
        # Rows keep their positions (updated in place, extras removed, new ones appended), as the
        # import does: the (person, position) key is never held by two rows during the flush.
        current = list(person.publications)
        for position, (title, abstract) in enumerate(wanted.publications):
            if position < len(current):
                current[position].title = title
                current[position].abstract = abstract
            else:
                person.publications.append(Publication(position=position, title=title, abstract=abstract))
        for extra in current[len(wanted.publications) :]:
            person.publications.remove(extra)
    return changed
