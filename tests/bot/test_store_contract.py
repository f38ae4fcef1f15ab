"""The state store's contract, run against every Redis backend (see tests/conftest.py).

Tests that take ``store`` run once per backend. The tests at the end stop,
kill or restart Redis, so they use an embedded server or a private
``redis-server`` of their own and never the shared one.
"""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import BaseModel
from redis.asyncio import Redis

from bot.errors import ConfigurationError, StaleStateError, StoreError, StoreUnavailableError
from bot.state.keys import (
    IntakeRef,
    channel_index_key,
    delivery_key,
    intake_delivery_key,
    intake_key,
    place_key,
)
from bot.state.redis_client import connect, redact_url
from bot.state.store import (
    DeliveryMark,
    IndexEntry,
    StateStore,
    Versioned,
    Write,
    version_of,
    with_retries,
)
from testkit.redis_servers import PrivateRedis, start_private_redis_server, unique_prefix

REF = IntakeRef("slack", "T0001", "C0001", "1718000000.000100")


class Note(BaseModel):
    """A small model with the kinds of field the real records use."""

    text: str
    tags: tuple[str, ...] = ()
    at: datetime | None = None


class Log(BaseModel):
    """A list that concurrent writers append to."""

    items: tuple[str, ...] = ()


def _keys(store: StateStore) -> tuple[str, str]:
    return intake_key(REF, store.prefix), place_key(REF, "U1", store.prefix)


def _mark(store: StateStore, delivery_id: str = "Ev1") -> DeliveryMark:
    return DeliveryMark(intake_delivery_key(REF, delivery_id, store.prefix), ttl_seconds=600)


async def test_roundtrip_keeps_the_model(store: StateStore) -> None:
    """What is saved loads back equal, with its version."""
    key, _ = _keys(store)
    note = Note(text="2 TB a week, ünïcode ✓", tags=("a", "b"), at=datetime(2025, 1, 2, tzinfo=UTC))
    result = await store.save_all([Write(key, note, None)])
    assert result.duplicate is False
    assert result.versions == {key: 1}
    assert await store.load(key, Note) == Versioned(note, 1)


async def test_missing_key_loads_as_none(store: StateStore) -> None:
    """Absent state is None, not an error and not an empty model."""
    key, _ = _keys(store)
    assert await store.load(key, Note) is None


async def test_load_many_answers_in_order_with_none_for_absent(store: StateStore) -> None:
    """load_many keeps the order asked and decodes each key as its own model."""
    intake, place = _keys(store)
    await store.save_all([Write(place, Log(items=("x",)), None)])
    loaded = await store.load_many([(intake, Note), (place, Log)])
    assert loaded == [None, Versioned(Log(items=("x",)), 1)]


async def test_versions_increase_by_one_per_write(store: StateStore) -> None:
    """Each successful write moves the version on by exactly one."""
    key, _ = _keys(store)
    expected: int | None = None
    for n in range(1, 4):
        result = await store.save_all([Write(key, Note(text=str(n)), expected)])
        expected = result.versions[key]
        assert expected == n
    assert await store.load(key, Note) == Versioned(Note(text="3"), 3)


async def test_stale_write_raises_and_writes_nothing(store: StateStore) -> None:
    """A two-key write with one stale version changes neither key."""
    intake, place = _keys(store)
    await store.save_all(
        [Write(intake, Note(text="i1"), None), Write(place, Note(text="p1"), None)]
    )
    await store.save_all([Write(place, Note(text="p2"), 1)])  # a concurrent writer wins

    with pytest.raises(StaleStateError) as caught:
        await store.save_all(
            [Write(intake, Note(text="i-lost"), 1), Write(place, Note(text="p-lost"), 1)]
        )
    assert (caught.value.key, caught.value.expected, caught.value.found) == (place, 1, 2)
    assert await store.load_many([(intake, Note), (place, Note)]) == [
        Versioned(Note(text="i1"), 1),
        Versioned(Note(text="p2"), 2),
    ]


