"""IntakeService against a real Redis: saves, resumes, expiry, duplicates, outages, races.

Tests that take ``service`` run once per backend (the embedded Redis, and the
server named by REDIS_URL when set). The outage tests run on a private
``redis-server`` they may stop and restart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from redis.asyncio import Redis
from structlog.testing import capture_logs

from bot.errors import StaleStateError, StoreUnavailableError
from bot.metrics import Metrics
from bot.ports import Inbound, IntakeRef, Outcome, TurnStatus, Where
from bot.service import IntakeService
from bot.state.keys import (
    answer_log_key,
    channel_index_key,
    intake_delivery_key,
    intake_key,
    outbox_key,
    place_key,
)
from bot.state.outbox import OutboxEntry
from bot.state.redis_client import connect
from bot.state.store import DeliveryMark, SaveResult, StateStore, Versioned, Write
from conversations import messages as msg
from conversations.answers import parse_answer
from conversations.events import Choose, Event, Start, Text
from conversations.intake import AnswerRecord, IntakeStatus
from conversations.readings import reading
from conversations.replies import Notice, QuestionReply, SummaryReply, Tone
from conversations.summary import baseline_of
from conversations.values import Value
from testkit.answers import HAPPY_ANSWERS
from testkit.redis_servers import PrivateRedis, start_private_redis_server, unique_prefix

REF = IntakeRef("slack", "T0001", "C0001", "1718000000.000100")
OTHER_THREAD = IntakeRef("slack", "T0001", "C0001", "1718000999.000200")
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
HOUR = 3600


def at(minute: int) -> datetime:
    """A fixed moment, `minute` minutes into the test's day."""
    return T0 + timedelta(minutes=minute)


def start(user: str = "alice", minute: int = 0, project: str = "Churn model") -> Start:
    """A start event."""
    return Start(user=user, at=at(minute), project=project)


def text(value: str, user: str = "alice", minute: int = 1) -> Text:
    """A typed message."""
    return Text(user=user, at=at(minute), text=value)


def make_service(
    store: StateStore, *, place_ttl_seconds: int = 24 * HOUR, delivery_ttl_seconds: int = HOUR
) -> IntakeService:
    """A service on `store` with a day-long place TTL unless told otherwise."""
    return IntakeService(
        store=store,
        prefix=store.prefix,
        place_ttl_seconds=place_ttl_seconds,
        delivery_ttl_seconds=delivery_ttl_seconds,
    )


@pytest.fixture
def service(store: StateStore) -> IntakeService:
    """A service on this test's fresh store."""
    return make_service(store)


async def queued(client: Redis, ref: IntakeRef, prefix: str) -> list[OutboxEntry]:
    """The entries waiting in `ref`'s channel outbox, oldest first."""
    rows = await client.xrange(outbox_key(ref, prefix))
    return [OutboxEntry.model_validate_json(fields[b"d"]) for _, fields in rows]


async def keys_under(client: Redis, prefix: str) -> set[str]:
    """Every key under the prefix, decoded."""
    return {key.decode() async for key in client.scan_iter(match=f"{prefix}:*")}


async def raw_state(client: Redis, keys: Sequence[str]) -> list[dict[Any, Any]]:
    """The hashes exactly as Redis holds them, version and JSON."""
    return [await client.hgetall(key) for key in keys]


def saved_texts(outcome: Outcome) -> list[str]:
    """The values of the "Saved" notices among an outcome's replies."""
    return [
        str(reply.params["value"])
        for reply in outcome.replies
        if isinstance(reply, Notice) and reply.tone is Tone.SAVED
    ]


async def answer_all(service: IntakeService, ref: IntakeRef, user: str = "alice") -> Outcome:
    """Start an intake and answer every question; the last outcome."""
    outcome = await service.take_turn(ref, start(user))
    for minute, (question_id, value) in enumerate(HAPPY_ANSWERS.items(), start=1):
        outcome = await service.take_turn(ref, text(value, user, minute))
        parsed = parse_answer(question_id, value)
        assert isinstance(parsed, Value)
        assert saved_texts(outcome) == [reading(parsed)]
    return outcome


