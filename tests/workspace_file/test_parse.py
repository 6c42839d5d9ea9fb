"""Validation of workspace files: every problem reported at its line, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.workspace_file import (
    WorkspaceFileError,
    import_workspace_file,
    load_workspace_document,
    parse_workspace_document,
)
from tests.conftest import DEMO_FILE
from tests.workspace_file.support import (
    AS_OF,
    BASE,
    NOW,
    export_text,
    import_file,
    row_counts,
)

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
    assert set(row_counts(session_factory).values()) == {0}


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
    report = import_file(session_factory, DEMO_FILE)
    before = export_text(session_factory, report.workspace_id)
    counts = row_counts(session_factory)
    broken = DEMO_FILE.read_text(encoding="utf-8").replace("status: at_risk", "status: wobbly")
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")

    with pytest.raises(WorkspaceFileError) as caught, session_factory.begin() as session:
        import_workspace_file(session, path, today=AS_OF, now=NOW)

    # The line of pcm's status in the demo file (which grows as features add demo records).
    line = DEMO_FILE.read_text(encoding="utf-8").splitlines().index("    status: at_risk") + 1
    assert [p.line for p in caught.value.problems] == [line]
    assert export_text(session_factory, report.workspace_id) == before
    assert row_counts(session_factory) == counts


def test_empty_and_non_utf8_files_are_reported(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing here\n", encoding="utf-8")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("workspace:\n  name: Universit\xe9\n".encode("latin-1"))

    with pytest.raises(WorkspaceFileError, match=r"empty\.yaml: the file is empty"):
        load_workspace_document(empty)
    with pytest.raises(WorkspaceFileError, match=r"latin\.yaml: the file is not UTF-8"):
        load_workspace_document(latin)