async def test_expecting_absence_of_an_existing_key_is_stale(store: StateStore) -> None:
    """Two writers that both start an intake: the second learns it lost, not overwrites."""
    key, _ = _keys(store)
    await store.save_all([Write(key, Note(text="first"), None)])
    with pytest.raises(StaleStateError) as caught:
        await store.save_all([Write(key, Note(text="second"), None)])
    assert (caught.value.expected, caught.value.found) == (None, 1)
    assert await store.load(key, Note) == Versioned(Note(text="first"), 1)


async def test_expecting_a_version_of_a_missing_key_is_stale(store: StateStore) -> None:
    """A key that expired or was removed since it was read is a lost race too."""
    key, _ = _keys(store)
    with pytest.raises(StaleStateError) as caught:
        await store.save_all([Write(key, Note(text="x"), 4)])
    assert (caught.value.expected, caught.value.found) == (4, None)
    assert await store.load(key, Note) is None


async def test_repeated_delivery_is_reported_and_changes_nothing(store: StateStore) -> None:
    """The second save with the same delivery mark writes nothing and says duplicate."""
    key, _ = _keys(store)
    first = await store.save_all([Write(key, Note(text="a"), None)], delivery=_mark(store))
    again = await store.save_all([Write(key, Note(text="b"), 1)], delivery=_mark(store))
    assert (first.duplicate, again.duplicate) == (False, True)
    assert again.versions == {}
    assert await store.load(key, Note) == Versioned(Note(text="a"), 1)


async def test_delivery_is_not_marked_when_the_write_is_stale(
    store: StateStore, redis_client: Redis
) -> None:
    """A delivery whose state was not saved stays unmarked, so its retry is processed."""
    key, _ = _keys(store)
    await store.save_all([Write(key, Note(text="a"), None)])
    with pytest.raises(StaleStateError):
        await store.save_all([Write(key, Note(text="b"), None)], delivery=_mark(store))
    assert await redis_client.exists(_mark(store).key) == 0

    retried = await store.save_all([Write(key, Note(text="b"), 1)], delivery=_mark(store))
    assert retried.duplicate is False
    assert await redis_client.exists(_mark(store).key) == 1


async def test_delivery_mark_expires(store: StateStore, redis_client: Redis) -> None:
    """Delivery marks carry their TTL, so they do not pile up forever."""
    key, _ = _keys(store)
    await store.save_all([Write(key, Note(text="a"), None)], delivery=_mark(store))
    assert 0 < await redis_client.ttl(_mark(store).key) <= 600


async def test_ttl_is_set_with_ttl_and_absent_without(
    store: StateStore, redis_client: Redis
) -> None:
    """A write with ttl_seconds expires; one without has no expiry, even if the key had one."""
    intake, place = _keys(store)
    await store.save_all(
        [Write(intake, Note(text="i"), None), Write(place, Note(text="p"), None, ttl_seconds=300)]
    )
    assert await redis_client.ttl(intake) == -1
    assert 0 < await redis_client.ttl(place) <= 300

    await store.save_all([Write(place, Note(text="p2"), 1)])
    assert await redis_client.ttl(place) == -1


async def test_remember_delivery_is_true_only_the_first_time(
    store: StateStore, redis_client: Redis
) -> None:
    """Side-effect-only deliveries are recognised when repeated, and expire."""
    key = delivery_key("slack", "Ev42", store.prefix)
    assert await store.remember_delivery(key, ttl_seconds=60) is True
    assert await store.remember_delivery(key, ttl_seconds=60) is False
    assert 0 < await redis_client.ttl(key) <= 60


async def test_channel_index_grows_with_save_all_and_add_to_index(store: StateStore) -> None:
    """A channel's intakes are listed for the digest, each once."""
    index = channel_index_key(REF.platform, REF.workspace, REF.channel, store.prefix)
    key, _ = _keys(store)
    await store.save_all([Write(key, Note(text="a"), None)], index=IndexEntry(index, key))
    await store.add_to_index(index, key)
    await store.add_to_index(index, "other")
    assert await store.index_members(index) == {key, "other"}
    assert await store.index_members(index + "-none") == set()


