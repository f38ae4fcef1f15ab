"""Digest load: 1,000 channels with 10 intakes each, digests due at once, under live traffic.

Runs `intake-bot slack` as its own process on a private `redis-server`, with
the Slack Web API stand-in on a thread of this process. The 1,000 channels
and their 10,000 intakes are written straight into Redis; then every
channel's digest is set to the current minute, so the app's own scheduler
finds all of them due on its next tick (INTAKE_SCHEDULE_TICK_SECONDS=1).
The stand-in answers HTTP 429 with `Retry-After: 1` to the first post in 5%
of the channels. Meanwhile simulated people keep answering intakes in other
channels, and the acknowledgement of each of their requests is timed.

Prints: the time from the schedules being set to the last digest posted, the
Redis commands processed in that time (from the server's INFO; a pipeline or
a script is several commands in one round trip), digests posted, doubled and
missing, and the p50 / p99 acknowledgement latency during the run.

Targets: all 1,000 posted exactly once, within 60 s, acks p99 under 100 ms.

    python bench/digest.py [--channels 1000] [--intakes 10] [--people 10]

Exits non-zero when a digest is missing or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.ports import IntakeRef  # noqa: E402 - after the path above
from bot.state.keys import channel_index_key, intake_key  # noqa: E402
from bot.state.schedules import ScheduleStore  # noqa: E402
from conversations.digest import Cadence, DigestSchedule  # noqa: E402
from conversations.intake import AnswerRecord, Intake  # noqa: E402
from testkit.redis_servers import start_private_redis_server  # noqa: E402
from testkit.slack_signing import (  # noqa: E402
    TEAM_ID,
    event_callback_body,
    message_event,
    signed_headers,
    slash_command_body,
)
from testkit.slack_standin import ThreadedSlackWebApiStandIn, run_standin_in_thread  # noqa: E402

SECRET = "bench-signing-secret"
READY_TIMEOUT = 30.0
RUN_TIMEOUT = 300.0
RATE_LIMITED_SHARE = 0.05
ANSWERS = ["40 GB a day", "4 GB a day", "400 GB a day"]


def channel_id(number: int) -> str:
    return f"C{number:09d}"


async def populate(client: Redis, prefix: str, channels: int, intakes: int) -> None:
    """Write the channels' intakes straight into Redis: records and channel indexes."""
    began = datetime.now(UTC) - timedelta(hours=2)
    async with client.pipeline(transaction=False) as pipe:
        for number in range(channels):
            channel = channel_id(number)
            for n in range(intakes):
                thread = f"1700000000.{n:06d}"
                ref = IntakeRef("slack", TEAM_ID, channel, thread)
                user = f"U{number:05d}{n:03d}"
                intake = Intake(
                    project=f"Project {number}-{n}",
                    started_by=user,
                    started_at=began,
                    answers=(
                        AnswerRecord(question_id="volume", text="40 GB a day", by=user, at=began),
                    ),
                    answer_count=1,
                )
                key = intake_key(ref, prefix)
                pipe.hset(key, mapping={"v": 1, "d": intake.model_dump_json()})
                pipe.sadd(channel_index_key("slack", TEAM_ID, channel, prefix), key)
            if number % 100 == 99:
                await pipe.execute()
        await pipe.execute()


async def set_schedules(client: Redis, prefix: str, channels: int) -> datetime:
    """Every channel's digest at the current minute (already passed): due on the next tick."""
    now = datetime.now(UTC)
    store = ScheduleStore(client, prefix)
    # Set a little before the minute it names (a setting only takes effect from its next time).
    schedule = DigestSchedule(
        cadence=Cadence.DAILY,
        hour=now.hour,
        minute=now.minute,
        set_by="U0BENCH",
        set_at=now.replace(second=0, microsecond=0) - timedelta(minutes=1),
    )
    for number in range(channels):
        await store.set_schedule(IntakeRef("slack", TEAM_ID, channel_id(number), ""), schedule)
    return now


async def app_process(env: dict[str, str], port: int) -> asyncio.subprocess.Process:
    intake_bot = str(Path(sys.executable).with_name("intake-bot"))
    process = await asyncio.create_subprocess_exec(
        intake_bot, "slack", "--host", "127.0.0.1", "--port", str(port), env=env, cwd=ROOT
    )
    deadline = time.monotonic() + READY_TIMEOUT
    async with aiohttp.ClientSession() as session:
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return process
            if time.monotonic() > deadline or process.returncode is not None:
                raise RuntimeError("intake-bot slack did not become healthy")
            await asyncio.sleep(0.05)


