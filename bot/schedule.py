"""Scheduled posts: each channel's digest, and reminders in idle intakes' threads.

Every app process (`intake-bot slack`, `intake-bot teams`) runs one
`ScheduledPosts` on an APScheduler interval job; `intake-bot digest --once`
runs one pass and exits, for a cron job. When a digest is due comes from
APScheduler's `CronTrigger` in the channel's IANA time zone, so daylight
saving is the library's arithmetic, not ours.

A pass (`run_due`) never posts itself. It works out each due post, claims it
in Redis, and queues it in the channel's outbox together with its once-only
slot (`bot.state.schedules`); the delivery worker posts it at the channel's
pace, honouring `Retry-After`. So with several replicas each due post goes
out once, a replica that dies after claiming only delays it (the claim
expires), a restart posts nothing twice, and the pass holds up no one: it
yields to the event loop after every channel, so acknowledgements of
incoming requests are never queued behind a thousand digests.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.errors import StoreError
from bot.ports import IntakeRef
from bot.schedule_times import latest_period
from bot.service import Deliveries
from bot.state.keys import (
    digest_claim_key,
    digest_slot_key,
    outbox_key,
    reminder_claim_key,
    reminder_slot_key,
)
from bot.state.outbox import OutboxEntry
from bot.state.schedules import ScheduleStore
from conversations.digest import channel_digest, reminder_due
from conversations.replies import ReminderReply

log = structlog.get_logger(__name__)

DUE_WINDOW = timedelta(hours=24)
"""A digest still goes out this long after its time (a replica down at 09:00 posts at 09:05);
older periods are skipped rather than posted days late."""
REMINDER_EVERY = timedelta(minutes=15)
"""Reminders are looked for this often: they are measured in hours, and the look is a scan."""

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class PassReport:
    """What one pass queued: for `digest --once`'s output, the logs and the tests."""

    digests: tuple[IntakeRef, ...] = ()
    empty: int = 0
    reminders: tuple[IntakeRef, ...] = ()


