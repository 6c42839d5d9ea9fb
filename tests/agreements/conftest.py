"""People of the demo alliance the agreement tests act as (bot/data/adtech-alliance.yaml)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.agreements.tables import Agreement
from bot.db import Base, make_engine, make_session_factory

NAKAMURA = "U07STNAKA"  # leads uplift (channel C1UPLIFT); University of Edinburgh
RAO = "U03MSRAO"  # member of uplift, owns uplift-1 (waits on dua-1) and owns dua-1; Northwind Retail
WONG = "U06CRWONG"  # leads pcm (channel C1PCM); ETH Zurich
BANERJEE = "U02ECBANE"  # leads bidshade; University of Leiden: not allowed pcm's data (dsa-3)
LENA = "U01MLKOV"  # member of the private fairdelivery; Brightbid Ads
STEIN = "U12ETSTEI"  # leads the private fairdelivery (ra-5)
LINDQVIST = "U03MSLIND"  # on no project
ADMIN = "U0ADMIN"
UPLIFT_CHANNEL = "C1UPLIFT"


def agreement(session_factory: sessionmaker[Session], key: str) -> Agreement:
    """The stored agreement with this key."""
    with session_factory() as session:
        return session.scalars(select(Agreement).where(Agreement.key == key)).one()


@pytest.fixture
def second_database() -> Iterator[sessionmaker[Session]]:
    """A second, empty in-memory database, for round trips."""
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()
