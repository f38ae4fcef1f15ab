"""Fixtures for the runtime's tests that need a Redis of their own to stop and restart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.redis_servers import PrivateRedis, start_private_redis_server


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    """A redis-server that only this test uses, so stopping it never disturbs the shared one."""
    server = start_private_redis_server(tmp_path / "private-redis")
    try:
        yield server
    finally:
        server.kill()
