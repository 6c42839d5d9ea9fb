"""A fake ORCID public API v3.0 and OpenAlex API on 127.0.0.1, for tests and the demo.

The answers follow the APIs' documented shapes (written from their schemas, never recorded from the
real services): ORCID's `works` (a `group` per work, each with `work-summary` entries carrying
`title.title.value`, `publication-date.year.value` and `external-ids.external-id[]`) and `person`
(`biography.content`, `keywords.keyword[].content`); OpenAlex's author (`id`, `orcid`, `display_name`,
`works_count`, `topics[]`) and works list (`meta.count`, `meta.next_cursor`, `results[]` with `doi`,
`title`, `publication_year` and `abstract_inverted_index`). Every answer has an `ETag` and a
`Last-Modified`, and a matching `If-None-Match` gets a 304.

Faults for tests: `fail(prefix, status, times, retry_after)` answers the next requests under a path
prefix with an error, `stall(prefix, seconds, times)` answers them late (a client with a shorter timeout
gives up). Every request is recorded with its headers (`requests`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from bot.cli.console.fake_slack_http import FAKE_POLL_INTERVAL
from bot.experts.sources.http_client import SourceFetchError
from bot.experts.sources.service import fetch_into
from bot.experts.sources.tables import ProfileSourceLink
from bot.services import Services

logger = logging.getLogger(__name__)

LAST_MODIFIED = "Fri, 04 Dec 2026 09:00:00 GMT"
PAGE_SIZE_LIMIT = 200


@dataclass(frozen=True)
class FakeWork:
    """A work of a fake researcher."""

    title: str
    year: int
    doi: str | None = None
    abstract: str | None = None


@dataclass
class FakeResearcher:
    """Someone the fake serves, by ORCID iD and OpenAlex id."""

    orcid: str
    openalex_id: str
    name: str
    biography: str = ""
    keywords: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    works: list[FakeWork] = field(default_factory=list)
    # Works only OpenAlex knows (ORCID lists the others).
    openalex_only: list[FakeWork] = field(default_factory=list)


@dataclass
class RecordedRequest:
    """One request the fake received."""

    path: str
    headers: dict[str, str]


@dataclass
class _Fault:
    prefix: str
    times: int
    status: int = 0
    retry_after: str | None = None
    stall: float = 0.0


def _inverted_index(text: str) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for position, word in enumerate(text.split()):
        index.setdefault(word, []).append(position)
    return index


def demo_researcher() -> FakeResearcher:
    """The demo's linked researcher: Prof. Yuki Harada (ORCID iD with a valid check character)."""
    return FakeResearcher(
        orcid="0000-0002-1825-0097",
        openalex_id="A5023888391",
        name="Yuki Harada",
        biography=(
            "I study representation learning for sparse, high-cardinality data and how learned "
            "recommenders behave under distribution shift."
        ),
        keywords=("representation learning", "recommender systems", "distribution shift"),
        topics=("Recommender Systems and Techniques", "Advanced Graph Neural Networks"),
        works=[
            FakeWork(
                "Contrastive pre-training of advertiser embeddings for cold-start campaigns",
                2026,
                "10.5555/liaison.demo.2026.1",
                "We pre-train advertiser and campaign embeddings with a contrastive objective over "
                "co-bidding graphs and show that new campaigns reach stable click-through estimates "
                "three times sooner.",
            ),
            FakeWork(
                "Detecting covariate shift in click-through-rate models from feature hashes",
                2025,
                "10.5555/liaison.demo.2025.2",
                "A monitoring method that detects distribution shift in production CTR models using "
                "only the hashed feature stream, before calibration degrades.",
            ),
            FakeWork(
                "Graph neural networks for cold-start advertiser recommendation",
                2024,
                "10.5555/liaison.demo.2024.3",
                "Message passing over the advertiser-publisher graph recommends placements to "
                "advertisers with no history.",
            ),
        ],
        openalex_only=[
            FakeWork(
                "Calibrated uncertainty for sparse embedding models in real-time bidding",
                2023,
                "10.5555/liaison.demo.2023.4",
                "Deep ensembles over hashed embeddings give calibrated win-rate uncertainty at "
                "serving latency.",
            )
        ],
    )


def many_works_researcher(count: int = 200) -> FakeResearcher:
    """A researcher with `count` works (ORCID lists all; OpenAlex has abstracts): the 200-work case."""
    works = [
        FakeWork(
            f"Study {n} of auction dynamics in programmatic advertising",
            2000 + n % 27,
            f"10.5555/liaison.many.{n}",
            f"Paper {n} measures bid landscapes and reserve prices in display auctions.",
        )
        for n in range(count)
    ]
    return FakeResearcher(
        orcid="0000-0001-5109-3700",
        openalex_id="A5000000200",
        name="Prolific Author",
        topics=("Auction theory",),
        works=works,
    )


