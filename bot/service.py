"""The inbound port: the one use-case layer every front end calls.

A front end hands `receive` one `Inbound` and the `Outbound` it posts
through; the service decides what the event means where it was written
(`opening` a thread from a channel, a turn in a thread or a direct
conversation), works on at most `TURNS_AT_ONCE` turns at a time, and posts
the replies. For one turn (`take_turn`) it loads the
intake and the person's place in one round trip, runs the pure dialogue, and
writes both back in one atomic compare-and-set together with a delivery mark.
So a lost race is retried from fresh state, a repeated delivery is recognised
by Redis itself, and when Redis is away the person is told and nothing is
half-written.

Every turn carries a mark with a token of its own, even without a platform
delivery id. A save that times out after Redis ran it, or that redis-py sends
again after a dropped connection, then comes back as a duplicate holding this
turn's token: the answer was saved once, and the person gets their replies.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from structlog.contextvars import bound_contextvars

from bot.errors import StaleStateError, StoreError, StoreUnavailableError
from bot.ports import Inbound, IntakeRef, Outbound, Outcome, TurnStatus, Where
from bot.state.keys import (
    channel_index_key,
    delivery_key,
    intake_delivery_key,
    intake_key,
    place_key,
)
from bot.state.store import DeliveryMark, IndexEntry, SaveResult, StateStore, Write, with_retries
from conversations import messages as msg
from conversations.dialogue import opening, read_start, step
from conversations.events import Event, Start, Text
from conversations.intake import AnswerRecord, DialogueState, Intake, Place, new_answer
from conversations.messages import ROOT_MESSAGE
from conversations.people import Person
from conversations.replies import Notice, Tone

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 30
# Jittered exponential backoff between attempts that lost a race: 2 ms, 4 ms, ... 64 ms bounds.
RETRY_BACKOFF_SECONDS = 0.001
# A turn without a platform delivery id is marked only long enough to settle its own save.
TURN_MARK_TTL_SECONDS = 300
# Turns worked on at once in one process. Turns beyond this wait parked, not runnable,
# so under load the event loop keeps answering the platform's requests (acks) promptly.
TURNS_AT_ONCE = 8


def utc_now() -> datetime:
    """The clock adapters stamp events with; the dialogue itself has none."""
    return datetime.now(UTC)


def _refusal(template: str) -> Outcome:
    return Outcome(
        status=TurnStatus.REFUSED, replies=(Notice(template=template, tone=Tone.PROBLEM),)
    )


@dataclass(slots=True)
class IntakeService:
    """Runs dialogue steps against Redis-held state for every front end."""

    store: StateStore
    prefix: str
    place_ttl_seconds: int
    delivery_ttl_seconds: int
    max_attempts: int = MAX_ATTEMPTS
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

    async def receive(self, inbound: Inbound, outbound: Outbound) -> Outcome:
        """The front ends' one entry: apply what a person did, and post the replies."""
        with bound_contextvars(platform=inbound.ref.platform, delivery=inbound.delivery):
            async with self._busy:
                outcome = await self._route(inbound, outbound)
            if outcome.status in (TurnStatus.DUPLICATE, TurnStatus.IGNORED):
                log.info("turn.skipped", status=outcome.status.value)
            return outcome

    async def _route(self, inbound: Inbound, outbound: Outbound) -> Outcome:
        ref, event = inbound.ref, inbound.event
        if inbound.where is Where.CHANNEL and isinstance(event, Start | Text):
            wanted = opening(event, outbound.start_command)
            if isinstance(wanted, Start):
                return await self._open_thread(inbound, wanted, outbound)
            await outbound.post(ref, wanted, only_for=event.user)
            return Outcome(status=TurnStatus.APPLIED, ref=ref, replies=tuple(wanted))
        if inbound.where is Where.DIRECT and isinstance(event, Text):
            event = read_start(event) or event
        outcome = await self.take_turn(
            ref,
            event,
            delivery=inbound.delivery,
            require_intake=inbound.where is Where.THREAD,
        )
        if outcome.replies and outcome.status in (TurnStatus.APPLIED, TurnStatus.REFUSED):
            await outbound.post(ref, outcome.replies)
        return outcome

    async def _open_thread(self, inbound: Inbound, start: Start, outbound: Outbound) -> Outcome:
        """Post the intake's root message in the channel, then start the intake in its thread.

        The delivery is claimed first, so a retried command posts one root, not two.
        """
        if inbound.delivery and not await self._claim_delivery(
            inbound.ref.platform, inbound.delivery
        ):
            return Outcome(status=TurnStatus.DUPLICATE, ref=inbound.ref)
        root = Notice(
            template=ROOT_MESSAGE,
            params={"project": " ".join(start.project.split()), "user": Person(id=start.user)},
        )
        thread = await outbound.post(inbound.ref, [root])
        if thread is None:
            return Outcome(status=TurnStatus.REFUSED, ref=inbound.ref)
        outcome = await self.take_turn(thread, start, delivery=inbound.delivery)
        if outcome.replies:
            await outbound.post(thread, outcome.replies)
        return outcome

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
            return _refusal(msg.BUSY_RETRY)
        except StoreUnavailableError as exc:
            log.warning("intake.store_unavailable", intake=keys[0], error=str(exc))
            return _refusal(msg.COULD_NOT_SAVE)
        except StoreError as exc:
            log.error("intake.store_failed", intake=keys[0], error=str(exc))
            return _refusal(msg.COULD_NOT_SAVE)

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
        after, replies = step(before, event)
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
        applied = Outcome(
            status=TurnStatus.APPLIED,
            ref=ref,
            replies=tuple(replies),
            answered=_question_of(new_answer(before.intake, after.intake)),
            state=after,
        )
        if not writes and not platform:
            return applied  # nothing to save, nothing to repeat
        result = await self._save(writes, mark, index)
        if result.duplicate and result.first_token != mark.token:
            return Outcome(status=TurnStatus.DUPLICATE, ref=ref)
        return applied

    async def _save(
        self, writes: list[Write], mark: DeliveryMark, index: IndexEntry | None
    ) -> SaveResult:
        """Save once; if Redis did not answer, ask again with the same mark.

        The second answer settles the first: a duplicate with this turn's token
        means the first save ran; a stale version means it did not and someone
        else wrote (the caller retries from fresh state); no answer again means
        the person is told to check.
        """
        try:
            return await self.store.save_all(writes, delivery=mark, index=index)
        except StoreUnavailableError:
            log.info("intake.save_unconfirmed", key=mark.key)
            return await self.store.save_all(writes, delivery=mark, index=index)

    async def _claim_delivery(self, platform: str, delivery_id: str) -> bool:
        """True the first time a delivery is seen, for side effects that come before any state.

        When Redis cannot say, the delivery is treated as new: the step that
        follows reports the outage to the person itself.
        """
        try:
            return await self.store.remember_delivery(
                delivery_key(platform, delivery_id, self.prefix), self.delivery_ttl_seconds
            )
        except StoreError as exc:
            log.warning("intake.delivery_unchecked", error=str(exc))
            return True

    async def load(self, ref: IntakeRef, user: str) -> DialogueState:
        """The current state of one person in one intake (for status pages and tests)."""
        loaded_intake, loaded_place = await self.store.load_many(
            [(intake_key(ref, self.prefix), Intake), (place_key(ref, user, self.prefix), Place)]
        )
        return DialogueState(
            intake=loaded_intake.value if loaded_intake else None,
            place=loaded_place.value if loaded_place else None,
        )


def _question_of(record: AnswerRecord | None) -> str | None:
    return record.question_id if record else None
