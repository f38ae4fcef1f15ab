"""The inbound port: the one use-case layer every front end calls.

A front end hands `receive` one `Inbound` and the `Outbound` it posts
through. The service decides what the event means where it was written:
`opening` a thread from a channel, or a turn in a thread or a direct
conversation. It works on at most `TURNS_AT_ONCE` turns at a time.

Acknowledged means saved, and saved means posted. A turn's replies are
queued in its channel's outbox by the same script that saves its state and
its delivery mark. The delivery worker (`bot.delivery`) posts them, and
`receive` returns as soon as that script has run: the front end acknowledges
the platform only then.

For one turn (`take_turn`) the service:
- loads the intake and the person's place in one round trip;
- runs the pure dialogue;
- writes both back in one atomic compare-and-set, together with the delivery
  mark, the answer for the intake's log and the replies for the outbox.

So a lost race is retried from fresh state, a repeated delivery is
recognised by Redis itself, and when Redis is away nothing is half-written.
The person is told only when the platform will not retry (`Inbound.last_try`).

Every turn carries a mark with a token of its own, even without a platform
delivery id. Suppose a save times out after Redis ran it, or redis-py sends it
again after a dropped connection. The repeat then comes back as a duplicate
holding this turn's token, so the answer is saved once and the replies are
queued once.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol

import structlog
from pydantic import TypeAdapter
from structlog.contextvars import bound_contextvars

from bot.errors import (
    DeliveryError,
    DeliveryRefusedError,
    Refusal,
    StaleStateError,
    StoreError,
    StoreUnavailableError,
)
from bot.metrics import Metrics
from bot.ports import Inbound, IntakeRef, Outbound, Outcome, TurnStatus, Where
from bot.post_metadata import intake_id
from bot.schedule_times import next_time
from bot.state.keys import (
    answer_log_key,
    channel_index_key,
    delivery_key,
    history_log_key,
    intake_delivery_key,
    intake_key,
    outbox_key,
    place_key,
)
from bot.state.outbox import OutboxEntry
from bot.state.schedules import ScheduleStore
from bot.state.store import (
    Append,
    DeliveryMark,
    Enqueue,
    IndexEntry,
    SaveResult,
    StateStore,
    Write,
    with_retries,
)
from conversations import messages as msg
from conversations.changes import HistoryEntry
from conversations.channel import (
    ChannelCommand,
    DigestCommand,
    ListCommand,
    channel_command,
    channel_list,
    digest_problem,
    is_exact_command,
)
from conversations.dialogue import START_WORD, opening, read_start, step
from conversations.digest import DigestSchedule, ScheduleProblem, read_schedule
from conversations.events import Event, Start, Text
from conversations.history import history_page, page_slice
from conversations.intake import (
    AnswerRecord,
    DialogueState,
    Intake,
    Place,
    new_answer,
    new_answers,
    new_history,
)
from conversations.messages import ROOT_MESSAGE
from conversations.people import Person
from conversations.record import record_filename, requirements_record
from conversations.replies import (
    HistoryRequest,
    Notice,
    Param,
    RecordReply,
    RecordRequest,
    Reply,
    Tone,
)
from conversations.scope import when

log = structlog.get_logger(__name__)

_HISTORY_ENTRY: TypeAdapter[HistoryEntry] = TypeAdapter(HistoryEntry)

MAX_ATTEMPTS = 30
# Jittered exponential backoff between attempts that lost a race: 2 ms, 4 ms, ... 64 ms bounds.
RETRY_BACKOFF_SECONDS = 0.001
# A turn without a platform delivery id is marked only long enough to settle its own save.
TURN_MARK_TTL_SECONDS = 300
# Turns worked on at once in one process. Turns beyond this wait parked, not runnable,
# so under load the event loop keeps answering the platform's requests (acks) promptly.
TURNS_AT_ONCE = 8
# A platform wants its acknowledgement within 3 s (Slack); past this the turn is given up.
TURN_DEADLINE_SECONDS = 2.5


class Deliveries(Protocol):
    """Who posts what turns queued: the delivery worker, told each time a turn queued replies."""

    def poke(self, ref: IntakeRef) -> None:
        """Replies were queued for `ref`'s channel."""