def fetch_new_links(services: Services) -> int:
    """Fetch every linked record never fetched yet (the demo file's `orcid`); how many were.

    Faults are logged and left for `/profile link` or the refresh to retry: the console starts anyway.
    """
    with services.session_factory() as session:
        due = session.execute(
            select(
                ProfileSourceLink.person_id, ProfileSourceLink.source, ProfileSourceLink.external_id
            ).where(ProfileSourceLink.fetched_at.is_(None))
        ).all()
    fetched = 0
    for person_id, source, external_id in due:
        try:
            fetch_into(
                services.session_factory,
                services.settings,
                person_id,
                source,
                external_id,
                services.clock.now(),
                linked_by="import",
            )
            fetched += 1
        except SourceFetchError as error:
            logger.warning("could not fetch %s %s: %s", source, external_id, error.message)
    return fetched


class FakeScholarlyApi:
    """The fake ORCID + OpenAlex server; a context manager (`with FakeScholarlyApi() as api:`).

    Args:
        researchers: Who it serves (default: the demo researcher).
        port: 0 for any free port.
    """

    def __init__(self, researchers: list[FakeResearcher] | None = None, *, port: int = 0) -> None:
        self.researchers = list(researchers if researchers is not None else [demo_researcher()])
        self.requests: list[RecordedRequest] = []
        self._faults: list[_Fault] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", port), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": FAKE_POLL_INTERVAL},  # a fast `stop()`, as the fake Slack's
            daemon=True,
            name="fake-scholarly",
        )

    @property
    def url(self) -> str:
        """The base URL (the same server answers both APIs' paths)."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeScholarlyApi:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeScholarlyApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- faults --------------------------------------------------------------------------------------

    def fail(self, prefix: str, status: int, *, times: int = 1, retry_after: str | None = None) -> None:
        """Answer the next `times` requests whose path starts with `prefix` with `status`."""
        with self._lock:
            self._faults.append(_Fault(prefix, times, status=status, retry_after=retry_after))

    def stall(self, prefix: str, seconds: float, *, times: int = 1) -> None:
        """Answer the next `times` requests under `prefix` only after `seconds`."""
        with self._lock:
            self._faults.append(_Fault(prefix, times, stall=seconds))

    def paths(self, prefix: str = "") -> list[str]:
        """Paths (with queries) requested so far, under `prefix`."""
        with self._lock:
            return [r.path for r in self.requests if r.path.startswith(prefix)]

    def _take_fault(self, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if path.startswith(fault.prefix) and fault.times > 0:
                    fault.times -= 1
                    return fault
        return None

    # -- answers -------------------------------------------------------------------------------------

    def answer(self, path: str) -> tuple[int, Any]:
        """The status and JSON body for a GET of `path` (with its query)."""
        parts = urlsplit(path)
        segments = [s for s in parts.path.split("/") if s]
        query = parse_qs(parts.query)
        if len(segments) == 3 and segments[0] == "v3.0" and segments[2] in ("works", "person"):
            researcher = self._by(orcid=segments[1])
            if researcher is None:
                return 404, {"response-code": 404, "user-message": "The resource was not found."}
            return 200, _orcid_works(researcher) if segments[2] == "works" else _orcid_person(researcher)
        if len(segments) == 2 and segments[0] == "authors":
            key = segments[1]
            researcher = self._by(orcid=key[6:]) if key.startswith("orcid:") else self._by(openalex=key)
            if researcher is None:
                return 404, {"error": "Not Found", "message": "The author does not exist."}
            return 200, _openalex_author(researcher)
        if segments == ["works"]:
            filter_value = (query.get("filter") or [""])[0]
            if not filter_value.startswith("author.id:"):
                return 400, {"error": "Invalid query parameters", "message": "filter is required"}
            researcher = self._by(openalex=filter_value[len("author.id:") :])
            per_page = min(PAGE_SIZE_LIMIT, int((query.get("per-page") or ["25"])[0]))
            cursor = (query.get("cursor") or ["*"])[0]
            return 200, _openalex_works(researcher, per_page, cursor)
        return 404, {"error": "Not Found"}

    def _by(self, *, orcid: str | None = None, openalex: str | None = None) -> FakeResearcher | None:
        for researcher in self.researchers:
            if (orcid and researcher.orcid == orcid) or (openalex and researcher.openalex_id == openalex):
                return researcher
        return None


def _orcid_works(researcher: FakeResearcher) -> dict[str, Any]:
    groups = []
    for put_code, work in enumerate(researcher.works, start=1000):
        external = (
            {
                "external-id": [
                    {
                        "external-id-type": "doi",
                        "external-id-value": work.doi.upper(),
                        "external-id-normalized": {"value": work.doi.lower(), "transient": True},
                        "external-id-url": {"value": f"https://doi.org/{work.doi}"},
                        "external-id-relationship": "self",
                    }
                ]
            }
            if work.doi
            else {"external-id": []}
        )
        summary = {
            "put-code": put_code,
            "created-date": {"value": 1700000000000},
            "last-modified-date": {"value": 1764838800000},
            "source": {"source-name": {"value": researcher.name}},
            "title": {"title": {"value": work.title}, "subtitle": None, "translated-title": None},
            "external-ids": external,
            "type": "journal-article",
            "publication-date": {"year": {"value": str(work.year)}, "month": None, "day": None},
            "journal-title": None,
            "visibility": "public",
            "path": f"/{researcher.orcid}/work/{put_code}",
            "display-index": "0",
        }
        groups.append(
            {
                "last-modified-date": {"value": 1764838800000},
                "external-ids": external,
                "work-summary": [summary],
            }
        )
    return {
        "last-modified-date": {"value": 1764838800000},
        "group": groups,
        "path": f"/{researcher.orcid}/works",
    }


def _orcid_person(researcher: FakeResearcher) -> dict[str, Any]:
    given, _, family = researcher.name.partition(" ")
    return {
        "name": {
            "given-names": {"value": given},
            "family-name": {"value": family} if family else None,
            "credit-name": None,
            "visibility": "public",
            "path": researcher.orcid,
        },
        "biography": (
            {
                "content": researcher.biography,
                "visibility": "public",
                "path": f"/{researcher.orcid}/biography",
            }
            if researcher.biography
            else None
        ),
        "keywords": {
            "keyword": [
                {"content": keyword, "visibility": "public", "put-code": n, "display-index": n}
                for n, keyword in enumerate(researcher.keywords)
            ],
            "path": f"/{researcher.orcid}/keywords",
        },
        "path": f"/{researcher.orcid}/person",
    }


def _openalex_author(researcher: FakeResearcher) -> dict[str, Any]:
    return {
        "id": f"https://openalex.org/{researcher.openalex_id}",
        "orcid": f"https://orcid.org/{researcher.orcid}",
        "display_name": researcher.name,
        "works_count": len(researcher.works) + len(researcher.openalex_only),
        "cited_by_count": 0,
        "topics": [
            {"id": f"https://openalex.org/T{10000 + n}", "display_name": topic, "count": 10 - n}
            for n, topic in enumerate(researcher.topics)
        ],
        "works_api_url": f"https://api.openalex.org/works?filter=author.id:{researcher.openalex_id}",
        "updated_date": "2026-12-04T09:00:00.000000",
    }


def _openalex_works(researcher: FakeResearcher | None, per_page: int, cursor: str) -> dict[str, Any]:
    works = (researcher.works + researcher.openalex_only) if researcher else []
    start = 0 if cursor == "*" else int(cursor) if cursor.isdigit() else 0
    page = works[start : start + per_page]
    following = start + per_page
    results = [
        {
            "id": f"https://openalex.org/W{4000000 + start + n}",
            "doi": f"https://doi.org/{work.doi}" if work.doi else None,
            "title": work.title,
            "display_name": work.title,
            "publication_year": work.year,
            "abstract_inverted_index": _inverted_index(work.abstract) if work.abstract else None,
        }
        for n, work in enumerate(page)
    ]
    return {
        "meta": {
            "count": len(works),
            "db_response_time_ms": 12,
            "page": None,
            "per_page": per_page,
            "next_cursor": str(following) if following < len(works) else None,
            "groups_count": None,
        },
        "results": results,
        "group_by": [],
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up on a stalled answer leaves a broken pipe: the fault working, not a crash.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def _handler_for(api: FakeScholarlyApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with api._lock:
                api.requests.append(RecordedRequest(self.path, {k: v for k, v in self.headers.items()}))
            fault = api._take_fault(self.path)
            if fault is not None and fault.stall:
                time.sleep(fault.stall)
            elif fault is not None:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                self._send(fault.status, {"error": "fault injected"}, headers)
                return
            status, body = api.answer(self.path)
            data = json.dumps(body).encode("utf-8")
            etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
            if status == 200 and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self._send(status, body, {"ETag": etag, "Last-Modified": LAST_MODIFIED} if status == 200 else {})

        def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
