"""Our declaration of slack_sdk's OAuth tables (bot.models) matches what the installed slack_sdk builds.

bot.models writes the tables out so the core imports no Slack library; this test is what tells us when a
slack_sdk upgrade changes them (then bot.models and a migration follow).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, Table, Text

from bot.models import SECRET_INSTALLATION_COLUMNS, slack_bots, slack_installations, slack_oauth_states


def _shape(table: Table, *, widen_secrets: bool) -> dict[str, object]:
    columns = []
    for column in table.columns:
        kind = Text() if widen_secrets and column.name in SECRET_INSTALLATION_COLUMNS else column.type
        columns.append(
            (
                column.name,
                repr(kind),
                column.nullable,
                column.primary_key,
                column.default is not None,
            )
        )
    indexes = sorted((index.name, tuple(c.name for c in index.columns)) for index in table.indexes)
    return {"name": table.name, "columns": columns, "indexes": indexes}


@pytest.mark.parametrize(
    ("ours", "build", "name"),
    [
        (
            slack_installations,
            SQLAlchemyInstallationStore.build_installations_table,
            SQLAlchemyInstallationStore.default_installations_table_name,
        ),
        (
            slack_bots,
            SQLAlchemyInstallationStore.build_bots_table,
            SQLAlchemyInstallationStore.default_bots_table_name,
        ),
        (
            slack_oauth_states,
            SQLAlchemyOAuthStateStore.build_oauth_states_table,
            SQLAlchemyOAuthStateStore.default_table_name,
        ),
    ],
)
def test_oauth_table_matches_slack_sdk(
    ours: Table, build: Callable[[MetaData, str], Table], name: str
) -> None:
    theirs = build(MetaData(), name)
    assert _shape(ours, widen_secrets=False) == _shape(theirs, widen_secrets=True)


def test_secret_columns_are_text() -> None:
    for table in (slack_installations, slack_bots):
        secrets = [c for c in table.columns if c.name in SECRET_INSTALLATION_COLUMNS]
        assert secrets and all(isinstance(c.type, Text) for c in secrets)
