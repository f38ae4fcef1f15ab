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
- a posted (or finally refused) entry is acknowledged and deleted, and the
  next entries read, in one script; with nothing left the same script gives
  the lease up, so no entry can arrive unseen between the last read and the
  release. A channel's entry costs two round trips: take (lease, claim,
  read) and finish;
- a `SCAN` over outbox keys finds channels with work left by a process that
  died, which no running process was told about.

Every Redis failure surfaces as `StoreUnavailableError` or `StoreError`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import structlog
from pydantic import Field
from redis.asyncio import Redis

from bot.ports import IntakeRef
from bot.state.keys import outbox_lease_key, outbox_pattern
from bot.state.store import OUTBOX_GROUP, RELEASE_IF_HELD, translated
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

# Take the lease, then claim what earlier holders left unacknowledged, then read what is new.
# KEYS[1] lease, KEYS[2] stream. ARGV: holder, ttl ms, group, count.
# Returns false (someone else holds the lease) | {claimed entries, new entries}.
_TAKE = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return false
end
if redis.call('EXISTS', KEYS[2]) == 0 then
  return {{}, {}}
end
local claimed = {}
local cursor = '0-0'
repeat
  local reply = redis.call('XAUTOCLAIM', KEYS[2], ARGV[3], ARGV[1], 0, cursor, 'COUNT', ARGV[4])
  cursor = reply[1]
  for _, entry in ipairs(reply[2]) do
    table.insert(claimed, entry)
  end
until cursor == '0-0'
local new = redis.call('XREADGROUP', 'GROUP', ARGV[3], ARGV[1], 'COUNT', ARGV[4], 'STREAMS', KEYS[2], '>')
return {claimed, new and new[1][2] or {}}
"""

# Acknowledge and delete a done entry; read what is new; with nothing left, give the lease up.
# KEYS[1] stream, KEYS[2] lease. ARGV: entry id, holder, group, count, read ('1' or '0').
# Returns new entries | false (nothing left: the lease is released).
_FINISH = """
redis.call('XACK', KEYS[1], ARGV[3], ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
if ARGV[5] ~= '1' then
  return {}
end
local new = redis.call('XREADGROUP', 'GROUP', ARGV[3], ARGV[2], 'COUNT', ARGV[4], 'STREAMS', KEYS[1], '>')
if new then
  return new[1][2]
end
if redis.call('XLEN', KEYS[1]) == 0 and redis.call('GET', KEYS[2]) == ARGV[2] then
  redis.call('DEL', KEYS[2])
  return false
end
return {}
"""


class OutboxEntry(Frozen):
    """One turn's replies and where they go."""

    platform: str
    workspace: str
    channel: str
    thread: str
    replies: tuple[Annotated[Reply, Field(discriminator="kind")], ...]
    only_for: str | None = None
    """Shown to this one user only (a private refusal), where the front end can."""

    @classmethod
    def to(
        cls, ref: IntakeRef, replies: tuple[Reply, ...], only_for: str | None = None
    ) -> OutboxEntry:
        """The entry posting `replies` at `ref`."""
        return cls(
            platform=ref.platform,
            workspace=ref.workspace,
            channel=ref.channel,
            thread=ref.thread,
            replies=replies,
            only_for=only_for,
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
        self._release = client.register_script(RELEASE_IF_HELD)
        self._take = client.register_script(_TAKE)
        self._finish = client.register_script(_FINISH)

    async def take(self, outbox: str, holder: str, ttl_ms: int, count: int) -> list[Queued] | None:
        """Take the channel's lease and read its work: None if another worker holds the lease.

        One round trip: what earlier holders left unacknowledged comes first
        (those may be on the platform already), then up to `count` new entries.
        """
        with translated("take outbox"):
            reply = await self._take(
                keys=[outbox_lease_key(outbox), outbox], args=[holder, ttl_ms, OUTBOX_GROUP, count]
            )
        if not reply:
            return None
        claimed, new = reply
        return [_queued(i, _fields(f), maybe=True) for i, f in claimed] + [
            _queued(i, _fields(f), maybe=False) for i, f in new
        ]

    async def finish_and_read(
        self, outbox: str, entry_id: str, holder: str, count: int, *, read: bool
    ) -> list[Queued] | None:
        """Finish an entry and, with `read`, fetch what is new; None once the lease was given up.

        One round trip. The lease is released in the same script only when the
        stream is empty, so no entry can arrive unseen between the last read and
        the release.
        """
        with translated("finish outbox entry"):
            reply = await self._finish(
                keys=[outbox, outbox_lease_key(outbox)],
                args=[entry_id, holder, OUTBOX_GROUP, count, "1" if read else "0"],
            )
        if reply is None:
            return None
        return [_queued(i, _fields(f), maybe=False) for i, f in reply]

    async def renew_lease(self, outbox: str, holder: str, ttl_ms: int) -> bool:
        """Extend the lease; False if `holder` no longer holds it."""
        with translated("renew outbox lease"):
            return bool(await self._renew(keys=[outbox_lease_key(outbox)], args=[holder, ttl_ms]))

    async def release_lease(self, outbox: str, holder: str) -> None:
        """Give the lease up, if `holder` still holds it."""
        with translated("release outbox lease"):
            await self._release(keys=[outbox_lease_key(outbox)], args=[holder])

    async def outboxes_with_work(self) -> AsyncIterator[OutboxWork]:
        """Every outbox stream under the prefix that holds entries, with how many (a SCAN).

        A stream's first entry is its oldest waiting one (posted entries are
        deleted), and a stream id starts with the milliseconds it was added at.
        """
        with translated("scan outboxes"):
            async for key in self._client.scan_iter(
                match=outbox_pattern(self.prefix), _type="stream", count=500
            ):
                name = key.decode() if isinstance(key, bytes) else key
                async with self._client.pipeline(transaction=False) as pipe:
                    pipe.xlen(name)
                    pipe.xrange(name, count=1)
                    waiting, first = await pipe.execute()
                if waiting and first:
                    added_ms = int(_decode_id(first[0][0]).split("-", 1)[0])
                    yield OutboxWork(name, int(waiting), added_ms / 1000)


@dataclass(frozen=True, slots=True)
class OutboxWork:
    """A channel's outbox that holds entries: how many, and when the oldest was queued."""

    outbox: str
    waiting: int
    oldest_added_at: float
    """Unix time in seconds, as Redis' clock saw it."""


def _fields(flat: list[bytes]) -> dict[bytes, bytes]:
    """A stream entry's fields as a script returns them (a flat list) -> a dict."""
    return dict(zip(flat[::2], flat[1::2], strict=True))


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
