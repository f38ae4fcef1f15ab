"""Redis-held state with versioned, all-or-nothing writes.

Every value is a pydantic model kept in a Redis hash with two fields: ``v``,
its version (1 for the first write, +1 for each later one), and ``d``, the
model's JSON. A hash keeps the version and the data under one key, so one
HGET answers the compare-and-set question and one HSET replaces both, and the
JSON stays readable with ``redis-cli HGET <key> d``.

Writes are optimistic: the caller loads values with their versions, computes,
and calls ``save_all`` with the versions it read. One Lua script checks every
version and writes every key, or writes nothing and the caller gets
``StaleStateError``; the last writer never silently wins. The pattern the
service follows::

    async def handle() -> SaveResult:
        intake, place = await store.load_many([(ik, Intake), (pk, Place)])
        ...  # step the dialogue on the loaded values
        return await store.save_all(
            [Write(ik, new_intake, version_of(intake)), Write(pk, new_place, version_of(place),
             ttl_seconds=PLACE_TTL_SECONDS)],
            delivery=DeliveryMark(intake_delivery_key(ref, delivery_id, store.prefix)),
        )

    result = await with_retries(handle)

A delivery mark rides in the same script: a repeated delivery changes nothing
and reports ``duplicate``, and a delivery is never marked without the state it
produced. All keys of one script must share a Redis Cluster slot, which the
keys from ``bot.state.keys`` for one channel do; ``save_all`` refuses others early
rather than failing only in production on a Cluster.

Every Redis connection failure or timeout surfaces as ``StoreUnavailableError``
and any other Redis failure as ``StoreError``, never as a redis exception, and
no message carries the URL.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import structlog
from pydantic import BaseModel, ValidationError
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ReadOnlyError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.errors import StaleStateError, StoreError, StoreUnavailableError
from bot.state.keys import cluster_slot

log = structlog.get_logger(__name__)

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")

PLACE_TTL_SECONDS = 30 * 24 * 3600
"""A person's place expires after a month without a word; the intake itself never does."""

DELIVERY_TTL_SECONDS = 24 * 3600
"""Slack and Teams repeat a delivery within minutes; a day of memory covers every retry."""

DEFAULT_ATTEMPTS = 5
READY_MARK_MS = 60_000

# KEYS[1] a lease or claim; ARGV[1] its holder. Deletes it only if that holder still holds it,
# so a holder whose time ran out never frees what another replica has taken since.
RELEASE_IF_HELD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

OUTBOX_GROUP = "posters"
"""The consumer group of every outbox stream: the delivery workers."""

# KEYS: the n written keys, then (each only when the plan names it) the delivery mark, the
# index set, the log lists and the outbox stream. ARGV[1]: the plan as JSON (no nulls: an
# absent part is left out); ARGV[2 .. n+1]: the written values; then the log entries (each
# pushed to KEYS[plan.logs[i]]), then the outbox entries. Returns {'ok', last outbox entry
# id or '', v1..vn} | {'duplicate', token of the first} | {'stale', i, found or ''}.
_SAVE_ALL = """
local plan = cjson.decode(ARGV[1])
local n = #plan.writes
local k = n
local delivery_key, index_key, outbox_key
if plan.delivery then k = k + 1; delivery_key = KEYS[k] end
if plan.index then k = k + 1; index_key = KEYS[k] end
if plan.outbox then outbox_key = KEYS[#KEYS] end
if delivery_key then
  local first = redis.call('GET', delivery_key)
  if first then
    return {'duplicate', first}
  end
end
local versions = {}
for i = 1, n do
  local found = redis.call('HGET', KEYS[i], 'v') or ''
  if found ~= plan.writes[i].expected then
    return {'stale', i, found}
  end
  versions[i] = (tonumber(found) or 0) + 1
end
for i = 1, n do
  redis.call('HSET', KEYS[i], 'v', versions[i], 'd', ARGV[1 + i])
  if plan.writes[i].ttl then
    redis.call('EXPIRE', KEYS[i], plan.writes[i].ttl)
  else
    redis.call('PERSIST', KEYS[i])
  end
end
if delivery_key then
  redis.call('SET', delivery_key, plan.delivery.token, 'EX', plan.delivery.ttl)
end
if index_key then
  redis.call('SADD', index_key, plan.index)
end
local a = n + 1
for _, key_index in ipairs(plan.logs or {}) do
  a = a + 1
  redis.call('RPUSH', KEYS[key_index], ARGV[a])
end
local entry = ''
if outbox_key then
  if redis.call('EXISTS', outbox_key) == 0 then
    redis.call('XGROUP', 'CREATE', outbox_key, plan.outbox, '0', 'MKSTREAM')
  end
  for _ = 1, plan.entries do
    a = a + 1
    entry = redis.call('XADD', outbox_key, '*', 'd', ARGV[a])
  end
end
return {'ok', entry, unpack(versions)}
"""


