"""Digest settings, and the claims that make each scheduled post go out once, in Redis.

Every replica runs the same scheduler, so every due digest or reminder is
seen by all of them. Two keys per due post keep it to one:

- a claim (`SET NX PX`): the one replica working out the post holds it; it
  expires, so a replica that dies holding it delays the post, never loses it;
- a slot, set by the same script that adds the post to its channel's outbox
  (or that records there was nothing to post). Once it is set, neither
  another replica nor a restart queues the post again, and the outbox posts
  what was queued exactly once.

A claim alone could not do this: a replica that posted and died before
marking it would be followed by a second post. The slot is written with the
outbox entry, in one script, so "queued" and "marked" cannot come apart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

from pydantic import BaseModel
from redis.asyncio import Redis

from bot.ports import IntakeRef
from bot.state.keys import (
    channel_index_key,
    channel_member,
    channel_of_member,
    digest_channels_key,
    digest_last_key,
    digest_schedule_key,
    thread_of_intake_key,
)
from bot.state.store import OUTBOX_GROUP, RELEASE_IF_HELD, translated
from conversations.digest import DigestSchedule
from conversations.intake import Intake

SLOT_TTL_SECONDS = 40 * 24 * 3600
"""A slot outlives any period it could be asked about again (a weekly digest, a day's reminder)."""

# KEYS: the slot; then the outbox stream when there is an entry; then the channel's last
# digest end when there is a period end. ARGV: slot ttl, outbox group, the entry or '', the
# period's end (a UTC timestamp) or ''. Returns 1 if this call queued (or recorded) the post,
# 0 if the slot was already set.
_QUEUE_ONCE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local k = 2
local outbox, last_key
if ARGV[3] ~= '' then outbox = KEYS[k]; k = k + 1 end
if ARGV[4] ~= '' then last_key = KEYS[k] end
if last_key then
  local last = tonumber(redis.call('GET', last_key) or '0')
  if tonumber(ARGV[4]) > last then
    redis.call('SET', last_key, ARGV[4])
  end
end
if outbox then
  if redis.call('EXISTS', outbox) == 0 then
    redis.call('XGROUP', 'CREATE', outbox, ARGV[2], '0', 'MKSTREAM')
  end
  redis.call('XADD', outbox, '*', 'd', ARGV[3])
  redis.call('SET', KEYS[1], 'queued', 'EX', ARGV[1])
else
  redis.call('SET', KEYS[1], 'empty', 'EX', ARGV[1])
end
return 1
"""


class ScheduleStore:
    """Digest settings per channel, claims and once-only slots."""

    def __init__(self, client: Redis, prefix: str) -> None:
        self._client = client
        self.prefix = prefix
        self._queue_once = client.register_script(_QUEUE_ONCE)
        self._release = client.register_script(RELEASE_IF_HELD)

    async def set_schedule(self, ref: IntakeRef, schedule: DigestSchedule) -> None:
        """Keep a channel's digest setting and list the channel for the scheduler, together."""
        key = digest_schedule_key(ref.platform, ref.workspace, ref.channel, self.prefix)
        member = channel_member(ref.platform, ref.workspace, ref.channel)
        with translated("save digest setting"):
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.set(key, schedule.model_dump_json())
                pipe.sadd(digest_channels_key(self.prefix), member)
                await pipe.execute()

    async def remove_schedule(self, ref: IntakeRef) -> bool:
        """Turn a channel's digest off; whether it had one."""
        key = digest_schedule_key(ref.platform, ref.workspace, ref.channel, self.prefix)
        member = channel_member(ref.platform, ref.workspace, ref.channel)
        with translated("remove digest setting"):
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.delete(key)
                pipe.srem(digest_channels_key(self.prefix), member)
                removed, _ = await pipe.execute()
        return bool(removed)

    async def schedule_and_last_end(
        self, ref: IntakeRef
    ) -> tuple[DigestSchedule | None, datetime | None]:
        """A channel's digest setting and the end of its last digest (posted or empty), at once."""
        key = digest_schedule_key(ref.platform, ref.workspace, ref.channel, self.prefix)
        with translated("read digest setting"):
            raw, last = await self._client.mget(key, digest_last_key(ref, self.prefix))
        schedule = DigestSchedule.model_validate_json(raw) if raw else None
        ended = datetime.fromtimestamp(int(last), UTC) if last else None
        return schedule, ended

    async def schedule(self, ref: IntakeRef) -> DigestSchedule | None:
        """A channel's digest setting, if it has one."""
        key = digest_schedule_key(ref.platform, ref.workspace, ref.channel, self.prefix)
        with translated("read digest setting"):
            raw = await self._client.get(key)
        return DigestSchedule.model_validate_json(raw) if raw else None

    async def channels_with_digests(self, platform: str) -> list[IntakeRef]:
        """Every channel of `platform` that has a digest setting."""
        with translated("list digest channels"):
            members = await self._client.smembers(digest_channels_key(self.prefix))
        refs = []
        for member in sorted(m.decode() if isinstance(m, bytes) else m for m in members):
            on, workspace, channel = channel_of_member(member)
            if on == platform:
                refs.append(IntakeRef(on, workspace, channel, ""))
        return refs

    async def channels_with_intakes(self, platform: str) -> AsyncIterator[IntakeRef]:
        """Every channel of `platform` that holds an intake (a SCAN, for reminders)."""
        pattern = channel_index_key(platform, "*", "*", self.prefix)
        with translated("scan channels"):
            async for raw in self._client.scan_iter(match=pattern, count=500):
                key = raw.decode() if isinstance(raw, bytes) else raw
                tag = key[key.index("{") + 1 : key.rindex("}")]
                on, workspace, channel = channel_of_member(tag)
                if on == platform:
                    yield IntakeRef(on, workspace, channel, "")

    async def channel_intakes(self, ref: IntakeRef) -> list[tuple[str, Intake]]:
        """Each intake of a channel, with its thread: two round trips, however many there are."""
        index = channel_index_key(ref.platform, ref.workspace, ref.channel, self.prefix)
        with translated("read channel intakes"):
            members = sorted(
                m.decode() if isinstance(m, bytes) else m
                for m in await self._client.smembers(index)
            )
            if not members:
                return []
            async with self._client.pipeline(transaction=False) as pipe:
                for key in members:
                    pipe.hget(key, "d")
                rows = await pipe.execute()
        return [
            (thread_of_intake_key(key), Intake.model_validate_json(row))
            for key, row in zip(members, rows, strict=True)
            if row
        ]

    async def taken(self, slot: str) -> bool:
        """Whether a slot is set: the post was queued, or there was nothing to post."""
        with translated("read slot"):
            return bool(await self._client.exists(slot))

    async def claim(self, key: str, holder: str, ttl_ms: int) -> bool:
        """Take a claim unless another replica holds it."""
        with translated("claim"):
            return bool(await self._client.set(key, holder, nx=True, px=ttl_ms))

    async def release(self, key: str, holder: str) -> None:
        """Give a claim up, if it is still ours."""
        with translated("release claim"):
            await self._release(keys=[key], args=[holder])

    async def queue_once(
        self,
        slot: str,
        outbox: str | None,
        entry: BaseModel | None,
        *,
        last_end: tuple[IntakeRef, datetime] | None = None,
    ) -> bool:
        """Queue `entry` on `outbox` and set the slot, or only set it (nothing to post).

        With `last_end` (a digest's channel and period end), the channel's last
        digest end moves on too, in the same script: the next period starts
        there, whatever the setting is by then. False if the slot was already
        set: someone queued it before.
        """
        keys = [slot]
        if entry is not None and outbox is not None:
            keys.append(outbox)
        if last_end is not None:
            keys.append(digest_last_key(last_end[0], self.prefix))
        args: list[str | int] = [
            SLOT_TTL_SECONDS,
            OUTBOX_GROUP,
            entry.model_dump_json() if entry is not None and outbox is not None else "",
            str(int(last_end[1].timestamp())) if last_end else "",
        ]
        with translated("queue scheduled post"):
            return bool(await self._queue_once(keys=keys, args=args))
