"""Complexity risks: each warning fires when its condition holds, and only then."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from conversations import messages as msg
from conversations.answers import Answers, read_answers
from conversations.decision import Recommendation, decide
from conversations.people import Owner, Person
from conversations.risks import (
    LIFESPAN_YEARS,
    RETRAIN_COST_SHARE,
    RULES,
    SIMPLE_COST_SHARE,
    Plan,
    Risk,
    Rule,
    Severity,
    complexity_risks,
    database_at_volume,
    deep_learning,
    distributed_without_volume,
    min_retrain_days,
    no_owner,
    rest_at_massive_volume,
    retraining_outpaces_pipeline,
    serverless_cold_start,
    stream_with_state,
)
from conversations.strategies import StrategyId

OWNER = Person(id="U0OWNER")

# Answers that land on each strategy (checked in `test_base_answers_land_where_expected`).
STREAM = {"volume": "1 TB a day", "churn": "constant", "sla": "100 ms",
          "customer": "internal_high_throughput", "config": "no"}  # fmt: skip
REST = {"volume": "40 GB a day", "churn": "hourly", "sla": "100 ms",
        "customer": "external", "config": "no"}  # fmt: skip
SERVERLESS = {"volume": "1 GB a day", "churn": "hourly", "sla": "5 minutes",
              "customer": "internal_private", "config": "no"}  # fmt: skip
BATCH = {"volume": "40 GB a day", "churn": "nightly", "sla": "no SLA",
         "customer": "file_based", "config": "no"}  # fmt: skip
DATABASE = {"volume": "500 MB a day", "churn": "rarely", "sla": "2 seconds",
            "customer": "internal_private", "config": "yes"}  # fmt: skip


def answers_from(raw: Mapping[str, str]) -> Answers:
    """Answers read from typed text."""
    answers = read_answers(raw)
    assert isinstance(answers, Answers), answers
    return answers


def check(rule: Rule, raw: Mapping[str, str], owner: Owner | None = OWNER) -> Risk | None:
    """Run one rule over typed answers and the recommendation the engine makes for them."""
    answers = answers_from(raw)
    return rule(Plan(answers, decide(answers), owner))


def fired(rule: Rule, raw: Mapping[str, str], owner: Owner | None = OWNER) -> Risk:
    """The risk a rule raises, failing the test if it stays quiet."""
    risk = check(rule, raw, owner)
    assert risk is not None
    return risk


@pytest.mark.parametrize(
    ("raw", "strategy"),
    [
        pytest.param(STREAM, StrategyId.EVENT_STREAM, id="stream"),
        pytest.param(REST, StrategyId.REST_API, id="rest"),
        pytest.param(SERVERLESS, StrategyId.SERVERLESS, id="serverless"),
        pytest.param(BATCH, StrategyId.BATCH, id="batch"),
        pytest.param(DATABASE, StrategyId.DATABASE, id="database"),
    ],
)
def test_base_answers_land_where_expected(raw: Mapping[str, str], strategy: StrategyId) -> None:
    """The answers these tests start from recommend the strategy their name says."""
    assert decide(answers_from(raw)).strategy is strategy


# --- project owner ---------------------------------------------------------------------------


@pytest.mark.parametrize("owner", [None, ""], ids=["none", "empty"])
def test_no_owner_is_a_high_risk(owner: str | None) -> None:
    """Without a project owner nobody can veto scope changes: a high risk."""
    risk = fired(no_owner, REST, owner)
    assert risk.severity is Severity.HIGH
    assert risk.message == msg.RISK_NO_OWNER


def test_named_owner_clears_the_owner_risk() -> None:
    """Naming an owner removes the owner risk."""
    assert check(no_owner, REST, OWNER) is None


# --- distributed systems ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "tool"),
    [
        pytest.param({**STREAM, "volume": "100 GB a day"}, "an event stream", id="stream-at-high"),
        pytest.param({**REST, "volume": "10 GB a day", "model": "xgboost on PySpark"}, "PySpark",
                     id="spark-at-moderate"),
        pytest.param({**SERVERLESS, "customer": "internal services, maybe via Kafka"}, "Kafka",
                     id="kafka-at-low"),
    ],
)  # fmt: skip
def test_distributed_systems_without_the_volume_are_a_risk(
    raw: Mapping[str, str], tool: str
) -> None:
    """An event stream below massive volume, or Spark / Kafka for low volume, is flagged."""
    risk = fired(distributed_without_volume, raw)
    assert risk.id == "distributed_compute_unneeded"
    assert risk.severity is Severity.HIGH
    assert risk.message.startswith(f"The plan involves {tool}, but ")


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(STREAM, id="stream-at-massive"),
        pytest.param({**BATCH, "volume": "100 GB a day", "model": "xgboost on Spark"},
                     id="spark-at-high"),
        pytest.param({**REST, "volume": "10 GB a day", "model": "xgboost"}, id="no-tool-named"),
        pytest.param({**REST, "volume": "10 GB a day", "model": "array of linear models"},
                     id="tool-name-inside-a-word"),
    ],
)  # fmt: skip
def test_distributed_systems_with_the_volume_are_not_a_risk(raw: Mapping[str, str]) -> None:
    """Massive volume justifies an event stream, high volume justifies Spark, and no tool is no risk."""
    assert check(distributed_without_volume, raw) is None


# --- deep learning and the training-cost arithmetic ------------------------------------------


def test_cost_arithmetic_constants() -> None:
    """A $5,000 model retrains at $500, the simpler model costs $300, over a 5-year lifespan."""
    assert LIFESPAN_YEARS == 5
    assert pytest.approx(500.0) == 5000 * RETRAIN_COST_SHARE
    assert pytest.approx(300.0) == 5000 * SIMPLE_COST_SHARE


@pytest.mark.parametrize(
    ("decay", "message", "severity"),
    [
        pytest.param(
            "every 30 days",
            "Over 5 years, a $5,000 model retrained 60 times at $500 costs $35,000 in training "
            "alone; a simpler model ($300 to train, retrained half as often) would cost about "
            "$1,200.",
            Severity.HIGH,
            id="monthly-retrains",
        ),
        pytest.param(
            "weekly",
            "Over 5 years, a $5,000 model retrained 260 times at $500 costs $135,000 in training "
            "alone; a simpler model ($300 to train, retrained half as often) would cost about "
            "$4,200.",
            Severity.HIGH,
            id="weekly-retrains",
        ),
        pytest.param(
            "every 30 minutes",
            "Over 5 years, a $5,000 model retrained 43800 times at $500 costs $21,905,000 in "
            "training alone; a simpler model ($300 to train, retrained half as often) would "
            "cost about $657,300.",
            Severity.HIGH,
            id="retrains-capped-at-hourly",
        ),
        pytest.param(
            "never",
            "Over 5 years, a $5,000 model retrained 0 times at $500 costs $5,000 in training "
            "alone; a simpler model ($300 to train, retrained half as often) would cost about "
            "$300.",
            Severity.MEDIUM,
            id="never-retrained",
        ),
    ],
)
def test_deep_model_with_a_cost_shows_the_margin_arithmetic(
    decay: str, message: str, severity: Severity
) -> None:
    """A costed deep model gets the training-cost arithmetic; retraining makes it high."""
    raw = {**REST, "model": "TensorFlow CNN, $5,000 to train", "decay": decay}
    risk = fired(deep_learning, raw)
    assert risk.id == "deep_learning_complexity"
    assert risk.message == message
    assert risk.severity is severity
    assert risk.action == msg.RISK_DEEP_ACTION


def test_deep_model_without_a_cost_gets_the_general_warning() -> None:
    """A deep model with no training cost is a medium risk with the general argument."""
    risk = fired(deep_learning, {**REST, "model": "a big transformer"})
    assert risk.severity is Severity.MEDIUM
    assert risk.message == msg.RISK_DEEP


@pytest.mark.parametrize(
    "model",
    [
        pytest.param(None, id="no-model-answer"),
        pytest.param("xgboost, about $300 to train", id="simple"),
        pytest.param("unknown", id="unknown"),
    ],
)
def test_no_deep_model_is_no_deep_learning_risk(model: str | None) -> None:
    """Simple, undecided or unanswered model plans raise no deep-learning risk."""
    raw = dict(REST) if model is None else {**REST, "model": model}
    assert check(deep_learning, raw) is None


# --- strategy-specific risks -----------------------------------------------------------------


def test_stateful_event_stream_is_a_risk() -> None:
    """An event stream carrying configuration state breaks its row's "ideally, no"."""
    risk = fired(stream_with_state, {**STREAM, "config": "yes - per-device thresholds"})
    assert risk.severity is Severity.HIGH
    assert risk.message == msg.RISK_STREAM_STATE


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(STREAM, id="stateless-stream"),
        pytest.param({**REST, "config": "yes"}, id="stateful-rest-api"),
    ],
)
def test_state_without_a_stream_or_a_stream_without_state_is_fine(raw: Mapping[str, str]) -> None:
    """Only the combination of an event stream and state is flagged."""
    assert check(stream_with_state, raw) is None


