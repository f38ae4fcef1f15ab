"""Redis fixtures for every suite: the contract backends, a client and a clean store.

Any test that asks for ``redis_url`` (directly or through ``redis_client`` or
``store``) runs once per backend: the embedded Redis always, and the server
named by ``REDIS_URL`` when that is set. Each test gets a key prefix of its own
and its keys are deleted afterwards, because the CI server is shared.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis

from bot.state.embedded_redis import EmbeddedRedis
from bot.state.redis_client import connect
from bot.state.store import StateStore
from testkit.redis_servers import EMBEDDED, backends, delete_prefix, unique_prefix


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize over the backends here, so an unconfigured server is absent, not skipped."""
    if "redis_url" in metafunc.fixturenames:
        metafunc.parametrize("redis_url", backends(), indirect=True, scope="session")


@pytest.fixture(scope="session")
def embedded_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    """One embedded server for the session; tests keep apart by key prefix."""
    with EmbeddedRedis(tmp_path_factory.mktemp("embedded-state")) as server:
        yield server


@pytest.fixture(scope="session")
def redis_url(request: pytest.FixtureRequest) -> str:
    """The URL of the backend this test runs against."""
    if request.param == EMBEDDED:
        server: EmbeddedRedis = request.getfixturevalue("embedded_redis")
        return server.url
    return os.environ["REDIS_URL"]


@pytest.fixture
def key_prefix() -> str:
    """A prefix of this test's own."""
    return unique_prefix()


@pytest.fixture
async def redis_client(
    redis_url: str, key_prefix: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Redis]:
    """A client as the bot opens it; every key under ``key_prefix`` is deleted afterwards."""
    handle = connect(redis_url, tmp_path_factory.getbasetemp())
    try:
        yield handle.client
        await delete_prefix(handle.client, key_prefix)
    finally:
        await handle.aclose()


@pytest.fixture
def store(redis_client: Redis, key_prefix: str) -> StateStore:
    """A fresh store under this test's prefix."""
    return StateStore(redis_client, key_prefix)
