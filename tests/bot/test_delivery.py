"""The delivery worker against a real Redis and the Slack stand-in over HTTP: once, in order, per channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from structlog.testing import capture_logs

from bot.delivery import DeliveryPolicy, DeliveryWorker
from bot.metrics import Metrics
from bot.ports import IntakeRef
from bot.slack.outbound import SlackOutbound
from bot.state.keys import outbox_key
from bot.state.outbox import OutboxEntry, OutboxStore
from bot.state.store import OUTBOX_GROUP, Enqueue, StateStore
from conversations.replies import Notice
from testkit.slack_standin import SlackWebApiStandIn

CHANNEL_A, CHANNEL_B = "C0AAAAAAAA", "C0BBBBBBBB"
THREAD = "1700000000.000100"
# Fast retries: these tests are about what is posted, not how long the backoff is.
FAST = DeliveryPolicy(
    rate_per_second=10_000, burst=10_000, backoff_first_seconds=0.01, backoff_max_seconds=0.05
)


def ref(channel: str = CHANNEL_A, thread: str = THREAD) -> IntakeRef:
    return IntakeRef("slack", "T0INTAKE01", channel, thread)


@dataclass
class Rig:
    """A store to queue entries in, the stand-in, and a way to make workers."""

    store: StateStore
    api: SlackWebApiStandIn
    client: AsyncWebClient

    async def queue(self, where: IntakeRef, *texts: str) -> list[str]:
        """Queue one entry per text (one notice each); their outbox ids."""
        ids = []
        for text in texts:
            entry = OutboxEntry.to(where, (Notice(template=text),))
            result = await self.store.save_all(
                [], outbox=Enqueue(outbox_key(where, self.store.prefix), entry)
            )
            assert result.entry_id is not None
            ids.append(result.entry_id)
        return ids

    def worker(self, policy: DeliveryPolicy = FAST, holder: str | None = None) -> DeliveryWorker:
        outbox = OutboxStore(self.store.client, self.store.prefix)
        worker = DeliveryWorker(outbox, SlackOutbound(self.client), policy)
        if holder is not None:
            worker.holder = holder
        return worker

    def texts(self, where: IntakeRef) -> list[str]:
        return [post["text"] for post in self.api.stored_posts(where.channel, where.thread)]

    async def waiting(self, where: IntakeRef) -> int:
        return int(await self.store.client.xlen(outbox_key(where, self.store.prefix)))


@pytest.fixture
async def rig(redis_client: Redis, key_prefix: str) -> AsyncIterator[Rig]:
    async with SlackWebApiStandIn() as api:
        for channel in (CHANNEL_A, CHANNEL_B):
            api.add_message(channel, ts=THREAD, text="a person's message that starts the thread")
        client = AsyncWebClient(
            token=api.token,
            base_url=api.base_url,
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
        )
        yield Rig(StateStore(redis_client, key_prefix), api, client)


async def test_a_channels_entries_are_posted_once_each_in_order(rig: Rig) -> None:
    """Five queued entries become five posts in the thread, in queue order, and leave the queue."""
    await rig.queue(ref(), *(f"turn {n}" for n in range(5)))
    worker = rig.worker()
    worker.poke(ref())
    await worker.idle()
    assert rig.texts(ref()) == [f"turn {n}" for n in range(5)]
    assert await rig.waiting(ref()) == 0


@pytest.mark.parametrize("status", [500, 503])
async def test_a_server_error_is_retried_and_posted_once(rig: Rig, status: int) -> None:
    """A 5xx leaves the outcome open: the worker looks in the thread, then posts the one copy."""
    rig.api.http_error_next("chat.postMessage", status=status)
    await rig.queue(ref(), "after a 5xx")
    worker = rig.worker()
    worker.poke(ref())
    await worker.idle()
    assert rig.texts(ref()) == ["after a 5xx"]
    assert len(rig.api.calls("chat.postMessage")) == 2
    assert len(rig.api.calls("conversations.replies")) == 1


async def test_a_post_whose_answer_was_lost_is_not_posted_again(rig: Rig) -> None:
    """Slack posted but the connection dropped before its answer: found in the thread, not re-sent."""
    rig.api.drop_after_acting_next("chat.postMessage")
    await rig.queue(ref(), "posted, answer lost", "next")
    worker = rig.worker()
    worker.poke(ref())
    await worker.idle()
    assert rig.texts(ref()) == ["posted, answer lost", "next"]
    assert len(rig.api.calls("chat.postMessage")) == 2
    assert len(rig.api.calls("conversations.replies")) == 1


async def test_a_top_level_post_is_looked_for_in_the_channel(rig: Rig) -> None:
    """Outside a thread (a direct message) the lookup reads the channel's history."""
    direct = ref(CHANNEL_B, thread="")
    rig.api.drop_after_acting_next("chat.postMessage")
    await rig.queue(direct, "in a direct message")
    worker = rig.worker()
    worker.poke(direct)
    await worker.idle()
    assert [p["text"] for p in rig.api.stored_posts(CHANNEL_B)] == ["in a direct message"]
    assert len(rig.api.calls("conversations.history")) == 1


