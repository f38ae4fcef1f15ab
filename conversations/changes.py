"""What the scope-creep guard records: answer changes, warnings and the owner's decisions.

After the first complete summary (the baseline) every change to an answer the
decision uses is written down, and a change that moves the plan raises a
warning the owner approves or rejects. These are the models only; the rules
that make them live in `scope`, and how they read in a thread in `history`.

A warning's `number` is its name in the thread (`approve 2`), counted per
intake. Readings are stored beside the typed text because a later parser may
read the same words differently, and the record must say what was understood
when the change was made.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from conversations.frozen import Frozen
from conversations.strategies import StrategyId


class AnswerChange(Frozen):
    """One question's used answer, before and after a change (None: it had no answer)."""

    question_id: str
    old_text: str | None
    old_reading: str | None
    new_text: str | None
    new_reading: str | None


class Difference(Frozen):
    """One thing a change moved, in the guide's own terms ("Ease of deployment", "8", "2")."""

    what: str
    before: str
    after: str


class WarningKind(StrEnum):
    """Why the owner is warned; only a scope change waits for a decision."""

    SCOPE_CHANGE = "scope_change"
    """The change moved the strategy, the compute or volume band, the real-time class, or
    added a high risk: the owner approves or rejects it."""
    REPEATED_CHANGES = "repeated_changes"
    """One question's used answer changed more than twice since the baseline."""
    REOPENED = "reopened"
    """A question changed again after the owner approved a change to it."""
    UNSETTLED_CONFLICT = "unsettled_conflict"
    """Stakeholders' answers to one question have disagreed for more than three days."""


class WarningStatus(StrEnum):
    """Where a warning stands; other apps read it from the post's metadata."""

    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    NOTICE = "notice"
    """A warning that tells and waits for nothing (every kind but a scope change)."""
    SUPERSEDED = "superseded"
    """Set aside undecided because too many newer ones were waiting (see `scope`)."""


class ScopeWarning(Frozen):
    """One warning to the owner: what changed, what it moved, and how it was decided."""

    number: int
    kind: WarningKind
    question_ids: tuple[str, ...]
    changes: tuple[AnswerChange, ...] = ()
    differences: tuple[Difference, ...] = ()
    from_strategy: StrategyId
    to_strategy: StrategyId
    by: str
    """Who made the change (or, for a conflict, who touched the intake when it was found)."""
    at: datetime
    status: WarningStatus
    decided_by: str | None = None
    decided_at: datetime | None = None

    @property
    def decidable(self) -> bool:
        """Whether the owner still has to approve or reject it."""
        return self.status is WarningStatus.OPEN


class Changed(Frozen):
    """A history entry: someone's answer changed what the decision uses."""

    kind: Literal["changed"] = "changed"
    by: str
    at: datetime
    change: AnswerChange
    warning: int | None = None
    """The number of the scope-change warning this change raised, if it raised one."""


class Decided(Frozen):
    """A history entry: the owner approved or rejected a warning."""

    kind: Literal["decided"] = "decided"
    by: str
    at: datetime
    warning: int
    status: WarningStatus
    restored: tuple[AnswerChange, ...] = ()
    """For a rejection: the answers put back to the baseline's."""


class Warned(Frozen):
    """A history entry: the owner was warned of something that waits for no decision."""

    kind: Literal["warned"] = "warned"
    by: str
    at: datetime
    warning: int
    reason: WarningKind
    question_id: str


HistoryEntry = Annotated[Changed | Decided | Warned, Field(discriminator="kind")]
