"""Typed answers: what the parsers produce and the decision engine consumes.

Each value keeps the person's own words (`text`) beside the normalised figure,
so a card can show "40 GB a day" while the engine compares 40.0 GB/day.
Values are frozen so that equal answers compare equal, which is how two
stakeholders giving the same answer in different words are told apart from a
real conflict.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from conversations.frozen import Frozen

_WORDING = {"text", "note"}


class Value(Frozen):
    """Base of every parsed answer: frozen, and compared without the raw text or the note."""

    text: str = Field(default="", exclude=False, repr=False)
    note: str = Field(default="", repr=False)
    """How a range or a hedge was read ("10-20 GB a day: planning for 20 GB"); empty if plain.

    The bot says it back with the confirmation, so a person can correct a reading they did not
    mean; it is wording, not the answer, so two answers that read the same still agree.
    """

    def same_as(self, other: Value) -> bool:
        """Two answers agree when everything but the wording is equal."""
        return type(self) is type(other) and self.model_dump(exclude=_WORDING) == other.model_dump(
            exclude=_WORDING
        )


class VolumeBand(StrEnum):
    """The relative volumes, per day: low < 2 GB <= moderate < 25 GB <= high <= 750 GB < massive."""

    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    MASSIVE = "massive"


class ChurnKind(StrEnum):
    """How fast the data is replaced, slowest first (the churn column of the decision table)."""

    NEVER = "never"
    LOW = "low"
    CADENCE = "cadence"
    CONSTANT = "constant"


class RealTime(StrEnum):
    """The decision table's "real-time / millisecond SLA?" column."""

    YES = "yes"
    MAYBE = "maybe"
    NO = "no"


class CustomerKind(StrEnum):
    """The customer systems of the decision table."""

    INTERNAL_HIGH_THROUGHPUT = "internal_high_throughput"
    EXTERNAL = "external"
    INTERNAL_PRIVATE = "internal_private"
    FILE_BASED = "file_based"


class ModelFamily(StrEnum):
    """The "simpler is better" split: what the training-cost argument compares."""

    SIMPLE = "simple"
    DEEP = "deep"
    UNKNOWN = "unknown"


LOW_BAND_LIMIT_GB = 2.0
MODERATE_BAND_LIMIT_GB = 25.0
HIGH_BAND_LIMIT_GB = 750.0


def band_for(gb_per_day: float) -> VolumeBand:
    """Place a daily volume in the volume bands (docs/decision-guide.md).

    2 GB and 25 GB belong to the band above them; 750 GB is still high, as the
    XL workload is "25-750 GB" and only beyond it is massive.
    """
    if gb_per_day < LOW_BAND_LIMIT_GB:
        return VolumeBand.LOW
    if gb_per_day < MODERATE_BAND_LIMIT_GB:
        return VolumeBand.MODERATE
    if gb_per_day <= HIGH_BAND_LIMIT_GB:
        return VolumeBand.HIGH
    return VolumeBand.MASSIVE


class Volume(Value):
    """Data throughput, normalised to decimal gigabytes per day."""

    gb_per_day: float

    @property
    def band(self) -> VolumeBand:
        """The relative volume for the decision table."""
        return band_for(self.gb_per_day)


class Churn(Value):
    """Data velocity; `period_minutes` is kept for a schedule ("every 15 minutes", "nightly")."""

    kind: ChurnKind
    period_minutes: float | None = None


class Decay(Value):
    """How often the model must be retrained; None means it need not be."""

    retrain_every_days: float | None


class Frequency(Value):
    """How often the model is invoked, as calls per second."""

    calls_per_second: float


class Config(Value):
    """Whether custom configuration alters the system's state, with the person's details."""

    stateful: bool
    details: str = ""

    def same_as(self, other: Value) -> bool:
        """Details are prose: two people agree when they agree on statefulness."""
        return isinstance(other, Config) and self.stateful == other.stateful


REALTIME_LIMIT_SECONDS = 1.0
MAYBE_LIMIT_SECONDS = 15 * 60.0


class Sla(Value):
    """The response time needed; None means there is no SLA."""

    seconds: float | None

    @property
    def realtime(self) -> RealTime:
        """The real-time class: yes at 1 s or less, maybe up to 15 minutes, no beyond."""
        if self.seconds is None or self.seconds > MAYBE_LIMIT_SECONDS:
            return RealTime.NO
        if self.seconds <= REALTIME_LIMIT_SECONDS:
            return RealTime.YES
        return RealTime.MAYBE


class Customer(Value):
    """The system that consumes the predictions."""

    kind: CustomerKind


class Stakeholders(Value):
    """People or teams affected; chat mentions are kept as typed so adapters can render them."""

    names: tuple[str, ...]


class ModelPlan(Value):
    """The planned model family and, when known, its training cost in dollars."""

    family: ModelFamily
    training_cost: float | None = None


AnyValue = Volume | Churn | Decay | Frequency | Config | Sla | Customer | Stakeholders | ModelPlan


class ParseError(Frozen):
    """Why a text could not be read: what was wrong, what was expected, and an example."""

    problem: str
    expected: str
    example: str


class Option(Frozen):
    """One way to finish an answer that was understood in part.

    `label` is the missing part as a person would type it ("per week"); `answer` is the whole
    answer it stands for ("200 GB per week"), which the same parser reads on its own. The
    original text, a space and the label read the same as `answer`, so a typed follow-up
    works as well as a button.
    """

    label: str
    answer: str


class Unclear(ParseError):  # noqa: N818 - a value like ParseError, not an exception
    """An answer understood in part, with the few ways to finish it: ask, don't refuse.

    It is a `ParseError` whose `ask` and `options` say more: code that knows only refusals
    re-asks with `problem`, `expected` and `example` as before, and code that knows this
    class asks `ask` and offers `options` (so check for `Unclear` before `ParseError`).
    """

    ask: str
    options: tuple[Option, ...]
