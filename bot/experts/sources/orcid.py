"""The public ORCID API v3.0: a record's works (titles, years, DOIs) and its biography and keywords.

`GET {base}/v3.0/{orcid}/works` answers a `group` per work; each group's first `work-summary` is the
preferred version (ORCID orders them so). `GET {base}/v3.0/{orcid}/person` has `biography.content` and
`keywords.keyword[].content`. Summaries carry no abstracts: OpenAlex adds them (`bot.experts.sources.fetch`).
"""

from __future__ import annotations

from typing import Any

from bot.experts.sources.http_client import ScholarlyHttpClient, SourceFetchError
from bot.experts.sources.records import FetchedWork, make_work


def fetch_orcid_works(client: ScholarlyHttpClient, base_url: str, orcid: str) -> list[FetchedWork]:
    """The works of an ORCID record, in the record's order.

    Raises:
        SourceFetchError: The API could not be read or answered something unexpected.
    """
    data = client.get_json(f"{base_url.rstrip('/')}/v3.0/{orcid}/works")
    groups = _dict(data).get("group")
    if not isinstance(groups, list):
        raise SourceFetchError("ORCID answered without a list of works.")
    works = []
    for group in groups:
        summaries = _dict(group).get("work-summary")
        if not isinstance(summaries, list) or not summaries:
            continue
        work = _summary_work(_dict(summaries[0]))
        if work is not None:
            works.append(work)
    return works


def fetch_orcid_expertise(client: ScholarlyHttpClient, base_url: str, orcid: str) -> str | None:
    """The record's keywords and biography as one paragraph (None when it has neither)."""
    data = _dict(client.get_json(f"{base_url.rstrip('/')}/v3.0/{orcid}/person"))
    keywords = [
        str(_dict(k).get("content")).strip()
        for k in _dict(data.get("keywords")).get("keyword") or []
        if isinstance(_dict(k).get("content"), str) and str(_dict(k).get("content")).strip()
    ]
    biography = _dict(data.get("biography")).get("content")
    parts = []
    if keywords:
        parts.append("; ".join(keywords) + ".")
    if isinstance(biography, str) and biography.strip():
        parts.append(" ".join(biography.split()))
    return " ".join(parts) or None


def _summary_work(summary: dict[str, Any]) -> FetchedWork | None:
    title = _value(_dict(summary.get("title")).get("title"))
    year_text = _value(_dict(summary.get("publication-date")).get("year"))
    year = int(year_text) if year_text and year_text.isdigit() else None
    doi = None
    for external in _dict(summary.get("external-ids")).get("external-id") or []:
        external = _dict(external)
        if str(external.get("external-id-type", "")).lower() == "doi":
            doi = _value(external.get("external-id-normalized")) or external.get("external-id-value")
            if isinstance(doi, str) and external.get("external-id-relationship", "self") == "self":
                break
    return make_work(title, year, doi if isinstance(doi, str) else None, None)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _value(node: Any) -> str | None:
    """ORCID wraps strings as ``{"value": "..."}``."""
    value = _dict(node).get("value")
    return value if isinstance(value, str) else None