# --- saving and loading --------------------------------------------------------------------


async def test_start_and_answers_are_saved_and_load_back(service: IntakeService) -> None:
    """Each step is saved: the intake with its answers and the person's place."""
    started = await service.take_turn(REF, start())
    assert started.applied
    assert isinstance(started.replies[-1], QuestionReply)
    answered = await service.take_turn(REF, text("40 GB a day"))
    assert saved_texts(answered) == ["40 GB a day (high)"]
    state = await service.load(REF, "alice")
    assert state == answered.state
    assert state.intake is not None
    assert [(r.question_id, r.text, r.by) for r in state.intake.answers] == [
        ("volume", "40 GB a day", "alice")
    ]
    assert state.place is not None
    assert state.place.current == "stakeholders"


async def test_whole_intake_ends_with_a_summary_kept_as_baseline(service: IntakeService) -> None:
    """A whole intake through the service produces the summary and stores it as the baseline."""
    last = await answer_all(service, REF)
    (summary,) = [reply for reply in last.replies if isinstance(reply, SummaryReply)]
    state = await service.load(REF, "alice")
    assert state.intake is not None
    assert state.intake.baseline == baseline_of(summary.summary)
    assert summary.summary.assessment.strategy == "rest_api"


async def test_a_new_service_on_the_same_redis_resumes_where_the_person_was(
    store: StateStore, redis_url: str, tmp_path: Path
) -> None:
    """Another process's service (a fresh client) carries on with the saved place."""
    first = make_service(store)
    await first.take_turn(REF, start())
    await first.take_turn(REF, text("40 GB a day"))
    async with connect(redis_url, tmp_path) as handle:
        second = make_service(StateStore(handle.client, store.prefix))
        resumed = await second.take_turn(REF, start(minute=5))
        assert isinstance(resumed.replies[0], Notice)
        assert resumed.replies[0].template == msg.INTAKE_ALREADY_OPEN
        asked = resumed.replies[-1]
        assert isinstance(asked, QuestionReply)
        assert asked.question_id == "stakeholders"
        outcome = await second.take_turn(REF, text("finance", minute=6))
    assert saved_texts(outcome) == ["finance"]
    state = await first.load(REF, "alice")
    assert state.intake is not None
    assert [r.text for r in state.intake.answers] == ["40 GB a day", "finance"]


async def test_threads_keep_their_intakes_apart(service: IntakeService) -> None:
    """Two threads in one channel hold two intakes; an answer in one never shows in the other."""
    await service.take_turn(REF, start(project="One"))
    await service.take_turn(OTHER_THREAD, start(project="Two"))
    await service.take_turn(REF, text("40 GB a day"))
    one, two = await service.load(REF, "alice"), await service.load(OTHER_THREAD, "alice")
    assert one.intake is not None
    assert two.intake is not None
    assert (one.intake.project, len(one.intake.answers)) == ("One", 1)
    assert (two.intake.project, len(two.intake.answers)) == ("Two", 0)
    assert two.place is not None
    assert two.place.current == "volume"


async def test_a_new_intake_joins_its_channel_index(store: StateStore) -> None:
    """Starting an intake adds its key to the channel's index, for the digest."""
    service = make_service(store)
    await service.take_turn(REF, start())
    await service.take_turn(OTHER_THREAD, start())
    index = channel_index_key(REF.platform, REF.workspace, REF.channel, store.prefix)
    assert await store.index_members(index) == {
        intake_key(REF, store.prefix),
        intake_key(OTHER_THREAD, store.prefix),
    }


async def test_a_message_without_an_intake_is_answered_and_writes_no_state(
    service: IntakeService, redis_client: Redis, key_prefix: str
) -> None:
    """Without `require_intake`, a thread with no intake gets the how-to-start reply, queued."""
    outcome = await service.take_turn(REF, text("hello"))
    assert [r.template for r in outcome.replies if isinstance(r, Notice)] == [msg.NO_INTAKE]
    assert outcome.status is TurnStatus.APPLIED
    written = await keys_under(redis_client, key_prefix)
    assert intake_key(REF, key_prefix) not in written
    assert place_key(REF, "alice", key_prefix) not in written
    [entry] = await queued(redis_client, REF, key_prefix)
    assert [r.template for r in entry.replies if isinstance(r, Notice)] == [msg.NO_INTAKE]


