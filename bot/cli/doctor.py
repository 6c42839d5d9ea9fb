"""`liaison doctor`: check that this process could start, and say what to fix if not.

Each check prints one line; a failure makes the command exit 1 (usable as a deployment gate or a
container health check). Nothing is changed: the database is not migrated, the model not loaded.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot.settings import ProcessRole, Settings, SettingsError

# Seconds a check may wait for the database or Slack before it counts as unreachable.
CHECK_TIMEOUT = 5


class Status(enum.StrEnum):
    """A check's verdict; only FAIL makes `liaison doctor` exit 1."""

    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Check:
    """One line of the checklist."""

    name: str
    status: Status
    detail: str


def run_checks(env: Mapping[str, str]) -> list[Check]:
    """Run every check against the configuration in `env`.

    Args:
        env: The environment (`os.environ` after `.env` was loaded).

    Returns:
        The checklist, in order: settings, database, schema, workspaces, model, Slack.
    """
    checks: list[Check] = []
    try:
        settings = Settings.from_env(env, require_slack=True)
    except SettingsError as error:
        checks.append(Check("settings", Status.FAIL, str(error)))
        try:
            # Still check the rest with what can be read (a missing token should not hide a down database).
            settings = Settings.from_env(env)
        except SettingsError:
            return checks
    else:
        checks.append(Check("settings", Status.OK, _describe_layout(settings)))
    if settings.process_role is not ProcessRole.ALL and settings.database_url.startswith("sqlite"):
        checks.append(
            Check(
                "layout",
                Status.WARN,
                f"LIAISON_PROCESS_ROLE={settings.process_role.value} with SQLite: several processes on "
                "one SQLite file contend for its lock; use PostgreSQL for split layouts",
            )
        )
    database = _check_database(settings.database_url)
    checks.append(database)
    if database.status is Status.OK:
        schema = _check_schema(settings.database_url)
        checks.extend(schema)
        if all(check.status is Status.OK for check in schema):
            checks.append(_check_workspaces(settings))
    checks.append(_check_model(settings))
    checks.append(_check_slack(settings))
    return checks


def format_checklist(checks: list[Check]) -> str:
    """The checklist as aligned lines plus a summary line."""
    width = max(len(check.name) for check in checks)
    lines = [f"{check.status.value:<4}  {check.name:<{width}}  {check.detail}" for check in checks]
    failures = sum(check.status is Status.FAIL for check in checks)
    lines.append(
        "All checks passed." if not failures else f"{failures} check{'s' if failures > 1 else ''} failed."
    )
    return "\n".join(lines)


def _describe_layout(settings: Settings) -> str:
    role = settings.process_role
    if not role.serves_slack:
        reach = "no Slack requests (scheduler only)"
    elif settings.slack_app_token:
        reach = "Slack over Socket Mode"
    else:
        reach = f"Slack over HTTP on {settings.http_host}:{settings.http_port}"
    model = "model loaded" if settings.loads_model else "no model"
    scheduler = "scheduler on" if role.runs_scheduler else "no scheduler"
    return f"role {role.value}: {reach}, {scheduler}, {model}"


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<database URL>"


def _first_line(error: BaseException) -> str:
    return (str(getattr(error, "orig", None) or error).strip().splitlines() or [type(error).__name__])[0]


def _check_database(url: str) -> Check:
    from sqlalchemy.pool import NullPool

    from bot.db import make_engine

    kwargs: dict[str, object] = {"poolclass": NullPool}
    if url.startswith("postgresql"):
        kwargs["connect_args"] = {"connect_timeout": CHECK_TIMEOUT}
    try:
        engine = make_engine(url, **kwargs)
    except (SQLAlchemyError, OSError) as error:
        return Check("database", Status.FAIL, f"{_shown(url)}: {_first_line(error)}")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as error:
        return Check("database", Status.FAIL, f"{_shown(url)} unreachable: {_first_line(error)}")
    finally:
        engine.dispose()
    return Check("database", Status.OK, f"{_shown(url)} answers")


