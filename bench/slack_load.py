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

Then a second part, the kill run, measures robustness rather than speed: two
replicas of `intake-bot slack` on one Redis, behind a round-robin "load
balancer", while a killer SIGKILLs one of them at random every few seconds and
starts a new process at once (on a new port, which people then send to). A
request that got no 200 is sent again to the other replica with
`X-Slack-Retry-Num` 1, 2, 3, as Slack redelivers an event. Afterwards every
acknowledged turn must be in Redis once (an answer in its intake's answer log,
a command's intake record) and must have its reply posted once in its thread.
The outbox lease and sweep are short for this run (2 s, 0.5 s) so that a dead
replica's channels are taken over within the run. Without REDIS_URL it runs a
private `redis-server` (append-only file on) in a temporary folder.

    python bench/slack_load.py --only-kill-run [--kill-people 20] [--kill-seconds 15] [--kills 3]

Exits non-zero when a turn or a reply was lost or doubled, in either part.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis

from bot.ports import IntakeRef
from bot.post_metadata import OUTBOX_ID, PART
from bot.state.keys import answer_log_key, intake_key, outbox_pattern
from testkit.redis_servers import PrivateRedis, start_private_redis_server
from testkit.slack_process import SlackProcess
from testkit.slack_signing import (
    TEAM_ID,
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
# Simulated people answer far faster than people do: Slack's pace of about a post a second
# per channel would measure the pace, not the bot.
UNPACED_OUTBOX = {"INTAKE_OUTBOX_RATE_PER_SECOND": "100000", "INTAKE_OUTBOX_BURST": "100000"}


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


async def run(people: int, seconds: float) -> bool:
    """Measure both apps and print the comparison; True when no turn was lost or doubled."""
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
                **UNPACED_OUTBOX,
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
    return not doubled and not ours.lost


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


# -- the kill run: two replicas on one Redis, one of them SIGKILLed now and then -----------------

# Short, so that a killed replica's channels are taken over within the run rather than after it.
KILL_RUN_OUTBOX = {"INTAKE_OUTBOX_LEASE_SECONDS": "2", "INTAKE_OUTBOX_SWEEP_SECONDS": "0.5"}
DRAIN_TIMEOUT = 30.0
DRAIN_POLL_SECONDS = 0.1
# Slack delivers an event that got no 200 again, up to three times (X-Slack-Retry-Num 1, 2, 3).
LAST_RETRY = 3
SHOWN_PROBLEMS = 12


@dataclass
class LogTally:
    """The warnings and errors the replicas logged, by event name: the evidence when a turn is lost.

    Fed by one reader thread per process, hence the lock.
    """

    events: Counter[str] = field(default_factory=Counter)
    last: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, line: str) -> None:
        """Count one log line that is a warning, an error, or not JSON at all (a traceback)."""
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict):
            name = f"{record.get('level', '?')} {record.get('event', '?')}"
            if "error" in record:  # which error: a listener's exception, Slack's error code
                name += f" ({record['error']})"
        else:
            name = "unstructured output"
        with self._lock:
            self.events[name] += 1
        self.note(line)

    def note(self, line: str) -> None:
        """Keep the line as the last one seen, without counting it."""
        with self._lock:
            self.last = line.strip()[-400:]


class _ReplicaLog:
    """What one process logs, tallied: only once it serves, since Bolt's start-up warnings
    say nothing about the turns; before that, only kept as the reason it did not start."""

    def __init__(self, tally: LogTally) -> None:
        self.tally = tally
        self.serving = False

    def __call__(self, line: str) -> None:
        if '"slack.started"' in line:
            self.serving = True
        elif not self.serving:
            self.tally.note(line)
        elif not line.startswith("{") or any(
            f'"level": "{level}"' in line for level in ("warning", "error", "critical")
        ):
            self.tally.add(line)


