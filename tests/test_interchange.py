"""Workspace import and export: validation with line numbers, upserts, rebasing and round trips."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import Base, make_engine, make_session_factory
from bot.experts.profile_version import profiles_version
from bot.models import (
    AuditEntry,
    Blocker,
    ExpertVisibility,
    Membership,
    Milestone,
    MilestoneStatus,
    Person,
    Project,
    Publication,
    Role,
    Workspace,
)
from bot.workspace_file.interchange import (
    WorkspaceFileError,
    export_workspace,
    import_workspace,
    import_workspace_file,
    load_workspace_document,
    parse_workspace_document,
)
from tests.conftest import DEMO_FILE

DATA = Path(__file__).parent / "data" / "interchange"
EXTENSIONS_FILE = DATA / "extensions.yaml"
AS_OF = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
TABLES = (Workspace, Person, Publication, Project, Membership, Milestone, Blocker, AuditEntry)

# A small valid file; the broken-document cases each change one line of it.
BASE = """\
workspace:
  name: Test Alliance
  timezone: Europe/Amsterdam
  as_of: 2026-11-20
people:
  - slack_id: U0ALICE
    name: Alice Example
    sector: industry
  - slack_id: U0BOB
    name: Bob Example
projects:
  - key: alpha
    name: Alpha
    status: on_track
    channel: C0ALPHA
    lead: U0ALICE
    members: [U0ALICE, U0BOB]
    milestones:
      - title: First
        due: 2026-11-27 12:00
        owner: U0BOB
        status: open
    blockers:
      - text: Stuck
        raised_by: U0BOB
        raised_at: 2026-11-19 10:00