async def test_require_intake_ignores_threads_without_an_intake(
    service: IntakeService, redis_client: Redis, key_prefix: str
) -> None:
    """With `require_intake`, other threads' chatter gets no reply and writes nothing."""
    outcome = await service.take_turn(
        OTHER_THREAD, text("lunch?"), delivery="Ev1", require_intake=True
    )
    assert outcome.status is TurnStatus.IGNORED
    assert outcome.replies == ()
    assert outcome.status is not TurnStatus.APPLIED
    assert await keys_under(redis_client, key_prefix) == set()


async def test_require_intake_still_handles_threads_that_have_one(service: IntakeService) -> None:
    """`require_intake` lets messages in an intake's thread through as usual."""
    await service.take_turn(REF, start())
    outcome = await service.take_turn(REF, text("40 GB a day"), require_intake=True)
    assert outcome.status is not TurnStatus.IGNORED
    assert saved_texts(outcome) == ["40 GB a day (high)"]


# --- expiry ----------------------------------------------------------------------------------


async def test_place_is_saved_with_the_short_ttl_and_the_intake_without_one(
    store: StateStore, redis_client: Redis
) -> None:
    """A service built with a 1 s place TTL sets it on the place; the intake never expires."""
    service = make_service(store, place_ttl_seconds=1)
    await service.take_turn(REF, start())
    place_ttl = await redis_client.pttl(place_key(REF, "alice", store.prefix))
    assert 0 < place_ttl <= 1000
    assert await redis_client.pttl(intake_key(REF, store.prefix)) == -1


async def test_every_step_renews_the_place_ttl_even_when_the_place_is_unchanged(
    store: StateStore, redis_client: Redis
) -> None:
    """An active person's place does not expire: `help` leaves it as is but renews its TTL."""
    service = make_service(store, place_ttl_seconds=HOUR)
    await service.take_turn(REF, start())
    key = place_key(REF, "alice", store.prefix)
    await redis_client.pexpire(key, 5000)
    before = await service.load(REF, "alice")
    outcome = await service.take_turn(REF, text("help"))
    assert any(isinstance(r, Notice) and r.template == msg.HELP for r in outcome.replies)
    assert await service.load(REF, "alice") == before
    assert 5000 < await redis_client.pttl(key) <= HOUR * 1000


async def test_answers_keep_the_intake_free_of_expiry(
    store: StateStore, redis_client: Redis
) -> None:
    """Writes after the first still leave the intake without a TTL."""
    service = make_service(store, place_ttl_seconds=1)
    await service.take_turn(REF, start())
    await service.take_turn(REF, text("40 GB a day"))
    await service.take_turn(REF, text("finance", user="bob"))
    assert await redis_client.pttl(intake_key(REF, store.prefix)) == -1
    assert 0 < await redis_client.pttl(place_key(REF, "bob", store.prefix)) <= 1000


async def test_after_a_place_expires_the_person_rejoins_and_the_answers_stay(
    service: IntakeService, redis_client: Redis, key_prefix: str
) -> None:
    """An expired place (removed as Redis would) means a fresh join; the intake is intact."""
    await service.take_turn(REF, start())
    await service.take_turn(REF, text("40 GB a day"))
    await redis_client.unlink(place_key(REF, "alice", key_prefix))
    outcome = await service.take_turn(REF, text("finance", minute=2))
    assert next(r for r in outcome.replies if isinstance(r, Notice)).template == msg.INTAKE_JOINED
    assert saved_texts(outcome) == ["finance"]
    state = await service.load(REF, "alice")
    assert state.intake is not None
    assert [r.question_id for r in state.intake.answers] == ["volume", "stakeholders"]