@dataclass
class Replica:
    """One replica of `intake-bot slack`: a process, replaced by a new one when it is killed.

    Until a new process listens, requests still go to the old port and fail, as they
    do behind a load balancer that has not caught up.
    """

    name: str
    env: dict[str, str]
    current: SlackProcess | None = None

    async def start(self, tally: LogTally) -> float:
        """Start a new process and wait (bounded) until it listens; return how long that took."""
        began = time.monotonic()
        process = SlackProcess(self.env, SECRET, cwd=ROOT, on_line=_ReplicaLog(tally))
        self.current = process
        if not await process.start():
            raise RuntimeError(f"replica {self.name} exited before it listened: {tally.last}")
        return time.monotonic() - began

    async def kill(self) -> int:
        """SIGKILL, as a crash or the OOM killer does: nothing is drained; return the exit code."""
        assert self.current is not None
        self.current.signal(signal.SIGKILL)
        return await self.current.exited()

    async def stop(self) -> int:
        """SIGTERM, as an orderly shutdown: it drains its outbox and exits; return the exit code."""
        assert self.current is not None
        self.current.signal(signal.SIGTERM)
        return await self.current.exited()

    def gone(self) -> None:
        """Make sure no process of this replica outlives the run (after a failure)."""
        if self.current is not None:
            self.current.gone()

    async def send(
        self, session: aiohttp.ClientSession, body: str, retry_num: int | None
    ) -> int | None:
        """Deliver one signed request: its HTTP status, or None when the connection failed."""
        assert self.current is not None
        return await self.current.send(session, body, retry_num)


@dataclass
class SeenIntake:
    """One intake as its person saw it: the turns acknowledged in its thread, and the answers."""

    channel: str
    thread: str
    acked: int = 1  # its start: the acknowledged command, answered by the first question
    unsure: int = 0  # an answer with no 200 even on the last retry: it may have been saved
    answers: list[tuple[str, int]] = field(default_factory=list)  # text, retry that got the 200


@dataclass
class KillFigures:
    """What the kill run did, and what the checks afterwards found."""

    acked: int = 0
    retried: int = 0  # requests that needed more than one delivery
    resent: int = 0  # deliveries beyond each request's first
    gave_up: int = 0  # requests with no 200 even on the last retry
    stalled: int = 0  # waits for a reply that timed out; the person started a new intake
    rootless: int = 0  # acknowledged commands whose root message never appeared
    kills: list[str] = field(default_factory=list)
    intakes: list[SeenIntake] = field(default_factory=list)
    elapsed: float = 0.0
    lost_turns: int = 0
    doubled_turns: int = 0
    lost_replies: int = 0
    doubled_replies: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class Balancer:
    """Round-robin over the replicas, and Slack's redelivery of a request that got no 200."""

    replicas: list[Replica]
    session: aiohttp.ClientSession
    figures: KillFigures
    _requests: itertools.count[int] = field(default_factory=itertools.count)

    async def deliver(self, body: str | Callable[[], str], *, redelivered: bool) -> int | None:
        """Send until a replica answers 200: the retry that got it (0: the first try), or None.

        Each try goes to the other replica than the last, as Slack's retry reaches the
        other one behind a load balancer. An event (`redelivered`) is sent again as it
        was, same event_id, with X-Slack-Retry-Num. Slack never redelivers a slash
        command: there the person runs it again, a new request (`body` a callable).
        """
        first = next(self._requests)
        for retry in range(LAST_RETRY + 1):
            self.figures.resent += bool(retry)
            replica = self.replicas[(first + retry) % len(self.replicas)]
            text = body if isinstance(body, str) else body()
            status = await replica.send(
                self.session, text, retry if redelivered and retry else None
            )
            if status == 200:
                self.figures.acked += 1
                self.figures.retried += bool(retry)
                return retry
        self.figures.retried += 1
        self.figures.gave_up += 1
        return None


async def _reply_came(api: CountingStandIn, channel: str, thread: str, count: int) -> bool:
    """Whether the `count`-th turn-ending post in the thread arrived in time."""
    try:
        await asyncio.wait_for(api.expect(channel, thread, count), TURN_TIMEOUT)
    except TimeoutError:
        return False
    return True


def _root_for(api: CountingStandIn, channel: str, project: str) -> str | None:
    """The ts of the intake's root message: it is posted before the command is acknowledged."""
    for post in reversed(api.posts[(channel, "")]):
        if project in str(post.get("text", "")):
            return str(post["ts"])
    return None


