"""A replica's scheduled posts, stepped through many periods at chosen times: for process tests.

`python -m testkit.digest_replica --periods 50 --start 2030-01-01T00:01:00+00:00`
runs, in one process, what an app replica's scheduler does at each of those
times (one pass a period, `--step-hours` apart) with its own Redis client,
delivery worker and Slack client, then waits until its posts are out and
prints one JSON line: how many digests this replica queued. Settings come
from the environment, as for `intake-bot` (REDIS_URL, INTAKE_KEY_PREFIX,
SLACK_BOT_TOKEN, SLACK_API_URL), so two of these racing on one Redis are
two replicas.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import datetime, timedelta

from bot.digest_once import outbound_for
from bot.logging_setup import configure_logging
from bot.runtime import open_runtime
from bot.settings import load_settings
from bot.state.outbox import OutboxStore


async def drained(outbox: OutboxStore, seconds: float) -> bool:
    """Wait (bounded) until no outbox under the prefix holds an entry: what another, dead,
    replica left is posted by this one's sweep once that replica's lease has run out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not [work async for work in outbox.outboxes_with_work()]:
            return True
        await asyncio.sleep(0.1)
    return False


async def main(start: datetime, periods: int, step: timedelta, drain_seconds: float) -> int:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)  # to stderr: stdout is the report
    queued = 0
    async with (
        outbound_for("slack", settings) as outbound,
        open_runtime(settings, outbound, platform="slack", schedule=False) as runtime,
    ):
        assert runtime.posts is not None
        assert runtime.worker is not None
        for period in range(periods):
            report = await runtime.posts.run_due(start + period * step, reminders=False)
            queued += len(report.digests)
        await runtime.worker.idle()
        empty = await drained(OutboxStore(runtime.store.client, settings.key_prefix), drain_seconds)
    sys.stdout.write(json.dumps({"queued": queued, "drained": empty}) + "\n")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--start", required=True)
    parser.add_argument("--periods", type=int, required=True)
    parser.add_argument("--step-hours", type=float, default=24.0)
    parser.add_argument("--drain-seconds", type=float, default=0.0)
    args = parser.parse_args()
    sys.exit(
        asyncio.run(
            main(
                datetime.fromisoformat(args.start),
                args.periods,
                timedelta(hours=args.step_hours),
                args.drain_seconds,
            )
        )
    )
