"""`GET /healthz` and `GET /readyz`, the same on every server.

Alive means the process answers; ready means Redis answers too, so a load
balancer stops sending traffic to a replica that could not save an answer.
"""

from __future__ import annotations

from aiohttp import web

from bot.state.store import StateStore


def add_health_routes(app: web.Application, store: StateStore) -> None:
    """Register the two probes on an aiohttp application."""

    async def healthz(request: web.Request) -> web.Response:
        del request
        return web.json_response({"status": "ok"})

    async def readyz(request: web.Request) -> web.Response:
        del request
        if await store.ping():
            return web.json_response({"status": "ready", "redis": "ok"})
        return web.json_response({"status": "not ready", "redis": "unreachable"}, status=503)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
