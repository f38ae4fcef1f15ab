"""The two ports every front end uses, and the neutral types that cross them.

Inbound, a front end (Slack, Teams, the terminal) turns what a person did into
one `Inbound` and hands it to `IntakeService.receive`; it reads back one
`Outcome` whose `status` says what happened. Outbound, the front end
implements `Outbound`: post neutral replies to a place and say where they
landed. The service, and later the outbox worker and scheduled posts, only
ever post through that one method, so a front end is translation both ways
and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from conversations.events import Event
from conversations.intake import DialogueState
from conversations.replies import Reply


@dataclass(frozen=True, slots=True)
class IntakeRef:
    """Where one intake lives: a thread in a channel of a workspace on a platform.

    `thread` is empty for a place that is not a thread: a channel's top level
    (where a new thread is opened), a direct conversation, the terminal.
    """

    platform: str
    workspace: str
    channel: str
    thread: str

    def in_thread(self, thread: str) -> IntakeRef:
        """The same channel, in `thread`."""
        return IntakeRef(self.platform, self.workspace, self.channel, thread)


class Where(StrEnum):
    """Where a person wrote, which decides what their words can do."""

    THREAD = "thread"
    """A reply in a thread: it acts on the intake there, and is ignored where there is none."""
    CHANNEL = "channel"
    """Addressed to the bot at the top of a channel: `start <project>` opens a thread for it."""
    DIRECT = "direct"
    """A conversation of its own (a direct message, the terminal): it holds one intake."""


@dataclass(frozen=True, slots=True)
class Inbound:
    """One thing a person did, as every front end hands it over.

    `delivery` is the platform's id for this delivery, the same on its retries
    (Slack's `event_id`, a Bot Framework activity id); a repeated one is applied once.
    """

    ref: IntakeRef
    event: Event
    where: Where
    delivery: str | None = None
    last_try: bool = True
    """False while the platform will deliver this again if it is not acknowledged (Slack
    retries an event up to three times): a refusal then goes unsaid, and the retry decides."""


class TurnStatus(StrEnum):
    """What became of an inbound event."""

    APPLIED = "applied"
    """Taken: its state is saved (where it changed any) and its replies posted."""
    DUPLICATE = "duplicate"
    """A delivery seen before: nothing was done again."""
    IGNORED = "ignored"
    """Not for the bot: a thread reply where no intake lives."""
    REFUSED = "refused"
    """Not taken: nothing was saved (storage down, too busy, shutting down); the replies say
    why, and `Outcome.told` whether the person has been shown them."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one inbound event.

    `ref` is where the intake lives (for a start, the thread it opened).
    `answered` is the question id whose answer this turn saved, if any, so a
    front end can mark the clicked question as answered without reading replies.
    """

    status: TurnStatus
    ref: IntakeRef | None = None
    replies: tuple[Reply, ...] = ()
    answered: str | None = None
    state: DialogueState | None = field(default=None, compare=False)
    told: bool = False
    """Whether the replies were shown, or queued to be, where the person is. A front end
    that can answer the request itself (Slack's command acknowledgement) shows replies
    that were not: the bot may not be able to post in that channel at all."""

    @property
    def applied(self) -> bool:
        """Whether the event was taken."""
        return self.status is TurnStatus.APPLIED


class Outbound(Protocol):
    """What a front end implements to show replies; the only way anything is posted."""

    @property
    def start_command(self) -> str | None:
        """The front end's own command for starting an intake (Slack's `/intake`), if it has one."""
        ...

    async def post(
        self,
        where: IntakeRef,
        replies: Sequence[Reply],
        *,
        only_for: str | None = None,
        key: str | None = None,
        maybe_posted: bool = False,
    ) -> IntakeRef:
        """Post `replies` at `where`, in order, and return where they landed.

        At a channel's top level (`where.thread` empty, on a platform with
        threads) the first post opens a thread, and the returned ref names it.
        `only_for` shows the replies to that one user only (Slack's ephemeral
        messages), for answers nobody else needs to see.

        `key` identifies the replies (the outbox id) and travels with every
        post. With `maybe_posted`, an earlier attempt with this key may have
        gone through: the front end looks for posts carrying the key first and
        posts only what is missing, so nothing appears twice.

        Raises a `bot.errors.DeliveryError` subclass when the post did not
        certainly happen.
        """
        ...