async def kill_person(
    number: int,
    *,
    balancer: Balancer,
    api: CountingStandIn,
    until: float,
    figures: KillFigures,
) -> None:
    """One person in their own channel, as `person` does, but going on after anything fails.

    A turn never acknowledged, or a reply that did not come in time, ends the intake:
    the person starts a new one (the checks afterwards say whether the reply came later).
    """
    channel, user = f"C{number:05d}", f"U{number:05d}"
    tries = itertools.count(1)
    projects: list[str] = []

    def command() -> str:
        # Fixed width, so that no project name contains another: the root is found by it.
        projects.append(f"kill run {number:05d} {next(tries):06d}")
        return slash_command_body("/intake", projects[-1], channel_id=channel, user_id=user)

    while time.monotonic() < until:
        if await balancer.deliver(command, redelivered=False) is None:
            continue
        root = _root_for(api, channel, projects[-1])
        if root is None:
            figures.rootless += 1
            figures.problems.append(f"{channel}: /intake {projects[-1]!r} acknowledged, no root")
            continue
        seen = SeenIntake(channel, root)
        figures.intakes.append(seen)
        if not await _reply_came(api, channel, root, 1):
            figures.stalled += 1
            continue
        for answer in ANSWERS:
            if time.monotonic() >= until:
                return
            count = api.ends(channel, root) + 1
            event = message_event(answer, user_id=user, channel_id=channel, thread_ts=root)
            retry = await balancer.deliver(event_callback_body(event), redelivered=True)
            if retry is None:
                seen.unsure += 1
                break  # whether it was saved is unknown; a person would start over
            seen.acked += 1
            seen.answers.append((answer, retry))
            if not await _reply_came(api, channel, root, count):
                figures.stalled += 1
                break


async def killer(
    replicas: list[Replica],
    tally: LogTally,
    *,
    kills: int,
    started: float,
    until: float,
    rng: random.Random,
    figures: KillFigures,
) -> None:
    """SIGKILL a random replica `kills` times, spread over the run, and start a new process at once.

    One replica down at a time: the next kill waits until the last one's new process
    listens, since both down at once would test the load balancer, not the bot.
    """
    slot = (until - started) / (kills + 1)
    for n in range(1, kills + 1):
        at = started + slot * (n + rng.uniform(-0.3, 0.3))
        await asyncio.sleep(max(0.0, at - time.monotonic()))  # bounded: within the run
        if time.monotonic() >= until:
            return
        victim = rng.choice(replicas)
        killed_at = time.monotonic() - started
        code = await victim.kill()
        took = await victim.start(tally)
        figures.kills.append(
            f"replica {victim.name} at {killed_at:.1f} s (exit {code}); "
            f"its new process listened {took:.1f} s later"
        )


async def _drive(
    replicas: list[Replica],
    api: CountingStandIn,
    tally: LogTally,
    *,
    people: int,
    seconds: float,
    kills: int,
    rng: random.Random,
) -> KillFigures:
    """`people` at once through the balancer for `seconds`, while the killer does its work."""
    figures = KillFigures()
    connector = aiohttp.TCPConnector(limit=people * 2)
    async with aiohttp.ClientSession(connector=connector) as session:
        balancer = Balancer(replicas, session, figures)
        started = time.monotonic()
        until = started + seconds
        await asyncio.gather(
            killer(
                replicas,
                tally,
                kills=kills,
                started=started,
                until=until,
                rng=rng,
                figures=figures,
            ),
            *(
                kill_person(n, balancer=balancer, api=api, until=until, figures=figures)
                for n in range(people)
            ),
        )
        figures.elapsed = time.monotonic() - started
    return figures


async def _outbox_left(client: Redis, prefix: str) -> int:
    """Entries still queued in the run's outboxes: a posted entry is deleted, so this is the work left."""
    left = 0
    async for key in client.scan_iter(match=outbox_pattern(prefix), count=1000):
        left += int(await client.xlen(key))
    return left


async def _drained(client: Redis, prefix: str) -> tuple[int, float]:
    """Wait (bounded) until the replicas posted all they queued: entries left, seconds taken."""
    began = time.monotonic()
    deadline = began + DRAIN_TIMEOUT
    left = await _outbox_left(client, prefix)
    while left and time.monotonic() < deadline:
        # A bounded poll: Redis tells nobody when a stream empties.
        await asyncio.sleep(DRAIN_POLL_SECONDS)
        left = await _outbox_left(client, prefix)
    return left, time.monotonic() - began


def _payload(post: dict[str, Any]) -> dict[str, Any]:
    metadata = post.get("metadata")
    payload = metadata.get("event_payload") if isinstance(metadata, dict) else None
    return payload if isinstance(payload, dict) else {}