@pytest.mark.parametrize(
    ("volume", "severity"),
    [
        pytest.param("10 GB a day", Severity.MEDIUM, id="moderate"),
        pytest.param("100 GB a day", Severity.HIGH, id="high"),
    ],
)
def test_database_integration_beyond_low_volume_is_a_risk(volume: str, severity: Severity) -> None:
    """Database integration (scalability 1) at moderate or high volume is flagged, higher for more."""
    raw = {**DATABASE, "volume": volume}
    assert decide(answers_from(raw)).strategy is StrategyId.DATABASE
    risk = fired(database_at_volume, raw)
    assert risk.severity is severity
    assert risk.id == "database_at_volume"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(DATABASE, id="database-at-low-volume"),
        pytest.param(BATCH, id="batch-at-high-volume"),
    ],
)
def test_database_risk_needs_database_and_volume(raw: Mapping[str, str]) -> None:
    """Database integration at low volume, or another strategy at volume, is not flagged."""
    assert check(database_at_volume, raw) is None


def test_rest_api_at_massive_volume_is_a_risk() -> None:
    """A REST API (scalability 4) recommended for massive volume is flagged."""
    raw = {**REST, "volume": "1 TB a day"}
    assert decide(answers_from(raw)).strategy is StrategyId.REST_API
    risk = fired(rest_at_massive_volume, raw)
    assert risk.severity is Severity.HIGH
    assert risk.message == msg.RISK_REST_MASSIVE.format(volume="1 TB a day")


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(REST, id="rest-at-high-volume"),
        pytest.param(STREAM, id="stream-at-massive-volume"),
    ],
)
def test_rest_risk_needs_rest_and_massive_volume(raw: Mapping[str, str]) -> None:
    """A REST API below massive volume, or a stream at massive volume, is not flagged."""
    assert check(rest_at_massive_volume, raw) is None