# --- repeated deliveries ---------------------------------------------------------------------


async def test_a_repeated_delivery_is_applied_once(
    service: IntakeService, redis_client: Redis, key_prefix: str
) -> None:
    """The same delivery id twice: the second is a duplicate with no replies and no change."""
    await service.take_turn(REF, start(), delivery="Ev0")
    first = await service.take_turn(REF, text("40 GB a day"), delivery="Ev1")
    assert first.applied
    keys = [intake_key(REF, key_prefix), place_key(REF, "alice", key_prefix)]
    before = await raw_state(redis_client, keys)

    again = await service.take_turn(REF, text("40 GB a day", minute=2), delivery="Ev1")
    assert again.status is TurnStatus.DUPLICATE
    assert again.replies == ()
    assert await raw_state(redis_client, keys) == before
    state = await service.load(REF, "alice")
    assert state.intake is not None
    assert [r.text for r in state.intake.answers] == ["40 GB a day"]


async def test_the_delivery_mark_expires_after_the_delivery_ttl(
    store: StateStore, redis_client: Redis
) -> None:
    """The mark of a handled delivery lives for the configured delivery TTL, not forever."""
    service = make_service(store, delivery_ttl_seconds=120)
    await service.take_turn(REF, start(), delivery="Ev1")
    ttl = await redis_client.ttl(intake_delivery_key(REF, "Ev1", store.prefix))
    assert 0 < ttl <= 120


async def test_a_different_delivery_with_the_same_text_is_applied(service: IntakeService) -> None:
    """Only the delivery id decides: the same words in a new delivery are a new answer."""
    await service.take_turn(REF, start())
    await service.take_turn(REF, text("40 GB a day"), delivery="Ev1")
    await service.take_turn(REF, text("edit 1", minute=2), delivery="Ev2")
    outcome = await service.take_turn(REF, text("40 GB a day", minute=3), delivery="Ev3")
    assert saved_texts(outcome) == ["40 GB a day (high)"]
    state = await service.load(REF, "alice")
    assert state.intake is not None
    assert state.intake.answer_count == 2
    logged = await service.store.log_entries(answer_log_key(REF, service.prefix), AnswerRecord)
    assert [r.text for r in logged] == ["40 GB a day", "40 GB a day"]


async def test_a_refused_answer_with_a_delivery_id_is_marked_but_stores_no_answer(
    service: IntakeService,
) -> None:
    """A re-asked answer changes no record; its repeat is still recognised as a duplicate."""
    await service.take_turn(REF, start())
    refused = await service.take_turn(REF, text("lots"), delivery="Ev1")
    assert refused.applied
    assert [r.kind for r in refused.replies] == ["reask"]
    again = await service.take_turn(REF, text("lots"), delivery="Ev1")
    assert again.status is TurnStatus.DUPLICATE
    state = await service.load(REF, "alice")
    assert state.intake is not None
    assert state.intake.answers == ()


# --- Redis away -------------------------------------------------------------------------------


class StopsRedisBeforeSaving(StateStore):
    """A store whose Redis goes away after the load and before the write of one step."""

    def __init__(self, client: Redis, prefix: str, server: PrivateRedis) -> None:
        super().__init__(client, prefix)
        self.server = server
        self.armed = False

    async def save_all(
        self,
        writes: Sequence[Write],
        *,
        delivery: DeliveryMark | None = None,
        **parts: Any,
    ) -> SaveResult:
        if self.armed:
            self.armed = False
            await asyncio.to_thread(self.server.stop)
        return await super().save_all(writes, delivery=delivery, **parts)


