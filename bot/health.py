"""`GET /healthz`, `GET /readyz` and `GET /metrics`, the same on every server.

Alive means the process answers. Ready means it takes turns: Redis accepts
writes, the platform has not refused the bot's token since its last good
answer, the connection events arrive on is up (Slack's Socket Mode
WebSocket, when the app uses it), and no shutdown has begun. So a load balancer stops sending traffic
to a replica that could not save an answer, or that is draining to exit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.metrics import Metrics
from bot.state.store import StateStore


@dataclass(eq=False)
class Credentials:
    """What the platform last said of the bot's token: `refused` names its error, if it did."""

    refused: str | None = None


@dataclass(eq=False)
class Readiness:
    """What `/readyz` reports; `stopping` turns it (and new turns) away at once on SIGTERM."""

    store: StateStore
    metrics: Metrics
    credentials: Credentials = field(default_factory=Credentials)
    connected: Callable[[], Awaitable[bool]] | None = None
    """Whether the connection events arrive on is up; None when they come as HTTP requests."""
    stopping: bool = False


def add_health_routes(app: web.Application, readiness: Readiness) -> None:
    """Register the two probes on an aiohttp application."""

    async def healthz(request: web.Request) -> web.Response:
        del request
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        del request
        if readiness.stopping:
            return web.json_response({"status": "stopping"}, status=503)
        if readiness.credentials.refused:
            refused = {"status": "not ready", "token": readiness.credentials.refused}
            return web.json_response(refused, status=503)
        if readiness.connected is not None and not await readiness.connected():
            return web.json_response({"status": "not ready", "events": "disconnected"}, status=503)
        if await readiness.store.accepts_writes():
            return web.json_response({"status": "ready", "redis": "ok"})
        return web.json_response({"status": "not ready", "redis": "not writable"}, status=503)

    async def metrics(request: web.Request) -> web.Response:
        del request
        return web.Response(
            body=readiness.metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
