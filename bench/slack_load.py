"""Slack load: simulated people answering intakes in many threads at once, over HTTP.

Runs `intake-bot slack` as its own process, and beside it (the same way) a
bare slack-bolt app that acks each message and posts one reply
(`bench/bare_slack_app.py`). Both talk to the same local stand-in for the
Slack Web API, and every request is signed as Slack signs it. Each person owns
one thread: they send an answer, wait for the bot's next post in that thread,
and send the next one; after the summary they start a new intake with
`/intake` (a turn too, answered by the first question). Prints, for both apps, turns per second and p50 / p99
acknowledgement latency, the ratio, and whether any turn was lost (no post
within the timeout) or doubled (more posts than turns).

Target at 50 people at once: >= 0.7 of the bare app's throughput, p99 ack
<= 100 ms, no turn lost or doubled.

    python bench/slack_load.py [--people 50] [--seconds 10]

Uses REDIS_URL when set (with a private key prefix, removed afterwards), else
the app's embedded Redis in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from testkit.slack_signing import (
    event_callback_body,
    message_event,
    signed_headers,
    slash_command_body,
)
from testkit.slack_standin import SlackWebApiStandIn

ROOT = Path(__file__).resolve().parent.parent

SECRET = "bench-signing-secret"
ANSWERS = [
    "40 GB a day",
    "@maria, the fraud team",
    "hourly",
    "every 30 days",
    "50k calls an hour",
    "no",
    "under 100 ms",
    "partner apps over the internet",
    "xgboost, about $300 to train",
]
TURN_TIMEOUT = 10.0
READY_TIMEOUT = 30.0


class CountingStandIn(SlackWebApiStandIn):
    """The stand-in, also waking whoever waits for the n-th turn-ending post in a thread."""

    def __init__(self) -> None:
        super().__init__()
        self.posts: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        self._ends: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        self._waiting: dict[tuple[str, str], tuple[int, asyncio.Future[dict[str, Any]]]] = {}

    def ends(self, channel: str, thread: str) -> int:
        """How many turn-ending posts `thread` (or the channel, for thread "") has had."""
        return len(self._ends[(channel, thread)])

    def expect(self, channel: str, thread: str, count: int) -> asyncio.Future[dict[str, Any]]:
        """A future for the `count`-th turn-ending post in `thread`, even if it is already there."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        seen = self._ends[(channel, thread)]
        if len(seen) >= count:
            future.set_result(seen[count - 1])
        else:
            self._waiting[(channel, thread)] = (count, future)
        return future

    def _chat_post_message(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = super()._chat_post_message(body)
        where = (str(body.get("channel")), str(body.get("thread_ts") or ""))
        post = {**body, "ts": answer["ts"]}
        self.posts[where].append(post)
        if _is_turn_end(post):
            self._ends[where].append(post)
            waiting = self._waiting.get(where)
            if waiting is not None and len(self._ends[where]) >= waiting[0]:
                count, future = self._waiting.pop(where)
                if not future.done():
                    future.set_result(self._ends[where][count - 1])
        return answer


def _is_turn_end(post: dict[str, Any]) -> bool:
    """A post that ends a turn: anything from the bare app; a question or summary from ours."""
    metadata = post.get("metadata")
    if post.get("text") == "ok" or not post.get("thread_ts"):
        return True
    return isinstance(metadata, dict) and metadata.get("event_type") in {
        "intake_question",
        "intake_summary",
    }


@dataclass
class Figures:
    """What one run measured."""

    turns: int = 0
    lost: int = 0
    acks: list[float] = field(default_factory=list)
    command_acks: list[float] = field(default_factory=list)
    elapsed: float = 0.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def app_process(
    command: list[str], env: dict[str, str], port: int
) -> AsyncIterator[subprocess.Popen[bytes]]:
    """Start a server process and wait (bounded) until /healthz answers."""
    process = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: ASYNC220 - started once
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        async with aiohttp.ClientSession() as session:
            while True:
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                        if response.status == 200:
                            break
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{command[0]} did not become healthy")
                await asyncio.sleep(0.05)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


async def _post(session: aiohttp.ClientSession, url: str, body: str, acks: list[float]) -> None:
    headers = signed_headers(SECRET, body)
    started = time.perf_counter()
    async with session.post(url, data=body.encode(), headers=headers) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
    acks.append(time.perf_counter() - started)


async def person(
    number: int,
    *,
    session: aiohttp.ClientSession,
    api: CountingStandIn,
    url: str,
    intake: bool,
    until: float,
    figures: Figures,
) -> None:
    """One person in their own channel: start an intake, answer, repeat until time is up."""
    channel, user = f"C{number:05d}", f"U{number:05d}"
    while time.monotonic() < until:
        thread = str(time.time())
        if intake:
            root = api.expect(channel, "", api.ends(channel, "") + 1)
            await _post(
                session,
                url,
                slash_command_body("/intake", f"load {number}", channel_id=channel, user_id=user),
                figures.command_acks,
            )
            thread = (await asyncio.wait_for(root, TURN_TIMEOUT))["ts"]
            first = api.expect(channel, thread, 1)
            await asyncio.wait_for(first, TURN_TIMEOUT)
            figures.turns += 1  # the command is a turn too: the bot answers it with a question
        for answer in ANSWERS if intake else ANSWERS * 10:
            if time.monotonic() >= until:
                return
            next_post = api.expect(channel, thread, api.ends(channel, thread) + 1)
            event = message_event(answer, user_id=user, channel_id=channel, thread_ts=thread)
            await _post(session, url, event_callback_body(event), figures.acks)
            try:
                await asyncio.wait_for(next_post, TURN_TIMEOUT)
            except TimeoutError:
                figures.lost += 1
                return
            figures.turns += 1


async def measure(
    api: CountingStandIn, port: int, people: int, seconds: float, *, intake: bool
) -> Figures:
    """Drive one app with `people` at once for `seconds`."""
    figures = Figures()
    url = f"http://127.0.0.1:{port}/slack/events"
    connector = aiohttp.TCPConnector(limit=people * 2)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(
            *(
                person(
                    n,
                    session=session,
                    api=api,
                    url=url,
                    intake=intake,
                    until=until,
                    figures=figures,
                )
                for n in range(people)
            )
        )
        figures.elapsed = time.monotonic() - started
    return figures


def _doubled(api: CountingStandIn, *, intake: bool) -> int:
    """Turn-ending posts beyond one per turn: a question asked twice, or a reply posted twice."""
    extra = 0
    for (_, thread), posts in api.posts.items():
        if not thread:
            continue
        ends = [p for p in posts if _is_turn_end(p)]
        if intake:
            numbers = [p["metadata"]["event_payload"].get("question_id") or "summary" for p in ends]
            extra += len(numbers) - len(set(numbers))
    return extra


def _report(label: str, figures: Figures) -> float:
    rate = figures.turns / figures.elapsed if figures.elapsed else 0.0
    acks = figures.acks + figures.command_acks
    q = statistics.quantiles(acks, n=100) if len(acks) > 1 else [0.0] * 99
    print(
        f"{label}: {rate:,.0f} turns/s over {figures.turns:,} turns; "
        f"ack p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms; lost {figures.lost}"
    )
    for kind, sample in (("events", figures.acks), ("commands", figures.command_acks)):
        if len(sample) > 1:
            k = statistics.quantiles(sample, n=100)
            print(f"    {kind}: ack p50 {k[49] * 1000:.1f} ms, p99 {k[98] * 1000:.1f} ms")
    return rate


async def run(people: int, seconds: float) -> None:
    """Measure both apps and print the comparison."""
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    python = sys.executable
    intake_bot = str(Path(python).with_name("intake-bot"))
    async with CountingStandIn() as api:
        with tempfile.TemporaryDirectory() as state_dir:
            env = {
                **os.environ,
                "SLACK_BOT_TOKEN": api.token,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": api.base_url,
                "INTAKE_KEY_PREFIX": prefix,
                "INTAKE_STATE_DIR": state_dir,
                "LOG_LEVEL": "WARNING",
                # Simulated people answer far faster than people do: Slack's pace of about a
                # post a second per channel would measure the pace, not the bot.
                "INTAKE_OUTBOX_RATE_PER_SECOND": "100000",
                "INTAKE_OUTBOX_BURST": "100000",
            }
            bare_port, our_port = _free_port(), _free_port()
            async with app_process(
                [python, str(ROOT / "bench" / "bare_slack_app.py"), "--port", str(bare_port)],
                env,
                bare_port,
            ):
                await measure(api, bare_port, people, 1.0, intake=False)  # warm-up
                bare = await measure(api, bare_port, people, seconds, intake=False)
            api.posts.clear()
            async with app_process(
                [intake_bot, "slack", "--host", "127.0.0.1", "--port", str(our_port)], env, our_port
            ):
                await measure(api, our_port, people, 1.0, intake=True)  # warm-up
                api.posts.clear()
                ours = await measure(api, our_port, people, seconds, intake=True)
                doubled = _doubled(api, intake=True)
            await _drop_prefix(prefix)
    print(f"{people} people at once, {seconds:.0f} s per app")
    bare_rate = _report("bare slack-bolt app", bare)
    our_rate = _report("intake-bot         ", ours)
    print(f"ratio: {our_rate / bare_rate:.2f} of the bare app's throughput (target >= 0.7)")
    print(f"doubled turns: {doubled}; lost turns: {ours.lost} (target: none)")


async def _drop_prefix(prefix: str) -> None:
    """Remove the run's keys from a shared REDIS_URL server (the embedded one goes with its folder)."""
    url = os.environ.get("REDIS_URL")
    if not url:
        return
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    async for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        await client.delete(key)
    await client.aclose()


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    asyncio.run(run(args.people, args.seconds))


if __name__ == "__main__":
    main()