def _check_replies(api: CountingStandIn, seen: SeenIntake, figures: KillFigures) -> None:
    """Each acknowledged turn posts its question (or the summary) once in the thread.

    A post is doubled when its outbox entry and part, or the question it asks, came
    before in the thread. A turn's reply is lost when the thread has fewer outbox
    entries ending a turn than acknowledged turns (an unsure one may have posted too).
    """
    where = f"{seen.channel}/{seen.thread}"
    parts: set[tuple[str, int]] = set()
    entries: set[tuple[str, int] | str] = set()
    asked: list[str] = []
    doubled = 0
    for post in api.posts[(seen.channel, seen.thread)]:
        payload = _payload(post)
        part = (
            (str(payload[OUTBOX_ID]), int(payload.get(PART, 0))) if OUTBOX_ID in payload else None
        )
        twice = part is not None and part in parts
        if part is not None:
            parts.add(part)
        if _is_turn_end(post):
            is_summary = post["metadata"].get("event_type") == "intake_summary"
            question = "summary" if is_summary else str(payload.get("question_id"))
            twice = twice or question in asked
            asked.append(question)
            entries.add(part or str(post["ts"]))
        if twice:
            doubled += 1
            figures.problems.append(f"{where}: posted twice, {payload}")
    extra = len(entries) - seen.acked - seen.unsure
    figures.doubled_replies += max(doubled, extra)
    if len(entries) < seen.acked:
        figures.lost_replies += seen.acked - len(entries)
        figures.problems.append(
            f"{where}: {seen.acked} turns acknowledged (+{seen.unsure} unsure), "
            f"{len(entries)} replies: {asked}"
        )


async def _check(api: CountingStandIn, client: Redis, prefix: str, figures: KillFigures) -> None:
    """Compare what was acknowledged with what Redis holds and what was posted."""
    figures.lost_turns += figures.rootless  # no root: no thread, so no intake either
    figures.lost_replies += figures.rootless
    for seen in figures.intakes:
        ref = IntakeRef("slack", TEAM_ID, seen.channel, seen.thread)
        where = f"{seen.channel}/{seen.thread}"
        if not await client.exists(intake_key(ref, prefix)):
            figures.lost_turns += 1
            figures.problems.append(f"{where}: /intake acknowledged, no intake in Redis")
        rows = await client.lrange(answer_log_key(ref, prefix), 0, -1)
        logged = Counter(str(json.loads(row)["text"]) for row in rows)
        for text, retry in seen.answers:
            if not logged[text]:
                figures.lost_turns += 1
                figures.problems.append(
                    f"{where}: {text!r} acknowledged (retry {retry}), not in the answer log"
                )
        for text, count in logged.items():
            if count > 1:
                figures.doubled_turns += count - 1
                figures.problems.append(f"{where}: {text!r} logged {count} times")
        _check_replies(api, seen, figures)
    for (channel, thread), posts in api.posts.items():
        roots = Counter(str(p.get("text")) for p in posts) if not thread else Counter()
        for text, count in roots.items():
            if count > 1:
                figures.doubled_replies += count - 1
                figures.problems.append(f"{channel}: root posted {count} times: {text[:60]!r}")


def _kill_env(api: CountingStandIn, redis_url: str, prefix: str, state_dir: Path) -> dict[str, str]:
    """The replicas' environment: of the bot's own variables, only what this run sets."""
    ours = ("REDIS_URL", "SLACK_", "INTAKE_", "MICROSOFT_APP_", "LOG_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env.update(
        {
            "REDIS_URL": redis_url,
            "SLACK_BOT_TOKEN": api.token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api.base_url,
            "INTAKE_KEY_PREFIX": prefix,
            "INTAKE_STATE_DIR": str(state_dir),
            **UNPACED_OUTBOX,
            **KILL_RUN_OUTBOX,
            "INTAKE_SHUTDOWN_GRACE_SECONDS": "10",
            "LOG_FORMAT": "json",  # the port is read from the `slack.started` line
            "LOG_LEVEL": "INFO",
        }
    )
    return env


