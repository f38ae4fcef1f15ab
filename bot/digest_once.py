"""`intake-bot digest --once`: queue and post every digest and reminder due now, then exit.

For a cron job or a Kubernetes CronJob (deploy/k8s/digest-cronjob.yaml),
where the app processes run with `INTAKE_SCHEDULE_ENABLED=false`. A pass is
the same one the in-process scheduler runs, with the same claims and slots,
so a CronJob and running replicas together still post each digest once.
The process waits for its posts to go out, up to the shutdown grace; what is
left stays queued for the app's delivery workers.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TextIO

import aiohttp
from pydantic import ValidationError
from redis.asyncio import Redis

from bot.errors import ConfigurationError, StoreError
from bot.logging_setup import configure_logging
from bot.metrics import Metrics
from bot.ports import Outbound
from bot.runtime import Runtime, open_runtime
from bot.service import utc_now
from bot.settings import Settings, load_settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


@asynccontextmanager
async def outbound_for(
    platform: str, settings: Settings
) -> AsyncIterator[Outbound | Callable[[Redis], Outbound]]:
    """The platform's outbound port, as its server builds it (the token checked once)."""
    if platform == "slack":
        from bot.slack.outbound import SlackOutbound
        from bot.slack.server import make_client, verify_token, workspace_url

        # Posting needs the bot token only (make_client names it if it is missing); the
        # token check also gives the workspace's address, for the digests' permalinks.
        async with aiohttp.ClientSession() as session:
            client = make_client(settings, session)
            identity = await verify_token(client)
            yield SlackOutbound(client, workspace_url=workspace_url(identity))
        return
    from bot.health import Credentials
    from bot.teams.addresses import Addresses
    from bot.teams.server import check_settings as check_teams
    from bot.teams.server import teams_adapter, teams_outbound

    check_teams(settings)
    adapter, app_id = teams_adapter(settings)
    metrics, credentials = Metrics(), Credentials()
    yield lambda client: teams_outbound(
        adapter, app_id, Addresses(client, settings.key_prefix), metrics, credentials
    )


async def post_due(platform: str, settings: Settings, now: datetime, out: TextIO) -> int:
    """One pass at `now`: queue what is due, wait for it to be posted, report."""
    async with (
        outbound_for(platform, settings) as outbound,
        open_runtime(settings, outbound, platform=platform, schedule=False) as runtime,
    ):
        return await _pass(runtime, now, out)


async def _pass(runtime: Runtime, now: datetime, out: TextIO) -> int:
    assert runtime.posts is not None, "open_runtime makes the posts for a platform"
    assert runtime.worker is not None, "open_runtime makes a worker for an outbound"
    report = await runtime.posts.run_due(now, reminders=True)
    await asyncio.wait_for(runtime.worker.idle(), runtime.settings.shutdown_grace_seconds)
    out.write(
        f"digests queued: {len(report.digests)}, with nothing to report: {report.empty}, "
        f"reminders queued: {len(report.reminders)}\n"
    )
    return EXIT_OK


def run_digest_once(platform: str, at: str | None) -> int:
    """Entry point of `intake-bot digest --once`."""
    try:
        settings = load_settings()
    except ValidationError as exc:
        sys.stderr.write(f"digest: the settings do not read:\n{exc}\n")
        return EXIT_BAD_INPUT
    configure_logging(settings.log_level, settings.log_format)
    try:
        now = datetime.fromisoformat(at) if at else utc_now()
    except ValueError:
        sys.stderr.write(
            f"--at: '{at}' is not a time; expected ISO 8601, for example 2026-11-30T09:00:00+00:00\n"
        )
        return EXIT_BAD_INPUT
    if now.tzinfo is None:
        sys.stderr.write("--at: give a time zone offset, for example 2026-11-30T09:00:00+00:00\n")
        return EXIT_BAD_INPUT
    try:
        return asyncio.run(post_due(platform, settings, now, sys.stdout))
    except ConfigurationError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_BAD_INPUT
    except (StoreError, TimeoutError) as exc:
        sys.stderr.write(
            f"digest: not everything was posted ({type(exc).__name__}: {exc}); "
            "what was queued stays queued for the app's delivery workers\n"
        )
        return EXIT_FAILED
