"""The outbox in Redis: per-channel streams of replies that turns saved and workers post.

A turn's replies are added to its channel's stream by the same script that
saves the turn (`StateStore.save_all` with an `Enqueue`), so saved means
queued. Posting them is the delivery worker's job (`bot.delivery`); this
module is its Redis side, built on Redis' own machinery:

- one stream per channel, with the consumer group `OUTBOX_GROUP`;
- a lease per channel (`SET NX PX`, renewed and released only by its holder),
  so one worker at a time posts a channel's entries, in order;
- a worker that takes a lease first claims the entries a dead worker had
  read but not acknowledged (`XAUTOCLAIM`): they may have been posted, so the
  worker checks before posting them again;
- a posted (or finally refused) entry is acknowledged and deleted in one
  transaction, so a stream's length is the work left in it;
- a `SCAN` over outbox keys finds channels with work left by a process that
  died, which no running process was told about.

Every Redis failure surfaces as `StoreUnavailableError` or `StoreError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, cast

import structlog
from pydantic import Field
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.ports import IntakeRef
from bot.state.keys import outbox_lease_key, outbox_pattern
from bot.state.store import OUTBOX_GROUP, translated
from conversations.frozen import Frozen
from conversations.replies import Reply

log = structlog.get_logger(__name__)

# KEYS[1] the lease; ARGV[1] its holder, ARGV[2] ttl in ms.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
CLAIM_BATCH = 100


class OutboxEntry(Frozen):
    """One turn's replies and where they go."""

    platform: str
    workspace: str
    channel: str
    thread: str
    replies: tuple[Annotated[Reply, Field(discriminator="kind")], ...]

    @classmethod
    def to(cls, ref: IntakeRef, replies: tuple[Reply, ...]) -> OutboxEntry:
        """The entry posting `replies` at `ref`."""
        return cls(
            platform=ref.platform,
            workspace=ref.workspace,
            channel=ref.channel,
            thread=ref.thread,
            replies=replies,
        )

    @property
    def ref(self) -> IntakeRef:
        """Where the replies go."""
        return IntakeRef(self.platform, self.workspace, self.channel, self.thread)


@dataclass(frozen=True, slots=True)
class Queued:
    """An entry read from a stream: its id (the outbox id posts carry) and its content.

    `maybe_posted`: a worker read it before and did not acknowledge it, so it
    may be on the platform already.
    """

    id: str
    entry: OutboxEntry | None
    maybe_posted: bool


class OutboxStore:
    """The delivery worker's operations on outbox streams and their leases."""

    def __init__(self, client: Redis, prefix: str) -> None:
        self._client = client
        self.prefix = prefix
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    async def take_lease(self, outbox: str, holder: str, ttl_ms: int) -> bool:
        """True if `holder` now holds the channel's lease (nobody else did)."""
        with translated("take outbox lease"):
            return bool(
                await self._client.set(outbox_lease_key(outbox), holder, nx=True, px=ttl_ms)
            )

    async def renew_lease(self, outbox: str, holder: str, ttl_ms: int) -> bool:
        """Extend the lease; False if `holder` no longer holds it."""
        with translated("renew outbox lease"):
            return bool(await self._renew(keys=[outbox_lease_key(outbox)], args=[holder, ttl_ms]))

    async def release_lease(self, outbox: str, holder: str) -> None:
        """Give the lease up, if `holder` still holds it."""
        with translated("release outbox lease"):
            await self._release(keys=[outbox_lease_key(outbox)], args=[holder])

    async def claim_unfinished(self, outbox: str, consumer: str) -> list[Queued]:
        """Entries read before (by any worker) and never acknowledged, now `consumer`'s, in order."""
        claimed: list[Queued] = []
        start = "0-0"
        with translated("claim outbox entries"):
            while True:
                try:
                    reply = await self._client.xautoclaim(
                        outbox, OUTBOX_GROUP, consumer, 0, start_id=start, count=CLAIM_BATCH
                    )
                except ResponseError as exc:
                    if "NOGROUP" in str(exc):
                        return []  # the stream was never created: nothing to claim
                    raise
                start, entries = _decode_id(reply[0]), reply[1]
                claimed += [_queued(entry_id, fields, maybe=True) for entry_id, fields in entries]
                if start == "0-0":
                    return claimed

    async def read_new(self, outbox: str, consumer: str, count: int) -> list[Queued]:
        """Up to `count` entries nobody has read yet, oldest first."""
        with translated("read outbox"):
            try:
                reply = await self._client.xreadgroup(
                    OUTBOX_GROUP, consumer, {outbox: ">"}, count=count
                )
            except ResponseError as exc:
                if "NOGROUP" in str(exc):
                    return []
                raise
        if not reply:
            return []
        [(_, entries)] = cast(list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]], reply)
        return [_queued(entry_id, fields, maybe=False) for entry_id, fields in entries]

    async def finish(self, outbox: str, entry_id: str) -> None:
        """Acknowledge and delete a posted (or finally refused) entry."""
        with translated("finish outbox entry"):
            pipe = self._client.pipeline(transaction=True)
            pipe.xack(outbox, OUTBOX_GROUP, entry_id)
            pipe.xdel(outbox, entry_id)
            await pipe.execute()

    async def waiting(self, outbox: str) -> int:
        """Entries in the stream: posted ones are deleted, so this is the work left."""
        with translated("measure outbox"):
            return int(await self._client.xlen(outbox))

    async def outboxes_with_work(self) -> AsyncIterator[tuple[str, int]]:
        """Every outbox stream under the prefix that holds entries, with how many (a SCAN)."""
        with translated("scan outboxes"):
            async for key in self._client.scan_iter(
                match=outbox_pattern(self.prefix), _type="stream", count=500
            ):
                name = key.decode() if isinstance(key, bytes) else key
                waiting = int(await self._client.xlen(name))
                if waiting:
                    yield name, waiting


def _decode_id(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


def _queued(raw_id: bytes | str, fields: dict[bytes, bytes] | None, *, maybe: bool) -> Queued:
    """A stream entry as read; one whose data no longer parses is kept as `entry=None`."""
    entry_id = _decode_id(raw_id)
    data = (fields or {}).get(b"d")
    if data is None:
        return Queued(entry_id, None, maybe)
    try:
        return Queued(entry_id, OutboxEntry.model_validate_json(data), maybe)
    except ValueError:
        log.error("outbox.unreadable_entry", entry=entry_id)
        return Queued(entry_id, None, maybe)
