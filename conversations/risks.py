"""Complexity risks: where the plan is more gnarly than the requirements call for.

Complexity costs more than it seems: each check below is one warning of
docs/decision-guide.md ("Complexity risks"), written as a rule over the answers
and the recommendation so every front end shows the same risks. A rule returns
a Risk or None; the list of rules is the only place that names them all.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from conversations import messages as msg
from conversations.answers import Answers
from conversations.decision import Recommendation
from conversations.frozen import Frozen
from conversations.people import Owner
from conversations.readings import daily_volume, number
from conversations.strategies import STRATEGY_BY_ID, StrategyId
from conversations.values import ModelFamily, RealTime, VolumeBand


class Severity(StrEnum):
    """How loudly a card shows a risk."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Risk(Frozen):
    """One complexity risk: what it is, how bad, and what to do about it."""

    id: str
    severity: Severity
    message: str
    action: str


# The cost arithmetic of docs/decision-guide.md: a 5-year lifespan, retraining at a tenth of the
# training cost ($500 against $5,000), and a simpler model at 6% of the cost ($300) retrained
# half as often.
LIFESPAN_YEARS = 5
RETRAIN_COST_SHARE = 0.10
SIMPLE_COST_SHARE = 300 / 5000
SIMPLE_RETRAIN_RATIO = 0.5

