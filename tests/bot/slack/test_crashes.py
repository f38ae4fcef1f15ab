"""Crashes, deploys and replicas: `intake-bot slack` processes killed at chosen points.

Each test runs the real command as a subprocess against its own redis-server
(append-only file on) and the Slack stand-in, and talks to it with signed
requests, as Slack does. People answer in direct messages, where every turn
posts exactly one message: so "each acknowledged turn posted exactly once, in
order" reads straight off the channel. A request that got no 200 is sent
again, as Slack retries it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
import redis

from bot.ports import IntakeRef
from bot.state.keys import answer_log_key
from testkit.redis_servers import PrivateRedis, start_private_redis_server, unique_prefix
from testkit.slack_process import SlackProcess
from testkit.slack_signing import TEAM_ID, event_callback_body, message_event
from testkit.slack_standin import SlackWebApiStandIn

INTAKE_BOT = Path(sys.executable).with_name("intake-bot")
SECRET = "crash-test-signing-secret"
ANSWERS = ["40 GB a day", "the fraud team, finance", "nightly", "every 30 days"]
START_SECONDS = 60.0
EXIT_SECONDS = 30.0
REQUEST_SECONDS = 10.0


@dataclass
class World:
    """The Redis server, the stand-in and the environment every bot process gets."""

    redis: PrivateRedis
    api: SlackWebApiStandIn
    prefix: str
    state_dir: Path
    bots: list[SlackProcess] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        ours = ("REDIS_URL", "SLACK_", "INTAKE_", "MICROSOFT_APP_", "LOG_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
        env.update(
            {
                "REDIS_URL": self.redis.url,
                "SLACK_BOT_TOKEN": self.api.token,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": self.api.base_url,
                "INTAKE_KEY_PREFIX": self.prefix,
                "INTAKE_STATE_DIR": str(self.state_dir),
                "INTAKE_OUTBOX_RATE_PER_SECOND": "1000",
                "INTAKE_OUTBOX_BURST": "1000",
                "INTAKE_OUTBOX_SWEEP_SECONDS": "0.3",
                # A killed replica's channels are taken over once its lease runs out.
                "INTAKE_OUTBOX_LEASE_SECONDS": "2",
                "INTAKE_SHUTDOWN_GRACE_SECONDS": "10",
                "LOG_FORMAT": "json",
                "LOG_LEVEL": "INFO",
            }
        )
        env.update(extra)
        return env

    async def bot(self, **extra: str) -> SlackProcess:
        bot = SlackProcess(self.env(**extra), SECRET)
        self.bots.append(bot)
        assert await bot.start(), bot.lines
        return bot

    def posts(self, person: int) -> list[dict[str, object]]:
        return self.api.stored_posts(dm(person))

    def questions(self, person: int) -> list[str]:
        """The question each post in the person's DM asks, in order."""
        asked = []
        for post in self.posts(person):
            metadata = post.get("metadata")
            assert isinstance(metadata, dict), post
            payload = metadata["event_payload"]
            asked.append(str(payload.get("question_id")))
        return asked

    def logged(self, person: int) -> list[str]:
        """The answers Redis holds for the person's intake, oldest first."""
        ref = IntakeRef("slack", TEAM_ID, dm(person), "")
        client = redis.Redis.from_url(self.redis.url)
        try:
            rows = client.lrange(answer_log_key(ref, self.prefix), 0, -1)
        finally:
            client.close()
        return [json.loads(row)["text"] for row in rows]


def dm(person: int) -> str:
    return f"D0PERSON{person:02d}"


def said(person: int, text: str, event_id: str) -> str:
    event = message_event(
        text, user_id=f"U0PERSON{person:02d}", channel_id=dm(person), channel_type="im"
    )
    return event_callback_body(event, event_id=event_id)


