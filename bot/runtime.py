"""Wiring shared by every server: settings -> Redis -> store -> service -> delivery worker.

Built once in the entry point and passed down; nothing here is a module-level
singleton, so tests open as many runtimes as they like side by side.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from redis.asyncio import Redis

from bot.delivery import DeliveryPolicy, DeliveryWorker
from bot.metrics import Metrics
from bot.ports import Outbound
from bot.schedule import ScheduledPosts, Scheduler
from bot.service import IntakeService, utc_now
from bot.settings import Settings
from bot.state.outbox import OutboxStore
from bot.state.redis_client import PoolLimits, RedisHandle, connect
from bot.state.schedules import ScheduleStore
from bot.state.store import StateStore


@dataclass(frozen=True, slots=True)
class Runtime:
    """The live objects one process needs."""

    settings: Settings
    redis: RedisHandle
    store: StateStore
    service: IntakeService
    worker: DeliveryWorker | None
    metrics: Metrics
    posts: ScheduledPosts | None = None
    """Digests and reminders for the front end's platform (with an outbound only)."""


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    """The delivery worker's pace and sweep, from settings."""
    return DeliveryPolicy(
        rate_per_second=settings.outbox_rate_per_second,
        burst=settings.outbox_burst,
        sweep_seconds=settings.outbox_sweep_seconds,
        lease_ms=int(settings.outbox_lease_seconds * 1000),
    )


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    outbound: Outbound | Callable[[Redis], Outbound] | None = None,
    metrics: Metrics | None = None,
    *,
    platform: str | None = None,
    schedule: bool = True,
) -> AsyncIterator[Runtime]:
    """Connect to Redis (or start the embedded one) and build the service; close both after.

    With `outbound`, a delivery worker posts the outbox through it; a front
    end whose posting reads Redis too (Teams' conversation addresses) passes a
    function that makes its outbound from the client. On the way out the
    worker drains for up to `shutdown_grace_seconds`, and what is left stays
    queued for another replica or the next start. `metrics` is shared with the
    front end's outbound when it counts too.

    With `platform` and an outbound, the runtime also holds the platform's
    scheduled posts (digests, reminders); with `schedule` and the setting on,
    an in-process scheduler runs them every tick until the runtime closes.
    """
    limits = PoolLimits(
        max_connections=settings.redis_max_connections,
        wait_seconds=settings.redis_pool_timeout_seconds,
    )
    handle = await asyncio.to_thread(
        connect, settings.redis_url_value(), settings.state_dir, limits=limits
    )
    worker: DeliveryWorker | None = None
    scheduler: Scheduler | None = None
    metrics = metrics or Metrics()
    try:
        store = StateStore(handle.client, prefix=settings.key_prefix)
        service = IntakeService(
            store=store,
            prefix=settings.key_prefix,
            place_ttl_seconds=settings.place_ttl_seconds,
            delivery_ttl_seconds=settings.delivery_ttl_seconds,
            metrics=metrics,
        )
        if outbound is not None:
            posting = outbound(handle.client) if callable(outbound) else outbound
            outbox = OutboxStore(handle.client, settings.key_prefix)
            worker = DeliveryWorker(outbox, posting, delivery_policy(settings), metrics=metrics)
            service.deliveries = worker
            worker.start()
        posts = None
        if platform is not None and worker is not None:
            posts = ScheduledPosts(
                store=ScheduleStore(handle.client, settings.key_prefix),
                platform=platform,
                remind_after=timedelta(hours=settings.remind_after_hours),
                claim_ms=int(settings.schedule_claim_seconds * 1000),
                deliveries=worker,
            )
            if schedule and settings.schedule_enabled:
                scheduler = Scheduler(posts, settings.schedule_tick_seconds, utc_now)
                scheduler.start()
        yield Runtime(
            settings=settings,
            redis=handle,
            store=store,
            service=service,
            worker=worker,
            metrics=metrics,
            posts=posts,
        )
    finally:
        if scheduler is not None:
            await scheduler.close(settings.shutdown_grace_seconds)
        if worker is not None:
            await worker.close(settings.shutdown_grace_seconds)
        await handle.aclose()