def test_serverless_under_a_real_time_sla_is_a_risk() -> None:
    """Serverless functions recommended under a real-time SLA warn of cold starts."""
    raw = {**SERVERLESS, "sla": "under 100 ms"}
    assert decide(answers_from(raw)).strategy is StrategyId.SERVERLESS
    risk = fired(serverless_cold_start, raw)
    assert risk.severity is Severity.MEDIUM
    assert risk.message == msg.RISK_COLD_START.format(sla="under 100 ms")


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(SERVERLESS, id="serverless-within-minutes"),
        pytest.param(REST, id="rest-in-real-time"),
    ],
)
def test_cold_start_risk_needs_serverless_and_real_time(raw: Mapping[str, str]) -> None:
    """Serverless without a real-time SLA, or a real-time API, has no cold-start risk."""
    assert check(serverless_cold_start, raw) is None


# --- retraining against the MLOps pipeline ---------------------------------------------------


@pytest.mark.parametrize(
    ("mlops", "days"),
    [
        pytest.param(10, 1.0, id="10-daily"),
        pytest.param(8, 1.0, id="8-daily"),
        pytest.param(7, 7.0, id="7-weekly"),
        pytest.param(5, 7.0, id="5-weekly"),
        pytest.param(4, 30.0, id="4-monthly"),
        pytest.param(2, 30.0, id="2-monthly"),
    ],
)
def test_mlops_score_sets_the_shortest_comfortable_retrain(mlops: int, days: float) -> None:
    """A stronger MLOps pipeline carries more frequent retraining."""
    assert min_retrain_days(mlops) == days


@pytest.mark.parametrize(
    ("raw", "severity"),
    [
        pytest.param({**REST, "decay": "every 12 hours"}, Severity.MEDIUM, id="rest-twice-daily"),
        pytest.param({**REST, "decay": "hourly"}, Severity.HIGH, id="rest-hourly"),
        pytest.param({**STREAM, "decay": "every 20 days"}, Severity.MEDIUM, id="stream-20-days"),
        pytest.param({**STREAM, "decay": "weekly"}, Severity.HIGH, id="stream-weekly"),
        pytest.param({**SERVERLESS, "decay": "daily"}, Severity.HIGH, id="serverless-daily"),
    ],
)
def test_retraining_faster_than_the_pipeline_is_a_risk(
    raw: Mapping[str, str], severity: Severity
) -> None:
    """Retraining more often than the strategy's MLOps score carries is flagged; twice as often is high."""
    risk = fired(retraining_outpaces_pipeline, raw)
    assert risk.id == "retraining_outpaces_mlops"
    assert risk.severity is severity


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param({**REST, "decay": "daily"}, id="rest-daily"),
        pytest.param({**STREAM, "decay": "every 30 days"}, id="stream-monthly"),
        pytest.param({**STREAM, "decay": "never"}, id="never-retrained"),
        pytest.param(STREAM, id="decay-unanswered"),
    ],
)
def test_retraining_within_the_pipeline_is_fine(raw: Mapping[str, str]) -> None:
    """Retraining no faster than the pipeline carries, or never, is not flagged."""
    assert check(retraining_outpaces_pipeline, raw) is None


# --- all rules together ----------------------------------------------------------------------


def test_every_rule_is_listed_once() -> None:
    """The rule list names each rule exactly once, so no risk is silently dropped or doubled."""
    assert len(set(RULES)) == len(RULES) == 8


def test_risks_come_most_severe_first() -> None:
    """All firing risks are returned, high before medium, in rule order within a severity."""
    raw = {**SERVERLESS, "sla": "under 100 ms", "decay": "daily", "model": "deep"}
    answers = answers_from(raw)
    risks = complexity_risks(answers, decide(answers), None)
    assert [risk.id for risk in risks] == [
        "no_project_owner",
        "retraining_outpaces_mlops",
        "deep_learning_complexity",
        "serverless_realtime_cold_start",
    ]


def test_plain_plan_with_an_owner_has_no_risks() -> None:
    """A REST API for 40 GB a day, a simple model retrained monthly and an owner: nothing to flag."""
    raw = {**REST, "model": "xgboost", "decay": "monthly"}
    answers = answers_from(raw)
    recommendation: Recommendation = decide(answers)
    assert complexity_risks(answers, recommendation, OWNER) == ()