@pytest.fixture
def private_redis_aof(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = start_private_redis_server(tmp_path / "redis")
    try:
        yield server
    finally:
        server.kill()


@asynccontextmanager
async def world(redis_server: PrivateRedis, tmp_path: Path) -> AsyncIterator[World]:
    async with SlackWebApiStandIn() as api:
        w = World(redis_server, api, unique_prefix(), tmp_path / "state")
        try:
            yield w
        finally:
            for bot in w.bots:
                bot.gone()


# Which question each post asks: the start asks volume, each answer asks the next one.
AFTER = ["volume", "stakeholders", "churn", "decay", "frequency"]


async def _start(w: World, bot: SlackProcess, session: aiohttp.ClientSession, person: int) -> None:
    assert await bot.send(session, said(person, "start Fraud scoring", f"Ev{person}start")) == 200
    await w.api.wait_for_posts(dm(person), count=1)


async def test_a_sigkill_after_the_ack_loses_nothing(
    private_redis_aof: PrivateRedis, tmp_path: Path
) -> None:
    """Killed after acking an answer it had not yet posted: the next start posts it, once."""
    async with world(private_redis_aof, tmp_path) as w, aiohttp.ClientSession() as session:
        # One post at once, then one every 1,000 s: the answer's reply waits, saved, unposted.
        slow = await w.bot(INTAKE_OUTBOX_RATE_PER_SECOND="0.001", INTAKE_OUTBOX_BURST="1")
        await _start(w, slow, session, 1)
        assert await slow.send(session, said(1, ANSWERS[0], "Ev1a0")) == 200
        slow.signal(signal.SIGKILL)
        assert await slow.exited() == -signal.SIGKILL
        assert w.questions(1) == ["volume"]
        await w.bot()
        await w.api.wait_for_posts(dm(1), count=2)
        assert w.questions(1) == AFTER[:2]
        assert w.logged(1) == ANSWERS[:1]


async def test_a_sigkill_during_a_post_posts_it_once(
    private_redis_aof: PrivateRedis, tmp_path: Path
) -> None:
    """Killed while Slack held its post: whether Slack then acted or not, one copy appears."""
    async with world(private_redis_aof, tmp_path) as w, aiohttp.ClientSession() as session:
        first = await w.bot()
        await _start(w, first, session, 1)
        w.api.hold("chat.postMessage", channel=dm(1))
        assert await first.send(session, said(1, ANSWERS[0], "Ev1a0")) == 200
        await w.api.wait_for_held("chat.postMessage", 1, channel=dm(1))
        first.signal(signal.SIGKILL)
        assert await first.exited() == -signal.SIGKILL
        w.api.release("chat.postMessage", channel=dm(1))
        await w.bot()
        await w.api.wait_for_posts(dm(1), count=2)
        second = await first.send(session, said(1, ANSWERS[1], "Ev1a1"))  # to a dead port
        assert second is None
        assert w.questions(1) == AFTER[:2]
        assert w.logged(1) == ANSWERS[:1]


async def test_a_sigterm_with_turns_in_flight_loses_none(
    private_redis_aof: PrivateRedis, tmp_path: Path
) -> None:
    """SIGTERM while 12 answers arrive: the acked ones are saved and posted, the rest retried."""
    people = range(1, 13)
    async with world(private_redis_aof, tmp_path) as w, aiohttp.ClientSession() as session:
        old = await w.bot()
        for person in people:
            await _start(w, old, session, person)
        sends = [
            asyncio.create_task(old.send(session, said(p, ANSWERS[0], f"Ev{p}a0"))) for p in people
        ]
        await asyncio.wait(sends, return_when=asyncio.FIRST_COMPLETED)  # one answer is acked
        old.signal(signal.SIGTERM)
        statuses = await asyncio.gather(*sends)
        assert await old.exited() == 0  # it drained and stopped by itself
        new = await w.bot()
        for person, status in zip(people, statuses, strict=True):
            if status != 200:  # never acknowledged: Slack delivers it again
                assert await new.send(session, said(person, ANSWERS[0], f"Ev{person}a0"), 1) == 200
        for person in people:
            await w.api.wait_for_posts(dm(person), count=2)
        await new.send(session, said(1, ANSWERS[1], "Ev1a1"))
        await w.api.wait_for_posts(dm(1), count=3)
        for person in people:
            expected = AFTER[:3] if person == 1 else AFTER[:2]
            assert w.questions(person) == expected, person
            assert w.logged(person) == ANSWERS[: len(expected) - 1], person
        assert statuses.count(200) >= 1


async def test_two_replicas_with_one_killed_lose_and_double_nothing(
    private_redis_aof: PrivateRedis, tmp_path: Path
) -> None:
    """Answers spread over two replicas; one is SIGKILLed midway; Slack's retries go to the other."""
    people = range(1, 7)
    async with world(private_redis_aof, tmp_path) as w, aiohttp.ClientSession() as session:
        a, b = await w.bot(), await w.bot()
        for person in people:
            await _start(w, (a, b)[person % 2], session, person)
        for n, answer in enumerate(ANSWERS):
            if n == 2:
                a.signal(signal.SIGKILL)
                assert await a.exited() == -signal.SIGKILL
            for person in people:
                body = said(person, answer, f"Ev{person}a{n}")
                status = await (a, b)[(person + n) % 2].send(session, body)
                if status != 200:
                    assert await b.send(session, body, retry_num=1) == 200
            for person in people:
                await w.api.wait_for_posts(dm(person), count=n + 2)
        for person in people:
            assert w.questions(person) == AFTER, person
            assert w.logged(person) == ANSWERS, person
