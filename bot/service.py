"""The one use-case layer every adapter calls: load, step, save, reply.

An adapter hands over a neutral event for one intake; the service loads the
intake and the person's place in one round trip, runs the pure dialogue, and
writes both back in one atomic compare-and-set together with the delivery id.
So a lost race is retried from fresh state, a repeated delivery is recognised
by Redis itself, and when Redis is away the person is told and nothing is
half-written.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

import structlog
from pydantic import BaseModel

from bot.errors import StaleStateError, StoreUnavailableError
from bot.keys import IntakeRef, channel_index_key, intake_delivery_key, intake_key, place_key
from bot.store import DeliveryMark, IndexEntry, StateStore, Versioned, Write, with_retries
from conversations import messages as msg
from conversations.dialogue import step
from conversations.events import Event
from conversations.intake import DialogueState, Intake, Place
from conversations.replies import Notice, Reply, Tone

log = structlog.get_logger(__name__)

MAX_ATTEMPTS = 30
# How many recently written keys a process remembers (each an intake or a place).
REMEMBERED_KEYS = 4096
# Jittered exponential backoff between attempts that lost a race: 2 ms, 4 ms, ... 64 ms bounds.
RETRY_BACKOFF_SECONDS = 0.001


def utc_now() -> datetime:
    """The service's clock; the dialogue itself has none."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one event: the replies to show, and whether it was new and saved."""

    replies: list[Reply] = field(default_factory=list)
    duplicate: bool = False
    ignored: bool = False
    saved: bool = True
    state: DialogueState | None = None


@dataclass(slots=True)
class IntakeService:
    """Runs dialogue steps against Redis-held state for every front end."""

    store: StateStore
    prefix: str
    place_ttl_seconds: int
    delivery_ttl_seconds: int
    clock: Callable[[], datetime] = utc_now
    max_attempts: int = MAX_ATTEMPTS
    # One lock per intake key, held while a turn loads, steps and saves. It only
    # queues this process's own turns on one intake, so they stop losing
    # compare-and-set races to each other; other replicas are still kept
    # honest by the versioned write. Entries vanish with their last waiter.
    _turns: weakref.WeakValueDictionary[str, asyncio.Lock] = field(
        default_factory=weakref.WeakValueDictionary, init=False, repr=False
    )
    # What this process last wrote, with its version (least recently used dropped first).
    # A turn that finds both its keys here skips the load; the compare-and-set on save
    # still proves them current, and a lost race forgets them and loads afresh.
    _known: OrderedDict[str, Versioned[BaseModel]] = field(
        default_factory=OrderedDict, init=False, repr=False
    )

    async def handle(
        self,
        ref: IntakeRef,
        event: Event,
        *,
        platform_delivery: str | None = None,
        require_intake: bool = False,
    ) -> Outcome:
        """Apply one event; a repeated `platform_delivery` id is applied once only.

        With `require_intake`, an event for a thread that holds no intake is
        ignored without a reply: most thread replies in a channel are not ours.
        """
        keys = (intake_key(ref, self.prefix), place_key(ref, event.user, self.prefix))
        logger = log.bind(intake=keys[0], delivery=platform_delivery)
        delivery = (
            DeliveryMark(
                key=intake_delivery_key(ref, platform_delivery, self.prefix),
                ttl_seconds=self.delivery_ttl_seconds,
            )
            if platform_delivery
            else None
        )
        turn = self._turns.setdefault(keys[0], asyncio.Lock())
        try:
            async with turn:
                return await with_retries(
                    lambda: self._forgetting_on_failure(
                        keys, self._step_and_save(ref, event, keys, delivery, require_intake)
                    ),
                    attempts=self.max_attempts,
                    backoff_seconds=RETRY_BACKOFF_SECONDS,
                )
        except StaleStateError:
            logger.warning("intake.gave_up_after_conflicts", attempts=self.max_attempts)
            return Outcome(
                replies=[Notice(template=msg.BUSY_RETRY, tone=Tone.PROBLEM)], saved=False
            )
        except StoreUnavailableError as exc:
            logger.warning("intake.store_unavailable", error=str(exc))
            return Outcome(
                replies=[Notice(template=msg.COULD_NOT_SAVE, tone=Tone.PROBLEM)], saved=False
            )

    async def _forgetting_on_failure(
        self, keys: tuple[str, str], attempt: Awaitable[Outcome]
    ) -> Outcome:
        """Run one attempt; when it loses a race or Redis is away, forget what was remembered."""
        try:
            return await attempt
        except (StaleStateError, StoreUnavailableError):
            for key in keys:
                self._known.pop(key, None)
            raise

    async def _step_and_save(
        self,
        ref: IntakeRef,
        event: Event,
        keys: tuple[str, str],
        delivery: DeliveryMark | None,
        require_intake: bool,
    ) -> Outcome:
        intake_k, place_k = keys
        remembered = intake_k in self._known and place_k in self._known
        loaded_intake: Versioned[BaseModel] | None
        loaded_place: Versioned[BaseModel] | None
        if remembered:
            loaded_intake, loaded_place = self._known[intake_k], self._known[place_k]
        else:
            loaded_intake, loaded_place = await self.store.load_many(
                [(intake_k, Intake), (place_k, Place)]
            )
        if loaded_intake is None and require_intake:
            return Outcome(ignored=True, saved=False)
        before = DialogueState(
            intake=cast(Intake, loaded_intake.value) if loaded_intake else None,
            place=cast(Place, loaded_place.value) if loaded_place else None,
        )
        after, replies = step(before, event)
        writes = []
        # State remembered from this process's last write is checked by writing the intake
        # back even when it is unchanged: the compare-and-set then proves it is still current.
        if after.intake is not None and (after.intake != before.intake or remembered):
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
        if writes or delivery:
            result = await self.store.save_all(writes, delivery=delivery, index=index)
            if result.duplicate:
                return Outcome(duplicate=True, saved=False)
            self._remember(writes, result.versions)
        return Outcome(replies=replies, state=after)

    def _remember(self, writes: list[Write], versions: Mapping[str, int]) -> None:
        """Keep what was just written, so this process's next turn on it skips the load."""
        for write in writes:
            self._known[write.key] = Versioned(write.value, versions[write.key])
            self._known.move_to_end(write.key)
        while len(self._known) > REMEMBERED_KEYS:
            self._known.popitem(last=False)

    async def load(self, ref: IntakeRef, user: str) -> DialogueState:
        """The current state of one person in one intake (for status pages and tests)."""
        loaded_intake, loaded_place = await self.store.load_many(
            [(intake_key(ref, self.prefix), Intake), (place_key(ref, user, self.prefix), Place)]
        )
        return DialogueState(
            intake=loaded_intake.value if loaded_intake else None,
            place=loaded_place.value if loaded_place else None,
        )
