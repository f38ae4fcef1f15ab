"""The delivery worker: posts what turns saved in their channel's outbox, once and in order.

Saved means posted. A turn's replies are queued in its channel's outbox in
the same script that saves the turn (see `bot.state.outbox`). This worker
posts them through the front end's `Outbound` port.

Each channel is drained by one task that holds the channel's lease in Redis,
so its posts keep their order even with several replicas. Each channel task
paces itself at the platform's rate (Slack: about one message a second, with
short bursts). A 429 `Retry-After`, a slow answer or a backoff therefore
holds only that channel, never another channel or anyone's acknowledgement.

- A post that fails for good (`DeliveryRefusedError`: channel gone, bot removed,
  token revoked) is logged with its intake and dropped.
- A post that was deferred (rate limited, an error before acting) is retried
  with jittered exponential backoff.
- A post whose outcome is unknown (connection dropped after sending) is
  retried with `maybe_posted`, so the front end looks first and posts only
  what is missing.
- After `max_attempts` an entry is dropped with an error log line, never
  retried for ever.

Work left by a process that died is found in two ways. Its entries stay
pending in the stream's consumer group, and the next lease holder claims
them. Its channels are found by a periodic scan of outbox keys (`sweep`), so
another replica or the restarted process posts them within seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import random
import time
import uuid
from dataclasses import dataclass, field

import structlog

from bot.errors import (
    DeliveryDeferredError,
    DeliveryError,
    DeliveryRefusedError,
    DeliveryUnknownError,
    StoreError,
)
from bot.metrics import Metrics
from bot.ports import IntakeRef, Outbound
from bot.state.keys import outbox_key
from bot.state.outbox import OutboxStore, Queued

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How fast and how stubbornly a channel's posts go out."""

    rate_per_second: float = 1.0
    burst: int = 4
    lease_ms: int = 10_000
    backoff_first_seconds: float = 1.0
    backoff_max_seconds: float = 60.0
    max_attempts: int = 12
    sweep_seconds: float = 5.0
    read_batch: int = 20


class _Pace:
    """A token bucket: `burst` posts at once, then `rate` a second."""

    def __init__(self, rate: float, burst: int) -> None:
        self._rate = rate
        self._burst = burst
        self._tokens = float(burst)
        self._at = time.monotonic()

    async def wait_turn(self) -> None:
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < 1:
            await asyncio.sleep((1 - self._tokens) / self._rate)  # pacing is the point here
            self._tokens, self._at = 1.0, time.monotonic()
        self._tokens -= 1


STOP_WAIT_SECONDS = 3.0


