"""Answers -> Recommendation: the decision table of docs/decision-guide.md, scored.

Every strategy is scored against its row of the table. A column the row
leaves as "Any" (or blank) carries no evidence and is left out; each other
column scores 1 on a match, 0.5 on a near miss (an adjacent volume band, churn
class or SLA class; a related customer system; state where the row says
"ideally no") and 0 otherwise. "Never changes" has no near miss: data either
changes or it does not, and only data that never changes can be scored once.
Columns are weighted (volume and churn 3, SLA and customer 2, state 1: the
table reads left to right, and volume decides the infrastructure) and the
score is the weighted share, 0-100. The highest score wins; a tie goes to the
simpler strategy, by its report card's ease of deployment and then its MLOps
score. No clock, no I/O: the same answers always give the same recommendation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from conversations import messages as msg
from conversations.answers import Answers
from conversations.frozen import Frozen
from conversations.readings import daily_volume
from conversations.strategies import STRATEGIES, ReportCard, Strategy, StrategyId, simplicity_key
from conversations.values import (
    HIGH_BAND_LIMIT_GB,
    ChurnKind,
    CustomerKind,
    RealTime,
    VolumeBand,
)

FULL = 1.0
PARTIAL = 0.5
NONE = 0.0

VOLUME_ORDER = tuple(VolumeBand)
CHURN_ORDER = tuple(ChurnKind)
# The churn classes of data that changes; "never" stands apart (see the module docstring).
CHANGING_ORDER = tuple(kind for kind in ChurnKind if kind is not ChurnKind.NEVER)
REALTIME_ORDER = tuple(RealTime)
CUSTOMER_AFFINITY: dict[frozenset[str], float] = {
    frozenset({CustomerKind.INTERNAL_HIGH_THROUGHPUT, CustomerKind.INTERNAL_PRIVATE}): PARTIAL,
}


class Reason(Frozen):
    """How one answer compared with the winning row of the decision table."""

    question_id: str
    answer: str
    needed: str
    match: str  # "full", "partial" or "none"
    text: str


class Alternative(Frozen):
    """A strategy that did not win, and what would have to change for it to win."""

    strategy: StrategyId
    label: str
    score: float
    would_need: tuple[str, ...]


class Compute(Frozen):
    """The workload sizing for the daily volume (docs/decision-guide.md, "Compute sizing")."""

    workload: str
    tool: str
    infrastructure: str


class Recommendation(Frozen):
    """The engine's answer: everything a card needs, serialisable as JSON."""

    strategy: StrategyId
    label: str
    scores: dict[StrategyId, float]
    reasons: tuple[Reason, ...]
    alternatives: tuple[Alternative, ...]
    report_card: ReportCard
    compute: Compute | None


@dataclass(frozen=True, slots=True)
class _Column:
    """One column of the decision table: its weight and how to read and describe it."""

    question_id: str
    weight: float
    cells: Callable[[Strategy], frozenset[str] | None]
    actual: Callable[[Answers], str | None]
    shown: Callable[[Answers], str]
    closeness: Callable[[Strategy, str], float]
    describe: Callable[[frozenset[str]], str]


def _scale(order: tuple[str, ...], cells: frozenset[str], actual: str) -> float:
    """Full on a match, partial for a neighbour on the ordered scale, else none."""
    if actual in cells:
        return FULL
    position = order.index(actual)
    neighbours = {order[i] for i in (position - 1, position + 1) if 0 <= i < len(order)}
    return PARTIAL if neighbours & cells else NONE


def _churn_closeness(cells: frozenset[str], actual: str) -> float:
    """Like `_scale`, except that "never changes" is only ever a full match or none."""
    if actual == ChurnKind.NEVER or actual in cells:
        return FULL if actual in cells else NONE
    return _scale(CHANGING_ORDER, cells - {ChurnKind.NEVER}, actual)


def _customer_closeness(cells: frozenset[str], actual: str) -> float:
    if actual in cells:
        return FULL
    return max(
        (CUSTOMER_AFFINITY.get(frozenset({actual, cell}), NONE) for cell in cells), default=NONE
    )


def _state_closeness(strategy: Strategy, actual: str) -> float:
    cells = strategy.stateful or frozenset()
    if actual in cells:
        return FULL
    return PARTIAL if strategy.stateful_soft else NONE


def _ordered_text(order: tuple[str, ...], names: dict[str, str]) -> Callable[[frozenset[str]], str]:
    return lambda cells: msg.OR.join(names[value] for value in order if value in cells)


