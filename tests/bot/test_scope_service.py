"""The scope-creep guard through IntakeService on a real Redis: logs, private refusals, pages, the record.

Tests that take ``service`` run once per backend (the embedded Redis, and the
server named by REDIS_URL when set), each under a key prefix of its own.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import TypeAdapter
from redis.asyncio import Redis

from bot.console import ConsoleOutbound
from bot.ports import Inbound, IntakeRef, Outcome, Where
from bot.service import IntakeService
from bot.state.keys import answer_log_key, history_log_key, outbox_key
from bot.state.outbox import OutboxEntry
from bot.state.store import StateStore
from conversations import messages as msg
from conversations.changes import Changed, Decided, HistoryEntry, WarningStatus
from conversations.events import Start, Text
from conversations.history import PAGE_SIZE
from conversations.people import Person
from conversations.replies import Notice, RecordReply, SummaryReply, WarningReply
from tests.conversations.test_scope import BATCH_ANSWERS

REF = IntakeRef("slack", "T0001", "C0001", "1718000000.000100")
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
MARIA = Person(id="maria", name="Maria")
HISTORY: TypeAdapter[HistoryEntry] = TypeAdapter(HistoryEntry)


class Clock:
    """A minute per event, so 'latest' is well defined."""

    def __init__(self) -> None:
        self.minutes = 0

    def __call__(self) -> datetime:
        self.minutes += 1
        return T0 + timedelta(minutes=self.minutes)


@pytest.fixture
def service(store: StateStore) -> IntakeService:
    """A service on this test's fresh store."""
    return IntakeService(
        store=store, prefix=store.prefix, place_ttl_seconds=3600, delivery_ttl_seconds=3600
    )


async def say(
    service: IntakeService, clock: Clock, words: str, user: str = "alice", **kw: object
) -> Outcome:
    """One typed message in the thread, as `user`."""
    mentions = (MARIA,) if "@Maria" in words else ()
    event = Text(user=user, at=clock(), text=words, mentions=mentions)
    outcome = await service.take_turn(REF, event)
    assert outcome.applied, outcome
    return outcome


async def baseline(service: IntakeService, clock: Clock) -> None:
    """Start, answer every question (batch), name Maria the owner."""
    await service.take_turn(REF, Start(user="alice", at=clock(), project="Fraud scoring"))
    for text in BATCH_ANSWERS.values():
        await say(service, clock, text)
    await say(service, clock, "owner @Maria")


async def warned(service: IntakeService) -> Clock:
    """The batch baseline, owned by Maria, then volume to 4 TB a day: warning 1 is open."""
    clock = Clock()
    await baseline(service, clock)
    await say(service, clock, "edit volume")
    await say(service, clock, "4 TB a day")
    return clock


async def history_log(client: Redis, prefix: str) -> list[HistoryEntry]:
    rows = await client.lrange(history_log_key(REF, prefix), 0, -1)
    return [HISTORY.validate_json(row) for row in rows]


async def queued(client: Redis, prefix: str) -> list[OutboxEntry]:
    rows = await client.xrange(outbox_key(REF, prefix))
    return [OutboxEntry.model_validate_json(fields[b"d"]) for _, fields in rows]


async def test_a_warning_and_its_history_are_saved_with_the_turn(
    service: IntakeService, store: StateStore
) -> None:
    """The change goes to the history log and the warning to the outbox, in the same save."""
    clock = Clock()
    await baseline(service, clock)
    await say(service, clock, "edit volume")
    outcome = await say(service, clock, "4 TB a day")
    [warning] = [r for r in outcome.replies if isinstance(r, WarningReply)]
    [entry] = await history_log(store.client, store.prefix)
    assert isinstance(entry, Changed)
    assert (entry.change.old_text, entry.change.new_text, entry.warning) == (
        "40 GB a day",
        "4 TB a day",
        warning.warning.number,
    )
    last = (await queued(store.client, store.prefix))[-1]
    assert last.only_for is None
    assert warning in last.replies


async def test_a_refusal_is_queued_for_the_one_person_and_changes_nothing(
    service: IntakeService, store: StateStore
) -> None:
    """A stakeholder's approve is an outbox entry of its own, only for them; the warning stays."""
    clock = await warned(service)
    outcome = await say(service, clock, "approve 1", user="bob")
    assert not [r for r in outcome.replies if isinstance(r, WarningReply) and r.in_place]
    last = (await queued(store.client, store.prefix))[-1]
    assert last.only_for == "bob"
    [refusal] = last.replies
    assert isinstance(refusal, Notice)
    assert refusal.template == msg.SCOPE_ONLY_OWNER
    state = await service.load(REF, "bob")
    assert state.intake is not None
    assert [w.number for w in state.intake.open_warnings] == [1]


async def test_the_owners_decision_says_which_warning_to_update(
    service: IntakeService, store: StateStore
) -> None:
    """Approve queues the decided warning's card to replace the open one, and logs the decision."""
    clock = await warned(service)
    outcome = await say(service, clock, "approve", user="maria")
    [decided] = [r for r in outcome.replies if isinstance(r, WarningReply) and r.in_place]
    assert decided.warning.number == 1
    assert decided.warning.status is WarningStatus.APPROVED
    assert decided.warning.decided_by == "maria"
    assert decided.lines[-1].template == msg.SCOPE_DECIDED_APPROVED
    assert any(isinstance(r, SummaryReply) for r in outcome.replies)
    entries = await history_log(store.client, store.prefix)
    assert isinstance(entries[-1], Decided)
    assert entries[-1].status is WarningStatus.APPROVED


