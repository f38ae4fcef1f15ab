"""The baseline for bench/slack_load.py: a bare slack-bolt app that acks each message and posts one reply.

Served exactly like `intake-bot slack` (Bolt's AsyncApp on aiohttp's
AppRunner, signature verification on), so the ratio between the two measures
what the intake logic and Redis cost, not the web stack.

    SLACK_BOT_TOKEN=... SLACK_SIGNING_SECRET=... SLACK_API_URL=... python bench/bare_slack_app.py --port 3100
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from typing import Any

import aiohttp
import uvloop
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def build(session: aiohttp.ClientSession) -> web.Application:
    """The bare app: one listener, one reply per message, with the same client set-up as ours."""
    client = AsyncWebClient(
        token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"], session=session
    )
    bolt = AsyncApp(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])

    @bolt.event("message")
    async def reply(event: dict[str, Any], client: AsyncWebClient) -> None:
        await client.chat_postMessage(
            channel=event["channel"], thread_ts=event.get("thread_ts"), text="ok"
        )

    async def slack_events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(request: web.Request) -> web.Response:
        del request
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", healthz)
    return app


async def serve(port: int) -> None:
    """Serve until SIGTERM or SIGINT."""
    async with aiohttp.ClientSession() as session:
        runner = web.AppRunner(build(session))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await stop.wait()
        await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    uvloop.run(serve(parser.parse_args().port))