@dataclass(frozen=True, slots=True)
class Versioned(Generic[M]):
    """A loaded value and the version to pass back as ``expected_version``."""

    value: M
    version: int


@dataclass(frozen=True, slots=True)
class Write:
    """One key of a ``save_all``: the new value, the version it was computed from, its expiry.

    ``expected_version`` None means the key must not exist yet. ``ttl_seconds``
    None removes any expiry, so a write states the whole lifetime of its key.
    """

    key: str
    value: BaseModel
    expected_version: int | None
    ttl_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class DeliveryMark:
    """The mark that a delivery has been handled, written with its state.

    ``token`` is what the mark holds. A caller that gives each attempt its own
    token can tell, from a ``duplicate`` answer, whether the first write was its
    own (a save that timed out after it ran, or that the client re-sent after
    a dropped connection) or somebody else's.
    """

    key: str
    ttl_seconds: int = DELIVERY_TTL_SECONDS
    token: str = "1"  # noqa: S105 - a delivery token, not a credential


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """A set member to add with the writes, such as a new intake in its channel index."""

    key: str
    member: str


@dataclass(frozen=True, slots=True)
class Append:
    """One entry appended to a list with the writes, such as an answer to the intake's log."""

    key: str
    value: BaseModel


@dataclass(frozen=True, slots=True)
class Enqueue:
    """One entry added to a stream with the writes: the turn's replies for the outbox.

    The stream gets the ``OUTBOX_GROUP`` consumer group when it is created, from
    its first entry on, so no entry can slip past the delivery workers.
    """

    key: str
    value: BaseModel


@dataclass(frozen=True, slots=True)
class SaveResult:
    """``duplicate``: the delivery was handled before and nothing was written.

    Otherwise ``versions`` holds each written key's new version, and
    ``entry_id`` the stream id of the enqueued entry (None if there was none).
    """

    duplicate: bool
    versions: Mapping[str, int] = field(default_factory=dict)
    first_token: str | None = None
    """For a duplicate: the token of the delivery mark that was there first."""
    entry_id: str | None = None


P = TypeVar("P", Append, Enqueue)


def _listed(parts: P | Sequence[P] | None) -> list[P]:
    """One part, several, or none, as a list."""
    if parts is None:
        return []
    if isinstance(parts, Append | Enqueue):
        return [parts]
    return list(parts)


def _write_plan(write: Write) -> dict[str, object]:
    plan: dict[str, object] = {
        "expected": "" if write.expected_version is None else str(write.expected_version)
    }
    if write.ttl_seconds is not None:
        plan["ttl"] = write.ttl_seconds
    return plan


def _plan_json(plan: dict[str, object]) -> str:
    return json.dumps(plan, separators=(",", ":"))


def version_of(loaded: Versioned[BaseModel] | None) -> int | None:
    """The ``expected_version`` for a write computed from ``loaded`` (None: absent)."""
    return None if loaded is None else loaded.version


@contextmanager
def translated(operation: str) -> Iterator[None]:
    """Turn redis exceptions into ours, naming the operation and nothing about the server."""
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError, ReadOnlyError) as exc:
        # ReadOnlyError: a failover left us on a replica; like an outage, it passes.
        raise StoreUnavailableError(
            f"Redis is unavailable ({type(exc).__name__}); {operation} did not complete"
        ) from exc
    except RedisError as exc:
        raise StoreError(f"Redis refused {operation}: {exc}") from exc