@pytest.mark.parametrize("when", ["before the step", "between load and save"])
async def test_redis_unreachable_tells_the_person_and_writes_nothing(
    private_redis: PrivateRedis, tmp_path: Path, when: str
) -> None:
    """With Redis gone, the person gets COULD_NOT_SAVE; after a restart the state is as before."""
    prefix = unique_prefix()
    async with connect(private_redis.url, tmp_path) as handle:
        store = StopsRedisBeforeSaving(handle.client, prefix, private_redis)
        service = make_service(store)
        await service.take_turn(REF, start())
        await service.take_turn(REF, text("40 GB a day"))
        keys = [intake_key(REF, prefix), place_key(REF, "alice", prefix)]
        before_raw = await raw_state(handle.client, keys)
        before = await service.load(REF, "alice")

        if when == "before the step":
            await asyncio.to_thread(private_redis.stop)
        else:
            store.armed = True
        with capture_logs() as logs:
            outcome = await service.take_turn(REF, text("finance", minute=2), delivery="Ev9")

        assert outcome.replies == (Notice(template=msg.COULD_NOT_SAVE, tone=Tone.PROBLEM),)
        assert outcome.status is not TurnStatus.APPLIED
        assert [entry["event"] for entry in logs][-1] == "intake.store_unavailable"
        assert private_redis.url not in str(logs)

        await asyncio.to_thread(private_redis.start)
        assert await raw_state(handle.client, keys) == before_raw
        assert await service.load(REF, "alice") == before
        assert not await handle.client.exists(intake_delivery_key(REF, "Ev9", prefix))

        retried = await service.take_turn(REF, text("finance", minute=3), delivery="Ev9")
    assert saved_texts(retried) == ["finance"]


async def test_a_password_never_reaches_the_outage_log(tmp_path: Path) -> None:
    """The could-not-save path logs the failure without the Redis URL or its password."""
    server = start_private_redis_server(tmp_path / "redis", password="s3cret-pw")
    try:
        async with connect(server.url, tmp_path) as handle:
            service = make_service(StateStore(handle.client, unique_prefix()))
            await service.take_turn(REF, start())
            await asyncio.to_thread(server.stop)
            with capture_logs() as logs:
                outcome = await service.take_turn(REF, text("40 GB a day"))
    finally:
        server.kill()
    assert outcome.replies[0] == Notice(template=msg.COULD_NOT_SAVE, tone=Tone.PROBLEM)
    assert logs
    assert "s3cret-pw" not in str(logs)


class AnswersLateOnce(StateStore):
    """A store whose next save runs in Redis but whose answer never arrives (a timeout)."""

    def __init__(self, client: Redis, prefix: str) -> None:
        super().__init__(client, prefix)
        self.armed = False

    async def save_all(
        self,
        writes: Sequence[Write],
        *,
        delivery: DeliveryMark | None = None,
        **parts: Any,
    ) -> SaveResult:
        result = await super().save_all(writes, delivery=delivery, **parts)
        if self.armed:
            self.armed = False
            raise StoreUnavailableError("save: Redis did not answer in time")
        return result


@pytest.mark.parametrize("delivery", [None, "Ev42"], ids=["console turn", "platform delivery"])
async def test_a_save_that_ran_but_timed_out_counts_once_and_replies(
    redis_client: Redis, key_prefix: str, delivery: str | None
) -> None:
    """A timeout after the script ran is settled by asking again: one answer, and the replies."""
    store = AnswersLateOnce(redis_client, key_prefix)
    service = make_service(store)
    await service.take_turn(REF, start())
    store.armed = True
    outcome = await service.take_turn(REF, text("40 GB a day"), delivery=delivery)
    assert outcome.applied
    assert saved_texts(outcome) == ["40 GB a day (high)"]
    state = await service.load(REF, "alice")
    assert state.intake is not None
    assert [(a.question_id, a.text) for a in state.intake.answers] == [("volume", "40 GB a day")]
    assert state.place is not None
    assert state.place.current == "stakeholders"


async def test_a_redis_that_refuses_writes_gets_a_clear_reply(
    private_redis: PrivateRedis, tmp_path: Path
) -> None:
    """A Redis error other than an outage (out of memory) is still a could-not-save reply."""
    async with connect(private_redis.url, tmp_path) as handle:
        service = make_service(StateStore(handle.client, unique_prefix()))
        await service.take_turn(REF, start())
        await handle.client.config_set("maxmemory-policy", "noeviction")
        await handle.client.config_set("maxmemory", "1")
        with capture_logs() as logs:
            outcome = await service.take_turn(REF, text("40 GB a day"))
        await handle.client.config_set("maxmemory", "0")
        state = await service.load(REF, "alice")
    assert outcome.replies == (Notice(template=msg.COULD_NOT_SAVE, tone=Tone.PROBLEM),)
    assert outcome.status is not TurnStatus.APPLIED
    assert "intake.store_failed" in [entry["event"] for entry in logs]
    assert state.intake is not None
    assert state.intake.answers == ()


