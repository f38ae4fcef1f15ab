"""Scheduled posts on a real Redis: when digests fall due, and each due post queued exactly once.

The posting itself is the delivery worker's (tested with the stand-ins);
these tests read what a pass queued in the channel's outbox. Tests that take
``store`` run once per backend, each under a key prefix of its own.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from bot.ports import IntakeRef
from bot.schedule import PassReport, ScheduledPosts, Scheduler
from bot.schedule_times import latest_period, next_time
from bot.service import IntakeService
from bot.state.keys import digest_claim_key, digest_slot_key, outbox_key
from bot.state.outbox import OutboxEntry
from bot.state.schedules import ScheduleStore
from bot.state.store import StateStore
from conversations.digest import Cadence, DigestSchedule, read_schedule
from conversations.events import Start, Text
from conversations.replies import DigestReply, ReminderReply

SET_AT = datetime(2026, 11, 1, tzinfo=UTC)
CHANNEL = IntakeRef("slack", "T0001", "C0001", "")
OTHER = IntakeRef("slack", "T0001", "C0002", "")
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def schedule(words: str, set_at: datetime = SET_AT) -> DigestSchedule:
    read = read_schedule(words, user="alice", at=set_at)
    assert isinstance(read, DigestSchedule)
    return read


# --- when digests fall due ----------------------------------------------------------------------


def test_a_daily_digest_covers_the_day_before_its_time() -> None:
    """At 09:05 the latest period is yesterday 09:00 to today 09:00; the next is tomorrow."""
    daily = schedule("daily 09:00")
    now = MONDAY_9 + timedelta(minutes=5)
    assert latest_period(daily, now) == (MONDAY_9 - timedelta(days=1), MONDAY_9)
    assert next_time(daily, now) == MONDAY_9 + timedelta(days=1)
    assert latest_period(daily, MONDAY_9) == (MONDAY_9 - timedelta(days=1), MONDAY_9)


def test_a_weekly_digest_falls_on_its_day() -> None:
    """`weekly wed 14:30`: the latest period ends on the last Wednesday, a week after the one before."""
    weekly = schedule("weekly wed 14:30")
    start, end = latest_period(weekly, MONDAY_9) or (None, None)
    assert end == datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
    assert start == datetime(2026, 11, 18, 14, 30, tzinfo=UTC)
    assert weekly.cadence is Cadence.WEEKLY


def test_daylight_saving_keeps_the_local_time() -> None:
    """09:00 in Berlin is 08:00 UTC before the spring change and 07:00 UTC after it."""
    berlin = schedule("daily 09:00 Europe/Berlin", set_at=datetime(2026, 1, 1, tzinfo=UTC))
    before = latest_period(berlin, datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    after = latest_period(berlin, datetime(2026, 3, 30, 12, 0, tzinfo=UTC))
    assert before is not None
    assert after is not None
    assert before[1].astimezone(UTC) == datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    assert after[1].astimezone(UTC) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    # The period across the change is 23 hours long, not 24.
    across = latest_period(berlin, datetime(2026, 3, 29, 12, 0, tzinfo=UTC))
    assert across is not None
    assert across[1].astimezone(UTC) - across[0].astimezone(UTC) == timedelta(hours=23)


# --- queued once --------------------------------------------------------------------------------


def posts(
    store: StateStore, *, holder: str | None = None, claim_ms: int = 60_000
) -> ScheduledPosts:
    made = ScheduledPosts(
        store=ScheduleStore(store.client, store.prefix),
        platform="slack",
        remind_after=timedelta(hours=24),
        claim_ms=claim_ms,
    )
    if holder is not None:
        made.holder = holder
    return made


async def queued(client: Redis, ref: IntakeRef, prefix: str) -> list[OutboxEntry]:
    """The scheduled posts waiting in the channel's outbox (the turns' replies left out)."""
    rows = await client.xrange(outbox_key(ref, prefix))
    entries = [OutboxEntry.model_validate_json(fields[b"d"]) for _, fields in rows]
    return [e for e in entries if isinstance(e.replies[0], DigestReply | ReminderReply)]


async def open_intake(store: StateStore, channel: IntakeRef, thread: str, at: datetime) -> None:
    """An intake in `channel` with one answer, so the digest has someone owing answers."""
    service = IntakeService(
        store=store, prefix=store.prefix, place_ttl_seconds=3600, delivery_ttl_seconds=3600
    )
    ref = channel.in_thread(thread)
    await service.take_turn(ref, Start(user="alice", at=at, project=f"Project {thread}"))
    await service.take_turn(ref, Text(user="alice", at=at, text="40 GB a day"))


@pytest.fixture
async def channels(store: StateStore) -> ScheduleStore:
    """Two channels with a daily 09:00 digest and an open intake each."""
    schedules = ScheduleStore(store.client, store.prefix)
    for channel in (CHANNEL, OTHER):
        await schedules.set_schedule(channel, schedule("daily 09:00"))
        await open_intake(store, channel, "1700000000.000100", MONDAY_9 - timedelta(hours=5))
    return schedules


async def test_a_due_digest_is_queued_once_per_channel_and_period(
    store: StateStore, channels: ScheduleStore
) -> None:
    """One pass queues each channel's digest; a second pass and a second replica queue nothing."""
    now = MONDAY_9 + timedelta(minutes=1)
    first = await posts(store).run_due(now, reminders=False)
    assert sorted(ref.channel for ref in first.digests) == ["C0001", "C0002"]
    again = await posts(store).run_due(now, reminders=False)
    other_replica = await posts(store, holder="replica-2").run_due(now, reminders=False)
    assert again.digests == other_replica.digests == ()
    [entry] = await queued(store.client, CHANNEL, store.prefix)
    [digest] = entry.replies
    assert isinstance(digest, DigestReply)
    assert digest.period_end == MONDAY_9
    assert [item.project for item in digest.started] == ["Project 1700000000.000100"]
    assert entry.thread == ""  # a digest is a post of its own in the channel


