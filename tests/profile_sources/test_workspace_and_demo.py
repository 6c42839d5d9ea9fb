"""A person's `orcid` in the workspace file (linked on import, exported back, checked), and the demo
console fetching the demo's linked record from its fake ORCID/OpenAlex server at start."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.console.session import ConsoleSession
from bot.db import make_engine, make_session_factory
from bot.experts.sources.tables import ProfileSourceLink, SourceWork
from bot.models import Person, Workspace
from bot.settings import Settings
from bot.workspace_file import WorkspaceFileError, import_workspace_file
from bot.workspace_file.export import export_workspace
from tests.conftest import DEMO_FILE, DEMO_NOW
from tests.migrated import migrate_from_template

HARADA = "U01MLHARA"


def _import(session_factory: sessionmaker[Session], path: Path) -> None:
    with session_factory.begin() as session:
        import_workspace_file(session, path, today=DEMO_NOW.date(), now=DEMO_NOW)


def test_orcid_in_the_file_links_on_import_and_exports_back(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    _import(session_factory, DEMO_FILE)
    with session_factory() as session:
        link = session.scalars(select(ProfileSourceLink)).one()
        person = session.get(Person, link.person_id)
        assert person is not None and person.slack_id == HARADA
        assert (link.source, link.external_id, link.fetched_at) == ("orcid", "0000-0002-1825-0097", None)
        exported = export_workspace(session, session.scalars(select(Workspace.id)).one())
    assert "    orcid: 0000-0002-1825-0097\n" in exported
    again = tmp_path / "again.yaml"
    again.write_text(exported, encoding="utf-8")
    _import(session_factory, again)  # a re-import changes nothing
    with session_factory() as session:
        assert len(session.scalars(select(ProfileSourceLink)).all()) == 1


def test_a_mistyped_orcid_in_the_file_is_an_import_error(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    text = DEMO_FILE.read_text(encoding="utf-8").replace(
        "orcid: 0000-0002-1825-0097", "orcid: 0000-0002-1825-0098"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(WorkspaceFileError, match="orcid: .*is not a valid ORCID iD"):
        _import(session_factory, bad)


def test_demo_console_fetches_the_linked_record_from_its_fake(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    migrate_from_template(url)
    engine = make_engine(url)
    _import(make_session_factory(engine), DEMO_FILE)
    console = ConsoleSession(Settings(database_url=url), output=lambda _: None, with_scheduler=False)
    console.start()
    try:
        assert console.scholarly.paths("/v3.0/0000-0002-1825-0097/works")
        with make_session_factory(engine)() as session:
            titles = set(session.scalars(select(SourceWork.title)))
        assert "Contrastive pre-training of advertiser embeddings for cold-start campaigns" in titles
    finally:
        console.stop()
        engine.dispose()