def _check_schema(url: str) -> list[Check]:
    from bot.schema import current_revision, head_revision, schema_drift

    try:
        current, head = current_revision(url), head_revision()
    except (SQLAlchemyError, OSError) as error:
        return [Check("schema", Status.FAIL, f"cannot read the revision: {_first_line(error)}")]
    if current is None:
        return [Check("schema", Status.FAIL, "not migrated: run `liaison db upgrade`")]
    if current != head:
        return [
            Check(
                "schema",
                Status.FAIL,
                f"at revision {current}, this code needs {head}: run `liaison db upgrade` "
                "(or deploy the code that matches the database)",
            )
        ]
    drift = schema_drift(url)
    if drift:
        shown = "; ".join(drift[:3]) + (f"; …{len(drift) - 3} more" if len(drift) > 3 else "")
        return [Check("schema", Status.FAIL, f"at {head} but differs from the models: {shown}")]
    return [Check("schema", Status.OK, f"at revision {head} (latest), matches the models")]


def _check_workspaces(settings: Settings) -> Check:
    from sqlalchemy import select
    from sqlalchemy.pool import NullPool

    from bot.db import make_engine, make_session_factory
    from bot.models import Workspace

    engine = make_engine(settings.database_url, poolclass=NullPool)
    try:
        with make_session_factory(engine)() as session:
            workspaces = session.scalars(select(Workspace).order_by(Workspace.id)).all()
            gone = [
                f"{w.name} ({w.slack_team_id or 'no team'}): {w.disconnected_reason or 'disconnected'} "
                f"on {w.disconnected_at:%Y-%m-%d}"
                for w in workspaces
                if w.disconnected_at is not None
            ]
            count = len(workspaces)
    except SQLAlchemyError as error:
        return Check("workspaces", Status.FAIL, f"cannot read them: {_first_line(error)}")
    finally:
        engine.dispose()
    if not count:
        return Check("workspaces", Status.WARN, "none yet: `liaison import FILE` (or install over OAuth)")
    if gone:
        fix = (
            "reinstall from /slack/install"
            if settings.oauth_enabled
            else "reinstall the app and set its new SLACK_BOT_TOKEN"
        )
        return Check(
            "workspaces",
            Status.WARN,
            f"{len(gone)} of {count} disconnected, no reminders are sent there ({fix}): " + "; ".join(gone),
        )
    return Check("workspaces", Status.OK, f"{count} connected")


def _check_model(settings: Settings) -> Check:
    if not settings.loads_model:
        why = (
            "LIAISON_EMBEDDINGS is off"
            if settings.process_role.serves_slack
            else "the worker role does not load it"
        )
        return Check("model", Status.OK, f"not needed ({why})")
    from bot.experts.embeddings.protocol import EmbedderLoadError
    from bot.experts.embeddings.sentence_transformers import SentenceTransformerEmbedder

    try:
        path = SentenceTransformerEmbedder(settings.embedding_model).model_path()
    except (EmbedderLoadError, ImportError) as error:
        return Check("model", Status.FAIL, f"{error} (EMBEDDING_MODEL={settings.embedding_model})")
    return Check("model", Status.OK, f"{settings.embedding_model} at {path}")


def _check_slack(settings: Settings) -> Check:
    if settings.oauth_enabled:
        # Each workspace's token is stored when it installs Liaison; there is no single one to test.
        return Check("slack", Status.OK, "installs into several workspaces (OAuth): tokens are per workspace")
    if not settings.slack_bot_token:
        return Check("slack", Status.FAIL, "SLACK_BOT_TOKEN is not set, so auth.test cannot run")
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=CHECK_TIMEOUT)
    try:
        answer = client.auth_test()
    except SlackApiError as error:
        return Check("slack", Status.FAIL, f"auth.test refused the bot token: {error.response.get('error')}")
    except OSError as error:
        return Check("slack", Status.FAIL, f"cannot reach {settings.slack_api_url}: {_first_line(error)}")
    team = answer.get("team") or answer.get("team_id")
    return Check("slack", Status.OK, f"auth.test: bot {answer.get('user_id')} in team {team}")
