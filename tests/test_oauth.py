"""Installing Liaison into several workspaces: the OAuth flow over real HTTP, isolation, org-wide
installs, tokens at rest and in logs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, MetaData, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from bot.cli.doctor import Status, run_checks
from bot.cli.main import main
from bot.clock import FixedClock
from bot.db import make_engine, make_session_factory
from bot.models import (
    Project,
    Workspace,
    WorkspaceTeam,
    slack_bots,
    slack_installations,
    slack_oauth_states,
)
from bot.reminders.sending import NotInstalledError
from bot.schema import upgrade_database
from bot.services import Services
from bot.serving.logs import configure_logging, settings_secrets
from bot.serving.web import build_wsgi_app
from bot.serving.wsgi import build_runtime
from bot.settings import Settings
from bot.slack.installations import ENCRYPTED_PREFIX, TokenDecryptionError
from bot.slack.manifest import BOT_SCOPES
from bot.workspace_file import import_workspace_file
from tests.conftest import DEMO_NOW
from tests.fakes.driver import message_text
from tests.fakes.slack_api import RESPONSE_URL_METHOD, FakeSlackApi
from tests.migrated import migrate_from_template
from tests.oauth_support import (
    CLIENT_ID,
    CLIENT_SECRET,
    TEAM_A,
    TEAM_B,
    Instance,
    build_world,
    oauth_settings,
    serve,
    stop,
)


@pytest.fixture
def instance(
    slack_api: FakeSlackApi, session_factory: sessionmaker[Session], clock: FixedClock
) -> Iterator[Instance]:
    served = serve(oauth_settings(slack_api), session_factory, slack_api, clock)
    yield served
    stop(served)


def _workspace_file(tmp_path: Path, team_id: str, project_name: str, user: str) -> Path:
    path = tmp_path / f"{team_id}.yaml"
    path.write_text(
        f"""workspace:
  name: {team_id} alliance
  timezone: Europe/Amsterdam
  slack_team_id: {team_id}
people:
  - slack_id: {user}
    name: Person of {team_id}
projects:
  - key: pcm
    name: {project_name}
    status: on_track
    lead: {user}
    members: [{user}]
    milestones:
      - title: {project_name} draft
        due: 2026-12-01 12:00
        owner: {user}
