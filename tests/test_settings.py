"""Settings from the environment: defaults, validation messages, and how the CLI reports a bad value."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.main import main
from bot.commands import CommandNames
from bot.settings import (
    DEFAULT_EMBEDDING_MODEL,
    DEFAULT_SLACK_API_URL,
    LogFormat,
    ProcessRole,
    Settings,
    SettingsError,
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    # The CLI reads os.environ and a .env found from the working directory up; neither may leak in.
    for name in list(os.environ):
        if name.startswith(("SLACK_", "LIAISON_")) or name in (
            "DATABASE_URL",
            "LOG_LEVEL",
            "LOG_FORMAT",
            "EMBEDDING_MODEL",
        ):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    saved = dict(os.environ)
    yield
    # load_dotenv writes into os.environ behind monkeypatch's back.
    os.environ.clear()
    os.environ.update(saved)


def test_defaults_apply_when_environment_is_empty() -> None:
    settings = Settings.from_env({})

    assert settings.slack_bot_token == ""
    assert settings.slack_signing_secret == ""
    assert settings.slack_app_token is None
    assert settings.slack_api_url == DEFAULT_SLACK_API_URL
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("liaison.db")
    assert settings.default_timezone == "UTC"
    assert settings.embedding_model == DEFAULT_EMBEDDING_MODEL
    assert settings.admins == frozenset()
    assert (settings.http_host, settings.http_port) == ("0.0.0.0", 3000)
    assert settings.reminder_tick_seconds == 15
    assert settings.log_level == "INFO"
    assert settings.commands == CommandNames(
        {"project": "/project", "milestone": "/milestone", "blocker": "/blocker", "help": "/liaison"}
    )
    assert dict(settings.commands) == {
        "project": "/project",
        "milestone": "/milestone",
        "blocker": "/blocker",
        "help": "/liaison",
        "ask": "/ask",
        "expert": "/expert",
        "profile": "/profile",
        "agreement": "/agreement",
        "paper": "/paper",
    }
    assert settings.public_url is None


def test_blank_values_count_as_unset() -> None:
    settings = Settings.from_env({"LIAISON_TIMEZONE": "  ", "LIAISON_PORT": "", "SLACK_APP_TOKEN": " "})

    assert settings.default_timezone == "UTC"
    assert settings.http_port == 3000
    assert settings.slack_app_token is None


def test_values_are_read_and_normalised() -> None:
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": " xoxb-abc ",
            "SLACK_SIGNING_SECRET": "secret",
            "SLACK_APP_TOKEN": "xapp-1-abc",
            "SLACK_API_URL": "http://127.0.0.1:8080/api",
            "LIAISON_PUBLIC_URL": "https://liaison.example.org/",
            "DATABASE_URL": "postgresql://liaison:pw@db.example.org:5432/liaison",
            "LIAISON_TIMEZONE": "Europe/Amsterdam",
            "LIAISON_ADMINS": "U0ADMIN, W0OTHER ,",
            "LIAISON_HOST": "127.0.0.1",
            "LIAISON_PORT": "8080",
            "LIAISON_REMINDER_TICK_SECONDS": "60",
            "LOG_LEVEL": "debug",
            "LIAISON_PROJECT_COMMAND": "/proj",
            "LIAISON_HELP_COMMAND": "/liaison-help",
        }
    )

    assert settings.slack_bot_token == "xoxb-abc"
    assert settings.slack_app_token == "xapp-1-abc"
    assert settings.slack_api_url == "http://127.0.0.1:8080/api/"
    assert settings.public_url == "https://liaison.example.org"
    assert settings.database_url == "postgresql://liaison:pw@db.example.org:5432/liaison"
    assert settings.zone.key == "Europe/Amsterdam"
    assert settings.admins == frozenset({"U0ADMIN", "W0OTHER"})
    assert (settings.http_host, settings.http_port) == ("127.0.0.1", 8080)
    assert settings.reminder_tick_seconds == 60
    assert settings.log_level == "DEBUG"
    assert settings.commands == CommandNames({"project": "/proj", "help": "/liaison-help"})
    assert settings.commands.milestone == "/milestone"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SLACK_BOT_TOKEN", "xoxp-user-token"),
        ("SLACK_APP_TOKEN", "xoxb-not-an-app-token"),
        ("SLACK_API_URL", "ftp://slack.com/api/"),
        ("SLACK_API_URL", "slack.com/api"),
        ("SLACK_API_URL", "http://exa mple.com/api/"),
        ("SLACK_API_URL", "http://localhost:port/api/"),
        ("LIAISON_PUBLIC_URL", "http://liaison.example.org"),
        ("LIAISON_PUBLIC_URL", "liaison.example.org"),
        ("DATABASE_URL", "mysql://u:p@localhost/liaison"),
        ("DATABASE_URL", "postgres://u:p@localhost/liaison"),
        ("DATABASE_URL", "sqlite+nodriver:///tmp/x.db"),
        ("DATABASE_URL", "just a path.db"),
        ("DATABASE_URL", "postgresql://u:p@localhost:notaport/liaison"),
        ("LIAISON_TIMEZONE", "Mars/Olympus_Mons"),
        ("LIAISON_TIMEZONE", "Europe/"),
        ("LIAISON_TIMEZONE", "../../etc/passwd"),
        ("LIAISON_PORT", "http"),
        ("LIAISON_PORT", "0"),
        ("LIAISON_PORT", "65536"),
        ("LIAISON_REMINDER_TICK_SECONDS", "0"),
        ("LIAISON_ADMINS", "U0ADMIN,alice"),
        ("LIAISON_ADMINS", "u0admin"),
        ("LIAISON_PROJECT_COMMAND", "project"),
        ("LIAISON_MILESTONE_COMMAND", "/Milestone"),
        ("LIAISON_BLOCKER_COMMAND", "/" + "b" * 32),
        ("LIAISON_HELP_COMMAND", "/liaison help"),
        ("LIAISON_HELP_COMMAND", "/project"),
        ("LOG_LEVEL", "verbose"),
        ("LIAISON_PROCESS_ROLE", "both"),
        ("LIAISON_PROCESS_ROLE", "scheduler"),
        ("LIAISON_EMBEDDINGS", "maybe"),
        ("LIAISON_MAX_BODY_BYTES", "1MiB"),
        ("LIAISON_MAX_BODY_BYTES", "100"),
        ("LIAISON_MAX_BODY_BYTES", str(17 * 1024 * 1024)),
        ("LIAISON_WEB_WORKERS", "0"),
        ("LIAISON_WEB_THREADS", "0"),
        ("LIAISON_WEB_THREADS", "many"),
        ("LIAISON_SHUTDOWN_SECONDS", "0"),
        ("LIAISON_SHUTDOWN_SECONDS", "3600"),
        ("LOG_FORMAT", "xml"),
    ],
)
def test_malformed_variable_is_named_in_one_line(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({name: value})

    message = str(raised.value)
    assert message.startswith(name), message
    assert "\n" not in message


def test_serving_settings_default_to_one_process_that_does_everything() -> None:
    settings = Settings.from_env({})

    assert settings.process_role is ProcessRole.ALL
    assert settings.process_role.serves_slack and settings.process_role.runs_scheduler
    assert settings.embeddings_enabled and settings.loads_model
    assert settings.max_body_bytes == 1024 * 1024
    assert (settings.web_workers, settings.web_threads, settings.shutdown_seconds) == (1, 8, 10)
    assert settings.log_format is LogFormat.TEXT


@pytest.mark.parametrize(
    ("role", "serves_slack", "runs_scheduler", "loads_model"),
    [("all", True, True, True), ("Web", True, False, True), ("WORKER", False, True, False)],
)
def test_process_role_decides_what_runs(
    role: str, serves_slack: bool, runs_scheduler: bool, loads_model: bool
) -> None:
    settings = Settings.from_env({"LIAISON_PROCESS_ROLE": role})

    assert settings.process_role.serves_slack is serves_slack
    assert settings.process_role.runs_scheduler is runs_scheduler
    assert settings.loads_model is loads_model


def test_serving_settings_are_read() -> None:
    settings = Settings.from_env(
        {
            "LIAISON_EMBEDDINGS": "off",
            "LIAISON_MAX_BODY_BYTES": "65536",
            "LIAISON_WEB_WORKERS": "2",
            "LIAISON_WEB_THREADS": "16",
            "LIAISON_SHUTDOWN_SECONDS": "45",
            "LOG_FORMAT": "JSON",
        }
    )

    assert not settings.loads_model
    assert settings.max_body_bytes == 65536
    assert (settings.web_workers, settings.web_threads, settings.shutdown_seconds) == (2, 16, 45)
    assert settings.log_format is LogFormat.JSON


def test_worker_role_needs_the_bot_token_but_no_signing_secret() -> None:
    settings = Settings.from_env(
        {"SLACK_BOT_TOKEN": "xoxb-1", "LIAISON_PROCESS_ROLE": "worker"}, require_slack=True
    )

    assert settings.slack_signing_secret == ""
    with pytest.raises(SettingsError, match="^SLACK_BOT_TOKEN is not set"):
        Settings.from_env({"LIAISON_PROCESS_ROLE": "worker"}, require_slack=True)


def test_duplicate_command_names_name_both_variables() -> None:
    with pytest.raises(SettingsError, match="LIAISON_BLOCKER_COMMAND .*LIAISON_MILESTONE_COMMAND"):
        Settings.from_env({"LIAISON_MILESTONE_COMMAND": "/todo", "LIAISON_BLOCKER_COMMAND": "/todo"})


def test_database_url_error_does_not_show_password() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"DATABASE_URL": "mysql://liaison:hunter2@db/liaison"})

    assert "hunter2" not in str(raised.value)


def test_bad_bot_token_error_does_not_show_token() -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({"SLACK_BOT_TOKEN": "xoxp-very-secret"})

    assert "very-secret" not in str(raised.value)


def test_require_slack_demands_bot_token() -> None:
    with pytest.raises(SettingsError, match="^SLACK_BOT_TOKEN is not set"):
        Settings.from_env({"SLACK_SIGNING_SECRET": "s"}, require_slack=True)


def test_require_slack_demands_signing_secret_without_app_token() -> None:
    with pytest.raises(SettingsError, match="^SLACK_SIGNING_SECRET is not set"):
        Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-1"}, require_slack=True)


def test_require_slack_accepts_app_token_for_socket_mode() -> None:
    settings = Settings.from_env(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, require_slack=True
    )

    assert settings.slack_app_token == "xapp-1"
    assert settings.slack_signing_secret == ""


def test_require_slack_accepts_signing_secret_for_http_mode() -> None:
    settings = Settings.from_env(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s3cret"}, require_slack=True
    )

    assert settings.slack_signing_secret == "s3cret"


def test_missing_credentials_are_fine_without_require_slack() -> None:
    settings = Settings.from_env({})

    assert settings.slack_bot_token == ""


# -- how the CLI reports it -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["manifest"],
        ["db", "upgrade"],
        ["export"],
        ["say", "--as", "U02ECBANE", "/project list"],
        ["demo"],
        ["serve"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_cli_prints_one_configuration_line_for_malformed_setting(args: list[str], tmp_path: Path) -> None:
    database = tmp_path / "liaison.db"
    env = {
        "DATABASE_URL": f"sqlite:///{database}",
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "s",
        "LIAISON_TIMEZONE": "Mars/Olympus_Mons",
    }

    result = CliRunner().invoke(main, args, env=env)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Configuration error: LIAISON_TIMEZONE is not an IANA time zone: 'Mars/Olympus_Mons' "
        "(e.g. Europe/Amsterdam)"
    ]
    assert not database.exists()
    assert list(tmp_path.iterdir()) == []


def test_cli_import_with_malformed_setting_writes_nothing(tmp_path: Path) -> None:
    database = tmp_path / "liaison.db"
    demo_file = Path(__file__).resolve().parent.parent / "bot" / "data" / "adtech-alliance.yaml"

    result = CliRunner().invoke(
        main, ["import", str(demo_file)], env={"DATABASE_URL": f"sqlite:///{database}", "LOG_LEVEL": "loud"}
    )

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Configuration error: LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got 'loud'"
    ]
    assert not database.exists()


def test_cli_serve_without_bot_token_is_a_configuration_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve"], env={"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})

    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("Configuration error: SLACK_BOT_TOKEN is not set")


def test_cli_reads_dotenv_from_working_directory(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LIAISON_PROJECT_COMMAND=/proj\nLOG_LEVEL=chatty\n", encoding="utf-8")

    result = CliRunner().invoke(main, ["manifest"], env={"LOG_LEVEL": "INFO"})

    # LOG_LEVEL from the real environment wins over .env; LIAISON_PROJECT_COMMAND comes from .env.
    assert result.exit_code == 0, result.stderr
    assert "- command: /proj\n" in result.stdout


def test_cli_reports_malformed_setting_from_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LIAISON_PORT=eighty\n", encoding="utf-8")

    result = CliRunner().invoke(main, ["manifest"])

    assert result.exit_code == 2
    assert result.stderr == "Configuration error: LIAISON_PORT must be a whole number, got 'eighty'\n"


# -- installs into several workspaces (OAuth) ---------------------------------------------------

OAUTH = {
    "SLACK_CLIENT_ID": "1234.5678",
    "SLACK_CLIENT_SECRET": "0f1e2d3c4b5a6978",
    "SLACK_SIGNING_SECRET": "s",
}
FERNET_KEY = "5y4bNvWwGXcnc0xN9gujrlyJJqmjnbqHbApFgRnBMY0="
OTHER_FERNET_KEY = "Ai3YdbVr5obsZBhTAbhwSjHFEEHU3BBeUDpx_zYfYWw="


def test_oauth_is_off_by_default() -> None:
    settings = Settings.from_env({})

    assert settings.oauth_enabled is False
    assert (settings.slack_client_id, settings.slack_client_secret) == (None, None)
    assert settings.token_encryption_keys == ()


def test_client_id_and_secret_turn_on_oauth_without_a_bot_token() -> None:
    settings = Settings.from_env(OAUTH, require_slack=True)

    assert settings.oauth_enabled is True
    assert settings.slack_bot_token == ""
    assert (settings.slack_client_id, settings.slack_client_secret) == ("1234.5678", "0f1e2d3c4b5a6978")


def test_oauth_worker_needs_no_signing_secret() -> None:
    env = {**OAUTH, "SLACK_SIGNING_SECRET": "", "LIAISON_PROCESS_ROLE": "worker"}

    assert Settings.from_env(env, require_slack=True).oauth_enabled


@pytest.mark.parametrize(
    ("env", "starts"),
    [
        ({"SLACK_CLIENT_ID": "1234.5678"}, "SLACK_CLIENT_SECRET is not set"),
        ({"SLACK_CLIENT_SECRET": "0f1e2d3c4b5a6978"}, "SLACK_CLIENT_ID is not set"),
        ({**OAUTH, "SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_BOT_TOKEN is set together with SLACK_CLIENT_ID"),
        ({**OAUTH, "SLACK_APP_TOKEN": "xapp-1"}, "SLACK_APP_TOKEN is set together with SLACK_CLIENT_ID"),
        ({"LIAISON_TOKEN_ENCRYPTION_KEY": FERNET_KEY}, "LIAISON_TOKEN_ENCRYPTION_KEY is set but OAuth"),
        (
            {**OAUTH, "LIAISON_TOKEN_ENCRYPTION_KEY": "not-a-key"},
            "LIAISON_TOKEN_ENCRYPTION_KEY: key 1 is not",
        ),
        (
            {**OAUTH, "LIAISON_TOKEN_ENCRYPTION_KEY": f"{FERNET_KEY},{FERNET_KEY[:-2]}"},
            "LIAISON_TOKEN_ENCRYPTION_KEY: key 2 is not",
        ),
    ],
)
def test_half_or_conflicting_oauth_configuration_is_one_line(env: dict[str, str], starts: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env(env)

    message = str(raised.value)
    assert message.startswith(starts), message
    assert "\n" not in message
    assert "not-a-key" not in message and FERNET_KEY[:-2] not in message


def test_encryption_keys_are_read_in_order() -> None:
    settings = Settings.from_env(
        {**OAUTH, "LIAISON_TOKEN_ENCRYPTION_KEY": f" {FERNET_KEY} , {OTHER_FERNET_KEY}"}
    )

    assert settings.token_encryption_keys == (FERNET_KEY, OTHER_FERNET_KEY)


def test_cli_serve_with_half_oauth_is_a_configuration_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["serve"],
        env={"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "SLACK_CLIENT_ID": "1234.5678"},
    )

    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(
        "Configuration error: SLACK_CLIENT_SECRET is not set: SLACK_CLIENT_ID and"
    )