async def test_index_is_not_changed_by_a_stale_write(store: StateStore) -> None:
    """The index only lists intakes whose state was actually saved."""
    index = channel_index_key(REF.platform, REF.workspace, REF.channel, store.prefix)
    key, _ = _keys(store)
    await store.save_all([Write(key, Note(text="a"), None)])
    with pytest.raises(StaleStateError):
        await store.save_all([Write(key, Note(text="b"), None)], index=IndexEntry(index, key))
    assert await store.index_members(index) == set()


async def test_concurrent_writers_lose_nothing(store: StateStore) -> None:
    """20 writers x 25 appends to one key with retries: all 500 items, each exactly once."""
    key, _ = _keys(store)

    async def append(item: str) -> None:
        async def attempt() -> None:
            loaded = await store.load(key, Log)
            items = loaded.value.items if loaded else ()
            await store.save_all([Write(key, Log(items=(*items, item)), version_of(loaded))])

        await with_retries(attempt, attempts=1000, backoff_seconds=0.002)

    async def writer(n: int) -> None:
        for i in range(25):
            await append(f"{n}-{i}")

    await asyncio.gather(*(writer(n) for n in range(20)))
    loaded = await store.load(key, Log)
    assert loaded is not None
    assert sorted(loaded.value.items) == sorted(f"{n}-{i}" for n in range(20) for i in range(25))
    assert loaded.version == 500


async def test_with_retries_gives_up_with_the_stale_error() -> None:
    """A race lost on every attempt surfaces as StaleStateError after exactly `attempts` tries."""
    calls = 0

    async def always_stale() -> None:
        nonlocal calls
        calls += 1
        raise StaleStateError("k", 1, 2)

    with pytest.raises(StaleStateError):
        await with_retries(always_stale, attempts=3, backoff_seconds=0)
    assert calls == 3


async def test_value_that_no_longer_fits_its_model_is_a_store_error(
    store: StateStore, redis_client: Redis
) -> None:
    """Undecodable state fails as StoreError naming the key, not as a pydantic error."""
    key, _ = _keys(store)
    await redis_client.hset(key, mapping={"v": 1, "d": b'{"nope": 1}'})
    with pytest.raises(StoreError, match="not a valid Note"):
        await store.load(key, Note)


async def test_keys_outside_the_prefix_are_refused(store: StateStore) -> None:
    """A store never reads or writes another deployment's or test's keys."""
    foreign = intake_key(REF, unique_prefix())
    with pytest.raises(ValueError, match="outside the store prefix"):
        await store.save_all([Write(foreign, Note(text="x"), None)])
    with pytest.raises(ValueError, match="outside the store prefix"):
        await store.load(foreign, Note)


async def test_writes_spanning_cluster_slots_are_refused(store: StateStore) -> None:
    """Keys of different channels cannot share a script on a Cluster, so not here either."""
    other = IntakeRef("slack", "T0001", "C0002", "1")
    here, _ = _keys(store)
    there = intake_key(other, store.prefix)
    with pytest.raises(ValueError, match="Cluster slots"):
        await store.save_all(
            [Write(here, Note(text="a"), None), Write(there, Note(text="b"), None)]
        )
    with pytest.raises(ValueError, match="Cluster slots"):
        await store.save_all(
            [Write(here, Note(text="a"), None)],
            delivery=DeliveryMark(delivery_key("slack", "Ev1", store.prefix)),
        )
    assert await store.load_many([(here, Note), (there, Note)]) == [None, None]


async def test_ping_reports_a_reachable_redis(store: StateStore) -> None:
    """Readiness is true while Redis answers."""
    assert await store.ping() is True


# Stopping, killing and restarting Redis: never on the shared server.


async def test_embedded_redis_keeps_data_across_stop_and_start(tmp_path: Path) -> None:
    """A second run on the same state folder sees what the first one saved."""
    prefix = unique_prefix()
    key = intake_key(REF, prefix)
    async with connect(None, tmp_path) as first:
        await StateStore(first.client, prefix).save_all([Write(key, Note(text="kept"), None)])

    async with connect(None, tmp_path) as second:
        assert await StateStore(second.client, prefix).load(key, Note) == Versioned(
            Note(text="kept"), 1
        )
    assert (tmp_path / "redis" / "intake.rdb").exists()


