"""Profile hygiene: which of a person's works are embedded, and how a work becomes one text.

- **Most recent N.** A profile's last MAX_WORKS works (20, as reviewer-matching systems take) describe
  what a person works on now; a 200-work ORCID record would otherwise let a decade-old topic outvote
  this year's, and cost ten times the vectors. Works with a year go newest first; works without one
  keep their place after them, in profile order.
- **No duplicates.** The same work listed twice (ORCID and a BibTeX upload, a preprint and its
  journal version) counts once: works are the same when their DOIs are (case, ``https://doi.org/``
  and ``doi:`` prefixes ignored) or their titles are after folding case, accents and punctuation.
  The first one in recency order is kept, unless only a later copy has an abstract.
- **One clean text.** Title and abstract are joined with ". " only when the title does not already
  end a sentence: "Is consent fatigue real?" + abstract gives "Is consent fatigue real? We ...", not
  "...real?. We ...", and "Bid shading." gives "Bid shading. We ...", not "Bid shading.. We ...".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.matching import fold

# Works kept per person (most recent first).
MAX_WORKS = 20
# A title ending in one of these already ends a sentence (or introduces what follows).
_SENTENCE_END = (".", "?", "!", ":", ";", "…")
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:")


@dataclass(frozen=True)
class Work:
    """One publication as hygiene sees it.

    Attributes:
        position: Its place on the profile (the item key is built from it).
        title: As entered or fetched.
        abstract: Or None.
        year: Publication year, if known.
        doi: DOI in any common spelling, if known.
    """

    position: int
    title: str
    abstract: str | None = None
    year: int | None = None
    doi: str | None = None


def normalise_title(title: str) -> str:
    """A title folded for comparison: case, accents, punctuation and spacing ignored."""
    return fold(title)


def normalise_doi(doi: str | None) -> str | None:
    """A DOI without its resolver prefix, lower case; None for a blank one."""
    if doi is None:
        return None
    text = doi.strip().lower()
    for prefix in _DOI_PREFIXES:
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    return text or None


def select_works(works: Iterable[Work], *, limit: int = MAX_WORKS) -> list[Work]:
    """The works to embed: duplicates dropped, the `limit` most recent kept, in profile order.

    Args:
        works: A person's works in profile order; untitled ones are dropped.
        limit: How many to keep.

    Returns:
        The kept works, in their original profile order.
    """
    titled = [work for work in works if work.title.strip()]
    # Newest first; works without a year after all dated ones; ties keep profile order.
    by_recency = sorted(range(len(titled)), key=lambda i: (titled[i].year is None, -(titled[i].year or 0), i))
    kept: list[int] = []
    seen: dict[str, int] = {}
    for i in by_recency:
        work = titled[i]
        keys = [f"title:{normalise_title(work.title)}"]
        if (doi := normalise_doi(work.doi)) is not None:
            keys.append(f"doi:{doi}")
        duplicate_of = next((seen[key] for key in keys if key in seen), None)
        if duplicate_of is None:
            kept.append(i)
            for key in keys:
                seen[key] = i
            continue
        # A copy with an abstract says more than the one already kept without.
        if not (titled[duplicate_of].abstract or "").strip() and (work.abstract or "").strip():
            kept[kept.index(duplicate_of)] = i
            for key in keys:
                seen[key] = i
    return [titled[i] for i in sorted(kept[:limit])]


def work_text(title: str, abstract: str | None) -> str:
    """The text embedded for a work: its title and abstract, whitespace collapsed, one separator.

    Args:
        title: The title.
        abstract: The abstract, or None.

    Returns:
        ``"Title. Abstract"``, or ``"Title? Abstract"`` when the title already ends a sentence, or the
        title alone without an abstract.
    """
    clean_title = " ".join(title.split())
    clean_abstract = " ".join((abstract or "").split())
    if not clean_abstract:
        return clean_title
    if clean_title.endswith(_SENTENCE_END):
        return f"{clean_title} {clean_abstract}"
    return f"{clean_title}. {clean_abstract}"
