"""Scheduled posts across processes: two replicas on one Redis, and `intake-bot digest --once`.

The processes are real (`python -m testkit.digest_replica`, the `intake-bot`
script) and post to the Slack stand-in over HTTP; Redis is the server named
by REDIS_URL or the embedded one, under a key prefix of this test's own.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.ports import IntakeRef
from bot.service import IntakeService
from bot.state.keys import outbox_key
from bot.state.schedules import ScheduleStore
from bot.state.store import StateStore
from conversations.digest import DigestSchedule, read_schedule
from conversations.events import Start, Text
from testkit.slack_standin import SlackWebApiStandIn

INTAKE_BOT = str(Path(sys.executable).with_name("intake-bot"))
CHANNEL = IntakeRef("slack", "T0INTAKE01", "C0PROJECT1", "")
FIRST = datetime(2030, 1, 1, 0, 1, tzinfo=UTC)
PERIODS = 50
RUN_SECONDS = 120
REPLICA = (sys.executable, "-m", "testkit.digest_replica", "--start", FIRST.isoformat())
"""A replica's scheduled posts from the first period on (`testkit/digest_replica.py`)."""


@pytest.fixture
async def api() -> AsyncIterator[SlackWebApiStandIn]:
    standin = SlackWebApiStandIn()
    await standin.start()
    try:
        yield standin
    finally:
        await standin.stop()