async def test_two_replicas_at_once_queue_each_digest_once(
    store: StateStore, channels: ScheduleStore
) -> None:
    """Ten passes racing at the same moment queue two digests in all, one per channel."""
    now = MONDAY_9 + timedelta(minutes=1)
    reports = await asyncio.gather(
        *(posts(store, holder=f"r{n}").run_due(now, reminders=False) for n in range(10))
    )
    assert sum(len(report.digests) for report in reports) == 2
    for channel in (CHANNEL, OTHER):
        assert len(await queued(store.client, channel, store.prefix)) == 1


async def test_a_claim_left_by_a_dead_replica_delays_the_digest_but_does_not_lose_it(
    store: StateStore, channels: ScheduleStore
) -> None:
    """While the dead replica's claim lives nothing is queued; once it expires, one digest is."""
    now = MONDAY_9 + timedelta(minutes=1)
    end = str(int(MONDAY_9.timestamp()))  # slots and claims name the period's end in UTC
    claim = digest_claim_key(CHANNEL, end, store.prefix)
    assert await channels.claim(claim, "dead-replica", 300)
    blocked = await posts(store).run_due(now, reminders=False)
    assert [ref.channel for ref in blocked.digests] == ["C0002"]
    # The claim is bounded (it dies with its TTL, not with the replica): let it run out.
    assert 0 < await store.client.pttl(claim) <= 300
    await store.client.pexpire(claim, 1)
    while await store.client.exists(claim):  # noqa: ASYNC110 - Redis expires keys on access
        await asyncio.sleep(0)
    taken_over = await posts(store).run_due(now, reminders=False)
    assert [ref.channel for ref in taken_over.digests] == ["C0001"]
    assert len(await queued(store.client, CHANNEL, store.prefix)) == 1


async def test_a_period_with_nothing_to_report_posts_nothing_and_is_settled(
    store: StateStore,
) -> None:
    """A channel whose only intake is cancelled gets no digest, and the period is not looked at again."""
    schedules = ScheduleStore(store.client, store.prefix)
    await schedules.set_schedule(CHANNEL, schedule("daily 09:00"))
    now = MONDAY_9 + timedelta(minutes=1)
    report = await posts(store).run_due(now, reminders=False)
    assert (report.digests, report.empty) == ((), 1)
    slot = digest_slot_key(CHANNEL, str(int(MONDAY_9.timestamp())), store.prefix)
    assert await store.client.get(slot) == b"empty"
    assert await queued(store.client, CHANNEL, store.prefix) == []


async def test_a_digest_turned_off_or_long_past_is_not_posted(
    store: StateStore, channels: ScheduleStore
) -> None:
    """Off: nothing for that channel; a period that ended over a day ago is skipped."""
    assert await channels.remove_schedule(OTHER)
    report = await posts(store).run_due(MONDAY_9 + timedelta(minutes=1), reminders=False)
    assert [ref.channel for ref in report.digests] == ["C0001"]
    late = await posts(store).run_due(
        MONDAY_9 + timedelta(days=1, hours=23), reminders=False
    )  # tomorrow's 09:00 is due, today's is long past and was posted
    assert [ref.channel for ref in late.digests] == ["C0001"]


# --- reminders ----------------------------------------------------------------------------------