async def kill_run(people: int, seconds: float, kills: int, seed: int) -> bool:
    """Run two replicas under load while one is killed now and then; check and print the result.

    True when no acknowledged turn and no reply was lost or doubled.
    """
    prefix = f"bench-kill-{uuid.uuid4().hex[:8]}"
    shared = os.environ.get("REDIS_URL")
    tally = LogTally()
    with tempfile.TemporaryDirectory() as folder:
        private: PrivateRedis | None = None
        if not shared:  # never the shared server: this one is ours to kill afterwards
            private = await asyncio.to_thread(start_private_redis_server, Path(folder) / "redis")
        url = shared or (private.url if private else "")
        client = Redis.from_url(url)
        try:
            async with CountingStandIn() as api:
                env = _kill_env(api, url, prefix, Path(folder) / "state")
                replicas = [Replica("A", env), Replica("B", env)]
                try:
                    await asyncio.gather(*(r.start(tally) for r in replicas))
                    figures = await _drive(
                        replicas,
                        api,
                        tally,
                        people=people,
                        seconds=seconds,
                        kills=kills,
                        rng=random.Random(seed),
                    )
                    left, drain_seconds = await _drained(client, prefix)
                    # A worker looks in the thread before posting only an entry it took over
                    # unfinished (from a killed replica): how often the crash path ran.
                    looked = len(api.calls("conversations.replies"))
                    exits = await asyncio.gather(*(r.stop() for r in replicas))
                    await _check(api, client, prefix, figures)
                finally:
                    for replica in replicas:
                        replica.gone()
        finally:
            await client.aclose()
            if private is not None:
                await asyncio.to_thread(private.kill)
            else:
                await _drop_prefix(prefix)
    where = f"REDIS_URL (prefix {prefix})" if shared else "a private redis-server --appendonly yes"
    outbox = ", ".join(f"{k}={v}" for k, v in {**KILL_RUN_OUTBOX, **UNPACED_OUTBOX}.items())
    rate = figures.acked / figures.elapsed if figures.elapsed else 0.0
    print(
        f"kill run: {people} people, each in their own channel, for {seconds:.0f} s; "
        f"2 replicas of intake-bot slack on {where}; seed {seed}"
    )
    print(f"    outbox for this run: {outbox}")
    for kill in figures.kills:
        print(f"    SIGKILL: {kill}")
    print(
        f"    {rate:,.0f} turns/s: {figures.acked:,} acknowledged turns in {figures.elapsed:.1f} s, "
        f"{len(figures.intakes)} intakes; {figures.retried} requests retried "
        f"({figures.resent} deliveries re-sent), {figures.gave_up} given up after retry "
        f"{LAST_RETRY}; {figures.stalled} waits for a reply timed out"
    )
    print(
        f"    outbox drained in {drain_seconds:.1f} s ({left} entries left); {looked} look-ups "
        f"in a thread (conversations.replies) before posting an entry taken over unfinished; "
        f"SIGTERM exit codes {', '.join(map(str, exits))}"
    )
    if tally.events:
        logged = ", ".join(f"{name} x{n}" for name, n in tally.events.most_common())
        print(f"    replicas logged: {logged}")
    for problem in figures.problems[:SHOWN_PROBLEMS]:
        print(f"    ! {problem}")
    if len(figures.problems) > SHOWN_PROBLEMS:
        print(f"    ! ... and {len(figures.problems) - SHOWN_PROBLEMS} more")
    print(
        f"kill run: 2 replicas, {len(figures.kills)} SIGKILLs, {figures.acked:,} acknowledged "
        f"turns: {figures.lost_turns} lost, {figures.doubled_turns} doubled; "
        f"replies: {figures.lost_replies} lost, {figures.doubled_replies} doubled"
    )
    return not (
        figures.lost_turns
        or figures.doubled_turns
        or figures.lost_replies
        or figures.doubled_replies
    )


def main() -> None:
    """Parse arguments and run: the comparison, then the kill run (or only the kill run)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--only-kill-run", action="store_true", help="skip the comparison; run only the kill run"
    )
    parser.add_argument("--kill-people", type=int, default=20)
    parser.add_argument("--kill-seconds", type=float, default=15.0)
    parser.add_argument("--kills", type=int, default=3, help="SIGKILLs spread over the kill run")
    parser.add_argument("--kill-seed", type=int, default=None, help="which replica dies when")
    args = parser.parse_args()
    clean = True
    if not args.only_kill_run:
        clean = asyncio.run(run(args.people, args.seconds))
    seed = args.kill_seed if args.kill_seed is not None else random.randrange(1_000_000)
    clean = asyncio.run(kill_run(args.kill_people, args.kill_seconds, args.kills, seed)) and clean
    sys.exit(0 if clean else 1)


if __name__ == "__main__":
    main()
