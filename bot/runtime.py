"""Wiring shared by every entry point: settings -> Redis -> store -> service.

Built once in the entry point and passed down; nothing here is a module-level
singleton, so tests open as many runtimes as they like side by side.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.service import IntakeService
from bot.settings import Settings
from bot.state.redis_client import RedisHandle, connect
from bot.state.store import StateStore


@dataclass(frozen=True, slots=True)
class Runtime:
    """The live objects one process needs."""

    settings: Settings
    redis: RedisHandle
    store: StateStore
    service: IntakeService


@asynccontextmanager
async def open_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """Connect to Redis (or start the embedded one) and build the service; close both after."""
    handle = await asyncio.to_thread(connect, settings.redis_url_value(), settings.state_dir)
    try:
        store = StateStore(handle.client, prefix=settings.key_prefix)
        service = IntakeService(
            store=store,
            prefix=settings.key_prefix,
            place_ttl_seconds=settings.place_ttl_seconds,
            delivery_ttl_seconds=settings.delivery_ttl_seconds,
        )
        yield Runtime(settings=settings, redis=handle, store=store, service=service)
    finally:
        await handle.aclose()