async def test_an_idle_intake_is_reminded_once_a_day_on_weekdays(
    store: StateStore, channels: ScheduleStore
) -> None:
    """Idle 24 h: one reminder in its thread that day; none on Saturday; one again on Monday."""
    thread_ref = CHANNEL.in_thread("1700000000.000100")
    tuesday = MONDAY_9 + timedelta(days=1)
    first = await posts(store).run_due(tuesday, reminders=True)
    assert thread_ref in first.reminders
    same_day = await posts(store).run_due(tuesday + timedelta(hours=3), reminders=True)
    assert same_day.reminders == ()
    saturday = MONDAY_9 + timedelta(days=5)
    assert (await posts(store).run_due(saturday, reminders=True)).reminders == ()
    monday = MONDAY_9 + timedelta(days=7)
    assert thread_ref in (await posts(store).run_due(monday, reminders=True)).reminders
    entries = [
        entry
        for entry in await queued(store.client, CHANNEL, store.prefix)
        if entry.thread == thread_ref.thread and isinstance(entry.replies[0], ReminderReply)
    ]
    assert len(entries) == 2
    reminder = entries[0].replies[0]
    assert isinstance(reminder, ReminderReply)
    assert [person.id for person, _ in reminder.owing] == ["alice"]


# --- what the review found ------------------------------------------------------------------


def test_the_night_clocks_go_back_ends_the_walk_and_keeps_the_time_once() -> None:
    """02:30 happens twice in Berlin on 25 October: one period, and the pass returns."""
    berlin = schedule("daily 02:30 Europe/Berlin", set_at=datetime(2026, 1, 1, tzinfo=UTC))
    for now in (
        datetime(2026, 10, 25, 1, 31, tzinfo=UTC),
        datetime(2026, 11, 5, tzinfo=UTC),
    ):
        period = latest_period(berlin, now)
        assert period is not None
        assert period[1] <= now
    on_the_night = latest_period(berlin, datetime(2026, 10, 25, 1, 31, tzinfo=UTC))
    assert on_the_night is not None
    assert on_the_night[1].astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_a_new_setting_waits_for_its_next_time() -> None:
    """Set at 15:00 for 09:00: nothing is due until tomorrow's 09:00."""
    set_at = MONDAY_9 + timedelta(hours=6)
    daily = schedule("daily 09:00", set_at=set_at)
    assert latest_period(daily, set_at + timedelta(minutes=1)) is None
    assert latest_period(daily, MONDAY_9 + timedelta(days=1)) is not None


async def test_a_changed_setting_does_not_report_a_day_twice(
    store: StateStore, channels: ScheduleStore
) -> None:
    """After the 09:00 digest, a change to 10:00 Europe/London starts where the last one ended."""
    await posts(store).run_due(MONDAY_9 + timedelta(minutes=1), reminders=False)
    changed = schedule("daily 10:00 Europe/London", set_at=MONDAY_9 + timedelta(minutes=30))
    await channels.set_schedule(CHANNEL, changed)
    report = await posts(store).run_due(
        MONDAY_9 + timedelta(days=1, hours=1, minutes=1), reminders=False
    )
    assert CHANNEL in report.digests
    digests = [e.replies[0] for e in await queued(store.client, CHANNEL, store.prefix)]
    assert [d.period_start for d in digests if isinstance(d, DigestReply)][-1] == MONDAY_9


async def test_one_channels_bad_setting_does_not_stop_the_others(
    store: StateStore, channels: ScheduleStore
) -> None:
    """A setting this replica cannot read is logged and skipped; the other channel still gets its digest."""
    bad = schedule("daily 09:00").model_copy(update={"timezone": "Mars/Olympus_Mons"})
    await channels.set_schedule(CHANNEL, bad)
    report = await posts(store).run_due(MONDAY_9 + timedelta(minutes=1), reminders=False)
    assert [ref.channel for ref in report.digests] == ["C0002"]


def test_zone_names_read_in_any_case_and_keep_their_spelling() -> None:
    """`UTC`, `utc` and `europe/berlin` are zones; the setting keeps the IANA spelling."""
    for words, zone in (
        ("daily 09:00 UTC", "UTC"),
        ("daily 09:00 utc", "UTC"),
        ("daily 09:00 europe/berlin", "Europe/Berlin"),
    ):
        read = read_schedule(words, user="a", at=SET_AT)
        assert isinstance(read, DigestSchedule), words
        assert read.timezone == zone


async def test_closing_the_scheduler_lets_a_running_pass_finish(store: StateStore) -> None:
    """Shutdown waits (within its grace) for the pass in flight instead of cancelling it."""
    release = asyncio.Event()
    finished: list[bool] = []

    class SlowPosts(ScheduledPosts):
        async def run_due(self, now: datetime, *, reminders: bool | None = None) -> PassReport:
            await release.wait()
            finished.append(True)
            return PassReport()

    slow = SlowPosts(
        store=ScheduleStore(store.client, store.prefix),
        platform="slack",
        remind_after=timedelta(hours=24),
        claim_ms=1000,
    )
    scheduler = Scheduler(slow, tick_seconds=3600, clock=lambda: datetime.now(UTC))
    scheduler.start()
    while scheduler._running is None:  # noqa: ASYNC110 - the first tick starts at once
        await asyncio.sleep(0)
    closing = asyncio.create_task(scheduler.close(grace_seconds=5))
    await asyncio.sleep(0)
    assert not closing.done()
    release.set()
    await closing
    assert finished == [True]