_COLUMNS: tuple[_Column, ...] = (
    _Column(
        question_id="volume",
        weight=3.0,
        cells=lambda s: s.volume,
        actual=lambda a: a.volume.band.value if a.volume else None,
        shown=lambda a: msg.VOLUME_SHOWN.format(
            volume=daily_volume(a.volume.gb_per_day if a.volume else 0.0),
            band=a.volume.band.value if a.volume else "",
        ),
        closeness=lambda s, actual: _scale(VOLUME_ORDER, s.volume or frozenset(), actual),
        describe=_ordered_text(VOLUME_ORDER, msg.VOLUME_BANDS),
    ),
    _Column(
        question_id="churn",
        weight=3.0,
        cells=lambda s: s.churn,
        actual=lambda a: a.churn.kind.value if a.churn else None,
        shown=lambda a: msg.CHURN_NAMES[a.churn.kind] if a.churn else "",
        closeness=lambda s, actual: _churn_closeness(s.churn or frozenset(), actual),
        describe=_ordered_text(CHURN_ORDER, msg.CHURN_NAMES),
    ),
    _Column(
        question_id="sla",
        weight=2.0,
        cells=lambda s: s.realtime,
        actual=lambda a: a.sla.realtime.value if a.sla else None,
        shown=lambda a: msg.REALTIME_NAMES[a.sla.realtime] if a.sla else "",
        closeness=lambda s, actual: _scale(REALTIME_ORDER, s.realtime or frozenset(), actual),
        describe=_ordered_text(REALTIME_ORDER, msg.REALTIME_NAMES),
    ),
    _Column(
        question_id="customer",
        weight=2.0,
        cells=lambda s: s.customer,
        actual=lambda a: a.customer.kind.value if a.customer else None,
        shown=lambda a: msg.CUSTOMER_NAMES[a.customer.kind] if a.customer else "",
        closeness=lambda s, actual: _customer_closeness(s.customer or frozenset(), actual),
        describe=_ordered_text(tuple(CustomerKind), msg.CUSTOMER_NAMES),
    ),
    _Column(
        question_id="config",
        weight=1.0,
        cells=lambda s: s.stateful,
        actual=lambda a: ("yes" if a.config.stateful else "no") if a.config else None,
        shown=lambda a: msg.STATE_NAMES["yes" if a.config and a.config.stateful else "no"],
        closeness=_state_closeness,
        describe=_ordered_text(("no", "yes"), msg.STATE_NAMES),
    ),
)

_MATCH_NAMES = {FULL: "full", PARTIAL: "partial", NONE: "none"}


def _compared(
    strategy: Strategy, answers: Answers
) -> Iterator[tuple[_Column, frozenset[str], float]]:
    """Each column the strategy's row specifies and the answers fill: its cells and closeness."""
    for column in _COLUMNS:
        cells = column.cells(strategy)
        actual = column.actual(answers)
        if cells is not None and actual is not None:
            yield column, cells, column.closeness(strategy, actual)


def score(strategy: Strategy, answers: Answers) -> float:
    """The strategy's weighted share of matching columns, 0-100 (answered columns only)."""
    compared = list(_compared(strategy, answers))
    possible = sum(column.weight for column, _, _ in compared)
    earned = sum(column.weight * closeness for column, _, closeness in compared)
    return round(100.0 * earned / possible, 1) if possible else 0.0


def _reasons(strategy: Strategy, answers: Answers) -> tuple[Reason, ...]:
    """Which answers matched the winning row and which did not."""
    reasons = []
    for column, cells, closeness in _compared(strategy, answers):
        match = _MATCH_NAMES[closeness]
        answer = column.shown(answers)
        needed = column.describe(cells)
        reasons.append(
            Reason(
                question_id=column.question_id,
                answer=answer,
                needed=needed,
                match=match,
                text=msg.REASON_TEXT[match].format(
                    title=msg.COLUMN_TITLES[column.question_id], answer=answer, needed=needed
                ),
            )
        )
    return tuple(reasons)


def _would_need(strategy: Strategy, answers: Answers) -> tuple[str, ...]:
    """The columns that keep an alternative from winning, as changes a person could make."""
    return tuple(
        msg.WOULD_NEED.format(
            title=msg.COLUMN_TITLES[column.question_id],
            needed=column.describe(cells),
            answer=column.shown(answers),
        )
        for column, cells, closeness in _compared(strategy, answers)
        if closeness != FULL
    )


def compute_for(gb_per_day: float) -> Compute:
    """The Pandas / bigger server / Dask or PySpark / Spark on Kubernetes bands.

    A limit belongs to the band above it, except 750 GB: the XL workload is
    "25-750 GB", and 750 GB a day is a high volume, not a massive one (`band_for`).
    """
    for limit, workload, tool, infrastructure in msg.COMPUTE_BANDS:
        if gb_per_day < limit or gb_per_day == limit == HIGH_BAND_LIMIT_GB:
            return Compute(workload=workload, tool=tool, infrastructure=infrastructure)
    _, workload, tool, infrastructure = msg.COMPUTE_BANDS[-1]
    return Compute(workload=workload, tool=tool, infrastructure=infrastructure)


def decide(answers: Answers) -> Recommendation:
    """Score every strategy and explain the winner; ties go to the simpler strategy."""
    scores = {strategy.id: score(strategy, answers) for strategy in STRATEGIES}
    ranked = sorted(STRATEGIES, key=lambda s: (-scores[s.id], *simplicity_key(s)))
    winner = ranked[0]
    alternatives = tuple(
        Alternative(
            strategy=strategy.id,
            label=strategy.label,
            score=scores[strategy.id],
            would_need=_would_need(strategy, answers),
        )
        for strategy in ranked[1:]
    )
    return Recommendation(
        strategy=winner.id,
        label=winner.label,
        scores=scores,
        reasons=_reasons(winner, answers),
        alternatives=alternatives,
        report_card=winner.card,
        compute=compute_for(answers.volume.gb_per_day) if answers.volume else None,
    )
