"""The workspace file's `agreements:` section: import, exact export round trip, every problem reported,
old files unchanged; and `longest_review_days`, which publications' back-planning reads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.agreements.tables import Agreement, AgreementStatusChange, MilestoneAgreement
from bot.agreements.terms import longest_review_days
from bot.models import Project
from bot.workspace_file import WorkspaceFileError, parse_workspace_document
from tests.conftest import DEMO_FILE, REPO_ROOT
from tests.workspace_file.support import BASE, export_text, import_file, import_text

SECTION = """\
agreements:
  - key: dua-1
    kind: data_use
    title: Data-use agreement
    parties: [Alpha Corp, "Beta: University"]
    projects: [alpha]
    owner: U0BOB
    status: legal_review
    status_since: 2026-10-28
    effective: 2026-11-01
    expires: 2027-10-31
    document: https://example.org/dua
    publication_review_days: 45
    data_restricted_to: [Alpha Corp]
    notes: Watch the re-identification clause.
    required_by: [alpha-1]
"""


def _with_ids(text: str) -> str:
    return text.replace("      - title: First\n", "      - title: First\n        id: 1\n")


def test_the_section_imports_and_round_trips_exactly(
    session_factory: sessionmaker[Session], second_database: sessionmaker[Session], tmp_path: Path
) -> None:
    report = import_text(session_factory, _with_ids(BASE) + SECTION)

    exported = export_text(session_factory, report.workspace_id)
    assert "agreements:\n  - key: dua-1\n    kind: data_use\n" in exported
    assert "    required_by: [alpha-1]\n" in exported
    assert '    parties: [Alpha Corp, "Beta: University"]\n' in exported or "'Beta: University'" in exported
    path = tmp_path / "exported.yaml"
    path.write_text(exported, encoding="utf-8")
    second = import_file(second_database, path)
    assert export_text(second_database, second.workspace_id) == exported
    with session_factory() as session:
        stored = session.scalars(select(Agreement)).one()
        assert (stored.status, stored.status_since.isoformat(), stored.publication_review_days) == (
            "legal_review",
            "2026-10-28",
            45,
        )
        assert len(session.scalars(select(MilestoneAgreement)).all()) == 1


def test_reimporting_the_same_file_changes_nothing(session_factory: sessionmaker[Session]) -> None:
    text = _with_ids(BASE) + SECTION
    import_text(session_factory, text)

    again = import_text(session_factory, text)

    assert not [line for line in again.plan if "agreement" in line]
    with session_factory() as session:
        assert len(session.scalars(select(AgreementStatusChange)).all()) == 1


def test_a_changed_status_is_recorded_in_the_history(session_factory: sessionmaker[Session]) -> None:
    import_text(session_factory, _with_ids(BASE) + SECTION)

    report = import_text(
        session_factory,
        _with_ids(BASE) + SECTION.replace("legal_review", "signed").replace("2026-10-28", "2026-11-19"),
    )

    assert "update agreement dua-1 'Data-use agreement'" in report.plan
    with session_factory() as session:
        steps = session.scalars(select(AgreementStatusChange.status).order_by(AgreementStatusChange.id)).all()
    assert steps == ["legal_review", "signed"]


def test_a_file_without_the_section_keeps_the_agreements(session_factory: sessionmaker[Session]) -> None:
    import_text(session_factory, _with_ids(BASE) + SECTION)

    import_text(session_factory, _with_ids(BASE), prune=True)

    with session_factory() as session:
        assert len(session.scalars(select(Agreement)).all()) == 1


def test_prune_removes_agreements_a_present_section_leaves_out(
    session_factory: sessionmaker[Session],
) -> None:
    import_text(session_factory, _with_ids(BASE) + SECTION)

    report = import_text(session_factory, _with_ids(BASE) + "agreements: []\n", prune=True)

    assert "remove agreement dua-1 'Data-use agreement'" in report.plan
    with session_factory() as session:
        assert session.scalars(select(Agreement)).all() == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("key: dua-1", "key: DUA 1"), "agreement key 'DUA 1' does not match"),
        (("kind: data_use", "kind: treaty"), "kind"),
        (("projects: [alpha]", "projects: [beta]"), "'beta' is not a project in this file"),
        (("owner: U0BOB", "owner: U0CAROL"), "owner 'U0CAROL' is not one of the people"),
        (("https://example.org/dua", "ftp://example.org/dua"), "http(s) URL"),
        (("publication_review_days: 45", "publication_review_days: 400"), "publication_review_days"),
        (("required_by: [alpha-1]", "required_by: [alpha-9]"), "'alpha-9' is not a milestone id"),
        (("required_by: [alpha-1]", "required_by: [first]"), "PROJECT-ID"),
        (("expires: 2027-10-31", "expires: 2026-10-31"), "expires before it is effective"),
        (("status_since: 2026-10-28", "status_since: 2026-02-30"), "status_since"),
    ],
)
def test_problems_are_reported_with_their_line(change: tuple[str, str], message: str) -> None:
    text = _with_ids(BASE) + SECTION.replace(*change)

    with pytest.raises(WorkspaceFileError) as error:
        parse_workspace_document(text, "alliance.yaml")

    assert message in str(error.value) and "alliance.yaml:" in str(error.value)


def test_the_shared_example_still_imports_without_agreements(session_factory: sessionmaker[Session]) -> None:
    report = import_file(session_factory, REPO_ROOT.parent / "shared" / "examples" / "adtech-alliance.yaml")

    with session_factory() as session:
        assert session.scalars(select(Agreement)).all() == []
    assert report.projects > 0


def _project_id(session: Session, key: str) -> int:
    return session.scalars(select(Project.id).where(Project.key == key)).one()


def test_longest_review_days_counts_signed_unexpired_agreements(
    session_factory: sessionmaker[Session],
) -> None:
    import_file(session_factory, DEMO_FILE)
    now = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

    with session_factory() as session:
        assert longest_review_days(session, _project_id(session, "pcm"), now=now) == 60
        assert longest_review_days(session, _project_id(session, "fatigue"), now=now) == 30
        # dua-1 (45 days) is still in legal review.
        assert longest_review_days(session, _project_id(session, "uplift"), now=now) is None
        assert longest_review_days(session, _project_id(session, "brandsafe"), now=now) is None
        # After dsa-3 expires (2027-09-14) only nda-2... which expired on 2026-12-15.
        later = datetime(2027, 9, 15, 8, 0, tzinfo=UTC)
        assert longest_review_days(session, _project_id(session, "pcm"), now=later) is None
        assert (
            longest_review_days(session, _project_id(session, "pcm"), now=datetime(2027, 1, 1, tzinfo=UTC))
            == 60
        )