async def test_history_pages_read_newest_first_from_the_log(service: IntakeService) -> None:
    """Twelve changes: page 1 holds the newest ten and points on; page 2 the rest; page 3 is none."""
    clock = Clock()
    await baseline(service, clock)
    # Wording changes to the stakeholders move nothing but are each a change; after the
    # third one the owner is told it keeps changing (one more history entry).
    for n in range(12):
        await say(service, clock, "edit stakeholders")
        await say(service, clock, f"@maria, the fraud team, finance {n}")
    first = (await say(service, clock, "history")).replies
    notices = [r for r in first if isinstance(r, Notice)]
    assert notices[0].template == msg.HISTORY_HEADER
    assert notices[0].params["total"] == 13
    assert notices[0].params["pages"] == 2
    assert len(notices) == 1 + PAGE_SIZE + 1
    assert "finance 11" in str(notices[1].params["new"])
    assert notices[-1].template == msg.HISTORY_MORE
    second = [r for r in (await say(service, clock, "history 2")).replies if isinstance(r, Notice)]
    assert len(second) == 1 + 3
    assert second[-1].params.get("old") == "@maria, the fraud team"
    third = (await say(service, clock, "history 3")).replies
    assert [r.template for r in third if isinstance(r, Notice)] == [msg.HISTORY_NO_PAGE]


async def test_history_before_the_first_summary_says_it_has_not_begun(
    service: IntakeService,
) -> None:
    """No baseline yet: `history` says the history starts with the first summary."""
    clock = Clock()
    await service.take_turn(REF, Start(user="alice", at=clock(), project="Fraud scoring"))
    replies = (await say(service, clock, "history")).replies
    assert [r.template for r in replies if isinstance(r, Notice)] == [msg.HISTORY_NO_BASELINE]


async def test_the_record_holds_every_answer_conflict_change_and_decision(
    service: IntakeService, store: StateStore
) -> None:
    """`export` writes the whole record: answers with who and when, conflicts, history."""
    clock = Clock()
    await baseline(service, clock)
    await say(service, clock, "edit sla", user="bob")
    await say(service, clock, "within 2 hours", user="bob")
    await say(service, clock, "edit volume")
    await say(service, clock, "4 TB a day")
    await say(service, clock, "approve", user="maria")
    await say(service, clock, "edit volume")
    await say(service, clock, "[free](http://evil.example) 500 MB a day")
    await say(service, clock, "reject", user="maria")
    outcome = await say(service, clock, "export")
    [record] = [r for r in outcome.replies if isinstance(r, RecordReply)]
    text = record.markdown
    assert record.filename == "requirements-fraud-scoring-2025-03-03.md"
    assert text.startswith("# Requirements and decision record: Fraud scoring\n")
    assert "- Project owner: maria" in text
    for heading in (
        "## Recommendation: Batch",
        "### Report card",
        "### Compute sizing",
        "### Alternatives",
        "### Risks",
        "## Answers",
        "## Conflicts",
        "## Change history",
    ):
        assert heading in text, heading
    volume = text.split("### 1. Data volume")[1].split("### 2.")[0]
    # Every answer given, the replaced ones too, from the answer log; the reject put back
    # the baseline's answer (4 TB since the approval) as Maria's own.
    assert "alice: 40 GB a day" in volume
    assert "alice: 4 TB a day" in volume
    assert "maria: 4 TB a day" in volume
    assert "Used: 4 TB a day" in volume
    assert r"\[free\](http://evil.example)" in volume
    assert "bob: within 2 hours" in text.split("## Conflicts")[1]
    history = text.split("## Change history")[1]
    assert "maria approved scope change 1" in history
    assert "warning 3 to the owner: a question reopened after an approval" in history
    assert "maria rejected scope change 2; Data volume 4 TB a day put back" in history
    logged = await store.client.llen(answer_log_key(REF, store.prefix))
    assert logged == len(BATCH_ANSWERS) + 4  # bob's, two of alice's, maria's restored one


async def test_an_answer_that_starts_like_a_command_is_an_answer_in_a_direct_message(
    service: IntakeService,
) -> None:
    """In a DM intake, "Digest team and finance" answers the stakeholders question; "list" lists."""
    dm = IntakeRef("slack", "T0001", "D0001", "")
    outbound = ConsoleOutbound(io.StringIO())
    clock = Clock()

    async def typed(words: str) -> Outcome:
        event = Text(user="alice", at=clock(), text=words)
        return await service.receive(Inbound(dm, event, Where.DIRECT), outbound)

    await typed("start Fraud scoring")
    await typed("40 GB a day")
    await typed("Digest team and finance")
    state = await service.load(dm, "alice")
    assert state.intake is not None
    assert [r.text for r in state.intake.answers if r.question_id == "stakeholders"] == [
        "Digest team and finance"
    ]
    mistyped = await typed("digest daily 9am")  # a schedule, mistyped: told so, not saved
    assert any(isinstance(r, Notice) and r.template == msg.DIGEST_PROBLEM for r in mistyped.replies)
    listed = await typed("list")
    assert any(isinstance(r, Notice) and r.template == msg.LIST_HEADER for r in listed.replies)