@dataclass(slots=True)
class ScheduledPosts:
    """Finds due digests and reminders for one platform and queues each exactly once."""

    store: ScheduleStore
    platform: str
    remind_after: timedelta
    claim_ms: int
    deliveries: Deliveries | None = None
    holder: str = field(default_factory=lambda: uuid.uuid4().hex)
    _reminded_at: datetime | None = field(default=None, init=False)

    async def run_due(self, now: datetime, *, reminders: bool | None = None) -> PassReport:
        """Queue every digest due at `now`, and (every `REMINDER_EVERY`) every reminder."""
        digests, empty = await self._digests(now)
        reminded: list[IntakeRef] = []
        look = reminders if reminders is not None else self._reminders_due(now)
        if look:
            reminded = await self._reminders(now)
            self._reminded_at = now
        report = PassReport(digests=tuple(digests), empty=empty, reminders=tuple(reminded))
        if digests or reminded:
            log.info("schedule.queued", digests=len(digests), empty=empty, reminders=len(reminded))
        return report

    def _reminders_due(self, now: datetime) -> bool:
        return self._reminded_at is None or now - self._reminded_at >= REMINDER_EVERY

    async def _digests(self, now: datetime) -> tuple[list[IntakeRef], int]:
        queued: list[IntakeRef] = []
        empty = 0
        for channel in await self.store.channels_with_digests(self.platform):
            try:
                outcome = await self._digest(channel, now)
            except StoreError:
                raise  # Redis away: the whole pass waits for the next tick
            except Exception as error:  # one channel's bad data must not stop the others
                log.error("schedule.channel_failed", channel=channel.channel, exc_info=error)
                outcome = False
            if outcome is True:
                queued.append(channel)
            elif outcome is None:
                empty += 1
            await asyncio.sleep(0)  # let the loop answer requests between channels
        return queued, empty

    async def _digest(self, channel: IntakeRef, now: datetime) -> bool | None:
        """One channel's digest, if due: True queued, None nothing to report, False not due."""
        schedule, since = await self.store.schedule_and_last_end(channel)
        period = latest_period(schedule, now, since=since) if schedule is not None else None
        if schedule is None or period is None or now - period[1] > DUE_WINDOW:
            return False
        start, end = period
        # The period's end as a UTC instant: the same slot whatever zone spelled it.
        moment = str(int(end.timestamp()))
        slot = digest_slot_key(channel, moment, self.store.prefix)
        claim = digest_claim_key(channel, moment, self.store.prefix)

        async def entry() -> OutboxEntry | None:
            return await self._digest_entry(channel, start, end, schedule.timezone)

        return await self._once(slot, claim, channel, entry, ended=end)

    async def _digest_entry(
        self, channel: IntakeRef, start: datetime, end: datetime, timezone: str
    ) -> OutboxEntry | None:
        intakes = await self.store.channel_intakes(channel)
        digest = channel_digest(intakes, start, end, timezone)
        return OutboxEntry.to(channel, (digest,)) if digest is not None else None

    async def _reminders(self, now: datetime) -> list[IntakeRef]:
        reminded: list[IntakeRef] = []
        async for channel in self.store.channels_with_intakes(self.platform):
            try:
                reminded.extend(await self._channel_reminders(channel, now))
            except StoreError:
                raise
            except Exception as error:  # one channel's bad data must not stop the others
                log.error("schedule.channel_failed", channel=channel.channel, exc_info=error)
            await asyncio.sleep(0)
        return reminded

    async def _channel_reminders(self, channel: IntakeRef, now: datetime) -> list[IntakeRef]:
        """The reminders due in one channel, each queued once for its day."""
        reminded: list[IntakeRef] = []
        schedule = await self.store.schedule(channel)
        zone = schedule.timezone if schedule is not None else "UTC"
        day = now.astimezone(ZoneInfo(zone)).date().isoformat()
        for thread, intake in await self.store.channel_intakes(channel):
            reminder = reminder_due(intake, now, timezone=zone, remind_after=self.remind_after)
            if reminder is None:
                continue
            ref = channel.in_thread(thread)
            slot = reminder_slot_key(ref, day, self.store.prefix)
            claim = reminder_claim_key(ref, day, self.store.prefix)

            async def remind(
                r: IntakeRef = ref, reply: ReminderReply = reminder
            ) -> OutboxEntry | None:
                return OutboxEntry.to(r, (reply,))

            if await self._once(slot, claim, ref, remind) is True:
                reminded.append(ref)
        return reminded

    async def _once(
        self,
        slot: str,
        claim: str,
        ref: IntakeRef,
        make: Callable[[], Awaitable[OutboxEntry | None]],
        *,
        ended: datetime | None = None,
    ) -> bool | None:
        """Claim, build and queue one post with its slot: True queued, None nothing to post,
        False someone else has it (or had it)."""
        if await self.store.taken(slot):
            return False
        if not await self.store.claim(claim, self.holder, self.claim_ms):
            return False
        try:
            entry = await make()
            outbox = outbox_key(ref, self.store.prefix) if entry is not None else None
            last = (ref, ended) if ended is not None else None
            if not await self.store.queue_once(slot, outbox, entry, last_end=last):
                return False
        finally:
            await self.store.release(claim, self.holder)
        if entry is None:
            return None
        if self.deliveries is not None:
            self.deliveries.poke(ref)
        return True


class Scheduler:
    """The in-process schedule: one APScheduler interval job that runs a pass each tick."""

    def __init__(self, posts: ScheduledPosts, tick_seconds: float, clock: Clock) -> None:
        self.posts = posts
        self.clock = clock
        self._running: asyncio.Task[None] | None = None
        self._scheduler = AsyncIOScheduler()
        self._scheduler.add_job(
            self._tick,
            IntervalTrigger(seconds=tick_seconds),
            id="scheduled-posts",
            max_instances=1,
            coalesce=True,
            next_run_time=clock(),
        )

    async def _tick(self) -> None:
        self._running = asyncio.current_task()
        try:
            await self.posts.run_due(self.clock())
        except StoreError as exc:
            # Redis away for a while: the next tick finds the same posts still due.
            log.warning("schedule.pass_failed", error=str(exc))
        finally:
            self._running = None

    def start(self) -> None:
        """Begin ticking on the running event loop."""
        self._scheduler.start()

    async def close(self, grace_seconds: float) -> None:
        """Stop ticking, and let a pass in progress finish for up to `grace_seconds`.

        A pass cut short leaves at most one claim behind, which expires; nothing
        it queued is lost, since queuing and marking are one script.
        """
        self._scheduler.pause()  # no new pass; shutdown() would cancel the one running
        running = self._running
        if running is not None and not running.done():
            done, _ = await asyncio.wait([running], timeout=grace_seconds)
            if not done:
                running.cancel()
                await asyncio.wait([running])
        self._scheduler.shutdown(wait=False)
