"""The scholarly HTTP client against the fake ORCID/OpenAlex server over real HTTP: retries that honour
Retry-After, timeouts, refusals, the polite User-Agent and conditional requests; and the pure pieces
(ORCID check characters, abstracts from inverted indexes, deduplication)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.cli.console.fake_scholarly import FakeScholarlyApi
from bot.errors import InvalidInput
from bot.experts.sources.http_client import (
    MemoryCache,
    NotFoundAtSource,
    ScholarlyHttpClient,
    SourceFetchError,
    polite_user_agent,
    retry_after_seconds,
)
from bot.experts.sources.openalex import rebuild_abstract
from bot.experts.sources.records import FetchedWork, merge_works, parse_openalex_author, parse_orcid

WORKS = "/v3.0/0000-0002-1825-0097/works"


def _client(waits: list[float], **kwargs: object) -> ScholarlyHttpClient:
    return ScholarlyHttpClient(polite_user_agent("ops@example.org"), sleep=waits.append, **kwargs)  # type: ignore[arg-type]


def test_429_waits_as_long_as_retry_after_says_then_succeeds(scholarly: FakeScholarlyApi) -> None:
    scholarly.fail(WORKS, 429, times=2, retry_after="3")
    waits: list[float] = []
    data = _client(waits).get_json(scholarly.url + WORKS)
    assert len(data["group"]) == 3
    assert waits == [3.0, 3.0]
    assert len(scholarly.paths(WORKS)) == 3


def test_503_with_an_http_date_retry_after(scholarly: FakeScholarlyApi) -> None:
    scholarly.fail(WORKS, 503, retry_after="Wed, 21 Oct 2015 07:28:00 GMT")  # in the past: no wait
    waits: list[float] = []
    _client(waits).get_json(scholarly.url + WORKS)
    assert waits == [0.0]
    when = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("Sun, 06 Dec 2026 12:00:30 GMT", when) == 30.0
    assert retry_after_seconds("soon", when) is None


def test_a_retry_after_beyond_the_bound_fails_at_once(scholarly: FakeScholarlyApi) -> None:
    scholarly.fail(WORKS, 429, retry_after="3600")
    waits: list[float] = []
    with pytest.raises(SourceFetchError, match="asked to wait 3600 s"):
        _client(waits).get_json(scholarly.url + WORKS)
    assert waits == [] and len(scholarly.paths(WORKS)) == 1


def test_5xx_are_retried_with_backoff_until_attempts_run_out(scholarly: FakeScholarlyApi) -> None:
    scholarly.fail(WORKS, 500, times=10)
    waits: list[float] = []
    with pytest.raises(SourceFetchError, match=r"HTTP 500, 3 tries") as raised:
        _client(waits, attempts=3).get_json(scholarly.url + WORKS)
    assert raised.value.status == 500
    assert waits == [0.01, 0.02]  # doubling (the autouse fixture shortens the 0.5 s base)
    assert len(scholarly.paths(WORKS)) == 3


def test_a_stalled_answer_times_out_and_is_retried(scholarly: FakeScholarlyApi) -> None:
    scholarly.stall(WORKS, 1.0)
    waits: list[float] = []
    data = _client(waits, timeout=0.3).get_json(scholarly.url + WORKS)
    assert len(data["group"]) == 3 and len(waits) == 1


def test_404_and_4xx_are_not_retried(scholarly: FakeScholarlyApi) -> None:
    waits: list[float] = []
    with pytest.raises(NotFoundAtSource):
        _client(waits).get_json(scholarly.url + "/v3.0/0000-0003-1415-9269/works")
    scholarly.fail(WORKS, 403)
    with pytest.raises(SourceFetchError, match="HTTP 403"):
        _client(waits).get_json(scholarly.url + WORKS)
    assert waits == []


def test_a_connection_refused_is_reported_after_retries() -> None:
    waits: list[float] = []
    with pytest.raises(SourceFetchError, match="could not connect"):
        _client(waits, attempts=2).get_json("http://127.0.0.1:9/v3.0/x/works")
    assert len(waits) == 1


def test_etag_revalidation_gets_304_and_serves_the_cached_body(scholarly: FakeScholarlyApi) -> None:
    client = _client([], cache=MemoryCache())
    first = client.get_json(scholarly.url + WORKS)
    second = client.get_json(scholarly.url + WORKS)
    assert first == second and client.stats.not_modified == 1
    last = scholarly.requests[-1].headers
    assert last["If-None-Match"].startswith('"') and "If-Modified-Since" in last
    assert last["User-Agent"] == "Liaison/1.0 (expert profiles; mailto:ops@example.org)"


def test_orcid_ids_are_checked_and_normalised() -> None:
    assert parse_orcid("0000000218250097") == "0000-0002-1825-0097"
    assert parse_orcid(" https://orcid.org/0000-0002-1694-233x ") == "0000-0002-1694-233X"
    for wrong in (
        "0000-0002-1825-0096",
        "0000-0002-1825-009",
        "0000-0002-1825-00971",
        "abcd-0002-1825-0097",
        "",
    ):
        with pytest.raises(InvalidInput):
            parse_orcid(wrong)
    assert parse_openalex_author("https://openalex.org/a5023888391") == "A5023888391"
    with pytest.raises(InvalidInput):
        parse_openalex_author("W123456")


def test_abstract_is_rebuilt_from_an_inverted_index() -> None:
    index = {"Despite": [0], "growing": [1], "interest": [2], "in": [3, 57], "Open": [4], "Access": [5]}
    assert rebuild_abstract(index) == "Despite growing interest in Open Access in"
    assert rebuild_abstract(None) is None and rebuild_abstract({}) is None
    assert rebuild_abstract({"a": "x", "b": [1, -4, "2"]}) == "b"


def test_merge_deduplicates_by_doi_and_title_and_fills_gaps() -> None:
    orcid = [FetchedWork("Bid Shading in Practice", 2021, "10.1/x"), FetchedWork("Untitled notes.", None)]
    openalex = [
        FetchedWork("Bid shading in practice", 2021, "10.1/x", "An abstract."),
        FetchedWork("Untitled Notes", 2019, None, "Notes."),
        FetchedWork("Newer work", 2024, "10.1/y"),
    ]
    merged = merge_works(orcid, openalex)
    assert [(w.title, w.year, w.abstract) for w in merged] == [
        ("Newer work", 2024, None),
        ("Bid Shading in Practice", 2021, "An abstract."),
        ("Untitled notes.", 2019, "Notes."),
    ]