def env_for(redis_url: str, prefix: str, api: SlackWebApiStandIn, state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTAKE_", "SLACK_", "LOG_"))}
    env.update(
        {
            "REDIS_URL": redis_url,
            "INTAKE_KEY_PREFIX": prefix,
            "INTAKE_STATE_DIR": str(state),
            "SLACK_BOT_TOKEN": api.token,
            "SLACK_API_URL": api.base_url,
            "INTAKE_OUTBOX_RATE_PER_SECOND": "10000",
            "INTAKE_OUTBOX_BURST": "10000",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


async def with_an_open_intake(store: StateStore) -> None:
    """A channel with a daily 00:00 digest and an intake that owes answers: every period reports."""
    read = read_schedule("daily 00:00", user="U0ALICE01", at=FIRST - timedelta(days=1))
    assert isinstance(read, DigestSchedule)
    await ScheduleStore(store.client, store.prefix).set_schedule(CHANNEL, read)
    service = IntakeService(
        store=store, prefix=store.prefix, place_ttl_seconds=3600, delivery_ttl_seconds=3600
    )
    ref = CHANNEL.in_thread("1700000000.000100")
    began = FIRST - timedelta(days=2)
    await service.take_turn(ref, Start(user="U0ALICE01", at=began, project="Fraud scoring"))
    await service.take_turn(ref, Text(user="U0ALICE01", at=began, text="40 GB a day"))
    # The turns' own replies are not what these tests are about: only digests are posted.
    await store.client.delete(outbox_key(CHANNEL, store.prefix))


async def run(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), RUN_SECONDS)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def digest_periods(api: SlackWebApiStandIn) -> list[str]:
    return [
        body["metadata"]["event_payload"]["period_end"]
        for body in api.posted_messages()
        if (body.get("metadata") or {}).get("event_type") == "intake_digest"
    ]


async def test_two_replica_processes_post_each_of_50_digests_once(
    store: StateStore, redis_url: str, api: SlackWebApiStandIn, tmp_path: Path
) -> None:
    """Two processes race through the same 50 periods on one Redis: 50 digests, one per period."""
    await with_an_open_intake(store)
    env = env_for(redis_url, store.prefix, api, tmp_path)
    replica = REPLICA
    results = await asyncio.gather(
        run(*replica, "--periods", str(PERIODS), env=env),
        run(*replica, "--periods", str(PERIODS), env=env),
    )
    for code, _, err in results:
        assert code == 0, err
    queued = [json.loads(out)["queued"] for _, out, _ in results]
    assert sum(queued) == PERIODS
    periods = digest_periods(api)
    assert len(periods) == PERIODS
    assert len(set(periods)) == PERIODS


async def test_a_restarted_replica_posts_nothing_again(
    store: StateStore, redis_url: str, api: SlackWebApiStandIn, tmp_path: Path
) -> None:
    """The same periods run again after the first process exited: nothing new is posted."""
    await with_an_open_intake(store)
    env = env_for(redis_url, store.prefix, api, tmp_path)
    replica = REPLICA
    first = await run(*replica, "--periods", "3", env=env)
    second = await run(*replica, "--periods", "3", env=env)
    assert [json.loads(out)["queued"] for _, out, _ in (first, second)] == [3, 0]
    assert len(digest_periods(api)) == 3


async def test_a_replica_killed_while_posting_a_digest_leaves_it_posted_once(
    store: StateStore, redis_url: str, api: SlackWebApiStandIn, tmp_path: Path
) -> None:
    """SIGKILL after the claim and the queueing, mid-post: the next replica posts it once, or
    finds it posted, and queues nothing again."""
    await with_an_open_intake(store)
    env = env_for(redis_url, store.prefix, api, tmp_path)
    env.update({"INTAKE_OUTBOX_LEASE_SECONDS": "1", "INTAKE_OUTBOX_SWEEP_SECONDS": "0.2"})
    replica = REPLICA
    api.hold("chat.postMessage", channel=CHANNEL.channel)
    first = await asyncio.create_subprocess_exec(
        *replica, "--periods", "1", env=env, stdout=asyncio.subprocess.DEVNULL
    )
    await api.wait_for_held("chat.postMessage", 1, channel=CHANNEL.channel)
    first.send_signal(signal.SIGKILL)
    assert await first.wait() == -signal.SIGKILL
    api.release("chat.postMessage", channel=CHANNEL.channel)
    code, out, err = await run(*replica, "--periods", "1", "--drain-seconds", "30", env=env)
    assert code == 0, err
    assert json.loads(out) == {"queued": 0, "drained": True}
    # The second replica took over the dead one's unacknowledged entry and looked first.
    assert api.calls("conversations.history")
    assert len(digest_periods(api)) == 1


async def test_digest_once_posts_what_is_due_and_exits(
    store: StateStore, redis_url: str, api: SlackWebApiStandIn, tmp_path: Path
) -> None:
    """`intake-bot digest --once --at T` posts the digest due at T, reports it, and exits 0."""
    await with_an_open_intake(store)
    env = env_for(redis_url, store.prefix, api, tmp_path)
    code, out, err = await run(
        INTAKE_BOT, "digest", "--once", "--platform", "slack", "--at", FIRST.isoformat(), env=env
    )
    assert code == 0, err
    assert out.startswith("digests queued: 1, with nothing to report: 0")
    assert digest_periods(api) == [(FIRST - timedelta(minutes=1)).isoformat()]
    code, out, _ = await run(INTAKE_BOT, "digest", "--once", "--at", FIRST.isoformat(), env=env)
    assert (code, out.split(",")[0]) == (0, "digests queued: 0")


async def test_digest_once_refuses_a_time_without_a_zone(tmp_path: Path) -> None:
    """`--at 2030-01-01T00:00` is ambiguous: exit 2 with what is expected."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTAKE_", "SLACK_"))}
    code, _, err = await run(INTAKE_BOT, "digest", "--once", "--at", "2030-01-01T00:00", env=env)
    assert code == 2
    assert "give a time zone offset" in err


@pytest.mark.parametrize(
    ("platform", "names"), [("slack", "SLACK_BOT_TOKEN"), ("teams", "MICROSOFT_APP_ID")]
)
async def test_digest_once_without_credentials_names_the_missing_setting(
    platform: str, names: str, tmp_path: Path
) -> None:
    """No token or app id: exit 2 naming the variable, before anything is posted."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("INTAKE_", "SLACK_", "MICROSOFT_", "REDIS_URL"))
    }
    env["INTAKE_STATE_DIR"] = str(tmp_path / "state")
    code, _, err = await run(INTAKE_BOT, "digest", "--once", "--platform", platform, env=env)
    assert code == 2
    assert names in err
