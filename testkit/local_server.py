"""What every local stand-in server shares: binding on 127.0.0.1, and `async with`."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from aiohttp import web


async def serve(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str, int]:
    """Run `app` on `host:port` (0: a free port), without an access log.

    Returns the runner, to clean up with, and the address it bound.
    """
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    return runner, str(bound_host), int(bound_port)


class Started:
    """`async with` for a server that has `start()` and `stop()`."""

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