async def person(
    number: int,
    url: str,
    api: ThreadedSlackWebApiStandIn,
    acks: list[float],
    stop: asyncio.Event,
) -> None:
    """One person in a channel of their own: start an intake, then keep editing an answer."""
    channel = f"CPERSON{number:03d}"
    user = f"UPERSON{number:03d}"
    async with aiohttp.ClientSession() as session:
        await send(
            session,
            url,
            slash_command_body("/intake", f"Live {number}", channel_id=channel, user_id=user),
            acks,
        )
        thread = ""
        while not thread and not stop.is_set():
            roots = [m for m in api.stored_posts(channel) if not m.get("thread_ts")]
            thread = str(roots[0]["ts"]) if roots else ""
            await asyncio.sleep(0.05)
        turn = 0
        while not stop.is_set():
            text = "edit 1" if turn % 2 == 0 else ANSWERS[turn % len(ANSWERS)]
            event = message_event(text, user_id=user, channel_id=channel, thread_ts=thread)
            body = event_callback_body(event, event_id=f"Ev{number:03d}{turn:06d}")
            await send(session, url, body, acks)
            turn += 1
            await asyncio.sleep(random.uniform(0.05, 0.15))


async def send(session: aiohttp.ClientSession, url: str, body: str, acks: list[float]) -> None:
    headers = signed_headers(SECRET, body)
    started = time.perf_counter()
    async with session.post(url, data=body.encode(), headers=headers) as response:
        await response.read()
        if response.status != 200:
            raise RuntimeError(f"the app answered {response.status}")
    acks.append(time.perf_counter() - started)


def digests(api: ThreadedSlackWebApiStandIn) -> Counter[str]:
    return Counter(
        str(body.get("channel"))
        for body in api.posted_messages()
        if (body.get("metadata") or {}).get("event_type") == "intake_digest"
    )


async def commands_processed(client: Redis) -> int:
    info = await client.info("stats")
    return int(info["total_commands_processed"])


async def run(channels: int, intakes: int, people: int) -> bool:
    prefix = f"bench-digest-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as folder, run_standin_in_thread() as api:
        redis = await asyncio.to_thread(start_private_redis_server, Path(folder) / "redis")
        client = Redis.from_url(redis.url)
        try:
            await populate(client, prefix, channels, intakes)
            limited = random.sample(range(channels), int(channels * RATE_LIMITED_SHARE))
            for number in limited:
                api.rate_limit_next("chat.postMessage", 1, 1, channel=channel_id(number))
            port = _free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith(("INTAKE_", "SLACK_"))}
            env.update(
                {
                    "REDIS_URL": redis.url,
                    "INTAKE_KEY_PREFIX": prefix,
                    "INTAKE_STATE_DIR": str(Path(folder) / "state"),
                    "SLACK_BOT_TOKEN": api.token,
                    "SLACK_SIGNING_SECRET": SECRET,
                    "SLACK_API_URL": api.base_url,
                    "INTAKE_SCHEDULE_TICK_SECONDS": "1",
                    "LOG_LEVEL": "WARNING",
                }
            )
            process = await app_process(env, port)
            try:
                url = f"http://127.0.0.1:{port}/slack/events"
                acks: list[float] = []
                stop = asyncio.Event()
                load = [asyncio.create_task(person(n, url, api, acks, stop)) for n in range(people)]
                await asyncio.sleep(1.0)  # the people are answering before the digests fall due
                warm = len(acks)
                before = await commands_processed(client)
                began = time.perf_counter()
                await set_schedules(client, prefix, channels)
                deadline = began + RUN_TIMEOUT
                # The stand-in runs on its own thread; its count is read every 20 ms.
                while sum(digests(api).values()) < channels and time.perf_counter() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
                elapsed = time.perf_counter() - began
                commands = await commands_processed(client) - before
                during = acks[warm:]
                await asyncio.sleep(2.0)  # anything doubled late shows up here
                stop.set()
                await asyncio.gather(*load, return_exceptions=True)
            finally:
                process.terminate()
                await process.wait()
            return report(api, channels, elapsed, commands, during)
        finally:
            await client.aclose()
            redis.stop()


def report(
    api: ThreadedSlackWebApiStandIn, channels: int, elapsed: float, commands: int, acks: list[float]
) -> bool:
    posted = digests(api)
    doubled = sum(count - 1 for count in posted.values() if count > 1)
    missing = channels - len(posted)
    limited = sum(1 for call in api.calls("chat.postMessage") if call.status == 429)
    ordered = sorted(acks)
    p50 = statistics.median(ordered) * 1000 if ordered else float("nan")
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000 if ordered else float("nan")
    print(
        f"channels: {channels}, digests posted: {len(posted)}, doubled: {doubled}, "
        f"missing: {missing}, posts answered 429: {limited}"
    )
    print(f"time from schedules set to the last digest posted: {elapsed:.1f} s")
    print(f"Redis commands processed meanwhile: {commands:,} ({commands / channels:.1f} a channel)")
    print(f"acks during the run: {len(ordered)}, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    return doubled == 0 and missing == 0


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--intakes", type=int, default=10)
    parser.add_argument("--people", type=int, default=10)
    args = parser.parse_args()
    ok = asyncio.run(run(args.channels, args.intakes, args.people))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