# --- lost races -------------------------------------------------------------------------------


class LosesTheFirstRace(StateStore):
    """A store where another writer gets in between this step's load and its first save."""

    def __init__(self, client: Redis, prefix: str, rival: IntakeService, event: Event) -> None:
        super().__init__(client, prefix)
        self.rival, self.rival_event = rival, event
        self.saves = 0

    async def save_all(
        self,
        writes: Sequence[Write],
        *,
        delivery: DeliveryMark | None = None,
        **parts: Any,
    ) -> SaveResult:
        self.saves += 1
        if self.saves == 1:
            await self.rival.take_turn(REF, self.rival_event)
        return await super().save_all(writes, delivery=delivery, **parts)


async def test_a_lost_race_is_retried_from_fresh_state_and_both_answers_are_kept(
    store: StateStore, redis_client: Redis
) -> None:
    """When a rival saves first, the step is re-run on the new state; no answer is lost."""
    rival = make_service(store)
    await rival.take_turn(REF, start())
    racing = LosesTheFirstRace(
        redis_client,
        store.prefix,
        rival,
        Choose(user="bob", at=at(1), question_id="churn", value="nightly"),
    )
    outcome = await make_service(racing).take_turn(REF, text("40 GB a day", minute=2))
    assert racing.saves == 2
    assert saved_texts(outcome) == ["40 GB a day (high)"]
    state = await rival.load(REF, "alice")
    assert state.intake is not None
    assert [(r.question_id, r.by) for r in state.intake.answers] == [
        ("churn", "bob"),
        ("volume", "alice"),
    ]


class AlwaysStale(StateStore):
    """A store that loses every race: each save finds a newer version."""

    def __init__(self, client: Redis, prefix: str) -> None:
        super().__init__(client, prefix)
        self.loads = 0

    async def load_many(
        self, keys_and_models: Sequence[tuple[str, type[BaseModel]]]
    ) -> list[Versioned[BaseModel] | None]:
        self.loads += 1
        return await super().load_many(keys_and_models)

    async def save_all(
        self,
        writes: Sequence[Write],
        *,
        delivery: DeliveryMark | None = None,
        **parts: Any,
    ) -> SaveResult:
        raise StaleStateError(writes[0].key, writes[0].expected_version, 99)


async def test_endless_lost_races_end_in_a_busy_reply_after_the_attempt_limit(
    store: StateStore, redis_client: Redis
) -> None:
    """A step that never wins reloads max_attempts times, then asks the person to resend."""
    await make_service(store).take_turn(REF, start())
    stale = AlwaysStale(redis_client, store.prefix)
    service = make_service(stale)
    service.max_attempts = 3
    with capture_logs() as logs:
        outcome = await service.take_turn(REF, text("40 GB a day"))
    assert outcome.replies == (Notice(template=msg.BUSY_RETRY, tone=Tone.PROBLEM),)
    assert outcome.status is not TurnStatus.APPLIED
    assert stale.loads == 3
    assert "intake.gave_up_after_conflicts" in [entry["event"] for entry in logs]


async def test_many_people_answering_at_once_lose_nothing(
    store: StateStore, redis_url: str, tmp_path: Path
) -> None:
    """Forty people answering in one intake at once, over two clients: every answer is kept."""
    await make_service(store).take_turn(REF, start())
    async with connect(redis_url, tmp_path) as handle:
        services = [make_service(store), make_service(StateStore(handle.client, store.prefix))]
        outcomes = await asyncio.gather(
            *(
                services[n % 2].take_turn(
                    REF,
                    Choose(user=f"U{n}", at=at(n), question_id="stakeholders", value=f"team {n}"),
                )
                for n in range(40)
            )
        )
    assert all(outcome.applied for outcome in outcomes)
    state = await services[0].load(REF, "U0")
    assert state.intake is not None
    assert sorted(r.text for r in state.intake.answers) == sorted(f"team {n}" for n in range(40))