""",
        encoding="utf-8",
    )
    return path


def _import(session_factory: sessionmaker[Session], path: Path) -> None:
    with session_factory.begin() as session:
        import_workspace_file(session, path, today=DEMO_NOW.date(), now=DEMO_NOW)


# -- the install flow ----------------------------------------------------------------------------


def test_install_link_redirects_to_slack_with_bot_scopes_and_sets_state_cookie(instance: Instance) -> None:
    answer = instance.get("/slack/install")

    assert answer.status == 302
    location = urlsplit(answer.headers["location"])
    query = parse_qs(location.query)
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://slack.com/oauth/v2/authorize"
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == BOT_SCOPES
    state = query["state"][0]
    assert answer.headers["set-cookie"].startswith(f"slack-app-oauth-state={state};")
    assert "HttpOnly" in answer.headers["set-cookie"] and "Secure" in answer.headers["set-cookie"]


def test_install_stores_the_installation_and_creates_the_workspace(
    instance: Instance, slack_api: FakeSlackApi, engine: Engine, session_factory: sessionmaker[Session]
) -> None:
    answer = instance.install(TEAM_A, team_name="Alpha Alliance")

    assert answer.status == 200
    assert b"Thank you!" in answer.body
    (issued,) = slack_api.installs.issued_tokens(TEAM_A)
    with engine.connect() as connection:
        rows = connection.execute(select(slack_installations)).mappings().all()
        assert connection.execute(select(slack_oauth_states)).all() == []  # the state was consumed
    assert [(r["team_id"], r["bot_token"], r["user_id"], r["client_id"]) for r in rows] == [
        (TEAM_A, issued.token, "U0INSTALLER", CLIENT_ID)
    ]
    with session_factory() as session:
        workspace = session.scalars(select(Workspace)).one()
    assert (workspace.name, workspace.slack_team_id, workspace.timezone) == (
        "Alpha Alliance",
        TEAM_A,
        "Europe/Amsterdam",
    )


def test_forged_state_is_refused_and_the_code_never_exchanged(
    instance: Instance, slack_api: FakeSlackApi, engine: Engine
) -> None:
    code = slack_api.installs.grant_install(TEAM_A)
    forged = "00000000-0000-0000-0000-000000000000"

    answer = instance.finish_install(code, forged, f"slack-app-oauth-state={forged}")

    assert answer.status == 401
    assert slack_api.calls("oauth.v2.access") == []
    with engine.connect() as connection:
        assert connection.execute(select(slack_installations)).all() == []


def test_state_without_the_browsers_cookie_is_refused(instance: Instance, slack_api: FakeSlackApi) -> None:
    state, _cookie = instance.start_install()

    answer = instance.finish_install(slack_api.installs.grant_install(TEAM_A), state, cookie=None)

    assert answer.status == 400
    assert slack_api.calls("oauth.v2.access") == []


def test_expired_state_is_refused(instance: Instance, slack_api: FakeSlackApi, engine: Engine) -> None:
    state, cookie = instance.start_install()
    with engine.begin() as connection:
        connection.execute(update(slack_oauth_states).values(expire_at=datetime(2000, 1, 1)))

    answer = instance.finish_install(slack_api.installs.grant_install(TEAM_A), state, cookie)

    assert answer.status == 401
    assert slack_api.calls("oauth.v2.access") == []


def test_state_is_used_once(instance: Instance, slack_api: FakeSlackApi) -> None:
    state, cookie = instance.start_install()
    assert instance.finish_install(slack_api.installs.grant_install(TEAM_A), state, cookie).status == 200

    replayed = instance.finish_install(slack_api.installs.grant_install(TEAM_A), state, cookie)

    assert replayed.status == 401
    assert len(slack_api.calls("oauth.v2.access")) == 1


def test_install_started_on_one_instance_finishes_on_another(
    instance: Instance,
    slack_api: FakeSlackApi,
    session_factory: sessionmaker[Session],
    clock: FixedClock,
) -> None:
    other = serve(oauth_settings(slack_api), session_factory, slack_api, clock)
    try:
        state, cookie = instance.start_install()
        answer = other.finish_install(slack_api.installs.grant_install(TEAM_B), state, cookie)
    finally:
        stop(other)

    assert answer.status == 200
    with session_factory() as session:
        assert session.scalars(select(Workspace.slack_team_id)).all() == [TEAM_B]


def test_installer_who_cancels_sees_the_failure_page(instance: Instance, engine: Engine) -> None:
    state, cookie = instance.start_install()

    answer = instance.get(f"/slack/oauth_redirect?error=access_denied&state={state}", cookie=cookie)

    assert answer.status == 200
    assert b"access_denied" in answer.body
    with engine.connect() as connection:
        assert connection.execute(select(slack_installations)).all() == []


def test_oauth_routes_take_browser_gets_only(instance: Instance) -> None:
    assert instance.request("POST", "/slack/install", body=b"x").status == 405
    huge = instance.request("GET", "/slack/install", headers={"Content-Length": str(10 * 1024 * 1024)})
    assert huge.status == 413


def test_single_workspace_mode_serves_no_install_routes(
    settings: Settings, services: Services, app: App
) -> None:
    # With SLACK_BOT_TOKEN (the default, and the demo) nothing about OAuth is served.
    assert not settings.oauth_enabled
    web = build_wsgi_app(app, services)
    statuses: list[str] = []

    def start_response(status: str, _headers: object) -> None:
        statuses.append(status)

    for path in ("/slack/install", "/slack/oauth_redirect"):
        web({"PATH_INFO": path, "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO()}, start_response)
    assert statuses == ["404 Not Found", "404 Not Found"]


# -- several workspaces -------------------------------------------------------------------------


def test_two_workspaces_with_the_same_project_key_never_see_each_other(
    instance: Instance, slack_api: FakeSlackApi, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    _import(session_factory, _workspace_file(tmp_path, TEAM_A, "Alpha consent study", "U0ALICE"))
    _import(session_factory, _workspace_file(tmp_path, TEAM_B, "Bravo pricing model", "U0BOB"))
    assert instance.install(TEAM_A, team_name="Alpha").status == 200
    assert instance.install(TEAM_B, team_name="Bravo").status == 200
    (token_b,) = slack_api.installs.issued_tokens(TEAM_B)
    slack_api.reset()

    status = instance.post(
        instance.world.payloads(TEAM_B).slash_command("/project", "status pcm", user_id="U0BOB")
    )
    listed = instance.post(
        instance.world.payloads(TEAM_B).slash_command("/project", "list all", user_id="U0BOB")
    )

    assert status.status == listed.status == 200
    replies = [message_text(call.params) for call in slack_api.calls(RESPONSE_URL_METHOD)]
    assert len(replies) == 2
    assert all("Bravo pricing model" in reply for reply in replies)
    assert not any("Alpha" in reply for reply in replies)
    # Bolt authorized team B's request with team B's token.
    assert {call.authorization for call in slack_api.calls("auth.test")} <= {f"Bearer {token_b.token}"}
    with session_factory() as session:
        keys = session.execute(select(Project.key, Workspace.slack_team_id).join(Workspace)).all()
    assert sorted(keys) == [("pcm", TEAM_A), ("pcm", TEAM_B)]


def test_request_from_a_team_that_never_installed_is_not_served(
    instance: Instance, slack_api: FakeSlackApi, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    _import(session_factory, _workspace_file(tmp_path, TEAM_A, "Alpha consent study", "U0ALICE"))
    assert instance.install(TEAM_A).status == 200
    slack_api.reset()

    answer = instance.post(
        instance.world.payloads("T0STRANGER").slash_command("/project", "status pcm", user_id="U0ALICE")
    )

    assert answer.status == 200
    replies = [message_text(call.params) for call in slack_api.calls(RESPONSE_URL_METHOD)]
    assert not any("Alpha consent study" in reply for reply in replies)
    assert "no longer available" in " ".join(replies) + answer.body.decode()


def test_org_wide_install_serves_every_team_of_the_org(
    instance: Instance, slack_api: FakeSlackApi, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    answer = instance.install(
        None, enterprise_id="E0GRID", enterprise_name="Grid Alliance", org_wide=True, installer="U0ORGADMIN"
    )
    assert answer.status == 200
    with session_factory() as session:
        workspace = session.scalars(select(Workspace)).one()
    assert (workspace.slack_team_id, workspace.name) == ("E0GRID", "Grid Alliance")
    _import(session_factory, _workspace_file(tmp_path, "E0GRID", "Grid privacy sandbox", "U0CAROL"))
    (org_token,) = slack_api.installs.issued_tokens("E0GRID")
    slack_api.reset()

    payloads = instance.world.payloads("T0GRIDSALES")
    body = payloads.slash_command("/project", "status pcm", user_id="U0CAROL").body
    body += "&enterprise_id=E0GRID&is_enterprise_install=true"
    reply = instance.post(payloads.sign(body, "application/x-www-form-urlencoded"))

    assert reply.status == 200
    (posted,) = slack_api.calls(RESPONSE_URL_METHOD)
    assert "Grid privacy sandbox" in message_text(posted.params)
    assert {call.authorization for call in slack_api.calls("auth.test")} == {f"Bearer {org_token.token}"}
    with session_factory() as session:
        team = session.scalars(select(WorkspaceTeam)).one()
    assert (team.slack_team_id, team.slack_enterprise_id, team.workspace_id) == (
        "T0GRIDSALES",
        "E0GRID",
        workspace.id,
    )


def test_reinstall_keeps_the_workspace_and_its_data(
    instance: Instance, slack_api: FakeSlackApi, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    _import(session_factory, _workspace_file(tmp_path, TEAM_A, "Alpha consent study", "U0ALICE"))
    assert instance.install(TEAM_A).status == 200
    assert instance.install(TEAM_A).status == 200

    with session_factory() as session:
        assert session.scalars(select(Workspace.slack_team_id)).all() == [TEAM_A]
        assert session.scalars(select(Project.name)).all() == ["Alpha consent study"]
    # The newest installation (and its token) is the one used.
    first, second = slack_api.installs.issued_tokens(TEAM_A)
    assert instance.world.tokens.bot_token_for_team(TEAM_A) == second.token


# -- secrets -----------------------------------------------------------------------------------


@pytest.fixture
def captured_log(slack_api: FakeSlackApi) -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    key = Fernet.generate_key().decode()
    settings = oauth_settings(slack_api, LIAISON_TOKEN_ENCRYPTION_KEY=key)
    configure_logging("DEBUG", secrets=settings_secrets(settings), stream=stream, force=True)
    yield stream
    for handler in list(root.handlers):
        if handler not in saved_handlers:
            root.removeHandler(handler)
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def test_tokens_codes_and_client_secret_never_reach_the_log(
    captured_log: io.StringIO,
    slack_api: FakeSlackApi,
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    served = serve(oauth_settings(slack_api), session_factory, slack_api, clock, token_expires_in=60)
    try:
        _import(session_factory, _workspace_file(tmp_path, TEAM_A, "Alpha consent study", "U0ALICE"))
        state, cookie = served.start_install()
        code = slack_api.installs.grant_install(TEAM_A)
        assert served.finish_install(code, state, cookie).status == 200
        # A request (authorize, rotation of the 60-second token) and a job's lookup.
        served.post(served.world.payloads(TEAM_A).slash_command("/project", "status pcm", user_id="U0ALICE"))
        served.world.tokens.forget(TEAM_A)
        assert served.world.tokens.bot_token_for_team(TEAM_A)
    finally:
        stop(served)

    output = captured_log.getvalue()
    assert "rotated the Slack tokens of team T0ALPHA" in output
    secrets = [CLIENT_SECRET, code]
    for issued in slack_api.installs.issued_tokens():
        secrets += [issued.token, issued.token.split("-", 1)[1], issued.refresh_token or "-"]
    assert [secret for secret in secrets if secret in output] == []


def test_tokens_are_encrypted_at_rest(
    slack_api: FakeSlackApi, engine: Engine, session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = oauth_settings(slack_api, LIAISON_TOKEN_ENCRYPTION_KEY=old_key)
    world = build_world(settings, session_factory, slack_api, clock, token_expires_in=12 * 3600)

    world.install_directly(TEAM_A)

    (issued,) = slack_api.installs.issued_tokens(TEAM_A)
    assert issued.refresh_token
    with engine.connect() as connection:
        stored = [
            *connection.execute(
                select(slack_installations.c.bot_token, slack_installations.c.bot_refresh_token)
            ),
            *connection.execute(select(slack_bots.c.bot_token, slack_bots.c.bot_refresh_token)),
        ]
        dump = json.dumps(
            [list(row) for row in connection.execute(text("SELECT * FROM slack_installations"))], default=str
        )
    assert all(value.startswith(ENCRYPTED_PREFIX) for row in stored for value in row)
    for secret in (issued.token, issued.refresh_token, issued.token.split("-", 1)[1]):
        assert secret not in dump
    assert world.tokens.bot_token_for_team(TEAM_A) == issued.token

    # Key rotation: the new key first, the old one still decrypts; re-encrypting drops the old one.
    rotated = build_world(
        oauth_settings(slack_api, LIAISON_TOKEN_ENCRYPTION_KEY=f"{new_key},{old_key}"),
        session_factory,
        slack_api,
        clock,
        token_expires_in=12 * 3600,
    )
    assert rotated.tokens.bot_token_for_team(TEAM_A) == issued.token
    assert rotated.tokens.store.reencrypt_all() == 2
    only_new = build_world(
        oauth_settings(slack_api, LIAISON_TOKEN_ENCRYPTION_KEY=new_key),
        session_factory,
        slack_api,
        clock,
        token_expires_in=12 * 3600,
    )
    assert only_new.tokens.bot_token_for_team(TEAM_A) == issued.token


def test_encrypted_tokens_without_the_key_fail_loudly(
    slack_api: FakeSlackApi, session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    key = Fernet.generate_key().decode()
    build_world(
        oauth_settings(slack_api, LIAISON_TOKEN_ENCRYPTION_KEY=key), session_factory, slack_api, clock
    ).install_directly(TEAM_A)
    wrong = build_world(
        oauth_settings(slack_api, LIAISON_TOKEN_ENCRYPTION_KEY=Fernet.generate_key().decode()),
        session_factory,
        slack_api,
        clock,
    )
    none = build_world(oauth_settings(slack_api), session_factory, slack_api, clock)

    with pytest.raises(TokenDecryptionError, match="cannot be decrypted"):
        wrong.tokens.bot_token_for_team(TEAM_A)
    with pytest.raises(TokenDecryptionError, match="LIAISON_TOKEN_ENCRYPTION_KEY is not set"):
        none.tokens.bot_token_for_team(TEAM_A)


# -- the tables --------------------------------------------------------------------------------


def test_installation_tables_are_slack_sdks_own_with_wider_token_columns() -> None:
    scratch = MetaData()
    theirs = [
        SQLAlchemyInstallationStore.build_installations_table(scratch, "slack_installations"),
        SQLAlchemyInstallationStore.build_bots_table(scratch, "slack_bots"),
        SQLAlchemyOAuthStateStore.build_oauth_states_table(scratch, "slack_oauth_states"),
    ]
    for reference, ours in zip(theirs, (slack_installations, slack_bots, slack_oauth_states), strict=True):
        assert [(c.name, c.nullable, c.primary_key) for c in ours.columns] == [
            (c.name, c.nullable, c.primary_key) for c in reference.columns
        ]
        assert {i.name for i in ours.indexes} == {i.name for i in reference.indexes}


def test_expired_states_are_purged_when_a_new_one_is_issued(instance: Instance, engine: Engine) -> None:
    instance.start_install()
    with engine.begin() as connection:
        connection.execute(
            update(slack_oauth_states).values(
                expire_at=(datetime.now(UTC) - timedelta(hours=1)).replace(tzinfo=None)
            )
        )

    instance.start_install()

    with engine.connect() as connection:
        assert len(connection.execute(select(slack_oauth_states)).all()) == 1


def test_doctor_passes_the_slack_check_in_oauth_mode(slack_api: FakeSlackApi, tmp_path: Path) -> None:
    env = {
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": "s3cret",
        "SLACK_API_URL": slack_api.url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'doctor.db'}",
        "LIAISON_EMBEDDINGS": "false",
    }

    (slack,) = [check for check in run_checks(env) if check.name == "slack"]

    assert slack.status is Status.OK
    assert "OAuth" in slack.detail


def test_runtime_in_oauth_mode_serves_installs_and_shares_tokens_with_the_jobs(
    slack_api: FakeSlackApi, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    migrate_from_template(url)
    slack_api.installs.register_app(CLIENT_ID, CLIENT_SECRET)
    runtime = build_runtime(oauth_settings(slack_api, database_url=url), load_model=False)
    try:
        assert runtime.app is not None and runtime.app.oauth_flow is not None
        statuses: list[str] = []
        environ = {"PATH_INFO": "/slack/install", "REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO()}
        runtime(environ, lambda status, _headers: statuses.append(status))
        code = slack_api.installs.grant_install(TEAM_A)
        installation = runtime.app.oauth_flow.run_installation(code)
        assert installation is not None
        runtime.app.oauth_flow.store_installation(BoltRequest(body=""), installation)

        assert statuses == ["302 Found"]
        notifier = runtime.services.notifier
        assert notifier is not None
        assert notifier.client_for(TEAM_A).token == slack_api.installs.issued_tokens(TEAM_A)[0].token
        with pytest.raises(NotInstalledError):
            notifier.client_for(TEAM_B)
    finally:
        runtime.shutdown(timeout=1)


def test_cli_reencrypts_stored_tokens_with_the_first_key(
    slack_api: FakeSlackApi, clock: FixedClock, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'liaison.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    try:
        factory = make_session_factory(engine)
        old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
        world = build_world(
            oauth_settings(slack_api, database_url=url, LIAISON_TOKEN_ENCRYPTION_KEY=old_key),
            factory,
            slack_api,
            clock,
        )
        world.install_directly(TEAM_A)
        (issued,) = slack_api.installs.issued_tokens(TEAM_A)
        env = {
            "DATABASE_URL": url,
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "LIAISON_TOKEN_ENCRYPTION_KEY": f"{new_key},{old_key}",
        }

        result = CliRunner().invoke(main, ["tokens", "reencrypt"], env=env)

        assert result.exit_code == 0, result.output
        assert "Re-encrypted the tokens of 2 installation and bot rows" in result.output
        assert issued.token not in result.output
        only_new = build_world(
            oauth_settings(slack_api, database_url=url, LIAISON_TOKEN_ENCRYPTION_KEY=new_key),
            factory,
            slack_api,
            clock,
        )
        assert only_new.tokens.bot_token_for_team(TEAM_A) == issued.token
        refused = CliRunner().invoke(main, ["tokens", "reencrypt"], env={"DATABASE_URL": url})
        assert refused.exit_code != 0 and "needs SLACK_CLIENT_ID" in refused.output
    finally:
        engine.dispose()
