"""Wiring shared by every server: settings -> Redis -> store -> service -> delivery worker.

Built once in the entry point and passed down; nothing here is a module-level
singleton, so tests open as many runtimes as they like side by side.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.delivery import DeliveryPolicy, DeliveryWorker
from bot.metrics import Metrics
from bot.ports import Outbound
from bot.service import IntakeService
from bot.settings import Settings
from bot.state.outbox import OutboxStore
from bot.state.redis_client import PoolLimits, RedisHandle, connect
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
) -> AsyncIterator[Runtime]:
    """Connect to Redis (or start the embedded one) and build the service; close both after.

    With `outbound`, a delivery worker posts the outbox through it; a front
    end whose posting reads Redis too (Teams' conversation addresses) passes a
    function that makes its outbound from the client. On the way out the
    worker drains for up to `shutdown_grace_seconds`, and what is left stays
    queued for another replica or the next start. `metrics` is shared with the
    front end's outbound when it counts too.
    """
    limits = PoolLimits(
        max_connections=settings.redis_max_connections,
        wait_seconds=settings.redis_pool_timeout_seconds,
    )
    handle = await asyncio.to_thread(
        connect, settings.redis_url_value(), settings.state_dir, limits=limits
    )
    worker: DeliveryWorker | None = None
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
        yield Runtime(
            settings=settings,
            redis=handle,
            store=store,
            service=service,
            worker=worker,
            metrics=metrics,
        )
    finally:
        if worker is not None:
            await worker.close(settings.shutdown_grace_seconds)
        await handle.aclose()