async def test_cancel_through_the_service_closes_the_intake_for_everybody(
    service: IntakeService,
) -> None:
    """A cancel is saved, so later messages from anyone are refused."""
    await service.take_turn(REF, start())
    await service.take_turn(REF, text("cancel"))
    outcome = await service.take_turn(REF, text("40 GB a day", user="bob", minute=2))
    assert [r.template for r in outcome.replies if isinstance(r, Notice)] == [
        msg.INTAKE_IS_CANCELLED
    ]
    state = await service.load(REF, "bob")
    assert state.intake is not None
    assert state.intake.status is IntakeStatus.CANCELLED
    assert state.intake.answers == ()


async def test_a_turn_saves_its_answer_to_the_log_and_its_replies_to_the_outbox_at_once(
    service: IntakeService, redis_client: Redis, key_prefix: str
) -> None:
    """The answer's log entry and the turn's replies are written by the same save as the state."""
    await service.take_turn(REF, start())
    outcome = await service.take_turn(REF, text("40 GB a day"), delivery="Ev7")
    assert outcome.answered == "volume"
    logged = await service.store.log_entries(answer_log_key(REF, key_prefix), AnswerRecord)
    assert [(r.question_id, r.text, r.by) for r in logged] == [("volume", "40 GB a day", "alice")]
    entries = await queued(redis_client, REF, key_prefix)
    assert [entry.replies for entry in entries][-1] == outcome.replies
    assert all(entry.ref == REF for entry in entries)


async def test_a_duplicate_delivery_queues_nothing_more(
    service: IntakeService, redis_client: Redis, key_prefix: str
) -> None:
    """A repeated delivery adds no log entry and no outbox entry."""
    await service.take_turn(REF, start())
    await service.take_turn(REF, text("40 GB a day"), delivery="Ev8")
    before = len(await queued(redis_client, REF, key_prefix))
    again = await service.take_turn(REF, text("40 GB a day"), delivery="Ev8")
    assert again.status is TurnStatus.DUPLICATE
    assert len(await queued(redis_client, REF, key_prefix)) == before
    assert len(await redis_client.lrange(answer_log_key(REF, key_prefix), 0, -1)) == 1


class _NoPosts:
    """An outbound for routes that must not post: any post fails the test."""

    start_command = "/intake"

    async def post(self, *args: object, **kwargs: object) -> IntakeRef:
        raise AssertionError(f"nothing should be posted: {args} {kwargs}")


async def test_after_a_stop_an_event_is_refused_with_a_reason_and_nothing_saved(
    service: IntakeService,
) -> None:
    """A shutdown refuses new turns unsaved, with a "try again" a command's answer can show."""
    service.stop_taking_turns()
    inbound = Inbound(REF, start(), Where.DIRECT, delivery="Ev-after-stop")
    outcome = await service.receive(inbound, _NoPosts())
    assert outcome.status is TurnStatus.REFUSED
    assert not outcome.told
    assert [reply.template for reply in outcome.replies if isinstance(reply, Notice)] == [
        msg.RESTARTING
    ]
    assert (await service.load(REF, "alice")).intake is None


async def test_a_new_intake_after_a_cancelled_one_counts_as_started(
    service: IntakeService,
) -> None:
    """In one place (a direct message) `start` after `cancel` is a new intake for the metrics."""
    service.metrics = Metrics()
    await service.take_turn(REF, start())
    await service.take_turn(REF, text("cancel", minute=1))
    await service.take_turn(REF, start(minute=2, project="Second try"))
    started = service.metrics.registry.get_sample_value(
        "intake_intakes_total", {"platform": "slack", "event": "started"}
    )
    assert started == 2
