"""OpenAlex: an author (by ORCID or OpenAlex id), their works with abstracts, their topics.

`GET {base}/authors/orcid:{orcid}` or `{base}/authors/{A…}` gives the author with `topics` (and the
older `x_concepts`); `GET {base}/works?filter=author.id:{A…}&per-page=200&cursor=*` pages through the
works with `meta.next_cursor`. Abstracts come as an inverted index (word → positions), which
`rebuild_abstract` turns back into text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.experts.sources.http_client import ScholarlyHttpClient, SourceFetchError
from bot.experts.sources.records import FetchedWork, make_work

PER_PAGE = 200
# A bound on pages per author (200 works each): no loop on a source that keeps answering a cursor.
MAX_PAGES = 25
MAX_TOPICS = 8
_SELECT = "id,doi,title,display_name,publication_year,abstract_inverted_index"


@dataclass(frozen=True)
class OpenAlexAuthor:
    """An OpenAlex author: short id (`A…`), name, works count and topic names (most works first)."""

    id: str
    name: str
    works_count: int
    topics: tuple[str, ...]


def fetch_author(
    client: ScholarlyHttpClient, base_url: str, *, orcid: str | None = None, author_id: str | None = None
) -> OpenAlexAuthor:
    """The author record, by ORCID iD or by OpenAlex id.

    Raises:
        NotFoundAtSource: OpenAlex has no such author.
        SourceFetchError: Anything else went wrong.
    """
    key = f"orcid:{orcid}" if orcid else str(author_id)
    data = client.get_json(f"{base_url.rstrip('/')}/authors/{key}")
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise SourceFetchError("OpenAlex answered without an author.")
    topics = [t for t in data.get("topics") or [] if isinstance(t, dict)]
    if not topics:
        topics = [c for c in data.get("x_concepts") or [] if isinstance(c, dict)]
    names = tuple(str(t["display_name"]) for t in topics if isinstance(t.get("display_name"), str))
    return OpenAlexAuthor(
        id=data["id"].rsplit("/", 1)[-1],
        name=str(data.get("display_name") or ""),
        works_count=int(data.get("works_count") or 0),
        topics=names[:MAX_TOPICS],
    )


def fetch_author_works(
    client: ScholarlyHttpClient,
    base_url: str,
    author_id: str,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[FetchedWork]:
    """Every work of an author, page by page (`progress(read, total)` after each page).

    Raises:
        SourceFetchError: A page could not be read, or pages never end.
    """
    works: list[FetchedWork] = []
    cursor = "*"
    for _ in range(MAX_PAGES):
        data = client.get_json(
            f"{base_url.rstrip('/')}/works",
            {
                "filter": f"author.id:{author_id}",
                "per-page": str(PER_PAGE),
                "cursor": cursor,
                "select": _SELECT,
            },
        )
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list):
            raise SourceFetchError("OpenAlex answered without a list of works.")
        for result in results:
            work = _work(result) if isinstance(result, dict) else None
            if work is not None:
                works.append(work)
        meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
        if progress is not None:
            progress(len(works), int(meta.get("count") or len(works)))
        next_cursor = meta.get("next_cursor")
        if not results or not isinstance(next_cursor, str) or not next_cursor:
            return works
        cursor = next_cursor
    raise SourceFetchError(f"OpenAlex kept paging past {MAX_PAGES * PER_PAGE} works.")


def rebuild_abstract(inverted: Any) -> str | None:
    """The text of an `abstract_inverted_index` ({word: [positions]}); None if there is none."""
    if not isinstance(inverted, dict) or not inverted:
        return None
    placed: dict[int, str] = {}
    for word, positions in inverted.items():
        if not isinstance(positions, list):
            continue
        for position in positions:
            if isinstance(position, int) and 0 <= position < 100_000:
                placed[position] = str(word)
    return " ".join(placed[p] for p in sorted(placed)) or None


def _work(result: dict[str, Any]) -> FetchedWork | None:
    title = result.get("title") or result.get("display_name")
    year = result.get("publication_year")
    doi = result.get("doi")
    return make_work(
        title if isinstance(title, str) else None,
        year if isinstance(year, int) else None,
        doi if isinstance(doi, str) else None,
        rebuild_abstract(result.get("abstract_inverted_index")),
    )