async def _pause(stop: asyncio.Event, seconds: float) -> bool:
    """Wait `seconds` or until `stop` is set, whichever comes first; True if it was set."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop.wait()
    return stop.is_set()


class _LeaseLostError(Exception):
    """Another worker took the channel over (this one stalled past its lease)."""


@dataclass(eq=False)
class DeliveryWorker:
    """Posts every channel's outbox through one front end; one per process."""

    outbox: OutboxStore
    outbound: Outbound
    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    holder: str = field(default_factory=lambda: f"worker-{uuid.uuid4().hex[:12]}")
    metrics: Metrics | None = None
    _channels: dict[str, asyncio.Task[None]] = field(default_factory=dict, init=False)
    _closing: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    # Channels poked while their task was finishing: it takes one more look before it ends.
    _again: set[str] = field(default_factory=set, init=False)
    _sweeper: asyncio.Task[None] | None = field(default=None, init=False)

    def start(self) -> None:
        """Begin sweeping for channels with work left (from a restart, or a dead replica)."""
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_forever(), name="outbox-sweep")

    def poke(self, ref: IntakeRef) -> None:
        """A turn just queued replies for `ref`'s channel: make sure someone posts them."""
        self._ensure(outbox_key(ref, self.outbox.prefix))

    async def settled(self, ref: IntakeRef) -> None:
        """Wait until this process has posted what `ref`'s channel holds (the console waits)."""
        task = self._channels.get(outbox_key(ref, self.outbox.prefix))
        if task is not None:
            await asyncio.shield(task)

    async def idle(self) -> None:
        """Wait until this process has no channel left to post in (tests and the console)."""
        while running := [task for task in self._channels.values() if not task.done()]:
            await asyncio.wait(running)

    async def close(self, grace_seconds: float) -> None:
        """Stop sweeping, let channel tasks drain for up to `grace_seconds`, then stop them.

        What is left stays in Redis, pending, for another replica or the next start.
        Nothing here is cancelled in the middle of a Redis command: the sweeper and
        the lease keepers stop at their next pause, and a channel task still
        posting after the grace period is cancelled and given a moment, never waited
        on for ever.
        """
        self._closing.set()
        if self._sweeper is not None:
            await asyncio.wait([self._sweeper], timeout=STOP_WAIT_SECONDS)
        running = [task for task in self._channels.values() if not task.done()]
        if not running:
            return
        _, late = await asyncio.wait(running, timeout=grace_seconds)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=STOP_WAIT_SECONDS)
            log.warning("outbox.left_for_others", channels=len(late))

    def _ensure(self, outbox: str) -> None:
        task = self._channels.get(outbox)
        if task is not None and not task.done():
            self._again.add(outbox)  # it may be past its last read: it looks once more
            return
        # A fresh context: the turn that poked binds its own delivery id to its log lines.
        self._channels[outbox] = asyncio.create_task(
            self._drain(outbox), name=outbox, context=contextvars.Context()
        )

    async def _sweep_forever(self) -> None:
        while not self._closing.is_set():
            waiting, oldest = 0, None
            try:
                async for work in self.outbox.outboxes_with_work():
                    waiting += work.waiting
                    oldest = min(work.oldest_added_at, oldest or work.oldest_added_at)
                    self._ensure(work.outbox)
            except StoreError as exc:
                log.warning("outbox.sweep_failed", error=str(exc))
            else:
                if self.metrics is not None:
                    self.metrics.waiting.set(waiting)
                    age = max(0.0, time.time() - oldest) if oldest is not None else 0.0
                    self.metrics.oldest_waiting.set(age)
            await _pause(self._closing, self.policy.sweep_seconds)

    async def _drain(self, outbox: str) -> None:
        """Post everything in one channel's outbox while holding its lease."""
        if self.metrics is not None:
            self.metrics.channels_posting.inc()
        with structlog.contextvars.bound_contextvars(outbox=outbox):
            try:
                while True:
                    self._again.discard(outbox)
                    queue = await self.outbox.take(
                        outbox, self.holder, self.policy.lease_ms, self.policy.read_batch
                    )
                    if queue is None:
                        return  # another replica holds the channel; it reads until it is empty
                    try:
                        await self._post_all(outbox, queue)
                    except _LeaseLostError:
                        log.warning("outbox.lease_lost")
                        return
                    if outbox not in self._again:
                        return
            except StoreError as exc:
                log.warning("outbox.drain_interrupted", error=str(exc))
                if self.metrics is not None:
                    self.metrics.redis_errors.labels("outbox").inc()
            finally:
                self._again.discard(outbox)
                if self._channels.get(outbox) is asyncio.current_task():
                    del self._channels[outbox]
                if self.metrics is not None:
                    self.metrics.channels_posting.dec()

    def _count(self, outcome: str) -> None:
        """Count what became of an entry: posted, retried, dropped or gave_up."""
        if self.metrics is not None:
            self.metrics.posts.labels(outcome).inc()

    async def _post_all(self, outbox: str, queue: list[Queued]) -> None:
        """Post `queue` and whatever follows it; the lease is given up once the stream is empty."""
        pace = _Pace(self.policy.rate_per_second, self.policy.burst)
        done = asyncio.Event()
        renewing = asyncio.create_task(self._keep_lease(outbox, done))
        released = False
        try:
            while queue:
                item = queue.pop(0)
                await self._post_one(item, pace, renewing)
                more = await self.outbox.finish_and_read(
                    outbox, item.id, self.holder, self.policy.read_batch, read=not queue
                )
                if more is None:
                    released = True
                    return
                queue.extend(more)
        finally:
            done.set()
            await asyncio.wait([renewing], timeout=STOP_WAIT_SECONDS)
            if not released:
                await self.outbox.release_lease(outbox, self.holder)

    async def _keep_lease(self, outbox: str, done: asyncio.Event) -> None:
        """Renew the lease a few times per lease period until `done`; end if it was lost."""
        period = self.policy.lease_ms / 3000
        while not await _pause(done, period):
            if not await self.outbox.renew_lease(outbox, self.holder, self.policy.lease_ms):
                raise _LeaseLostError

    async def _post_one(self, item: Queued, pace: _Pace, renewing: asyncio.Task[None]) -> None:
        """Post one entry until it is posted, refused for good, or out of attempts."""
        if item.entry is None:
            return  # unreadable: logged when read, finished by the caller
        ref, maybe_posted = item.entry.ref, item.maybe_posted
        for attempt in range(1, self.policy.max_attempts + 1):
            if renewing.done():
                raise _LeaseLostError
            await pace.wait_turn()
            try:
                await self.outbound.post(
                    ref,
                    item.entry.replies,
                    only_for=item.entry.only_for,
                    key=item.id,
                    maybe_posted=maybe_posted,
                )
            except DeliveryRefusedError as exc:
                log.error("outbox.dropped", entry=item.id, thread=ref.thread, reason=exc.reason)
                self._count("dropped")
                break
            except DeliveryError as exc:
                maybe_posted = maybe_posted or isinstance(exc, DeliveryUnknownError)
                wait = self._backoff(attempt, exc)
                log.warning(
                    "outbox.retrying",
                    entry=item.id,
                    attempt=attempt,
                    wait_seconds=round(wait, 2),
                    error=str(exc),
                )
                self._count("retried")
                await asyncio.sleep(wait)  # backoff before the next attempt
                continue
            log.debug("outbox.posted", entry=item.id, thread=ref.thread)
            self._count("posted")
            break
        else:
            log.error("outbox.gave_up", entry=item.id, thread=ref.thread, attempts=attempt)
            self._count("gave_up")

    def _backoff(self, attempt: int, exc: DeliveryError) -> float:
        if isinstance(exc, DeliveryDeferredError) and exc.retry_after is not None:
            return exc.retry_after
        bound = min(
            self.policy.backoff_max_seconds,
            self.policy.backoff_first_seconds * 2 ** (attempt - 1),
        )
        return random.uniform(bound / 2, bound)  # noqa: S311 - jitter, not a secret
