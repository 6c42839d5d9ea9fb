"""Fixtures for the security tests: real servers on 127.0.0.1 in front of the demo workspace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.security.served import ServerPool


@pytest.fixture
def pool() -> Iterator[ServerPool]:
    servers = ServerPool()
    yield servers
    servers.stop_all()