def utc_now() -> datetime:
    """The clock adapters stamp events with; the dialogue itself has none."""
    return datetime.now(UTC)


CANNOT_POST = {
    Refusal.NOT_A_MEMBER: msg.CANNOT_POST_NOT_A_MEMBER,
    Refusal.CHANNEL_GONE: msg.CANNOT_POST_CHANNEL_GONE,
    Refusal.RESTRICTED: msg.CANNOT_POST_RESTRICTED,
}


def _refusal(template: str, ref: IntakeRef | None = None) -> Outcome:
    return Outcome(
        status=TurnStatus.REFUSED, ref=ref, replies=(Notice(template=template, tone=Tone.PROBLEM),)
    )


@dataclass(slots=True)
class IntakeService:
    """Runs dialogue steps against Redis-held state for every front end."""

    store: StateStore
    prefix: str
    place_ttl_seconds: int
    delivery_ttl_seconds: int
    max_attempts: int = MAX_ATTEMPTS
    deliveries: Deliveries | None = None
    turn_deadline_seconds: float = TURN_DEADLINE_SECONDS
    metrics: Metrics | None = None
    # One lock per intake key, held while a turn loads, steps and saves. It only
    # queues this process's own turns on one intake, so they stop losing
    # compare-and-set races to each other; other replicas are still kept
    # honest by the versioned write. Entries vanish with their last waiter.
    _turns: weakref.WeakValueDictionary[str, asyncio.Lock] = field(
        default_factory=weakref.WeakValueDictionary, init=False, repr=False
    )
    _busy: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(TURNS_AT_ONCE), init=False, repr=False
    )
    _taking: bool = field(default=True, init=False)
    _in_flight: int = field(default=0, init=False)
    _idle: asyncio.Event = field(default_factory=asyncio.Event, init=False, repr=False)

    async def receive(self, inbound: Inbound, outbound: Outbound) -> Outcome:
        """The front ends' one entry: apply what a person did; its replies are then posted.

        Returns once the turn and its replies are saved (or it was refused):
        the front end acknowledges the platform on this outcome.
        """
        if not self._taking:
            # Shutting down: platforms that retry will try another replica; a front end that
            # can answer the request itself (Slack's command) shows this.
            return _refusal(msg.RESTARTING, inbound.ref)
        self._in_flight += 1
        self._idle.clear()
        began = time.perf_counter()
        try:
            with bound_contextvars(platform=inbound.ref.platform, delivery=inbound.delivery):
                async with self._busy:
                    outcome = await self._route(inbound, outbound)
                took = time.perf_counter() - began
                _log_turn(inbound, outcome, took)
                if self.metrics is not None:
                    platform = inbound.ref.platform
                    kind = inbound.event.kind
                    self.metrics.turns.labels(platform, kind, outcome.status.value).inc()
                    self.metrics.turn_seconds.labels(platform).observe(took)
                return outcome
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    def stop_taking_turns(self) -> None:
        """From now on every inbound event is refused unsaved (a shutdown has begun)."""
        self._taking = False
        if not self._in_flight:
            self._idle.set()

    async def turns_finished(self) -> None:
        """Wait until no turn is in flight."""
        if self._in_flight:
            await self._idle.wait()

    async def _route(self, inbound: Inbound, outbound: Outbound) -> Outcome:
        ref, event = inbound.ref, inbound.event
        if inbound.where in (Where.CHANNEL, Where.DIRECT) and isinstance(event, Start | Text):
            command = channel_command(event.project if isinstance(event, Start) else event.text)
            # Where a conversation holds an intake of its own (a direct message, the terminal),
            # words that only look like a command ("Digest team and finance") are an answer.
            strict = inbound.where is Where.DIRECT and not ref.thread
            if command is not None and not (strict and not is_exact_command(command)):
                return await self._channel_command(inbound, command, outbound)
        if inbound.where is Where.CHANNEL and isinstance(event, Start | Text):
            wanted = opening(event, outbound.start_command)
            if isinstance(wanted, Start):
                return await self._open_thread(inbound, wanted, outbound)
            shown = await _post_now(outbound, ref, wanted, only_for=event.user)
            return Outcome(
                status=TurnStatus.APPLIED, ref=ref, replies=tuple(wanted), told=shown is not None
            )
        if inbound.where is Where.DIRECT and isinstance(event, Text):
            event = read_start(event) or event
        outcome = await self._turn_in_time(
            ref, event, delivery=inbound.delivery, require_intake=inbound.where is Where.THREAD
        )
        return await self._follow_up(inbound, outcome, outbound, ref)

    async def _channel_command(
        self, inbound: Inbound, command: ChannelCommand, outbound: Outbound
    ) -> Outcome:
        """`digest ...` or `list`: about the channel, so no intake's turn; answered at once."""
        ref = inbound.ref.in_thread("") if inbound.where is Where.CHANNEL else inbound.ref
        user = inbound.event.user
        # How people address the bot here: Slack's `/intake`, else a mention of the bot
        # (Teams); starting an intake by mention takes the word `start` too.
        prefix = outbound.start_command or msg.BOT_MENTION
        starting = outbound.start_command or f"{msg.BOT_MENTION} {START_WORD}"
        public = False
        try:
            if isinstance(command, ListCommand):
                found = await self._schedules().channel_intakes(ref)
                replies = channel_list([intake for _, intake in found], starting)
            else:
                replies, public = await self._digest_command(ref, command, user, prefix)
        except StoreError as exc:
            log.warning("channel.command_failed", error=str(exc))
            replies, public = [Notice(template=msg.COULD_NOT_SAVE, tone=Tone.PROBLEM)], False
        shown = await _post_now(outbound, inbound.ref, replies, only_for=None if public else user)
        return Outcome(
            status=TurnStatus.APPLIED, ref=ref, replies=tuple(replies), told=shown is not None
        )

    async def _digest_command(
        self, ref: IntakeRef, command: DigestCommand, user: str, prefix: str
    ) -> tuple[list[Reply], bool]:
        """Show, set or turn off the channel's digest; the replies, and whether all should see."""
        store = self._schedules()
        now = utc_now()
        words = read_schedule(command.words, user=user, at=now)
        if isinstance(words, ScheduleProblem):
            return [digest_problem(words.problem, prefix)], False
        if words == "off":
            await store.remove_schedule(ref)
            return [_notice(msg.DIGEST_TURNED_OFF, user=Person(id=user))], True
        if words == "show":
            current = await store.schedule(ref)
            if current is None:
                return [_notice(msg.DIGEST_NONE, command=prefix)], False
            return [
                _notice(
                    msg.DIGEST_SHOW,
                    setting=current.describe(),
                    user=Person(id=current.set_by),
                    when=when(current.set_at),
                    next=_next_shown(current, now),
                )
            ], False
        await store.set_schedule(ref, words)
        notice = _notice(
            msg.DIGEST_SET,
            Tone.SAVED,
            setting=words.describe(),
            user=Person(id=user),
            next=_next_shown(words, now),
        )
        return [notice], True

    def _schedules(self) -> ScheduleStore:
        return ScheduleStore(self.store.client, self.prefix)

    async def _open_thread(self, inbound: Inbound, start: Start, outbound: Outbound) -> Outcome:
        """Post the intake's root message in the channel, then start the intake in its thread.

        The delivery is claimed first, so a retried command posts one root, not
        two; when Redis cannot say, nothing is posted but a private "try again".
        """
        ref = inbound.ref
        if inbound.delivery:
            try:
                first = await self.store.remember_delivery(
                    delivery_key(ref.platform, inbound.delivery, self.prefix),
                    self.delivery_ttl_seconds,
                )
            except StoreError as exc:
                log.warning("intake.not_started", error=str(exc))
                refused = _refusal(msg.COULD_NOT_START, ref)
                if inbound.last_try and await _post_now(
                    outbound, ref, refused.replies, only_for=start.user
                ):
                    return replace(refused, told=True)
                return refused
            if not first:
                return Outcome(status=TurnStatus.DUPLICATE, ref=ref)
        root = Notice(
            template=ROOT_MESSAGE,
            params={"project": " ".join(start.project.split()), "user": Person(id=start.user)},
        )
        try:
            thread = await outbound.post(ref, [root])
        except DeliveryError as exc:
            log.warning("intake.root_not_posted", error=str(exc))
            template = (
                CANNOT_POST.get(exc.kind, msg.COULD_NOT_POST)
                if isinstance(exc, DeliveryRefusedError)
                else msg.COULD_NOT_POST
            )
            # Nothing could be posted where the person is: the front end shows this instead.
            return _refusal(template, ref)
        outcome = await self._turn_in_time(thread, start, delivery=inbound.delivery)
        # Slack does not repeat a command: its refusal is final, and it goes in the new thread.
        return await self._follow_up(inbound, outcome, outbound, thread)

    async def _follow_up(
        self, inbound: Inbound, outcome: Outcome, outbound: Outbound, ref: IntakeRef
    ) -> Outcome:
        """Have saved replies posted; tell the person about a refusal the platform won't retry."""
        if outcome.status is TurnStatus.APPLIED and outcome.replies:
            if self.deliveries is not None:
                self.deliveries.poke(ref)
        elif (
            outcome.status is TurnStatus.REFUSED
            and inbound.last_try
            and await _post_now(outbound, ref, outcome.replies)
        ):
            return replace(outcome, told=True)
        return outcome

    async def _turn_in_time(
        self, ref: IntakeRef, event: Event, *, delivery: str | None, require_intake: bool = False
    ) -> Outcome:
        """`take_turn` within the platform's acknowledgement window, else refused.

        A turn cut short may still have been saved; the platform's retry of the
        same delivery then finds its mark and posts nothing twice.
        """
        try:
            async with asyncio.timeout(self.turn_deadline_seconds):
                return await self.take_turn(
                    ref, event, delivery=delivery, require_intake=require_intake
                )
        except TimeoutError:
            log.warning("intake.turn_too_slow", seconds=self.turn_deadline_seconds)
            return _refusal(msg.COULD_NOT_SAVE, ref)

    async def take_turn(
        self,
        ref: IntakeRef,
        event: Event,
        *,
        delivery: str | None = None,
        require_intake: bool = False,
    ) -> Outcome:
        """Step one intake and save the result, posting nothing; a repeated `delivery` counts once.

        With `require_intake`, an event for a thread that holds no intake is
        ignored without a reply: most thread replies in a channel are not ours.
        """
        keys = (intake_key(ref, self.prefix), place_key(ref, event.user, self.prefix))
        token = uuid.uuid4().hex
        mark = DeliveryMark(
            key=intake_delivery_key(ref, delivery or f"turn:{token}", self.prefix),
            ttl_seconds=self.delivery_ttl_seconds if delivery else TURN_MARK_TTL_SECONDS,
            token=token,
        )
        turn = self._turns.setdefault(keys[0], asyncio.Lock())
        try:
            with bound_contextvars(intake=keys[0]):
                async with turn:
                    return await with_retries(
                        lambda: self._attempt(
                            ref,
                            event,
                            keys,
                            mark,
                            require_intake=require_intake,
                            platform=bool(delivery),
                        ),
                        attempts=self.max_attempts,
                        backoff_seconds=RETRY_BACKOFF_SECONDS,
                    )
        except StaleStateError:
            log.warning(
                "intake.gave_up_after_conflicts", intake=keys[0], attempts=self.max_attempts
            )
            return _refusal(msg.BUSY_RETRY, ref)
        except StoreUnavailableError as exc:
            log.warning("intake.store_unavailable", intake=keys[0], error=str(exc))
            self._count_redis_error("turn")
            return _refusal(msg.COULD_NOT_SAVE, ref)
        except StoreError as exc:
            log.error("intake.store_failed", intake=keys[0], error=str(exc))
            self._count_redis_error("turn")
            return _refusal(msg.COULD_NOT_SAVE, ref)

    async def _attempt(
        self,
        ref: IntakeRef,
        event: Event,
        keys: tuple[str, str],
        mark: DeliveryMark,
        *,
        require_intake: bool,
        platform: bool,
    ) -> Outcome:
        intake_k, place_k = keys
        loaded_intake, loaded_place = await self.store.load_many(
            [(intake_k, Intake), (place_k, Place)]
        )
        if loaded_intake is None and require_intake:
            return Outcome(status=TurnStatus.IGNORED, ref=ref)
        before = DialogueState(
            intake=loaded_intake.value if loaded_intake else None,
            place=loaded_place.value if loaded_place else None,
        )
        after, stepped = step(before, event)
        replies = await self._looked_up(ref, after.intake, stepped, event.at)
        writes = []
        if after.intake is not None and after.intake != before.intake:
            writes.append(
                Write(
                    key=intake_k,
                    value=after.intake,
                    expected_version=loaded_intake.version if loaded_intake else None,
                )
            )
        place = after.place if after.place is not None else before.place
        if place is not None:
            # An unchanged place is written too, so an active person's place does not expire.
            writes.append(
                Write(
                    key=place_k,
                    value=place,
                    expected_version=loaded_place.version if loaded_place else None,
                    ttl_seconds=self.place_ttl_seconds,
                )
            )
        index = None
        if loaded_intake is None and after.intake is not None:
            index = IndexEntry(
                key=channel_index_key(ref.platform, ref.workspace, ref.channel, self.prefix),
                member=intake_k,
            )
        answer = new_answer(before.intake, after.intake)
        applied = Outcome(
            status=TurnStatus.APPLIED,
            ref=ref,
            replies=tuple(replies),
            answered=answer.question_id if answer else None,
            state=after,
            told=True,  # the replies are queued by the save below
        )
        if not writes and not replies and not platform:
            return applied  # nothing to save, post or repeat
        answers = answer_log_key(ref, self.prefix)
        logs = [Append(answers, added) for added in new_answers(before.intake, after.intake)]
        history = history_log_key(ref, self.prefix)
        logs += [Append(history, entry) for entry in new_history(before.intake, after.intake)]
        outbox = outbox_key(ref, self.prefix)
        extras = Extras(
            index=index,
            logs=tuple(logs),
            outbox=tuple(
                Enqueue(outbox, OutboxEntry.to(ref, part, only_for=user))
                for user, part in _by_audience(replies)
            ),
        )
        result = await self._save(writes, mark, extras)
        if result.duplicate and result.first_token != mark.token:
            return Outcome(status=TurnStatus.DUPLICATE, ref=ref)
        self._count_milestones(ref.platform, before.intake, after.intake)
        return applied

    async def _save(self, writes: list[Write], mark: DeliveryMark, extras: Extras) -> SaveResult:
        """Save once; if Redis did not answer, ask again with the same mark.

        The second answer settles the first: a duplicate with this turn's token
        means the first save ran; a stale version means it did not and someone
        else wrote (the caller retries from fresh state); no answer again means
        the person is told to check.
        """
        try:
            return await self._save_once(writes, mark, extras)
        except StoreUnavailableError:
            log.info("intake.save_unconfirmed", key=mark.key)
            return await self._save_once(writes, mark, extras)

    async def _save_once(
        self, writes: list[Write], mark: DeliveryMark, extras: Extras
    ) -> SaveResult:
        return await self.store.save_all(
            writes, delivery=mark, index=extras.index, log=extras.logs, outbox=extras.outbox
        )

    async def _looked_up(
        self, ref: IntakeRef, intake: Intake | None, replies: list[Reply], at: datetime
    ) -> list[Reply]:
        """The replies with what the dialogue asked to look up (history, the record) filled in.

        Only the service reads the logs beside an intake; a page of history is
        one round trip, and the record reads the whole logs once, on request.
        """
        if intake is None or not any(
            isinstance(r, HistoryRequest | RecordRequest) for r in replies
        ):
            return replies
        filled: list[Reply] = []
        for reply in replies:
            if isinstance(reply, HistoryRequest):
                filled.extend(await self._history_page(ref, intake, reply.page))
            elif isinstance(reply, RecordRequest):
                filled.append(await self.record(ref, intake, at))
            else:
                filled.append(reply)
        return filled

    async def _history_page(self, ref: IntakeRef, intake: Intake, page: int) -> list[Reply]:
        total, rows = await self.store.log_slice(
            history_log_key(ref, self.prefix), *page_slice(page)
        )
        entries = [_HISTORY_ENTRY.validate_json(row) for row in rows]
        return history_page(
            intake.project, entries, page, total, baseline=intake.baseline is not None
        )

    async def record(self, ref: IntakeRef, intake: Intake, at: datetime) -> RecordReply:
        """The requirements and decision record of one intake, from its record and both logs."""
        answers = await self.store.log_entries(answer_log_key(ref, self.prefix), AnswerRecord)
        _, rows = await self.store.log_slice(history_log_key(ref, self.prefix), 0, -1)
        history = [_HISTORY_ENTRY.validate_json(row) for row in rows]
        return RecordReply(
            project=intake.project,
            filename=record_filename(intake.project, intake.started_at),
            markdown=requirements_record(intake, answers, history, at),
        )

    def _count_milestones(self, platform: str, before: Intake | None, after: Intake | None) -> None:
        """Count an intake that this saved turn started, or brought to its first full summary."""
        if self.metrics is None or after is None:
            return
        # A new intake may replace a cancelled one in the same place (a direct message).
        new = before is None or before.started_at != after.started_at
        if new:
            self.metrics.intakes.labels(platform, "started").inc()
        if after.baseline is not None and (new or before is None or before.baseline is None):
            self.metrics.intakes.labels(platform, "completed").inc()

    def _count_redis_error(self, where: str) -> None:
        if self.metrics is not None:
            self.metrics.redis_errors.labels(where).inc()

    async def load(self, ref: IntakeRef, user: str) -> DialogueState:
        """The current state of one person in one intake (for status pages and tests)."""
        loaded_intake, loaded_place = await self.store.load_many(
            [(intake_key(ref, self.prefix), Intake), (place_key(ref, user, self.prefix), Place)]
        )
        return DialogueState(
            intake=loaded_intake.value if loaded_intake else None,
            place=loaded_place.value if loaded_place else None,
        )