_DISTRIBUTED_TOOLS = re.compile(
    r"\b(?:spark|pyspark|dask|hadoop|kafka|flink|kubernetes|k8s|ray|beam)\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Plan:
    """What every rule reads: the answers, the recommendation, and the owner if one is named."""

    answers: Answers
    rec: Recommendation
    owner: Owner | None


Rule = Callable[[Plan], Risk | None]


def _typed_texts(answers: Answers) -> str:
    """Everything people typed, for spotting named technologies."""
    return " ".join(value.text for value in answers.__dict__.values() if value is not None)


def distributed_without_volume(plan: Plan) -> Risk | None:
    """Distributed systems where the volume does not call for them."""
    if plan.answers.volume is None:
        return None
    band = plan.answers.volume.band
    streaming = plan.rec.strategy is StrategyId.EVENT_STREAM and band is not VolumeBand.MASSIVE
    named = _DISTRIBUTED_TOOLS.search(_typed_texts(plan.answers))
    if not streaming and not (named and band in (VolumeBand.LOW, VolumeBand.MODERATE)):
        return None
    tool = named.group(0) if named else "an event stream"
    return Risk(
        id="distributed_compute_unneeded",
        severity=Severity.HIGH,
        message=msg.RISK_DISTRIBUTED.format(
            tool=tool, volume=daily_volume(plan.answers.volume.gb_per_day)
        ),
        action=msg.RISK_DISTRIBUTED_ACTION,
    )


def deep_learning(plan: Plan) -> Risk | None:
    """A deep model where a simpler one may do, with the training-cost arithmetic."""
    if plan.answers.model is None or plan.answers.model.family is not ModelFamily.DEEP:
        return None
    cost = plan.answers.model.training_cost
    if cost is None:
        return Risk(
            id="deep_learning_complexity",
            severity=Severity.MEDIUM,
            message=msg.RISK_DEEP,
            action=msg.RISK_DEEP_ACTION,
        )
    retrains = _retrains_over_lifespan(plan.answers)
    deep_total = cost + retrains * cost * RETRAIN_COST_SHARE
    simple_cost = cost * SIMPLE_COST_SHARE
    simple_total = simple_cost + retrains * SIMPLE_RETRAIN_RATIO * simple_cost * RETRAIN_COST_SHARE
    # Both totals scale with the same cost, so their ratio cannot grade severity (it is
    # always over 16x). What grades it is the recurring cost: retraining, again and again.
    return Risk(
        id="deep_learning_complexity",
        severity=Severity.HIGH if retrains else Severity.MEDIUM,
        message=msg.RISK_DEEP_COST.format(
            years=LIFESPAN_YEARS,
            cost=cost,
            retrains=retrains,
            retrain_cost=cost * RETRAIN_COST_SHARE,
            deep_total=deep_total,
            simple_cost=simple_cost,
            simple_total=simple_total,
        ),
        action=msg.RISK_DEEP_ACTION,
    )


def _retrains_over_lifespan(answers: Answers) -> int:
    """Retrains over the 5-year lifespan at the answered decay, 0 if never."""
    if answers.decay is None or answers.decay.retrain_every_days is None:
        return 0
    return int(LIFESPAN_YEARS * 365 // max(answers.decay.retrain_every_days, 1 / 24))


def stream_with_state(plan: Plan) -> Risk | None:
    """An event stream fed by stateful configuration, where its row says "ideally, no"."""
    if plan.rec.strategy is not StrategyId.EVENT_STREAM or not (
        plan.answers.config and plan.answers.config.stateful
    ):
        return None
    return Risk(
        id="event_stream_stateful",
        severity=Severity.HIGH,
        message=msg.RISK_STREAM_STATE,
        action=msg.RISK_STREAM_STATE_ACTION,
    )


def database_at_volume(plan: Plan) -> Risk | None:
    """Database integration scores 1 for scalability: it is for small, out-of-the-way systems."""
    if plan.rec.strategy is not StrategyId.DATABASE or plan.answers.volume is None:
        return None
    band = plan.answers.volume.band
    if band is VolumeBand.LOW:
        return None
    return Risk(
        id="database_at_volume",
        severity=Severity.MEDIUM if band is VolumeBand.MODERATE else Severity.HIGH,
        message=msg.RISK_DATABASE_VOLUME.format(
            volume=daily_volume(plan.answers.volume.gb_per_day)
        ),
        action=msg.RISK_DATABASE_VOLUME_ACTION,
    )


def rest_at_massive_volume(plan: Plan) -> Risk | None:
    """A REST API (scalability 4) asked to carry massive volume."""
    if plan.rec.strategy is not StrategyId.REST_API or plan.answers.volume is None:
        return None
    if plan.answers.volume.band is not VolumeBand.MASSIVE:
        return None
    return Risk(
        id="rest_api_massive_volume",
        severity=Severity.HIGH,
        message=msg.RISK_REST_MASSIVE.format(volume=daily_volume(plan.answers.volume.gb_per_day)),
        action=msg.RISK_REST_MASSIVE_ACTION,
    )


def serverless_cold_start(plan: Plan) -> Risk | None:
    """Serverless functions under a real-time SLA: cold starts break the SLA."""
    if plan.rec.strategy is not StrategyId.SERVERLESS or plan.answers.sla is None:
        return None
    if plan.answers.sla.realtime is not RealTime.YES:
        return None
    return Risk(
        id="serverless_realtime_cold_start",
        severity=Severity.MEDIUM,
        message=msg.RISK_COLD_START.format(sla=plan.answers.sla.text),
        action=msg.RISK_COLD_START_ACTION,
    )


def min_retrain_days(mlops_score: int) -> float:
    """The shortest retraining interval an MLOps pipeline of this score carries comfortably."""
    if mlops_score >= 8:
        return 1.0
    if mlops_score >= 5:
        return 7.0
    return 30.0


def retraining_outpaces_pipeline(plan: Plan) -> Risk | None:
    """Retraining more often than the strategy's MLOps pipeline score supports."""
    if plan.answers.decay is None or plan.answers.decay.retrain_every_days is None:
        return None
    mlops = STRATEGY_BY_ID[plan.rec.strategy].card.mlops_pipeline.low
    floor = min_retrain_days(mlops)
    every = plan.answers.decay.retrain_every_days
    if every >= floor:
        return None
    return Risk(
        id="retraining_outpaces_mlops",
        severity=Severity.HIGH if every < floor / 2 else Severity.MEDIUM,
        message=msg.RISK_RETRAIN.format(
            every=number(every), label=plan.rec.label, mlops=mlops, floor=floor
        ),
        action=msg.RISK_RETRAIN_ACTION,
    )


def no_owner(plan: Plan) -> Risk | None:
    """Nobody holds the veto over scope changes that a project owner should have."""
    if plan.owner:
        return None
    return Risk(
        id="no_project_owner",
        severity=Severity.HIGH,
        message=msg.RISK_NO_OWNER,
        action=msg.RISK_NO_OWNER_ACTION,
    )


RULES: tuple[Rule, ...] = (
    no_owner,
    distributed_without_volume,
    deep_learning,
    stream_with_state,
    database_at_volume,
    rest_at_massive_volume,
    serverless_cold_start,
    retraining_outpaces_pipeline,
)

_SEVERITY_ORDER = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2}


def complexity_risks(
    answers: Answers, rec: Recommendation, owner: Owner | None
) -> tuple[Risk, ...]:
    """Every rule that fires, most severe first (stable within a severity)."""
    plan = Plan(answers, rec, owner)
    found = (rule(plan) for rule in RULES)
    return tuple(
        sorted((risk for risk in found if risk), key=lambda r: _SEVERITY_ORDER[r.severity])
    )
