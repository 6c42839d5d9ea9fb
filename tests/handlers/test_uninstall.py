"""The end of an install: `app_uninstalled` and `tokens_revoked` through the signed request path, and
what the reminder jobs then do for that workspace (nothing, without errors or retries)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock, SystemClock
from bot.db import make_engine, make_session_factory
from bot.models import (
    AuditEntry,
    DeliveryStatus,
    Milestone,
    Person,
    Project,
    ReminderDelivery,
    Workspace,
    slack_bots,
    slack_installations,
)
from bot.reminders.dispatch import NOT_INSTALLED
from bot.reminders.outcomes import plan_failure_reports
from bot.reminders.planning import replan_milestone, replan_workspace
from bot.serving.wsgi import Runtime, build_runtime
from bot.settings import Settings
from bot.slack.installations import InstallationKey
from bot.slack.workspaces import REVOKED_REASON, UNINSTALLED_REASON, forget_installation
from bot.workspace_file import import_workspace_file
from jobs.reminders import plan_reminders, refresh_time_zones, run_reminder_tick
from tests.conftest import DEMO_FILE
from tests.fakes.driver import SlackDriver
from tests.fakes.slack_api import FakeSlackApi
from tests.jobs.reminder_support import deliveries, utc
from tests.migrated import migrate_from_template
from tests.oauth_support import Instance, oauth_settings, serve, stop

TEAM = FakeSlackApi.team_id  # the demo data's team
BIDSHADE_2_DUE_REMINDER = utc(2026, 11, 20, 8, 0)  # bidshade-2's seven-day reminder is due


@pytest.fixture
def instance(
    slack_api: FakeSlackApi, session_factory: sessionmaker[Session], clock: FixedClock, demo: None
) -> Iterator[Instance]:
    """The demo workspace, bound to its team, installed over OAuth and served over HTTP."""
    with session_factory.begin() as session:
        session.execute(update(Workspace).values(slack_team_id=TEAM))
    served = serve(oauth_settings(slack_api), session_factory, slack_api, clock)
    served.world.install_directly(TEAM, team_name="Adtech Research Alliance")
    slack_api.reset()
    yield served
    stop(served)


def _planned(session_factory: sessionmaker[Session]) -> int:
    with session_factory() as session:
        return int(
            session.scalar(select(func.count()).where(ReminderDelivery.status == DeliveryStatus.PLANNED)) or 0
        )


def _rows(engine: Engine, table: object) -> list[dict[str, object]]:
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(select(table)).mappings()]  # type: ignore[call-overload]


def _event(instance: Instance, event: dict[str, object]) -> int:
    return instance.post(instance.world.payloads(TEAM).event(event)).status


def test_app_uninstalled_deletes_tokens_cancels_reminders_and_keeps_the_data(
    instance: Instance,
    slack_api: FakeSlackApi,
    engine: Engine,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    planned = _planned(session_factory)
    assert planned > 0

    assert _event(instance, {"type": "app_uninstalled"}) == 200

    assert _rows(engine, slack_installations) == [] and _rows(engine, slack_bots) == []
    assert _planned(session_factory) == 0
    cancelled = deliveries(session_factory, status=DeliveryStatus.CANCELLED)
    assert len(cancelled) == planned
    assert {row.last_error for row in cancelled} == {UNINSTALLED_REASON}
    with session_factory() as session:
        assert session.scalars(select(Workspace.slack_team_id)).all() == [TEAM]
        assert len(session.scalars(select(Project)).all()) > 0  # an admin may reinstall
        workspace = session.scalars(select(Workspace)).one()
        assert not workspace.connected and workspace.disconnected_reason == UNINSTALLED_REASON

    # The jobs then leave the workspace alone: nothing planned (not even the recurring digests), sent,
    # failed, or logged as an error.
    with caplog.at_level(logging.WARNING):
        assert plan_reminders(instance.world.services, now=BIDSHADE_2_DUE_REMINDER) == 0
        report = run_reminder_tick(instance.world.services, now=BIDSHADE_2_DUE_REMINDER)
        assert refresh_time_zones(instance.world.services, now=BIDSHADE_2_DUE_REMINDER) == 0
    assert _planned(session_factory) == 0
    assert (report.claimed, report.sent, report.failed, report.retried) == (0, 0, 0, 0)
    assert slack_api.calls("chat.postMessage") == [] and slack_api.calls("users.info") == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_uninstall_with_purge_setting_deletes_the_workspace_and_all_its_data(
    slack_api: FakeSlackApi,
    engine: Engine,
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    demo: None,
) -> None:
    with session_factory.begin() as session:
        session.execute(update(Workspace).values(slack_team_id=TEAM))
    # A second workspace that must survive the first one's purge.
    with session_factory.begin() as session:
        other = Workspace(name="Other alliance", timezone="UTC", slack_team_id="T0OTHER")
        session.add(other)
        session.flush()
        session.add(Person(workspace_id=other.id, slack_id="U0OTHER", name="Other Person"))
    served = serve(
        oauth_settings(slack_api, LIAISON_UNINSTALL_DATA="purge"), session_factory, slack_api, clock
    )
    try:
        served.world.install_directly(TEAM, team_name="Adtech Research Alliance")

        assert _event(served, {"type": "app_uninstalled"}) == 200

        with session_factory() as session:
            assert session.scalars(select(Workspace.slack_team_id)).all() == ["T0OTHER"]
            for table in (Person, Project, Milestone, ReminderDelivery, AuditEntry):
                owners = session.scalars(select(func.count()).select_from(table)).one()
                assert owners == (1 if table is Person else 0), table.__name__
        assert _rows(engine, slack_installations) == []
    finally:
        stop(served)


def test_reinstall_after_uninstall_plans_the_reminders_again(
    instance: Instance, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    planned = _planned(session_factory)
    _event(instance, {"type": "app_uninstalled"})
    slack_api.installs.revoke_team(TEAM)

    instance.world.install_directly(TEAM)

    assert _planned(session_factory) == planned
    with session_factory() as session:
        workspace = session.scalars(select(Workspace)).one()
        assert workspace.connected and workspace.disconnected_reason is None
    report = run_reminder_tick(instance.world.services, now=BIDSHADE_2_DUE_REMINDER)
    assert report.sent == 1
    (post,) = slack_api.calls("chat.postMessage")
    assert post.authorization == f"Bearer {slack_api.installs.issued_tokens(TEAM)[-1].token}"


def test_due_reminder_of_a_workspace_without_installation_is_cancelled_not_retried(
    instance: Instance, slack_api: FakeSlackApi, session_factory: sessionmaker[Session]
) -> None:
    # The uninstall event never arrived (Liaison was down): the tick finds no installation itself.
    instance.world.tokens.store.delete_all(enterprise_id=None, team_id=TEAM)
    instance.world.tokens.forget(TEAM)

    report = run_reminder_tick(instance.world.services, now=BIDSHADE_2_DUE_REMINDER)

    assert (report.claimed, report.cancelled, report.sent, report.retried, report.failed) == (1, 1, 0, 0, 0)
    assert slack_api.calls("chat.postMessage") == [] and slack_api.calls("conversations.open") == []
    (row,) = deliveries(session_factory, status=DeliveryStatus.CANCELLED)
    assert row.last_error == NOT_INSTALLED
    # No failure report is planned for the lead (it could not be delivered either).
    assert run_reminder_tick(instance.world.services, now=BIDSHADE_2_DUE_REMINDER).claimed == 0


def test_tokens_revoked_for_the_bot_stops_the_workspace_like_an_uninstall(
    instance: Instance, slack_api: FakeSlackApi, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    bot_user = _rows(engine, slack_installations)[0]["bot_user_id"]

    status = _event(instance, {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [bot_user]}})

    assert status == 200
    (installation,) = _rows(engine, slack_installations)  # who installed, and when, is kept
    assert (installation["bot_token"], installation["bot_refresh_token"]) == (None, None)
    assert _rows(engine, slack_bots) == []
    assert _planned(session_factory) == 0
    assert {r.last_error for r in deliveries(session_factory, status=DeliveryStatus.CANCELLED)} == {
        REVOKED_REASON
    }
    assert instance.world.tokens.bot_token_for_team(TEAM) is None
    assert run_reminder_tick(instance.world.services, now=BIDSHADE_2_DUE_REMINDER).sent == 0
    assert slack_api.calls("chat.postMessage") == []


def test_tokens_revoked_for_users_only_keeps_the_bot_working(
    instance: Instance, slack_api: FakeSlackApi, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    planned = _planned(session_factory)

    _event(instance, {"type": "tokens_revoked", "tokens": {"oauth": ["U0INSTALLER"], "bot": []}})

    (installation,) = _rows(engine, slack_installations)
    assert installation["bot_token"] == slack_api.installs.issued_tokens(TEAM)[0].token
    assert _planned(session_factory) == planned
    assert run_reminder_tick(instance.world.services, now=BIDSHADE_2_DUE_REMINDER).sent == 1


def test_org_wide_uninstall_forgets_the_org(
    instance: Instance, slack_api: FakeSlackApi, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    instance.world.install_directly(None, enterprise_id="E0GRID", enterprise_name="Grid", org_wide=True)
    assert len(_rows(engine, slack_installations)) == 2
    payloads = instance.world.payloads("T0GRIDSALES")
    envelope = {
        "token": "legacy-unused",
        "team_id": "T0GRIDSALES",
        "enterprise_id": "E0GRID",
        "api_app_id": "A0LIAISON",
        "event": {"type": "app_uninstalled"},
        "type": "event_callback",
        "event_id": "Ev0GRIDUNINSTALL",
        "event_time": 1,
        "authorizations": [
            {
                "enterprise_id": "E0GRID",
                "team_id": None,
                "user_id": "U0BOTE0GRID",
                "is_enterprise_install": True,
            }
        ],
    }

    answer = instance.post(payloads.sign(json.dumps(envelope), "application/json"))

    assert answer.status == 200
    assert [row["team_id"] for row in _rows(engine, slack_installations)] == [TEAM]  # the other team's stays
    assert instance.world.tokens.bot_token_for_team("E0GRID") is None
    assert instance.world.tokens.bot_token_for_team(TEAM) is not None


def test_single_workspace_mode_uninstall_cancels_the_reminders(
    slack: SlackDriver, session_factory: sessionmaker[Session], demo: None
) -> None:
    assert _planned(session_factory) > 0

    exchange = slack.event({"type": "app_uninstalled"})

    assert exchange.status == 200
    assert _planned(session_factory) == 0


def test_changes_while_disconnected_plan_nothing_and_a_reinstall_plans_them(
    instance: Instance, session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    _event(instance, {"type": "app_uninstalled"})
    settings = instance.world.services.settings
    # An admin imports while the app is uninstalled (the CLI needs no Slack): milestones move, but
    # nothing could be sent, so nothing is planned.
    with session_factory.begin() as session:
        workspace = session.scalars(select(Workspace)).one()
        replan_workspace(session, workspace.id, clock.now(), defaults=settings.reminder_policy)
        for milestone in session.scalars(select(Milestone)):
            replan_milestone(session, milestone, clock.now(), defaults=settings.reminder_policy)
    assert _planned(session_factory) == 0

    instance.world.install_directly(TEAM)

    assert _planned(session_factory) > 0


def test_tokens_revoked_disconnects_and_a_failure_report_is_not_planned(
    instance: Instance, session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    assert _event(instance, {"type": "tokens_revoked", "tokens": {"bot": ["U0LIAISONBOT"]}}) == 200
    with session_factory.begin() as session:
        workspace = session.scalars(select(Workspace)).one()
        assert workspace.disconnected_reason == REVOKED_REASON
        project = session.scalars(select(Project).where(Project.lead_id.is_not(None))).first()
        assert project is not None
        failed = ReminderDelivery(
            workspace_id=workspace.id,
            key="failed-while-disconnected",
            series="s",
            kind="lead_time",
            occurrence="o",
            project_id=project.id,
            send_at=clock.now(),
            send_zone="UTC",
            nominal_at=clock.now(),
            not_before=clock.now(),
            status=DeliveryStatus.FAILED,
            last_error="channel_not_found",
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        session.add(failed)
        session.flush()

        assert plan_failure_reports(session, [failed.id], clock.now()) == 0


def _single_workspace_runtime(slack_api: FakeSlackApi, url: str) -> Runtime:
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-single-workspace",
            "SLACK_SIGNING_SECRET": "s3cret",
            "SLACK_API_URL": slack_api.url,
            "DATABASE_URL": url,
            "LIAISON_PROCESS_ROLE": "web",
            "LIAISON_EMBEDDINGS": "false",
        },
        require_slack=True,
    )
    return build_runtime(settings, load_model=False)


@pytest.mark.parametrize("token_works", [True, False])
def test_single_workspace_mode_reconnects_at_start_once_its_token_works(
    token_works: bool, slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    migrate_from_template(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    now = SystemClock().now()
    with factory.begin() as session:
        import_workspace_file(session, DEMO_FILE, today=now.date(), now=now, rebase_dates=True)
    planned = _planned(factory)
    assert planned > 0
    forget_installation(factory, None, InstallationKey(None, TEAM, False), now=now, uninstalled=True)
    assert _planned(factory) == 0
    slack_api.reset()
    if not token_works:
        slack_api.fail("auth.test", "invalid_auth", times=10)

    runtime = _single_workspace_runtime(slack_api, url) if token_works else None
    if runtime is None:
        # Bolt refuses to start with a dead token; a worker process (no Bolt) gets that far.
        settings = Settings.from_env(
            {
                "SLACK_BOT_TOKEN": "xoxb-single-workspace",
                "SLACK_SIGNING_SECRET": "s3cret",
                "SLACK_API_URL": slack_api.url,
                "DATABASE_URL": url,
                "LIAISON_PROCESS_ROLE": "worker",
            },
            require_slack=True,
        )
        runtime = build_runtime(settings, load_model=False)
    try:
        runtime.start()
        with factory() as session:
            workspace = session.scalars(select(Workspace)).one()
        assert workspace.connected is token_works
        assert (_planned(factory) > 0) is token_works
        assert slack_api.calls("auth.test")
    finally:
        runtime.shutdown(timeout=1)
        engine.dispose()