@dataclass(frozen=True, slots=True)
class Extras:
    """What a turn's save writes besides state: index member, log entry, outbox entry."""

    index: IndexEntry | None
    logs: tuple[Append, ...]
    outbox: tuple[Enqueue, ...]


def _notice(template: str, tone: Tone = Tone.INFO, **params: Param) -> Notice:
    return Notice(template=template, params=params, tone=tone)


def _next_shown(schedule: DigestSchedule, now: datetime) -> str:
    """When the next digest comes, in the channel's own time zone."""
    upcoming = next_time(schedule, now)
    if upcoming is None:
        return "-"
    return f"{upcoming:%a %Y-%m-%d %H:%M} {schedule.timezone}"


def _by_audience(replies: Sequence[Reply]) -> list[tuple[str | None, tuple[Reply, ...]]]:
    """The replies in runs for one audience each: everyone (None), or one user privately."""
    runs: list[tuple[str | None, tuple[Reply, ...]]] = []
    for reply in replies:
        user = reply.only_for if isinstance(reply, Notice) else None
        if runs and runs[-1][0] == user:
            runs[-1] = (user, (*runs[-1][1], reply))
        else:
            runs.append((user, (reply,)))
    return runs


def _log_turn(inbound: Inbound, outcome: Outcome, seconds: float) -> None:
    """One line per turn: where, who, what, and what became of it (no text people typed)."""
    where = outcome.ref or inbound.ref
    level = logging.DEBUG if outcome.status is TurnStatus.IGNORED else logging.INFO
    log.log(
        level,
        "turn",
        intake=intake_id(where),
        team=where.workspace,
        channel=where.channel,
        user=inbound.event.user,
        kind=inbound.event.kind,
        where=inbound.where.value,
        question=outcome.answered,
        outcome=outcome.status.value,
        latency_ms=round(seconds * 1000, 1),
    )


async def _post_now(
    outbound: Outbound, where: IntakeRef, replies: Sequence[Reply], *, only_for: str | None = None
) -> IntakeRef | None:
    """Post without the outbox (nothing was saved to queue it with); None if it failed."""
    try:
        return await outbound.post(where, replies, only_for=only_for)
    except DeliveryError as exc:
        log.warning("post.failed", error=str(exc))
        return None