async def test_a_post_slack_refuses_for_good_is_dropped_and_logged(rig: Rig) -> None:
    """channel_not_found is logged with the entry and dropped; the channel's next entry goes out."""
    rig.api.fail_next("chat.postMessage", error="channel_not_found")
    [refused, _] = await rig.queue(ref(), "refused", "delivered")
    worker = rig.worker()
    with capture_logs() as logs:
        worker.poke(ref())
        await worker.idle()
    assert rig.texts(ref()) == ["delivered"]
    assert len(rig.api.calls("chat.postMessage")) == 2
    dropped = [log for log in logs if log["event"] == "outbox.dropped"]
    assert [(log["entry"], log["reason"]) for log in dropped] == [(refused, "channel_not_found")]
    assert await rig.waiting(ref()) == 0


async def test_a_rate_limited_channel_does_not_hold_up_another(rig: Rig) -> None:
    """A 429 with Retry-After in one channel: the other channel's post lands while it waits."""
    rig.api.rate_limit_next("chat.postMessage", retry_after=3, channel=CHANNEL_A)
    await rig.queue(ref(CHANNEL_A), "in the limited channel")
    await rig.queue(ref(CHANNEL_B), "in the other channel")
    worker = rig.worker()
    worker.poke(ref(CHANNEL_A))
    await rig.api.wait_for("chat.postMessage", 1)  # A's first try, answered 429
    worker.poke(ref(CHANNEL_B))
    await rig.api.wait_for_posts(CHANNEL_B, THREAD, count=1, timeout=2)
    assert rig.texts(ref(CHANNEL_A)) == []  # still waiting out its Retry-After
    await worker.idle()
    assert rig.texts(ref(CHANNEL_A)) == ["in the limited channel"]


async def test_a_slow_channel_does_not_hold_up_another(rig: Rig) -> None:
    """Slack taking 5 s to answer in one channel does not delay another channel's post."""
    rig.api.hang_next("chat.postMessage", seconds=5, channel=CHANNEL_A)
    await rig.queue(ref(CHANNEL_A), "slow")
    await rig.queue(ref(CHANNEL_B), "quick")
    worker = rig.worker()
    worker.poke(ref(CHANNEL_A))
    worker.poke(ref(CHANNEL_B))
    await rig.api.wait_for_posts(CHANNEL_B, THREAD, count=1, timeout=2)
    assert rig.texts(ref(CHANNEL_A)) == []
    await worker.idle()
    assert rig.texts(ref(CHANNEL_A)) == ["slow"]


async def test_two_replicas_post_every_entry_once_and_in_order(rig: Rig) -> None:
    """Two workers on one Redis, both told about both channels: one copy of each, in order."""
    for channel in (CHANNEL_A, CHANNEL_B):
        await rig.queue(ref(channel), *(f"{channel} {n}" for n in range(10)))
    first, second = rig.worker(holder="replica-1"), rig.worker(holder="replica-2")
    for worker in (first, second):
        for channel in (CHANNEL_A, CHANNEL_B):
            worker.poke(ref(channel))
    await first.idle()
    await second.idle()
    for channel in (CHANNEL_A, CHANNEL_B):
        assert rig.texts(ref(channel)) == [f"{channel} {n}" for n in range(10)]
        assert await rig.waiting(ref(channel)) == 0