"""


@pytest.fixture
def other_session_factory() -> Iterator[sessionmaker[Session]]:
    """A second, empty in-memory database for round trips."""
    engine: Engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()


def _import(factory: sessionmaker[Session], path: Path, *, today: date = AS_OF, rebase: bool = False) -> Any:
    with factory.begin() as session:
        return import_workspace_file(session, path, today=today, rebase_dates=rebase, now=NOW)


def _import_text(factory: sessionmaker[Session], text: str, **kwargs: Any) -> Any:
    with factory.begin() as session:
        return import_workspace(session, parse_workspace_document(text), today=AS_OF, now=NOW, **kwargs)


def _export(factory: sessionmaker[Session], workspace_id: int) -> str:
    with factory() as session:
        return export_workspace(session, workspace_id)


def _row_counts(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as session:
        return {t.__name__: session.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES}


def _milestone(session: Session, key: str, title: str) -> Milestone:
    return session.scalars(
        select(Milestone).join(Project).where(Project.key == key, Milestone.title == title)
    ).one()


def _snapshot(factory: sessionmaker[Session], workspace_id: int) -> dict[str, Any]:
    """Everything an import writes, keyed by natural keys so two databases can be compared."""
    with factory() as session:
        workspace = session.get(Workspace, workspace_id)
        assert workspace is not None
        people = session.scalars(select(Person).where(Person.workspace_id == workspace_id)).all()
        slack = {p.id: p.slack_id for p in people}
        projects = session.scalars(select(Project).where(Project.workspace_id == workspace_id)).all()
        return {
            "workspace": (workspace.name, workspace.timezone, workspace.as_of, workspace.slack_team_id),
            "people": {
                p.slack_id: (
                    p.name,
                    p.title,
                    p.discipline,
                    p.sector,
                    p.organisation,
                    p.timezone,
                    p.expertise,
                    [(pub.position, pub.title, pub.abstract) for pub in p.publications],
                )
                for p in people
            },
            "projects": {
                p.key: (
                    p.name,
                    p.description,
                    p.status,
                    p.channel_id,
                    p.private,
                    slack.get(p.lead_id) if p.lead_id else None,
                    sorted((slack[m.person_id], m.role, m.position) for m in p.memberships),
                    [
                        (
                            m.number,
                            m.title,
                            m.due_at,
                            m.due_timezone,
                            slack.get(m.owner_id) if m.owner_id else None,
                            m.status,
                            m.done_at,
                        )
                        for m in p.milestones
                    ],
                    [
                        (
                            b.number,
                            b.text,
                            slack.get(b.raised_by_id) if b.raised_by_id else None,
                            b.raised_at,
                            b.resolved_at,
                            slack.get(b.resolved_by_id) if b.resolved_by_id else None,
                        )
                        for b in p.blockers
                    ],
                )
                for p in projects
            },
        }


# ---- the demo file ------------------------------------------------------------------------------


def test_demo_file_imports_with_expected_counts(session_factory: sessionmaker[Session]) -> None:
    raw = yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    # Counted from the file itself: 24 people, 7 projects, 4+4+3+3+2+2+2 = 20 milestones.
    assert len(raw["people"]) == 24
    assert [len(p["milestones"]) for p in raw["projects"]] == [4, 4, 3, 3, 2, 2, 2]

    report = _import(session_factory, DEMO_FILE)

    assert (report.people, report.projects, report.milestones, report.blockers) == (24, 7, 20, 0)
    assert (report.created, report.updated, report.shift_days) == (1 + 24 + 7 + 20, 0, 0)
    counts = _row_counts(session_factory)
    assert counts["Workspace"] == 1
    assert counts["Person"] == 24
    assert counts["Project"] == 7
    assert counts["Milestone"] == 20
    assert counts["Membership"] == sum(len(p["members"]) for p in raw["projects"]) == 21
    assert counts["Publication"] == sum(len(p.get("publications", [])) for p in raw["people"])
    with session_factory() as session:
        workspace = session.get(Workspace, report.workspace_id)
        assert workspace is not None
        assert (workspace.name, workspace.timezone, workspace.as_of) == (
            "Adtech Research Alliance",
            "Europe/Amsterdam",
            AS_OF,
        )
        bidshade = session.scalars(select(Project).where(Project.key == "bidshade")).one()
        assert bidshade.lead is not None and bidshade.lead.slack_id == "U02ECBANE"
        roles = {m.person.slack_id: (m.role, m.position) for m in bidshade.memberships}
        assert roles == {
            "U02ECBANE": (Role.LEAD, 0),
            "U01MLOSEI": (Role.MEMBER, 1),
            "U02ECMORA": (Role.MEMBER, 2),
            "U11DEJANS": (Role.MEMBER, 3),
        }
        assert [m.number for m in bidshade.milestones] == [1, 2, 3, 4]
        private = session.scalars(select(Project.key).where(Project.private.is_(True))).all()
        assert private == ["fairdelivery"]
        audit = session.scalars(select(AuditEntry)).one()
        assert (audit.actor, audit.action, audit.entity, audit.entity_id) == (
            "import",
            "import",
            "workspace",
            report.workspace_id,
        )
        assert "24 people, 7 projects, 20 milestones" in audit.detail
        assert audit.at == NOW


def test_milestone_due_stored_as_utc_instant_in_its_zone(session_factory: sessionmaker[Session]) -> None:
    _import(session_factory, DEMO_FILE)
    with session_factory() as session:
        shading = _milestone(session, "bidshade", "Equilibrium shading model write-up")
        # 12:00 in Amsterdam in November (CET, UTC+1).
        assert shading.due_at == datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
        assert shading.due_timezone == "Europe/Amsterdam"
        # 17:00 in Amsterdam in October, before the clocks go back (CEST, UTC+2).
        study = _milestone(session, "consentux", "Usability study with 40 participants")
        assert study.due_at == datetime(2026, 10, 15, 15, 0, tzinfo=UTC)
        assert study.status is MilestoneStatus.DONE
        open_one = _milestone(session, "pcm", "Legal basis memo for processing conversions")
        assert open_one.status is MilestoneStatus.OPEN


def test_rebase_shifts_every_date_by_days_since_as_of(session_factory: sessionmaker[Session]) -> None:
    report = _import(session_factory, DEMO_FILE, today=date(2026, 11, 23), rebase=True)

    assert report.shift_days == 3
    with session_factory() as session:
        shading = _milestone(session, "bidshade", "Equilibrium shading model write-up")
        assert shading.due_at == datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
        workspace = session.get(Workspace, report.workspace_id)
        assert workspace is not None and workspace.as_of == date(2026, 11, 23)


def test_rebase_keeps_local_wall_clock_across_dst_change(session_factory: sessionmaker[Session]) -> None:
    # 11 days moves 2026-10-15 17:00 CEST past the change on 2026-10-25 to 2026-10-26 17:00 CET.
    report = _import(session_factory, DEMO_FILE, today=date(2026, 12, 1), rebase=True)

    assert report.shift_days == 11
    with session_factory() as session:
        study = _milestone(session, "consentux", "Usability study with 40 participants")
        assert study.due_at == datetime(2026, 10, 26, 16, 0, tzinfo=UTC)


def test_import_without_rebase_keeps_dates(session_factory: sessionmaker[Session]) -> None:
    report = _import(session_factory, DEMO_FILE, today=date(2026, 12, 1), rebase=False)

    assert report.shift_days == 0
    with session_factory() as session:
        workspace = session.get(Workspace, report.workspace_id)
        assert workspace is not None and workspace.as_of == AS_OF
        study = _milestone(session, "consentux", "Usability study with 40 participants")
        assert study.due_at == datetime(2026, 10, 15, 15, 0, tzinfo=UTC)


def test_rebase_without_as_of_is_rejected(session_factory: sessionmaker[Session]) -> None:
    document = parse_workspace_document(BASE.replace("  as_of: 2026-11-20\n", ""), "base.yaml")

    with pytest.raises(WorkspaceFileError) as caught, session_factory.begin() as session:
        import_workspace(session, document, today=AS_OF, rebase_dates=True, now=NOW)

    assert str(caught.value) == "base.yaml:2: workspace: 'as_of' is required to rebase dates"
    assert set(_row_counts(session_factory).values()) == {0}


# ---- upserts --------------------------------------------------------------------------------------


def test_reimport_is_idempotent(session_factory: sessionmaker[Session]) -> None:
    first = _import(session_factory, DEMO_FILE)
    before = _snapshot(session_factory, first.workspace_id)
    with session_factory() as session:
        ids_before = {
            t.__name__: sorted(session.scalars(select(t.id)).all()) for t in (Person, Project, Milestone)
        }

    second = _import(session_factory, DEMO_FILE)

    assert second.workspace_id == first.workspace_id
    assert (second.created, second.updated) == (0, 0)
    assert _snapshot(session_factory, second.workspace_id) == before
    with session_factory() as session:
        ids_after = {
            t.__name__: sorted(session.scalars(select(t.id)).all()) for t in (Person, Project, Milestone)
        }
    assert ids_after == ids_before
    counts = _row_counts(session_factory)
    assert counts["Workspace"] == 1
    assert counts["Membership"] == 21
    assert counts["AuditEntry"] == 2


def test_profile_changes_bump_the_profiles_version_and_nothing_else_does(
    session_factory: sessionmaker[Session],
) -> None:
    def version(workspace_id: int) -> int:
        with session_factory() as session:
            return profiles_version(session, workspace_id)

    first = _import_text(session_factory, BASE)
    assert version(first.workspace_id) == 1
    _import_text(session_factory, BASE)
    assert version(first.workspace_id) == 1  # nothing changed
    _import_text(session_factory, BASE.replace("    name: Alpha\n", "    name: Alpha renamed\n"))
    assert version(first.workspace_id) == 1  # a project, not a profile
    _import_text(session_factory, BASE.replace("    sector: industry\n", "    sector: academia\n"))
    assert version(first.workspace_id) == 2


def test_reimport_updates_changed_fields_and_keeps_rows_made_in_slack(
    session_factory: sessionmaker[Session],
) -> None:
    report = _import_text(session_factory, BASE)
    with session_factory.begin() as session:
        alpha = session.scalars(select(Project).where(Project.key == "alpha")).one()
        outsider = Person(workspace_id=report.workspace_id, slack_id="U0SLACK", name="Made in Slack")
        session.add(outsider)
        session.flush()
        alpha.memberships.append(Membership(person_id=outsider.id, role=Role.MEMBER, position=9))
        alpha.milestones.append(
            Milestone(
                number=2,
                title="Made in Slack",
                due_at=datetime(2026, 12, 1, 16, 0, tzinfo=UTC),
                due_timezone="Europe/Amsterdam",
                status=MilestoneStatus.OPEN,
            )
        )
    changed = BASE.replace("    name: Alpha\n", "    name: Alpha renamed\n").replace(
        "        status: open\n",
        "        status: open\n      - title: Second\n        due: 2026-12-04\n",
    )

    again = _import_text(session_factory, changed)

    assert again.workspace_id == report.workspace_id
    assert (again.created, again.updated) == (1, 1)
    with session_factory() as session:
        alpha = session.scalars(select(Project).where(Project.key == "alpha")).one()
        assert alpha.name == "Alpha renamed"
        assert [(m.number, m.title) for m in alpha.milestones] == [
            (1, "First"),
            (2, "Made in Slack"),
            (3, "Second"),
        ]
        # A date alone means 17:00 in the milestone's zone.
        assert alpha.milestones[2].due_at == datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
        # The file is authoritative for memberships of the projects it lists, not for people.
        assert sorted(m.person.slack_id for m in alpha.memberships) == ["U0ALICE", "U0BOB"]
        assert (
            session.scalars(select(Person.name).where(Person.slack_id == "U0SLACK")).one() == "Made in Slack"
        )


def test_workspace_matched_by_slack_team_id_before_name(session_factory: sessionmaker[Session]) -> None:
    first = _import(session_factory, EXTENSIONS_FILE)
    renamed = EXTENSIONS_FILE.read_text(encoding="utf-8").replace(
        "name: Interchange Test Alliance", "name: Renamed Alliance"
    )

    second = _import_text(session_factory, renamed)

    assert second.workspace_id == first.workspace_id
    with session_factory() as session:
        assert session.scalars(select(Workspace.name)).all() == ["Renamed Alliance"]


# ---- export and round trips ---------------------------------------------------------------------


def test_export_of_demo_reads_back_as_the_same_data(session_factory: sessionmaker[Session]) -> None:
    report = _import(session_factory, DEMO_FILE)

    text = _export(session_factory, report.workspace_id)

    assert yaml.safe_load(text) == yaml.safe_load(DEMO_FILE.read_text(encoding="utf-8"))
    # Written like the hand-made file: unquoted times, flow lists, defaults left out.
    assert "        due: 2026-11-27 12:00\n" in text
    assert "    members: [U02ECBANE, U01MLOSEI, U02ECMORA, U11DEJANS]\n" in text
    assert text.count("private:") == 1
    assert "status: open" not in text
    assert "        timezone:" not in text
    assert max(len(line) for line in text.splitlines()) <= 100


def test_round_trip_is_byte_identical_and_data_identical(
    session_factory: sessionmaker[Session], other_session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    first = _import(session_factory, DEMO_FILE)
    exported = _export(session_factory, first.workspace_id)
    path = tmp_path / "exported.yaml"
    path.write_text(exported, encoding="utf-8")

    second = _import(other_session_factory, path)

    assert _export(other_session_factory, second.workspace_id) == exported
    assert _snapshot(other_session_factory, second.workspace_id) == _snapshot(
        session_factory, first.workspace_id
    )


def test_extensions_import_into_the_right_columns(session_factory: sessionmaker[Session]) -> None:
    report = _import(session_factory, EXTENSIONS_FILE)

    assert (report.people, report.projects, report.milestones, report.blockers) == (3, 2, 3, 2)
    with session_factory() as session:
        workspace = session.get(Workspace, report.workspace_id)
        assert workspace is not None and workspace.slack_team_id == "T0INTERCH"
        alice = session.scalars(select(Person).where(Person.slack_id == "U0ALICE")).one()
        assert alice.publications[0].abstract is not None
        assert alice.publications[0].abstract.startswith("We show that an export which re-imports")
        assert alice.publications[1].title == "Yes: a short note on YAML booleans"
        assert alice.publications[1].abstract is None
        assert (alice.expert_visibility, alice.weekly_request_cap) == (ExpertVisibility.LISTED, 1)
        bob = session.scalars(select(Person).where(Person.slack_id == "U0BOB")).one()
        assert (bob.expert_visibility, bob.weekly_request_cap) == (ExpertVisibility.HIDDEN, None)
        interop = session.scalars(select(Project).where(Project.key == "interop")).one()
        assert interop.private is True
        assert interop.channel_id == "G0INTEROP"
        assert sorted((m.person.slack_id, m.role, m.position) for m in interop.memberships) == [
            ("U0ALICE", Role.MEMBER, 0),
            ("U0BOB", Role.LEAD, 1),
            ("W0CAROL", Role.VIEWER, 2),
        ]
        draft = _milestone(session, "interop", "Draft spec")
        # Written in New York time (EST, UTC-5), not in the workspace zone.
        assert (draft.due_at, draft.due_timezone) == (
            datetime(2026, 11, 18, 14, 30, tzinfo=UTC),
            "America/New_York",
        )
        assert draft.done_at == datetime(2026, 11, 17, 21, 45, tzinfo=UTC)
        # The offset picks the second 02:30 of the night the clocks go back.
        rehearsal = _milestone(session, "interop", "Fall-back rehearsal")
        assert rehearsal.due_at == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
        blockers = [
            (b.number, b.raised_by.slack_id if b.raised_by else None, b.raised_at, b.resolved_at)
            for b in interop.blockers
        ]
        assert blockers == [
            (1, "U0ALICE", datetime(2026, 11, 19, 9, 15, tzinfo=UTC), None),
            (2, "U0BOB", datetime(2026, 11, 2, 7, 0, tzinfo=UTC), datetime(2026, 11, 3, 13, 30, tzinfo=UTC)),
        ]
        assert interop.blockers[1].resolved_by is not None
        assert interop.blockers[1].resolved_by.slack_id == "W0CAROL"
        plain = session.scalars(select(Project).where(Project.key == "plain")).one()
        assert (plain.name, plain.private, plain.description) == ("2026", False, "")


def test_extensions_round_trip_byte_identical(
    session_factory: sessionmaker[Session], other_session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    first = _import(session_factory, EXTENSIONS_FILE)
    exported = _export(session_factory, first.workspace_id)
    # The file is written in export form, so export reproduces it exactly.
    assert exported == EXTENSIONS_FILE.read_text(encoding="utf-8")
    path = tmp_path / "exported.yaml"
    path.write_text(exported, encoding="utf-8")

    second = _import(other_session_factory, path)

    assert _export(other_session_factory, second.workspace_id) == exported
    assert _snapshot(other_session_factory, second.workspace_id) == _snapshot(
        session_factory, first.workspace_id
    )


def test_export_quotes_text_that_yaml_would_read_as_another_type(
    session_factory: sessionmaker[Session], other_session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    report = _import_text(session_factory, BASE)
    tricky = ["yes", "2026-11-20", "12", "a: b", " padded ", "line one\nline two", "# not a comment", "null"]
    with session_factory.begin() as session:
        alpha = session.scalars(select(Project).where(Project.key == "alpha")).one()
        alpha.description = "  two  spaces\tand a tab, " + "long " * 30
        for number, title in enumerate(tricky, start=2):
            alpha.milestones.append(
                Milestone(
                    number=number,
                    title=title,
                    due_at=datetime(2026, 12, 1, 16, 0, tzinfo=UTC),
                    due_timezone="Asia/Kolkata",
                    status=MilestoneStatus.OPEN,
                )
            )
    exported = _export(session_factory, report.workspace_id)
    path = tmp_path / "tricky.yaml"
    path.write_text(exported, encoding="utf-8")

    second = _import(other_session_factory, path)

    assert _snapshot(other_session_factory, second.workspace_id) == _snapshot(
        session_factory, report.workspace_id
    )
    assert _export(other_session_factory, second.workspace_id) == exported
    assert "        due: 2026-12-01 21:30\n        timezone: Asia/Kolkata\n" in exported


def test_export_of_unknown_workspace_raises(session_factory: sessionmaker[Session]) -> None:
    with pytest.raises(LookupError), session_factory() as session:
        export_workspace(session, 42)


# ---- time zones and DST -------------------------------------------------------------------------


def test_due_time_in_dst_gap_is_rejected(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    path = tmp_path / "gap.yaml"
    path.write_text(BASE.replace("due: 2026-11-27 12:00", "due: 2027-03-28 02:30"), encoding="utf-8")

    with pytest.raises(WorkspaceFileError) as caught, session_factory.begin() as session:
        import_workspace_file(session, path, today=AS_OF, now=NOW)

    assert [p.line for p in caught.value.problems] == [20]
    assert str(caught.value) == (
        f"{path}:20: project 'alpha' milestone 'First' due '2027-03-28 02:30' does not exist in "
        "Europe/Amsterdam: the clocks jump past it when daylight saving time starts; "
        "write a time before or after the gap"
    )
    assert set(_row_counts(session_factory).values()) == {0}


def test_ambiguous_due_time_takes_first_occurrence(session_factory: sessionmaker[Session]) -> None:
    text = BASE.replace("due: 2026-11-27 12:00", "due: 2026-10-25 02:30")

    report = _import_text(session_factory, text)

    with session_factory() as session:
        # The first 02:30 of the night is still summer time (CEST, UTC+2).
        assert _milestone(session, "alpha", "First").due_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert "        due: 2026-10-25 02:30\n" in _export(session_factory, report.workspace_id)


def test_rebased_time_landing_in_dst_gap_moves_forward(session_factory: sessionmaker[Session]) -> None:
    text = BASE.replace("due: 2026-11-27 12:00", "due: 2027-03-27 02:30")

    with session_factory.begin() as session:
        report = import_workspace(
            session, parse_workspace_document(text), today=date(2026, 11, 21), rebase_dates=True, now=NOW
        )

    assert report.shift_days == 1
    with session_factory() as session:
        # 2027-03-28 02:30 does not exist in Amsterdam; it becomes 03:30 CEST.
        assert _milestone(session, "alpha", "First").due_at == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


def test_due_date_alone_means_17_00_quoted_or_not() -> None:
    for written in ("2026-12-01", "'2026-12-01'"):
        document = parse_workspace_document(BASE.replace("2026-11-27 12:00", written))
        due = document.projects[0].milestones[0].due
        assert due.astimezone(UTC) == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)


# ---- broken documents ---------------------------------------------------------------------------

# Each case replaces one line of BASE; the line marked `# <-` is where the problem must be reported.
LONG_NAME = "x" * 201
BROKEN = [
    (
        "unknown_visibility",
        "    sector: industry\n",
        "    sector: industry\n    expert_visibility: secret  # <-\n",
        "person 'U0ALICE' expert_visibility 'secret' is not one of: listed, hidden",
    ),
    (
        "cap_out_of_range",
        "    sector: industry\n",
        "    sector: industry\n    weekly_request_cap: 500  # <-\n",
        "person 'U0ALICE' weekly_request_cap must be between 0 and 100, not 500",
    ),
    (
        "cap_not_decimal",
        "    sector: industry\n",
        "    sector: industry\n    weekly_request_cap: 0x10  # <-\n",
        "person 'U0ALICE' weekly_request_cap must be a whole number",
    ),
    (
        "yaml_syntax",
        "    name: Alpha\n",
        "    name: Alpha: beta  # <-\n",
        "YAML syntax error: mapping values",
    ),
    ("yaml_tab", "    name: Bob Example\n", "\tname: Bob  # <-\n", "YAML syntax error"),
    # A missing key is reported on the first line of the mapping that lacks it.
    (
        "missing_workspace_name",
        "  name: Test Alliance\n  timezone: Europe/Amsterdam\n",
        "  timezone: Europe/Amsterdam  # <-\n",
        "workspace: required key 'name' is missing",
    ),
    (
        "missing_timezone",
        "  name: Test Alliance\n  timezone: Europe/Amsterdam\n",
        "  name: Test Alliance  # <-\n",
        "workspace: required key 'timezone' is missing",
    ),
    (
        "bad_timezone",
        "  timezone: Europe/Amsterdam\n",
        "  timezone: Europe/Amsterdm  # <-\n",
        "'Europe/Amsterdm' is not an IANA time zone",
    ),
    ("bad_as_of", "  as_of: 2026-11-20\n", "  as_of: 20 Nov 2026  # <-\n", "is not a date YYYY-MM-DD"),
    (
        "unknown_key",
        "        owner: U0BOB\n",
        "        ownr: U0BOB  # <-\n",
        "unknown key 'ownr' (did you mean 'owner'?)",
    ),
    (
        "bad_slack_id",
        "  - slack_id: U0BOB\n",
        "  - slack_id: u0bob  # <-\n",
        "slack_id 'u0bob' does not match",
    ),
    (
        "duplicate_slack_id",
        "  - slack_id: U0BOB\n",
        "  - slack_id: U0ALICE  # <-\n",
        "'U0ALICE' is used twice",
    ),
    (
        "bad_channel",
        "    channel: C0ALPHA\n",
        "    channel: D0ALPHA  # <-\n",
        "channel 'D0ALPHA' does not match",
    ),
    ("bad_project_key", "  - key: alpha\n", "  - key: Alpha  # <-\n", "key 'Alpha' does not match"),
    (
        "duplicate_project_key",
        "        raised_at: 2026-11-19 10:00\n",
        "        raised_at: 2026-11-19 10:00\n"
        "  - key: alpha  # <-\n    name: Again\n    status: done\n    lead: U0BOB\n    members: [U0BOB]\n",
        "project key 'alpha' is used twice (first at line 12)",
    ),
    (
        "duplicate_milestone_title",
        "        status: open\n",
        "        status: open\n      - title: First  # <-\n        due: 2026-12-01\n",
        "milestone title 'First' is used twice (first at line 19)",
    ),
    (
        "bad_sector",
        "    sector: industry\n",
        "    sector: government  # <-\n",
        "'government' is not one of: industry",
    ),
    (
        "bad_project_status",
        "    status: on_track\n",
        "    status: late  # <-\n",
        "status 'late' is not one of",
    ),
    (
        "bad_milestone_status",
        "        status: open\n",
        "        status: closed  # <-\n",
        "'closed' is not one of: open, done",
    ),
    (
        "lead_not_member",
        "    lead: U0ALICE\n    members: [U0ALICE, U0BOB]\n",
        "    lead: U0ALICE  # <-\n    members: [U0BOB]\n",
        "lead 'U0ALICE' must also be listed in members",
    ),
    (
        "undefined_member",
        "    members: [U0ALICE, U0BOB]\n",
        "    members: [U0ALICE, U0BOB, U0ZED]  # <-\n",
        "'U0ZED' is not one of the people",
    ),
    (
        "undefined_owner",
        "        owner: U0BOB\n",
        "        owner: U0ZED  # <-\n",
        "owner 'U0ZED' is not one of the people",
    ),
    (
        "undefined_raiser",
        "        raised_by: U0BOB\n",
        "        raised_by: U0ZED  # <-\n",
        "'U0ZED' is not one of the people",
    ),
    (
        "viewer_is_member",
        "    members: [U0ALICE, U0BOB]\n",
        "    members: [U0ALICE, U0BOB]\n    viewers: [U0BOB]  # <-\n",
        "'U0BOB' is a member",
    ),
    (
        "bad_due_format",
        "        due: 2026-11-27 12:00\n",
        "        due: 27/11/2026  # <-\n",
        "is not a time YYYY-MM-DD HH:MM or YYYY-MM-DD",
    ),
    (
        "due_with_seconds",
        "        due: 2026-11-27 12:00\n",
        "        due: 2026-11-27 12:00:00  # <-\n",
        "'2026-11-27 12:00:00' is not a time",
    ),
    (
        "impossible_date",
        "        due: 2026-11-27 12:00\n",
        "        due: 2026-02-30 12:00  # <-\n",
        "is not a valid time (day is out of range",
    ),
    (
        "missing_due",
        "      - title: First\n        due: 2026-11-27 12:00\n",
        "      - title: First  # <-\n",
        "milestone 'First': required key 'due' is missing",
    ),
    (
        "done_at_while_open",
        "        owner: U0BOB\n",
        "        owner: U0BOB\n        done_at: 2026-11-20 09:00  # <-\n",
        "done_at needs status: done",
    ),
    (
        "missing_person_name",
        "    name: Bob Example\n",
        "    name:  # <-\n",
        "required key 'name' has no value",
    ),
    (
        "name_not_string",
        "    name: Bob Example\n",
        "    name: 42  # <-\n",
        "name must be a string, not an integer (put it in quotes)",
    ),
    (
        "members_not_list",
        "    members: [U0ALICE, U0BOB]\n",
        "    members: U0ALICE  # <-\n",
        "members must be a list",
    ),
    (
        "private_not_bool",
        "    channel: C0ALPHA\n",
        "    channel: C0ALPHA\n    private: 'true'  # <-\n",
        "private must be true or false, not a string",
    ),
    (
        "name_too_long",
        "    name: Alpha\n",
        f"    name: {LONG_NAME}  # <-\n",
        "is 201 characters long; at most 200 fit",
    ),
    (
        "bad_milestone_zone",
        "        owner: U0BOB\n",
        "        owner: U0BOB\n        timezone: Moon/Base  # <-\n",
        "'Moon/Base' is not an IANA time zone",
    ),
    (
        "offset_does_not_apply",
        "        due: 2026-11-27 12:00\n",
        "        due: 2026-11-27 12:00 +02:00  # <-\n",
        "+02:00 is not the UTC offset",
    ),
    (
        "milestones_not_list",
        "    milestones:\n      - title: First\n        due: 2026-11-27 12:00\n        owner: U0BOB\n"
        "        status: open\n",
        "    milestones: First  # <-\n",
        "project 'alpha' milestones must be a list, not a string",
    ),
]


def _broken(old: str, new: str) -> tuple[str, int]:
    assert BASE.count(old) == 1, old
    text = BASE.replace(old, new)
    marked = [n for n, line in enumerate(text.splitlines(), start=1) if line.endswith("# <-")]
    assert len(marked) == 1, new
    return text, marked[0]


@pytest.mark.parametrize(("old", "new", "message"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN])
def test_broken_document_reports_problem_at_line_and_writes_nothing(
    session_factory: sessionmaker[Session], tmp_path: Path, old: str, new: str, message: str
) -> None:
    text, line = _broken(old, new)
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(WorkspaceFileError) as caught, session_factory.begin() as session:
        import_workspace_file(session, path, today=AS_OF, now=NOW)

    matching = [p for p in caught.value.problems if message in p.message]
    assert matching, caught.value.problems
    assert matching[0].line == line, caught.value.problems
    assert f"{path}:{line}: " in str(caught.value)
    assert set(_row_counts(session_factory).values()) == {0}


def test_base_document_of_broken_cases_is_valid() -> None:
    document = parse_workspace_document(BASE)
    assert [p.slack_id for p in document.people] == ["U0ALICE", "U0BOB"]


def test_every_problem_is_reported_one_line_each(tmp_path: Path) -> None:
    text = (
        BASE.replace("  timezone: Europe/Amsterdam\n", "  timezone: Nowhere/City\n")
        .replace("    sector: industry\n", "    sektor: industry\n")
        .replace("    lead: U0ALICE\n", "    lead: U0ZED\n")
        .replace("        raised_at: 2026-11-19 10:00\n", "        raised_at: yesterday\n")
    )
    path = tmp_path / "many.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(WorkspaceFileError) as caught:
        load_workspace_document(path)

    assert [p.line for p in caught.value.problems] == [3, 8, 16, 26]
    lines = str(caught.value).splitlines()
    assert len(lines) == 4
    assert (
        lines[0]
        == f"{path}:3: workspace timezone 'Nowhere/City' is not an IANA time zone (e.g. Europe/Amsterdam)"
    )
    assert lines[1] == f"{path}:8: person: unknown key 'sektor' (did you mean 'sector'?)"
    assert lines[2] == f"{path}:16: project 'alpha' lead 'U0ZED' is not one of the people in this file"
    assert lines[3].startswith(f"{path}:26: project 'alpha' blocker raised_at 'yesterday' is not a time")


def test_failed_import_leaves_existing_workspace_unchanged(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    report = _import(session_factory, DEMO_FILE)
    before = _export(session_factory, report.workspace_id)
    counts = _row_counts(session_factory)
    broken = DEMO_FILE.read_text(encoding="utf-8").replace("status: at_risk", "status: wobbly")
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")

    with pytest.raises(WorkspaceFileError) as caught, session_factory.begin() as session:
        import_workspace_file(session, path, today=AS_OF, now=NOW)

    assert [p.line for p in caught.value.problems] == [373]
    assert _export(session_factory, report.workspace_id) == before
    assert _row_counts(session_factory) == counts


def test_empty_and_non_utf8_files_are_reported(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing here\n", encoding="utf-8")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("workspace:\n  name: Universit\xe9\n".encode("latin-1"))

    with pytest.raises(WorkspaceFileError, match=r"empty\.yaml: the file is empty"):
        load_workspace_document(empty)
    with pytest.raises(WorkspaceFileError, match=r"latin\.yaml: the file is not UTF-8"):
        load_workspace_document(latin)
