"""`liaison profiles fetch|import-bibtex|import-csv|refresh` and the refresh job, against a SQLite file
and the fake ORCID/OpenAlex server over real HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.console.fake_scholarly import FakeScholarlyApi
from bot.cli.profiles import profiles_group
from bot.clock import FixedClock
from bot.db import make_engine, make_session_factory
from bot.experts.sources.tables import ProfileSourceLink, SourceWork
from bot.models import Person, ProfileVector
from bot.services import Services
from bot.settings import Settings
from bot.workspace_file import import_workspace_file
from jobs.profile_refresh import PROFILE_REFRESH_JOB_ID, refresh_linked_profiles
from jobs.scheduler import build_scheduler
from tests.conftest import DEMO_FILE, DEMO_NOW
from tests.migrated import migrate_from_template

HARADA = "U01MLHARA"
PROLIFIC_ORCID = "0000-0001-5109-3700"  # 200 works (many_works_researcher)
DEMO_ORCID = "0000-0002-1825-0097"


@click.group()
def root() -> None:
    """Stands in for `liaison`."""


root.add_command(profiles_group)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("SLACK_", "LIAISON_")) or name in ("DATABASE_URL", "EMBEDDING_MODEL"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    migrate_from_template(url)
    engine = make_engine(url)
    with make_session_factory(engine).begin() as session:
        import_workspace_file(session, DEMO_FILE, today=DEMO_NOW.date(), now=DEMO_NOW)
    engine.dispose()
    return url


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


def _run(scholarly: FakeScholarlyApi, database_url: str, *args: str) -> Result:
    env = {
        "DATABASE_URL": database_url,
        "LIAISON_ORCID_API_URL": scholarly.url,
        "LIAISON_OPENALEX_API_URL": scholarly.url,
        "LIAISON_SCHOLARLY_CONTACT": "ops@example.org",
    }
    return CliRunner().invoke(root, ["profiles", *args], env=env)


def _works(factory: sessionmaker[Session], slack_id: str = HARADA) -> list[SourceWork]:
    with factory() as session:
        person_id = session.scalars(select(Person.id).where(Person.slack_id == slack_id)).one()
        return list(session.scalars(select(SourceWork).where(SourceWork.person_id == person_id)))


def _vector_keys(factory: sessionmaker[Session], slack_id: str = HARADA) -> set[str]:
    with factory() as session:
        person_id = session.scalars(select(Person.id).where(Person.slack_id == slack_id)).one()
        return set(
            session.scalars(select(ProfileVector.item_key).where(ProfileVector.person_id == person_id))
        )


def test_fetch_200_works_stores_all_and_indexes_the_most_recent_in_one_command(
    scholarly: FakeScholarlyApi, database_url: str, factory: sessionmaker[Session]
) -> None:
    result = _run(
        scholarly, database_url, "fetch", "--orcid", PROLIFIC_ORCID, "--person", HARADA, "--fake-embedder"
    )

    assert result.exit_code == 0, result.output
    assert f"Fetching ORCID record {PROLIFIC_ORCID} for Prof. Yuki Harada" in result.output
    assert "Prof. Yuki Harada: works read: 200/200" in result.output  # progress, page by page
    assert "200 works (200 new, 0 updated, 0 removed, 0 hidden)" in result.output
    assert "items embedded" in result.output  # the embedding progress lines
    works = _works(factory)
    assert len(works) == 200 and all(w.abstract for w in works)
    # Hygiene keeps the 20 most recent works (plus the expertise and the typed publications).
    fetched_keys = {k for k in _vector_keys(factory) if int(k.partition(":")[2] or 0) >= 1_000_000}
    assert len(fetched_keys) == 20
    # OpenAlex paged with a cursor at 200 a page.
    assert any("per-page=200" in p and "cursor=" in p for p in scholarly.paths("/works"))


def test_fetch_refuses_a_bad_orcid_and_an_unknown_person(
    scholarly: FakeScholarlyApi, database_url: str
) -> None:
    bad = _run(scholarly, database_url, "fetch", "--orcid", "0000-0001-5109-3701", "--person", HARADA)
    assert bad.exit_code == 2 and "not a valid ORCID iD" in bad.output
    nobody = _run(scholarly, database_url, "fetch", "--orcid", DEMO_ORCID, "--person", "U0NOBODY")
    assert nobody.exit_code == 1 and "Nobody has the Slack id U0NOBODY" in nobody.output
    both = _run(
        scholarly, database_url, "fetch", "--orcid", DEMO_ORCID, "--openalex", "A1", "--person", HARADA
    )
    assert both.exit_code == 2
    assert scholarly.requests == []


def test_fetch_that_times_out_changes_nothing(
    scholarly: FakeScholarlyApi,
    database_url: str,
    factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = _run(scholarly, database_url, "fetch", "--orcid", DEMO_ORCID, "--person", HARADA, "--no-index")
    assert first.exit_code == 0, first.output
    before = sorted((w.key, w.fetched_at) for w in _works(factory))
    scholarly.stall("/v3.0/", 2.5, times=4)
    env_timeout = {"LIAISON_SCHOLARLY_TIMEOUT_SECONDS": "1"}
    result = CliRunner().invoke(
        root,
        ["profiles", "fetch", "--orcid", DEMO_ORCID, "--person", HARADA, "--no-index"],
        env={
            "DATABASE_URL": database_url,
            "LIAISON_ORCID_API_URL": scholarly.url,
            "LIAISON_OPENALEX_API_URL": scholarly.url,
            **env_timeout,
        },
    )
    assert result.exit_code == 1
    assert "timed out" in result.output and "The profile was not changed" in result.output
    assert sorted((w.key, w.fetched_at) for w in _works(factory)) == before


def test_import_bibtex_and_csv_replace_uploaded_works(
    scholarly: FakeScholarlyApi, database_url: str, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    bib = tmp_path / "harada.bib"
    bib.write_text(
        '@article{a, title={{GNN}s for Cold-Start {\\"O}ffers}, year={2024}, doi={https://doi.org/10.1/ABC},'
        " abstract={We study cold start.}}\n"
        "@inproceedings{b, title={Hashing tricks revisited}, year={2019}}\n"
        "@misc{c, note={no title here}}\n"
        "@article{d, title={Hashing Tricks Revisited.}, year={2019}}\n",
        encoding="utf-8",
    )
    result = _run(scholarly, database_url, "import-bibtex", str(bib), "--person", HARADA, "--fake-embedder")
    assert result.exit_code == 0, result.output
    assert "2 works from harada.bib (2 new, 0 removed, 1 entries skipped)" in result.output
    works = {w.title: w for w in _works(factory)}
    assert works["GNNs for Cold-Start Öffers"].doi == "10.1/abc"
    assert works["GNNs for Cold-Start Öffers"].abstract == "We study cold start."

    csv_file = tmp_path / "more.csv"
    csv_file.write_text("Title,Year,DOI\nConsent walls in practice,2025,\n,2020,\n", encoding="utf-8")
    result = _run(scholarly, database_url, "import-csv", str(csv_file), "--person", HARADA, "--no-index")
    assert result.exit_code == 0, result.output
    assert "1 works from more.csv (1 new, 0 removed, 1 entries skipped)" in result.output
    assert len(_works(factory)) == 3  # BibTeX works stay; a CSV upload replaces only CSV works

    bad = tmp_path / "bad.csv"
    bad.write_text("name,year\nx,2020\n", encoding="utf-8")
    refused = _run(scholarly, database_url, "import-csv", str(bad), "--person", HARADA)
    assert refused.exit_code == 1 and "has no `title` column" in refused.output
    assert scholarly.requests == []


def _services(settings: Settings, factory: sessionmaker[Session]) -> Services:
    return Services(settings=settings, session_factory=factory, clock=FixedClock(DEMO_NOW))


def _settings(scholarly: FakeScholarlyApi, database_url: str, *, refresh: bool) -> Settings:
    return Settings.from_env(
        {
            "DATABASE_URL": database_url,
            "LIAISON_ORCID_API_URL": scholarly.url,
            "LIAISON_OPENALEX_API_URL": scholarly.url,
            "LIAISON_PROFILE_REFRESH": "on" if refresh else "off",
        }
    )


def test_refresh_job_is_off_by_default_and_registered_when_on(
    scholarly: FakeScholarlyApi, database_url: str, factory: sessionmaker[Session]
) -> None:
    off = build_scheduler(_services(_settings(scholarly, database_url, refresh=False), factory))
    assert PROFILE_REFRESH_JOB_ID not in {job.id for job in off.get_jobs()}
    on = build_scheduler(_services(_settings(scholarly, database_url, refresh=True), factory))
    job = on.get_job(PROFILE_REFRESH_JOB_ID)
    assert job is not None and job.trigger.interval == timedelta(hours=1)


def test_refresh_job_rereads_week_old_links_with_conditional_requests(
    scholarly: FakeScholarlyApi, database_url: str, factory: sessionmaker[Session]
) -> None:
    assert (
        _run(
            scholarly, database_url, "fetch", "--orcid", DEMO_ORCID, "--person", HARADA, "--no-index"
        ).exit_code
        == 0
    )
    services = _services(_settings(scholarly, database_url, refresh=True), factory)
    with factory() as session:
        fetched_at = session.scalars(select(ProfileSourceLink.fetched_at)).one()
    assert fetched_at is not None

    assert refresh_linked_profiles(services, now=fetched_at + timedelta(days=2)).refreshed == 0
    # Someone added a work on ORCID meanwhile; a week later the job picks it up.
    scholarly.researchers[0].works.append(
        scholarly.researchers[0].works[0].__class__("A new preprint on bid shading", 2026, "10.5555/new")
    )
    scholarly.requests.clear()
    report = refresh_linked_profiles(services, now=fetched_at + timedelta(days=8))
    assert (report.refreshed, report.failed) == (1, 0)
    assert "A new preprint on bid shading" in {w.title for w in _works(factory)}
    # Unchanged answers were revalidated (If-None-Match), not downloaded again.
    conditional = [r for r in scholarly.requests if "If-None-Match" in r.headers]
    assert conditional and any(r.path.startswith("/authors/") for r in conditional)


def test_refresh_job_keeps_works_when_the_source_fails(
    scholarly: FakeScholarlyApi, database_url: str, factory: sessionmaker[Session]
) -> None:
    assert (
        _run(
            scholarly, database_url, "fetch", "--orcid", DEMO_ORCID, "--person", HARADA, "--no-index"
        ).exit_code
        == 0
    )
    before = sorted((w.key, w.title, w.fetched_at) for w in _works(factory))
    with factory.begin() as session:
        session.execute(update(ProfileSourceLink).values(fetched_at=DEMO_NOW - timedelta(days=30)))
    scholarly.fail("/v3.0/", 429, times=20, retry_after="0")
    services = _services(_settings(scholarly, database_url, refresh=True), factory)
    report = refresh_linked_profiles(services, now=DEMO_NOW)
    assert (report.refreshed, report.failed) == (0, 1)
    assert sorted((w.key, w.title, w.fetched_at) for w in _works(factory)) == before
    with factory() as session:
        link = session.scalars(select(ProfileSourceLink)).one()
        assert "HTTP 429" in (link.last_error or "")
        assert link.fetched_at == DEMO_NOW - timedelta(days=30)
