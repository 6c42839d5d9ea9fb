"""Editing one's own profile (`/profile edit`): validated as a whole, applied all or nothing.

An edit always acts on the actor's own person record, is validated as a whole (nothing is saved when
any field is wrong; problems come back keyed by field), writes an audit entry and bumps the
workspace's profiles version in the same transaction when — and only when — something changed, so
other processes reload the expert index (vectors are re-embedded lazily there, not here); a change of
the last day alone (`until`) is audited but leaves the index be.

The last day (`until`) is also set by an admin for someone else (`set_end_date`, the "Set last day"
form on their profile); see bot/projects/end_dates.py for what it sets off.

Publications are edited as one text, one title per line: blank lines are ignored and a leading bullet
(`•`, `-`, `*`) is dropped. A title that was already listed keeps its abstract (titles are compared
ignoring case and runs of spaces), wherever it moves in the list; a new title has no abstract.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import String
from sqlalchemy.orm import Session, sessionmaker

from bot.access import Actor, Requester, act_as
from bot.domain.dates import DateParseError, parse_due
from bot.errors import Forbidden, InvalidInput
from bot.experts.profile_version import bump_profiles_version
from bot.experts.profiles import ProfileView, find_person, own_person, profile_view
from bot.models import MAX_WEEKLY_REQUEST_CAP, ExpertVisibility, Person, Publication, Sector
from bot.projects.project import record_audit
from bot.settings import Settings


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
    "until",
)
_BULLETS = ("•", "-", "*", "–", "—")


class ProfileEditError(InvalidInput):
    """An edit with invalid fields; nothing was saved.

    Attributes:
        errors: Problem per field name (see `FIELDS`), phrased for the person who typed it.
    """

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {problem}" for field, problem in errors.items()))
        self.errors = errors


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
        until: The last day (`2026-12-18`, `dec 18`, `in 3 weeks`…), "" for none, or None to keep it.
    """

    title: str | None = None
    discipline: str | None = None
    organisation: str | None = None
    sector: str | None = None
    expertise: str | None = None
    publications: str | None = None
    visibility: str | None = None
    weekly_request_cap: str | None = None
    until: str | None = None


@dataclass(frozen=True)
class EditResult:
    """The outcome of a valid edit.

    Attributes:
        changed: Names of the fields that changed (empty: nothing was written at all).
        profile: The profile after the edit, as its owner sees it.
    """

    changed: tuple[str, ...]
    profile: ProfileView


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
    person = own_person(session, actor)
    wanted, errors = _validate(edit, person, now, actor.zone)
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
        if set(changed) - {"until"}:  # the last day is not matched against: no index reload
            bump_profiles_version(session, actor.workspace_id)
        session.flush()
    return EditResult(changed=changed, profile=profile_view(person, actor))


def save_own_profile(
    session_factory: sessionmaker[Session],
    settings: Settings,
    requester: Requester,
    edit: ProfileEdit,
    now: datetime,
    *,
    opened_for: str | None,
) -> EditResult:
    """Apply a submitted edit form to the requester's own profile, in one transaction.

    Args:
        session_factory: The database.
        settings: Admins and the fallback zone.
        requester: Who submitted the form: always the profile edited.
        edit: What the form submitted.
        now: When (UTC), for the audit entry.
        opened_for: The Slack id the form was opened for, if it says; a form opened for someone else
            is refused (Slack only lets that user submit it, so this one was forged or replayed).

    Returns:
        The changed fields (possibly none) and the profile as it now is.

    Raises:
        ProfileEditError: The form is someone else's, or some field is invalid; nothing was saved.
        UserFacingError: No workspace for the team, or the requester is not in the directory.
    """
    if opened_for is not None and opened_for != requester.user_id:
        raise ProfileEditError({"title": "This form was opened for someone else; nothing was saved."})
    with session_factory.begin() as session:
        return edit_own_profile(session, act_as(session, settings, requester), edit, now)


# -- the last day ----------------------------------------------------------------------------------


