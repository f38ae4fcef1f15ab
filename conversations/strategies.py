"""The deployment strategies: report cards and decision-table rows, as data.

docs/decision-guide.md explains each strategy, its card and its row. Four
report cards are published ratings, copied as they stand and marked
`source="published ratings"`. There are none for pre-processing or serverless
functions; ours are marked `source="intake-bot estimate"` so nobody mistakes
them for published ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from conversations.frozen import Frozen
from conversations.values import ChurnKind, CustomerKind, RealTime, VolumeBand


class StrategyId(StrEnum):
    """The strategy ids.

    They are fixed: other apps read them from post metadata and `intake-bot decide` output.
    """

    EVENT_STREAM = "event_stream"
    REST_API = "rest_api"
    PREPROCESS = "preprocess"
    SERVERLESS = "serverless"
    BATCH = "batch"
    DATABASE = "database"


class Rating(Frozen):
    """A 1-10 rating, or a range: batch scalability is 7-10, depending on the machine or cluster."""

    low: int
    high: int

    def __str__(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"


def _r(low: int, high: int | None = None) -> Rating:
    return Rating(low=low, high=low if high is None else high)


class ReportCard(Frozen):
    """A strategy's report card: scalability, speed, ease of deployment, MLOps pipeline."""

    scalability: Rating
    speed: Rating
    ease_of_deployment: Rating
    mlops_pipeline: Rating
    source: str
    note: str = ""


PUBLISHED = "published ratings"
ESTIMATE = "intake-bot estimate"

# Which cells of a row accept which values. None means "Any" (a blank cell).
Cells = frozenset[str] | None


@dataclass(frozen=True, slots=True)
class Strategy:
    """One deployment strategy: how to show it, its card and its decision-table row."""

    id: StrategyId
    label: str
    card: ReportCard
    volume: Cells
    churn: Cells
    realtime: Cells
    customer: Cells
    stateful: Cells
    # A "no (ideally)" state cell: a stateful answer is a partial, not a full, miss.
    stateful_soft: bool = False


def _cells(*values: str) -> frozenset[str]:
    return frozenset(values)


STRATEGIES: tuple[Strategy, ...] = (
    Strategy(
        id=StrategyId.EVENT_STREAM,
        label="Pub/Sub event stream",
        card=ReportCard(
            scalability=_r(9),
            speed=_r(9),
            ease_of_deployment=_r(2),
            mlops_pipeline=_r(2),
            source=PUBLISHED,
        ),
        volume=_cells(VolumeBand.MASSIVE),
        churn=_cells(ChurnKind.CONSTANT),
        realtime=_cells(RealTime.YES),
        customer=_cells(CustomerKind.INTERNAL_HIGH_THROUGHPUT),
        stateful=_cells("no"),
        stateful_soft=True,
    ),
    Strategy(
        id=StrategyId.REST_API,
        label="Web service (REST API)",
        card=ReportCard(
            scalability=_r(4),
            speed=_r(8),
            ease_of_deployment=_r(9),
            mlops_pipeline=_r(8),
            source=PUBLISHED,
        ),
        volume=_cells(VolumeBand.MODERATE, VolumeBand.HIGH),
        churn=None,
        realtime=_cells(RealTime.YES),
        customer=_cells(CustomerKind.EXTERNAL),
        stateful=_cells("no"),
        stateful_soft=True,
    ),
    Strategy(
        id=StrategyId.PREPROCESS,
        label="Pre-process, then serve the results through an API or the source system",
        card=ReportCard(
            scalability=_r(8),
            speed=_r(10),
            ease_of_deployment=_r(10),
            mlops_pipeline=_r(6),
            source=ESTIMATE,
            note="Predictions are computed once and looked up; there is no model to serve.",
        ),
        volume=None,
        churn=_cells(ChurnKind.NEVER),
        realtime=None,
        customer=None,
        stateful=None,
    ),
    Strategy(
        id=StrategyId.SERVERLESS,
        label="Serverless functions (e.g. AWS Lambda)",
        card=ReportCard(
            scalability=_r(6),
            speed=_r(6),
            ease_of_deployment=_r(7),
            mlops_pipeline=_r(6),
            source=ESTIMATE,
            note="Cold starts slow the first call; packaging limits cap the model's size.",
        ),
        volume=_cells(VolumeBand.LOW, VolumeBand.MODERATE),
        churn=_cells(ChurnKind.CADENCE),
        realtime=_cells(RealTime.MAYBE),
        customer=_cells(CustomerKind.INTERNAL_PRIVATE),
        stateful=_cells("no"),
    ),
    Strategy(
        id=StrategyId.BATCH,
        label="Batch",
        card=ReportCard(
            scalability=_r(7, 10),
            speed=_r(2),
            ease_of_deployment=_r(8),
            mlops_pipeline=_r(8),
            source=PUBLISHED,
            note="Scalability depends on your operational cluster or machine.",
        ),
        volume=_cells(VolumeBand.MODERATE, VolumeBand.HIGH),
        churn=_cells(ChurnKind.CADENCE),
        realtime=_cells(RealTime.NO),
        customer=_cells(CustomerKind.FILE_BASED),
        stateful=None,
    ),
    Strategy(
        id=StrategyId.DATABASE,
        label="Database / direct application integration",
        card=ReportCard(
            scalability=_r(1),
            speed=_r(8),
            ease_of_deployment=_r(9),
            mlops_pipeline=_r(5),
            source=PUBLISHED,
        ),
        volume=_cells(VolumeBand.LOW),
        churn=_cells(ChurnKind.LOW),
        realtime=_cells(RealTime.MAYBE),
        customer=None,
        stateful=_cells("yes"),
    ),
)

STRATEGY_BY_ID: dict[StrategyId, Strategy] = {strategy.id: strategy for strategy in STRATEGIES}


def simplicity_key(strategy: Strategy) -> tuple[int, int]:
    """Sort key, simplest first: higher ease of deployment, then the stronger MLOps pipeline."""
    return (-strategy.card.ease_of_deployment.low, -strategy.card.mlops_pipeline.low)
