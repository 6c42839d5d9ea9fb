"""NUL and other control characters in what people type never reach the database (issue 16, D4).

PostgreSQL refuses a NUL byte in text, so a blocker or a form field carrying one used to fail with a
database error (an apology for the command, HTTP 500 for the form). Every incoming string is cleaned
before any listener runs; tab and newline, which people do type, stay.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.console.payloads import SlackPayloads
from bot.db import make_engine, make_session_factory
from bot.models import Blocker, Milestone, Project
from bot.services import Services
from bot.slack.input_hygiene import clean_strings_in_place, without_control_characters
from bot.workspace_file import import_workspace_file
from tests.conftest import DEMO_FILE, DEMO_NOW
from tests.fakes.driver import message_text, milestone_form_submission, view_of
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi
from tests.migrated import migrate_from_template
from tests.security.served import ServerPool

LEAD = "U02ECBANE"  # leads bidshade
PCM_MEMBER = "U11DEAHME"


def test_control_characters_are_removed_but_tab_and_newline_stay() -> None:
    assert without_control_characters("a\x00b\x01c\x1fd\x7fe\tf\ng\rh") == "abcde\tf\ng\rh"
    # Bidirectional overrides and isolates go too; the right-to-left marks Arabic and Hebrew use stay.
    assert (
        without_control_characters("pro\u202ejec\u2066t\u2069 \u200fשלום\u200e") == "project \u200fשלום\u200e"
    )
    body = {"text": "x\x00y", "nested": [{"value": "\x0bz"}, "ok"], "n": 3}
    clean_strings_in_place(body)
    assert body == {"text": "xy", "nested": [{"value": "z"}, "ok"], "n": 3}


@pytest.fixture
def on_postgres(postgres_url: str, services: Services) -> Iterator[Services]:
    migrate_from_template(postgres_url)
    engine = make_engine(postgres_url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        import_workspace_file(session, DEMO_FILE, today=DEMO_NOW.date(), now=DEMO_NOW)
    yield Services(settings=services.settings, session_factory=factory, clock=services.clock)
    engine.dispose()


def _blocker_texts(session_factory: sessionmaker[Session]) -> list[str]:
    with session_factory() as session:
        return list(session.scalars(select(Blocker.text)))


def test_nul_in_a_blocker_command_is_removed_on_postgres(
    pool: ServerPool, on_postgres: Services, payloads: SlackPayloads, slack_api: FakeSlackApi
) -> None:
    served = pool.start(on_postgres)

    reply = served.post(
        payloads.slash_command("/blocker", "add pcm waiting\x00 for the\x07 DPA", user_id=PCM_MEMBER)
    )

    assert reply.status == 200
    assert _blocker_texts(on_postgres.session_factory) == ["waiting for the DPA"]
    answers = slack_api.calls(RESPONSE_URL_METHOD)
    assert len(answers) == 1
    assert "waiting for the DPA" in message_text(answers[0].params)
    assert "wrong" not in message_text(answers[0].params)  # not the apology


def test_nul_in_a_form_field_is_removed_on_postgres(
    pool: ServerPool, on_postgres: Services, payloads: SlackPayloads, slack_api: FakeSlackApi
) -> None:
    served = pool.start(on_postgres)
    assert served.post(payloads.slash_command("/milestone", "add bidshade", user_id=LEAD)).status == 200
    view = view_of(slack_api.calls("views.open")[-1])

    submitted = served.post(
        milestone_form_submission(payloads, view, user=LEAD, title="Pilot\x00 report\x1b", due="2027-03-01")
    )

    assert submitted.status == 200
    assert json.loads(submitted.body or b"{}").get("response_action") != "errors"
    with on_postgres.session_factory() as session:
        titles = set(session.scalars(select(Milestone.title).join(Project).where(Project.key == "bidshade")))
    assert "Pilot report" in titles
