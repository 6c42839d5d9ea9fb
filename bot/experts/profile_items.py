"""The embeddable items of a person's profile, and the profiles of a workspace read for the index.

Each profile item (the expertise paragraph, each publication) is embedded on its own; its text is what
the model reads and its label what a user sees as the reason for a match.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from bot.domain.experts.hygiene import Work, select_works, work_text
from bot.domain.experts.profiles import EXPERTISE, PUBLICATION
from bot.experts.sources.tables import ProfileSourceLink, SourceWork
from bot.models import ExpertVisibility, Person, Publication, Sector

# The item key of the expertise paragraph; publications are keyed by position ("publication:3").
EXPERTISE_KEY = "expertise"


@dataclass(frozen=True)
class ItemText:
    """One profile item as it is embedded and shown.

    Attributes:
        key: Stable per person: ``"expertise"`` or ``"publication:<position>"``.
        kind: ``"expertise"`` or ``"publication"`` (bot.domain.experts.profiles).
        label: What a user sees as the reason for a match (a publication's title).
        text: What is embedded (a publication's title and abstract).
    """

    key: str
    kind: str
    label: str
    text: str

    @property
    def content_hash(self) -> str:
        """SHA-256 of the embedded text; a changed hash means the stored vector is stale."""
        return content_hash(self.text)


def content_hash(text: str) -> str:
    """The hex SHA-256 of `text` (UTF-8), as stored with its vector."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def profile_items(person: Person) -> list[ItemText]:
    """The embeddable items of a person's profile, in display order.

    A publication is embedded with its abstract when it has one (titles alone are terse; the abstract
    says what the work is about) but shown by its title. Whitespace is collapsed, so re-wrapping a
    paragraph changes no hash; blank items are skipped.

    Args:
        person: The person, with `publications` loaded (or loadable).

    Returns:
        The expertise paragraph (if any), then each publication with a title.
    """
    session = object_session(person)
    works, hints = _fetched(session, person.workspace_id, [person.id]) if session else ({}, {})
    own = [Work(p.position, p.title, p.abstract) for p in person.publications]
    return item_texts(person.expertise or hints.get(person.id), own + works.get(person.id, []))


def item_texts(
    expertise: str | None, publications: Iterable[tuple[int, str, str | None] | Work]
) -> list[ItemText]:
    """The items of an expertise text and ``(position, title, abstract)`` publications (`profile_items`).

    Profile hygiene (`bot.domain.experts.hygiene`): duplicates (same DOI or title) count once, only
    the MAX_WORKS most recent works are embedded, and title and abstract join without doubled
    punctuation. A `Work` may carry a year and a DOI; a plain tuple has neither.
    """
    items = []
    if expertise and expertise.strip():
        text = " ".join(expertise.split())
        items.append(ItemText(EXPERTISE_KEY, EXPERTISE, text, text))
    works = [entry if isinstance(entry, Work) else Work(*entry) for entry in publications]
    for work in select_works(works):
        title = " ".join(work.title.split())
        text = work_text(title, work.abstract)
        items.append(ItemText(f"publication:{work.position}", PUBLICATION, title, text))
    return items


class ProfileRow(NamedTuple):
    """A person as the index needs them, read with plain SQL rows: building ORM objects for a 10k
    directory took most of a sync's or a reload's time (1.5 s of 2)."""

    id: int
    slack_id: str
    name: str
    title: str | None
    discipline: str | None
    organisation: str | None
    sector: Sector | None
    weekly_request_cap: int | None
    visibility: ExpertVisibility
    items: list[ItemText]


def read_profiles(
    session: Session,
    workspace_id: int,
    *,
    person_ids: Collection[int] | None = None,
    listed_only: bool = False,
) -> list[ProfileRow]:
    """The people of a workspace (or some of them) with their profile items, in id order."""
    people_query = (
        select(
            Person.id,
            Person.slack_id,
            Person.name,
            Person.title,
            Person.discipline,
            Person.organisation,
            Person.sector,
            Person.weekly_request_cap,
            Person.expert_visibility,
            Person.expertise,
        )
        .where(Person.workspace_id == workspace_id)
        .order_by(Person.id)
    )
    publications_query = (
        select(Publication.person_id, Publication.position, Publication.title, Publication.abstract)
        .join(Person, Publication.person_id == Person.id)
        .where(Person.workspace_id == workspace_id)
        .order_by(Publication.person_id, Publication.position)
    )
    if listed_only:
        people_query = people_query.where(Person.expert_visibility == ExpertVisibility.LISTED)
        publications_query = publications_query.where(Person.expert_visibility == ExpertVisibility.LISTED)
    if person_ids is not None:
        people_query = people_query.where(Person.id.in_(person_ids))
        publications_query = publications_query.where(Person.id.in_(person_ids))
    publications: dict[int, list[tuple[int, str, str | None]]] = {}
    for person_id, position, title, abstract in session.execute(publications_query):
        publications.setdefault(person_id, []).append((position, title, abstract))
    works, hints = _fetched(session, workspace_id, person_ids)
    return [
        ProfileRow(
            *row[:9],
            items=item_texts(
                row[9] or hints.get(row[0]), [*publications.get(row[0], ()), *works.get(row[0], ())]
            ),
        )
        for row in session.execute(people_query)
    ]


# Works fetched from ORCID/OpenAlex or uploaded (bot/experts/sources) are keyed past any publication's
# position ("publication:<FETCHED_POSITIONS + row id>"); hidden ones are not embedded. A source's
# expertise hint (biography, keywords, topics) stands in for an expertise the person has not written.
FETCHED_POSITIONS = 1_000_000


def _fetched(
    session: Session, workspace_id: int, person_ids: Collection[int] | None
) -> tuple[dict[int, list[Work]], dict[int, str]]:
    works_query = (
        select(
            SourceWork.person_id,
            SourceWork.id,
            SourceWork.title,
            SourceWork.abstract,
            SourceWork.year,
            SourceWork.doi,
        )
        .join(Person, SourceWork.person_id == Person.id)
        .where(Person.workspace_id == workspace_id, SourceWork.hidden.is_(False))
        .order_by(SourceWork.person_id, SourceWork.id)
    )
    hints_query = (
        select(ProfileSourceLink.person_id, ProfileSourceLink.expertise)
        .join(Person, ProfileSourceLink.person_id == Person.id)
        .where(Person.workspace_id == workspace_id, ProfileSourceLink.expertise.is_not(None))
        .order_by(ProfileSourceLink.source.desc())  # ORCID's own words before OpenAlex's topics
    )
    if person_ids is not None:
        works_query = works_query.where(SourceWork.person_id.in_(person_ids))
        hints_query = hints_query.where(ProfileSourceLink.person_id.in_(person_ids))
    works: dict[int, list[Work]] = {}
    for person_id, row_id, title, abstract, year, doi in session.execute(works_query):
        works.setdefault(person_id, []).append(Work(FETCHED_POSITIONS + row_id, title, abstract, year, doi))
    hints: dict[int, str] = {}
    for person_id, expertise in session.execute(hints_query):
        if expertise:
            hints.setdefault(person_id, expertise)
    return works, hints