class StateStore:
    """Versioned pydantic values in Redis, under one key prefix."""

    def __init__(self, client: Redis, prefix: str) -> None:
        self._client = client
        self.prefix = prefix
        self._save_all = client.register_script(_SAVE_ALL)

    @property
    def client(self) -> Redis:
        """The Redis client, for the outbox's operations on the same server."""
        return self._client

    async def load(self, key: str, model: type[M]) -> Versioned[M] | None:
        """One value with its version, or None when the key does not exist."""
        self._own(key)
        with translated("load"):
            version, data = await self._client.hmget(key, ["v", "d"])
        return _decode(key, model, version, data)

    async def load_many(
        self, keys_and_models: Sequence[tuple[str, type[BaseModel]]]
    ) -> list[Versioned[BaseModel] | None]:
        """Several values in one round trip, in the order asked, None where absent.

        The reads are not one snapshot; they need not be, since ``save_all``
        checks every version again before it writes.
        """
        for key, _ in keys_and_models:
            self._own(key)
        pipe = self._client.pipeline(transaction=False)
        for key, _ in keys_and_models:
            pipe.hmget(key, ["v", "d"])
        with translated("load"):
            rows: list[list[bytes | None]] = await pipe.execute()
        return [
            _decode(key, model, version, data)
            for (key, model), (version, data) in zip(keys_and_models, rows, strict=True)
        ]

    async def save_all(
        self,
        writes: Sequence[Write],
        *,
        delivery: DeliveryMark | None = None,
        index: IndexEntry | None = None,
        log: Append | Sequence[Append] | None = None,
        outbox: Enqueue | Sequence[Enqueue] | None = None,
    ) -> SaveResult:
        """Write every key or none, each only if its version is still the expected one.

        With ``delivery``: if its mark exists nothing is written and the result
        says ``duplicate``; otherwise the mark is set together with the writes,
        and so are the ``index`` member, the ``log`` entries (each appended to its
        own list, in order) and the ``outbox`` entries (all to one stream, in
        order). Raises ``StaleStateError`` for the first key whose version moved on.

        A ``StoreUnavailableError`` after the script was sent (a timeout) leaves
        open whether it ran; repeating the call with the same delivery mark
        settles it, as it then reports ``duplicate`` if the first one ran.
        """
        logs = _listed(log)
        entries = _listed(outbox)
        if len({entry.key for entry in entries}) > 1:
            raise ValueError("save_all enqueues to one outbox stream at a time")
        keys = [w.key for w in writes]
        extra = [part.key for part in (delivery, index) if part is not None]
        log_keys = list(dict.fromkeys(append.key for append in logs))
        extra += [*log_keys, entries[0].key] if entries else log_keys
        self._check(writes, keys + extra, delivery)
        plan: dict[str, object] = {"writes": [_write_plan(write) for write in writes]}
        args: list[str | bytes] = [w.value.model_dump_json() for w in writes]
        if delivery is not None:
            plan["delivery"] = {"ttl": delivery.ttl_seconds, "token": delivery.token}
        if index is not None:
            plan["index"] = index.member
        if logs:
            first_log = len(keys) + (delivery is not None) + (index is not None) + 1
            plan["logs"] = [first_log + log_keys.index(append.key) for append in logs]
            args.extend(append.value.model_dump_json() for append in logs)
        if entries:
            plan["outbox"] = OUTBOX_GROUP
            plan["entries"] = len(entries)
            args.extend(entry.value.model_dump_json() for entry in entries)
        with translated("save"):
            reply = await self._save_all(keys=keys + extra, args=[_plan_json(plan), *args])
        outcome = reply[0]
        if outcome == b"duplicate":
            first = reply[1]
            return SaveResult(
                duplicate=True, first_token=first.decode() if isinstance(first, bytes) else first
            )
        if outcome == b"stale":
            stale = writes[int(reply[1]) - 1]
            found = int(reply[2]) if reply[2] else None
            raise StaleStateError(stale.key, stale.expected_version, found)
        entry = reply[1].decode() if isinstance(reply[1], bytes) else reply[1]
        return SaveResult(
            duplicate=False,
            versions=dict(zip(keys, reply[2:], strict=True)),
            entry_id=entry or None,
        )

    async def log_entries(self, key: str, model: type[M]) -> list[M]:
        """Every entry of a log list, oldest first (the export reads an intake's answers)."""
        self._own(key)
        with translated("read log"):
            rows = await self._client.lrange(key, 0, -1)
        return [model.model_validate_json(row) for row in rows]

    async def log_slice(self, key: str, start: int, stop: int) -> tuple[int, list[bytes]]:
        """A log's length and its raw entries `start`..`stop` (inclusive, negative from the end).

        One round trip, so a page of a long history costs the same as a short one.
        """
        self._own(key)
        with translated("read log"):
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.llen(key)
                pipe.lrange(key, start, stop)
                length, rows = await pipe.execute()
        return int(length), list(rows)

    async def remember_delivery(self, key: str, ttl_seconds: int = DELIVERY_TTL_SECONDS) -> bool:
        """True the first time ``key`` is seen: dedup for deliveries that only cause side effects."""
        self._own(key)
        with translated("remember delivery"):
            return bool(await self._client.set(key, b"1", nx=True, ex=ttl_seconds))

    async def add_to_index(self, key: str, member: str) -> None:
        """Add ``member`` to the set at ``key``; adding twice is harmless."""
        self._own(key)
        with translated("add to index"):
            await self._client.sadd(key, member)

    async def index_members(self, key: str) -> set[str]:
        """Every member of the set at ``key`` (empty when it does not exist)."""
        self._own(key)
        with translated("read index"):
            members = await self._client.smembers(key)
        return {m.decode() if isinstance(m, bytes) else m for m in members}

    async def ping(self) -> bool:
        """Whether Redis answers; a failure is logged, not raised."""
        try:
            return bool(await self._client.ping())
        except RedisError as exc:
            log.warning("store.ping_failed", error=type(exc).__name__)
            return False

    async def accepts_writes(self) -> bool:
        """Whether Redis takes a write now, for `/readyz`.

        A replica left read-only by a failover, or a server at `maxmemory`,
        answers pings but would refuse every turn.
        """
        try:
            return bool(await self._client.set(f"{self.prefix}:readyz", b"1", px=READY_MARK_MS))
        except RedisError as exc:
            log.warning("store.write_check_failed", error=type(exc).__name__)
            return False

    def _own(self, key: str) -> None:
        """Refuse keys outside the prefix, so a test or tenant never touches another's data."""
        if not key.startswith(self.prefix + ":"):
            raise ValueError(f"key {key!r} is outside the store prefix {self.prefix!r}")

    def _check(
        self, writes: Sequence[Write], keys: Sequence[str], delivery: DeliveryMark | None
    ) -> None:
        """Catch misuse before Redis does, or before a Cluster would in production."""
        for key in keys:
            self._own(key)
        if len(set(keys)) != len(keys):
            raise ValueError(f"save_all got the same key twice: {sorted(keys)}")
        if len({cluster_slot(k) for k in keys}) > 1:
            raise ValueError(
                f"save_all keys span several Redis Cluster slots: {sorted(keys)}; "
                "derive them from one channel with bot.state.keys"
            )
        for write in writes:
            if write.expected_version is not None and write.expected_version < 1:
                raise ValueError(f"versions start at 1; got {write.expected_version}")
            if write.ttl_seconds is not None and write.ttl_seconds < 1:
                raise ValueError(f"ttl_seconds must be positive; got {write.ttl_seconds}")
        if delivery is not None and delivery.ttl_seconds < 1:
            raise ValueError(f"delivery ttl_seconds must be positive; got {delivery.ttl_seconds}")


def _decode(
    key: str, model: type[M], version: bytes | str | None, data: bytes | str | None
) -> Versioned[M] | None:
    if version is None or data is None:
        return None
    try:
        return Versioned(model.model_validate_json(data), int(version))
    except (ValidationError, ValueError) as exc:
        raise StoreError(f"the value at {key} is not a valid {model.__name__}") from exc


async def with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff_seconds: float = 0.01,
) -> T:
    """Run ``attempt`` (load, compute, save_all) again while it loses a race.

    Each retry waits a random time up to an exponentially growing bound, so
    writers that collided do not collide again in lockstep. The last
    ``StaleStateError`` propagates; other errors are never retried here.
    """
    for number in range(1, attempts):
        try:
            return await attempt()
        except StaleStateError as exc:
            log.debug("store.stale_retry", key=exc.key, attempt=number)
        bound = backoff_seconds * 2 ** min(number, 6)
        await asyncio.sleep(random.uniform(0, bound))  # noqa: S311 - jitter, not a secret
    return await attempt()