def read_until(text: str, current: date | None, *, now: datetime, zone: ZoneInfo) -> date | None:
    """Read a last day as typed in a form: any date `/milestone move` accepts, or empty for none.

    The day is taken in `zone` (a time, if written, is ignored). A day in the past is refused, unless
    it is the one already stored (a form saved unchanged).

    Args:
        text: What was typed (`2026-12-18`, `dec 18`, `in 3 weeks`, …), or "" to clear it.
        current: The stored last day.
        now: The current instant.
        zone: The typist's zone.

    Raises:
        InvalidInput: Not a date, or one in the past; the message can be shown as is.
    """
    typed = " ".join(text.split())
    if not typed:
        return None
    if current is not None and typed == current.isoformat():
        return current
    try:
        day = parse_due(typed, now=now, zone=zone).local.date()
    except DateParseError as error:
        raise InvalidInput(str(error)) from None
    if day < now.astimezone(zone).date() and day != current:
        raise InvalidInput(f"{day.isoformat()} is in the past; a last day is today or later.")
    return day


@dataclass(frozen=True)
class EndDateChange:
    """Someone's last day, set by an admin or themselves (`changed` is False when it was already so)."""

    slack_id: str
    name: str
    until: date | None
    previous: date | None
    changed: bool


def set_end_date(session: Session, actor: Actor, person_text: str, text: str, now: datetime) -> EndDateChange:
    """Set (or clear, with "") a person's last day: they or an admin may. Audited when it changes.

    Args:
        session: The request's session; the caller commits.
        actor: Who sets it.
        person_text: Whose: a Slack id or a name.
        text: The day as typed, or "" for none.
        now: When (UTC), for the audit entry and to read relative dates.

    Raises:
        NotFound: Nobody (or several people) fit `person_text`.
        Forbidden: The actor is neither that person nor an admin.
        InvalidInput: Not a date, or one in the past.
    """
    person = find_person(session, actor, person_text)
    if person.id != actor.person_id and not actor.is_admin:
        raise Forbidden("Only the person themself or an admin can set someone's last day.")
    until = read_until(text, person.until, now=now, zone=actor.zone)
    previous = person.until
    changed = until != previous
    if changed:
        person.until = until
        record_audit(
            session,
            actor,
            "set_until",
            "person",
            person.id,
            now,
            person=person.slack_id,
            before=previous,
            after=until,
        )
        session.flush()
    return EndDateChange(person.slack_id, person.name, until, previous, changed)


def save_end_date(
    session_factory: sessionmaker[Session],
    settings: Settings,
    requester: Requester,
    person: str,
    text: str,
    now: datetime,
) -> EndDateChange:
    """`set_end_date` in a transaction of its own, as the requester (the admin's "Set last day" form).

    Raises:
        UserFacingError: As `set_end_date`, or no workspace for the requester's team.
    """
    with session_factory.begin() as session:
        return set_end_date(session, act_as(session, settings, requester), person, text, now)


# -- internals -------------------------------------------------------------------------------------


# Fields whose old and new values go into the audit entry; the long texts are only named there.
_SHORT_FIELDS = frozenset(
    {"title", "discipline", "organisation", "sector", "visibility", "weekly_request_cap", "until"}
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
    until: date | None
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


def _validate(
    edit: ProfileEdit, person: Person, now: datetime, zone: ZoneInfo
) -> tuple[_Wanted, dict[str, str]]:
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
        # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
        elif not (raw.isascii() and raw.isdigit()) or not 0 <= int(raw) <= MAX_WEEKLY_REQUEST_CAP:
            errors["weekly_request_cap"] = (
                f"A whole number from 0 to {MAX_WEEKLY_REQUEST_CAP}, or empty for the workspace default."
            )
        else:
            cap = int(raw)

    until = person.until
    if edit.until is not None:
        try:
            until = read_until(edit.until, person.until, now=now, zone=zone)
        except InvalidInput as error:
            errors["until"] = error.message

    before: dict[str, object] = {
        "title": person.title,
        "discipline": person.discipline,
        "organisation": person.organisation,
        "sector": person.sector,
        "expertise": person.expertise,
        "publications": tuple((p.title, p.abstract) for p in person.publications),
        "visibility": person.expert_visibility,
        "weekly_request_cap": person.weekly_request_cap,
        "until": person.until,
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
        "until": until,
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
        until=until,
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
    person.until = wanted.until
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
