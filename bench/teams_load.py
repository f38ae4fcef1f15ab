"""Teams load: simulated people answering intakes in many reply chains at once, over HTTP.

Runs `intake-bot teams` (the real server: CloudAdapter, authentication on,
Redis, the outbox) and, for comparison, a bare botbuilder bot that replies
once to each message (`testkit/teams_bare_bot.py`). Both run in this process
against the same local stand-ins for the Bot Framework connector and
Microsoft's identity servers (`testkit/teams_standin.py`): botbuilder cannot be
pointed at a local login server through settings alone, so neither bot runs as
a process of its own. Every activity is signed as the Bot Framework signs it.

Each person owns one reply chain: they send an answer, wait until the bot's
reply to it is posted, and send the next one; after the summary they start a
new intake in a new chain. Prints, for both bots, turns per second and p50 /
p99 turn latency (from sending the activity to the bot's reply being posted),
the ratio, and whether any turn was lost (no reply within the timeout) or
doubled (two replies to one activity).

Target at 50 people at once: >= 0.7 of the bare bot's throughput, no turn
lost or doubled.

    python bench/teams_load.py [--people 50] [--seconds 10]

Uses REDIS_URL when set (with a private key prefix, removed afterwards), else
the embedded Redis in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.logging_setup import configure_logging
from bot.settings import LogFormat, Settings
from bot.teams.server import teams_server
from testkit.answers import HAPPY_ANSWERS
from testkit.redis_servers import delete_prefix
from testkit.teams_activities import (
    Person,
    channel_post,
    channel_reply,
    signed_headers,
    thread_id,
)
from testkit.teams_bare_bot import BareTeamsBot
from testkit.teams_standin import (
    APP_ID,
    APP_PASSWORD,
    BotFrameworkIdentityStandIn,
    TeamsConnectorStandIn,
)

REPLY_TIMEOUT_SECONDS = 10.0
ANSWERS = list(HAPPY_ANSWERS.values())


@dataclass
class Tally:
    """What one run measured."""

    latencies: list[float] = field(default_factory=list)
    lost: int = 0
    doubled: int = 0
    seconds: float = 0.0

    @property
    def turns(self) -> int:
        return len(self.latencies)

    def line(self, name: str) -> str:
        ordered = sorted(self.latencies) or [0.0]
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return (
            f"{name:<12} {self.turns / self.seconds:8.1f} turns/s   "
            f"p50 {statistics.median(ordered) * 1000:6.1f} ms   p99 {p99 * 1000:6.1f} ms   "
            f"lost {self.lost}   doubled {self.doubled}"
        )


Send = Callable[[dict[str, Any]], Awaitable[int]]


async def person(
    number: int,
    send: Send,
    connector: TeamsConnectorStandIn,
    deadline: float,
    tally: Tally,
    *,
    replies_per_turn: Callable[[int], int],
) -> None:
    """One person: start a chain, answer every question, start again, until the deadline."""
    sender = Person(f"29:bench-person-{number:04d}", f"Person {number}", str(uuid.uuid4()))
    # A channel each, as in bench/slack_load.py: posts in one channel are paced and in order,
    # and one shared channel would measure that pace, not the bot.
    channel = f"19:bench{number:04d}@thread.tacv2"
    url = connector.service_url
    while time.perf_counter() < deadline:
        post = channel_post(
            f"start Load {number}", service_url=url, sender=sender, channel_id=channel
        )
        root = str(post["id"])
        chain = thread_id(root, channel)
        activities = [post] + [
            channel_reply(
                text,
                root_id=root,
                service_url=url,
                sender=sender,
                mention_bot=False,
                channel_id=channel,
            )
            for text in ANSWERS
        ]
        sent = 0
        for turn, activity in enumerate(activities):
            if time.perf_counter() >= deadline:
                break
            sent = turn + 1
            before = len(connector.activities(chain))
            began = time.perf_counter()
            status = await send(activity)
            if status >= 300:
                tally.lost += 1
                continue
            try:
                await connector.wait_for_activities(
                    chain, before + replies_per_turn(turn), timeout=REPLY_TIMEOUT_SECONDS
                )
            except TimeoutError:
                tally.lost += 1
                continue
            tally.latencies.append(time.perf_counter() - began)
        # Checked for the chain cut short by the deadline too: a double is a double.
        posted = connector.activities(chain)
        expected = sum(replies_per_turn(turn) for turn in range(sent))
        if len(posted) > expected:
            tally.doubled += len(posted) - expected


async def run_people(
    people: int, seconds: float, send: Send, connector: TeamsConnectorStandIn, *, replies: int
) -> Tally:
    tally = Tally()
    began = time.perf_counter()
    deadline = began + seconds
    await asyncio.gather(
        *(
            person(n, send, connector, deadline, tally, replies_per_turn=lambda _turn: replies)
            for n in range(people)
        )
    )
    tally.seconds = time.perf_counter() - began
    return tally


def sender_to(http: aiohttp.ClientSession, url: str, identity: BotFrameworkIdentityStandIn) -> Send:
    async def send(activity: dict[str, Any]) -> int:
        headers = signed_headers(identity, activity)
        async with http.post(url, data=json.dumps(activity), headers=headers) as response:
            await response.read()
            return response.status

    return send


@asynccontextmanager
async def redis_for_bench() -> AsyncIterator[tuple[str | None, str]]:
    """REDIS_URL with a private prefix (removed afterwards), or the embedded Redis."""
    url = os.environ.get("REDIS_URL")
    prefix = f"bench-teams-{uuid.uuid4().hex[:8]}"
    try:
        yield url, prefix
    finally:
        if url:
            client = redis.Redis.from_url(url)
            await delete_prefix(client, prefix)
            await client.aclose()


async def main(people: int, seconds: float) -> int:
    configure_logging("WARNING", LogFormat.CONSOLE)
    async with (
        BotFrameworkIdentityStandIn() as identity,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http,
    ):
        config = identity.bot_config()
        async with (
            TeamsConnectorStandIn(identity) as connector,
            BareTeamsBot(config, credentials_factory=identity.credentials_factory(config)) as bare,
        ):
            send = sender_to(http, bare.messages_url, identity)
            bare_tally = await run_people(people, seconds, send, connector, replies=1)
        async with TeamsConnectorStandIn(identity) as connector, redis_for_bench() as (url, prefix):
            with tempfile.TemporaryDirectory() as state_dir:
                settings = Settings(
                    _env_file=None,
                    **{
                        "REDIS_URL": url or "",
                        "MICROSOFT_APP_ID": APP_ID,
                        "MICROSOFT_APP_PASSWORD": APP_PASSWORD,
                        "MICROSOFT_APP_TYPE": "MultiTenant",
                        "INTAKE_KEY_PREFIX": prefix,
                        "INTAKE_STATE_DIR": state_dir,
                        "INTAKE_OUTBOX_RATE_PER_SECOND": "10000",
                        "INTAKE_OUTBOX_BURST": "10000",
                        "LOG_LEVEL": "WARNING",
                    },
                )
                async with teams_server(
                    settings,
                    "127.0.0.1",
                    0,
                    config=config,
                    credentials_factory=identity.credentials_factory(config),
                ) as running:
                    messages = f"http://127.0.0.1:{running.port}/api/messages"
                    send = sender_to(http, messages, identity)
                    intake_tally = await run_people(people, seconds, send, connector, replies=1)
    print(f"{people} people at once, {seconds:.0f} s each (Teams, authentication on)")
    print(bare_tally.line("bare bot"))
    print(intake_tally.line("intake-bot"))
    bare_rate = bare_tally.turns / bare_tally.seconds
    ratio = (intake_tally.turns / intake_tally.seconds) / bare_rate if bare_rate else 0.0
    print(f"ratio {ratio:.2f} (target >= 0.7)")
    broken = bare_tally.lost + bare_tally.doubled + intake_tally.lost + intake_tally.doubled
    return 1 if broken else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.people, args.seconds)))
