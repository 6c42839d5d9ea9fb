"""What a source yields (works, an expertise hint) and the identifiers that name records.

ORCID iDs are checked with their ISO 7064 MOD 11-2 check character, so a mistyped digit is caught
before any request; OpenAlex author ids are `A` and digits. Works are keyed by DOI when they have one,
else by their normalised title: the same work from ORCID and OpenAlex (or listed twice) is one item.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace

from bot.errors import InvalidInput

ORCID = "orcid"
OPENALEX = "openalex"
BIBTEX = "bibtex"
CSV = "csv"
# Sources a person links (and the refresh job re-reads); uploads are one-off.
LINKED_SOURCES = (ORCID, OPENALEX)
SOURCE_NAMES = {ORCID: "ORCID", OPENALEX: "OpenAlex", BIBTEX: "BibTeX", CSV: "CSV"}

_ORCID_RE = re.compile(r"^(\d{4})-?(\d{4})-?(\d{4})-?(\d{3}[\dX])$")
_ORCID_PREFIXES = ("https://orcid.org/", "http://orcid.org/", "orcid.org/", "orcid:")
_OPENALEX_RE = re.compile(r"^A\d{4,12}$")
_OPENALEX_PREFIXES = ("https://openalex.org/", "http://openalex.org/", "openalex.org/")
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:")
MAX_TITLE = 500
MAX_ABSTRACT = 5000


@dataclass(frozen=True)
class FetchedWork:
    """One work as a source describes it.

    Attributes:
        title: The title (whitespace collapsed).
        year: Publication year, if known.
        doi: The DOI, lower case, without a resolver prefix.
        abstract: The abstract, if the source has one.
    """

    title: str
    year: int | None = None
    doi: str | None = None
    abstract: str | None = None

    @property
    def key(self) -> str:
        """``doi:<doi>``, else ``title:<normalised title>`` (see the module docstring)."""
        return f"doi:{self.doi}" if self.doi else f"title:{normalise_title(self.title)[:380]}"


@dataclass(frozen=True)
class FetchedProfile:
    """Everything read from one source for one person, complete (a fetch never yields a part).

    Attributes:
        source: ``"orcid"``, ``"openalex"``, ``"bibtex"`` or ``"csv"``.
        external_id: The record read (an ORCID iD, an OpenAlex id; the file name for uploads).
        works: Deduplicated, most recent first.
        expertise: Biography, keywords or topics, as a paragraph; None if the source has none.
    """

    source: str
    external_id: str
    works: tuple[FetchedWork, ...]
    expertise: str | None = None


def orcid_check_character(base_digits: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 15 digits of an ORCID iD."""
    total = 0
    for digit in base_digits:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def parse_orcid(text: str) -> str:
    """An ORCID iD as typed (bare, with or without dashes, or as an orcid.org URL), normalised.

    Raises:
        InvalidInput: Not 16 characters in the ORCID shape, or a wrong check character.
    """
    raw = text.strip().strip("<>")
    for prefix in _ORCID_PREFIXES:
        if raw.lower().startswith(prefix):
            raw = raw[len(prefix) :]
    match = _ORCID_RE.match(raw.upper())
    if not match:
        raise InvalidInput(
            f"“{text.strip()[:40]}” is not an ORCID iD: it has 16 characters in four groups, "
            "like `0000-0002-1825-0097`."
        )
    digits = "".join(match.groups())
    if orcid_check_character(digits[:15]) != digits[15]:
        raise InvalidInput(
            f"“{text.strip()[:40]}” is not a valid ORCID iD: its last character does not match the "
            "others (a digit may be mistyped). Copy it from your ORCID record."
        )
    return "-".join(match.groups())


def parse_openalex_author(text: str) -> str:
    """An OpenAlex author id (`A5023888391`, or its openalex.org URL), normalised.

    Raises:
        InvalidInput: Not an author id.
    """
    raw = text.strip().strip("<>")
    for prefix in _OPENALEX_PREFIXES:
        if raw.lower().startswith(prefix):
            raw = raw[len(prefix) :]
    raw = raw.upper()
    if not _OPENALEX_RE.match(raw):
        raise InvalidInput(f"“{text.strip()[:40]}” is not an OpenAlex author id (like `A5023888391`).")
    return raw


def parse_external_id(source: str, text: str) -> str:
    """Validate and normalise the id of a linked source (`parse_orcid`, `parse_openalex_author`)."""
    return parse_orcid(text) if source == ORCID else parse_openalex_author(text)


def normalise_doi(value: str | None) -> str | None:
    """A DOI in lower case without resolver prefix; None when `value` holds no DOI."""
    if not value:
        return None
    doi = value.strip()
    for prefix in _DOI_PREFIXES:
        if doi.lower().startswith(prefix):
            doi = doi[len(prefix) :]
    doi = doi.strip().lower()
    return doi[:300] if doi.startswith("10.") and "/" in doi else None


def normalise_title(title: str) -> str:
    """A title for comparing: case-folded, accents and punctuation dropped, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", title)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", letters.casefold()).split())


def clean_text(value: str | None, limit: int) -> str | None:
    """Whitespace collapsed and cut to `limit` characters; None when nothing is left."""
    if not value:
        return None
    text = " ".join(value.split())
    return text[:limit] if text else None


def make_work(
    title: str | None, year: int | None, doi: str | None, abstract: str | None
) -> FetchedWork | None:
    """A `FetchedWork` from raw fields, or None when it has no title."""
    clean_title = clean_text(title, MAX_TITLE)
    if clean_title is None:
        return None
    if year is not None and not 1000 <= year <= 2999:
        year = None
    return FetchedWork(clean_title, year, normalise_doi(doi), clean_text(abstract, MAX_ABSTRACT))


def merge_works(*lists: Iterable[FetchedWork]) -> tuple[FetchedWork, ...]:
    """Works from several lists, deduplicated by DOI and by normalised title, most recent first.

    The first list wins a duplicate; later ones fill in what it lacks (an abstract, a year, a DOI).
    """
    merged: list[FetchedWork] = []
    by_doi: dict[str, int] = {}
    by_title: dict[str, int] = {}
    for works in lists:
        for work in works:
            title_key = normalise_title(work.title)
            index = by_doi.get(work.doi) if work.doi else None
            if index is None:
                index = by_title.get(title_key)
            if index is None:
                merged.append(work)
                index = len(merged) - 1
            else:
                kept = merged[index]
                merged[index] = replace(
                    kept,
                    year=kept.year or work.year,
                    doi=kept.doi or work.doi,
                    abstract=kept.abstract or work.abstract,
                )
            if merged[index].doi:
                by_doi[merged[index].doi or ""] = index
            by_title[title_key] = index
    return tuple(sorted(merged, key=lambda w: -(w.year or 0)))