@pytest.mark.parametrize("posted_before_dying", [True, False], ids=["posted", "not posted"])
async def test_an_entry_a_dead_worker_left_is_claimed_and_posted_once(
    rig: Rig, posted_before_dying: bool
) -> None:
    """An entry read by a worker that died unacknowledged is claimed; it appears exactly once."""
    outbox = OutboxStore(rig.store.client, rig.store.prefix)
    [entry_id] = await rig.queue(ref(), "left behind")
    key = outbox_key(ref(), rig.store.prefix)
    # A worker takes the channel and reads the entry, then dies before acknowledging it;
    # its lease is let go here instead of waiting for it to run out.
    read = await outbox.take(key, "worker-dead", 60_000, 10)
    assert read is not None
    assert [item.id for item in read] == [entry_id]
    await outbox.release_lease(key, "worker-dead")
    if posted_before_dying:
        rig.api.add_message(
            CHANNEL_A,
            text="left behind",
            thread_ts=THREAD,
            user="",
            metadata={
                "event_type": "intake_notice",
                "event_payload": {"outbox_id": entry_id, "part": 0},
            },
        )
    worker = rig.worker()
    worker.poke(ref())
    await worker.idle()
    in_thread = [m["text"] for m in rig.api.stored_messages(CHANNEL_A, THREAD)]
    assert in_thread.count("left behind") == 1
    assert len(rig.api.calls("chat.postMessage")) == (0 if posted_before_dying else 1)
    assert await rig.waiting(ref()) == 0


async def test_a_channel_whose_lease_is_held_elsewhere_is_left_to_its_holder(rig: Rig) -> None:
    """While another replica holds a channel's lease, this worker posts nothing there."""
    outbox = OutboxStore(rig.store.client, rig.store.prefix)
    key = outbox_key(ref(), rig.store.prefix)
    assert await outbox.take(key, "replica-elsewhere", 60_000, 10) == []
    await rig.queue(ref(), "theirs")
    worker = rig.worker()
    worker.poke(ref())
    await worker.idle()
    assert rig.api.calls("chat.postMessage") == []
    await outbox.release_lease(key, "replica-elsewhere")
    worker.poke(ref())
    await worker.idle()
    assert rig.texts(ref()) == ["theirs"]


async def test_closing_within_a_post_leaves_it_for_the_next_worker_and_it_appears_once(
    rig: Rig,
) -> None:
    """A worker stopped mid-post past its grace period: the next one finishes, one copy in all."""
    rig.api.hold("chat.postMessage", channel=CHANNEL_A)
    await rig.queue(ref(), "interrupted", "after it")
    stopping = rig.worker(holder="stopping")
    stopping.poke(ref())
    await rig.api.wait_for_held("chat.postMessage", 1, channel=CHANNEL_A)
    await stopping.close(grace_seconds=0.1)
    rig.api.release("chat.postMessage", channel=CHANNEL_A)
    successor = rig.worker(holder="successor")
    successor.poke(ref())
    await successor.idle()
    texts = [m["text"] for m in rig.api.stored_messages(CHANNEL_A, THREAD)]
    assert texts.count("interrupted") == 1
    assert texts.count("after it") == 1
    assert await rig.waiting(ref()) == 0


async def test_the_sweep_finds_channels_nobody_was_told_about(rig: Rig) -> None:
    """Entries queued by a process that died before poking anyone are found by the sweep."""
    await rig.queue(ref(CHANNEL_B), "orphaned")
    worker = rig.worker()
    worker.metrics = Metrics()
    worker.start()
    try:
        await rig.api.wait_for_posts(CHANNEL_B, THREAD, count=1)
    finally:
        await worker.close(grace_seconds=1)
    assert rig.texts(ref(CHANNEL_B)) == ["orphaned"]
    # The sweep counted what it found waiting: the one entry, across the prefix.
    assert worker.metrics.registry.get_sample_value("intake_outbox_waiting_entries") == 1


async def test_the_sweep_reports_how_long_the_oldest_entry_has_waited(rig: Rig) -> None:
    """An entry queued an hour ago (by Redis' clock: its stream id) shows as an hour old."""
    key = outbox_key(ref(CHANNEL_B), rig.store.prefix)
    an_hour_ago_ms = int((await rig.store.client.time())[0] - 3600) * 1000
    await rig.store.client.xgroup_create(key, OUTBOX_GROUP, id="0", mkstream=True)
    entry = OutboxEntry.to(ref(CHANNEL_B), (Notice(template="stuck for an hour"),))
    await rig.store.client.xadd(key, {"d": entry.model_dump_json()}, id=f"{an_hour_ago_ms}-0")
    worker = rig.worker()
    worker.metrics = Metrics()
    worker.start()
    try:
        await rig.api.wait_for_posts(CHANNEL_B, THREAD, count=1)
    finally:
        await worker.close(grace_seconds=1)
    assert rig.texts(ref(CHANNEL_B)) == ["stuck for an hour"]
    age = worker.metrics.registry.get_sample_value("intake_outbox_oldest_entry_age_seconds")
    assert age is not None
    assert 3600 <= age < 3600 + 60
