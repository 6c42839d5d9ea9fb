"""After `/profile link orcid`, the fetched works drive /expert: the expert index job (run every minute)
re-embeds the changed profile, and the next suggestion quotes a fetched work. Signed requests → Bolt,
ORCID and OpenAlex from the fake server over real HTTP, the hashing embedder for the model."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import FixedClock
from bot.experts.embeddings.hashing import HashingEmbedder
from bot.services import Services
from bot.settings import Settings
from bot.slack.notifier import build_notifier
from jobs.expert_index import refresh_expert_indexes
from tests.fakes.driver import SlackDriver

pytestmark = pytest.mark.usefixtures("demo")

HARADA = "U01MLHARA"
RAO = "U03MSRAO"
QUERY = "/expert contrastive pre-training of advertiser embeddings for cold-start campaigns co-bidding graphs"


@pytest.fixture
def services(settings: Settings, session_factory: sessionmaker[Session], clock: FixedClock) -> Services:
    return Services(
        settings=settings,
        session_factory=session_factory,
        clock=clock,
        notifier=build_notifier(settings, timeout=5),
        embedder=HashingEmbedder(),
    )


def test_linked_works_drive_suggestions_after_the_index_job_runs(
    slack: SlackDriver, services: Services
) -> None:
    refresh_expert_indexes(services)  # the index as it was before the link
    before = slack.command(RAO, QUERY).reply_text
    assert "Contrastive pre-training of advertiser embeddings" not in before

    slack.command(HARADA, "/profile link orcid 0000-0002-1825-0097")
    refresh_expert_indexes(services)  # the job's next run, within a minute

    after = slack.command(RAO, QUERY).reply_text
    assert f"<@{HARADA}>" in after
    assert "Contrastive pre-training of advertiser embeddings for cold-start campaigns" in after