async def test_embedded_redis_keeps_acknowledged_writes_when_killed(tmp_path: Path) -> None:
    """SIGKILL of the embedded server loses no acknowledged write (the append-only file)."""
    prefix = unique_prefix()
    key = intake_key(REF, prefix)
    first = connect(None, tmp_path)
    assert first.embedded is not None
    await StateStore(first.client, prefix).save_all([Write(key, Note(text="kept"), None)])
    os.kill(first.embedded.pid, signal.SIGKILL)
    await first.aclose()

    async with connect(None, tmp_path) as second:
        assert await StateStore(second.client, prefix).load(key, Note) == Versioned(
            Note(text="kept"), 1
        )


async def test_second_process_on_a_folder_shares_the_running_embedded_redis(
    tmp_path: Path,
) -> None:
    """Two runs on one folder share one server; the first leaving does not stop the second."""
    prefix = unique_prefix()
    key = intake_key(REF, prefix)
    first = connect(None, tmp_path)
    second = connect(None, tmp_path)
    assert first.embedded is not None
    assert second.embedded is not None
    assert first.embedded.pid == second.embedded.pid
    await StateStore(first.client, prefix).save_all([Write(key, Note(text="shared"), None)])
    await first.aclose()
    assert await StateStore(second.client, prefix).load(key, Note) == Versioned(
        Note(text="shared"), 1
    )
    await second.aclose()


async def test_unavailable_redis_raises_store_errors_and_restart_keeps_data(
    private_redis: PrivateRedis, tmp_path: Path
) -> None:
    """With Redis down every operation raises StoreUnavailableError; after a restart
    (from the append-only file) the data written before is all there."""
    prefix = unique_prefix()
    key = intake_key(REF, prefix)
    async with connect(private_redis.url, tmp_path) as handle:
        store = StateStore(handle.client, prefix)
        await store.save_all([Write(key, Note(text="before"), None)])
        private_redis.kill()

        with pytest.raises(StoreUnavailableError):
            await store.load(key, Note)
        with pytest.raises(StoreUnavailableError):
            await store.load_many([(key, Note)])
        with pytest.raises(StoreUnavailableError):
            await store.save_all([Write(key, Note(text="during"), 1)], delivery=_mark(store))
        with pytest.raises(StoreUnavailableError):
            await store.remember_delivery(delivery_key("slack", "Ev9", prefix))
        with pytest.raises(StoreUnavailableError):
            await store.index_members(key + "-index")
        assert await store.ping() is False

        private_redis.start()
        assert await store.ping() is True
        assert await store.load(key, Note) == Versioned(Note(text="before"), 1)
        saved = await store.save_all([Write(key, Note(text="after"), 1)], delivery=_mark(store))
        assert saved.versions == {key: 2}


async def test_unavailable_error_never_names_the_password(tmp_path: Path) -> None:
    """Neither the error nor its cause carries the Redis password."""
    server = start_private_redis_server(tmp_path / "redis", password="s3cret-pw")
    try:
        async with connect(server.url, tmp_path) as handle:
            store = StateStore(handle.client, "p")
            await store.save_all([Write("p:k", Note(text="x"), None)])
            server.stop()
            with pytest.raises(StoreUnavailableError) as caught:
                await store.load("p:k", Note)
        assert "s3cret-pw" not in str(caught.value)
        assert "s3cret-pw" not in str(caught.value.__cause__)
    finally:
        server.kill()


def test_bad_redis_url_is_a_configuration_error_without_the_password(tmp_path: Path) -> None:
    """A malformed REDIS_URL fails at start-up, and the message hides the password."""
    with pytest.raises(ConfigurationError) as caught:
        connect("http://user:s3cret-pw@redis.example:6379/0", tmp_path)
    assert "s3cret-pw" not in str(caught.value)
    assert caught.value.__cause__ is None
    assert redact_url("redis://:s3cret-pw@redis.example:6380/2?password=x") == (
        "redis://***@redis.example:6380/2"
    )
