"""Answers people would type, one per question, that the parsers read: for flows, CLIs and benchmarks."""

from __future__ import annotations

from collections.abc import Mapping

HAPPY_ANSWERS: Mapping[str, str] = {
    "volume": "40 GB a day",
    "stakeholders": "@maria, the fraud team, finance",
    "churn": "nightly",
    "decay": "every 30 days",
    "frequency": "50k calls an hour",
    "config": "no",
    "sla": "under 50 ms",
    "customer": "partner apps over the internet",
    "model": "xgboost, about $300 to train",
}
"""One answer per question, in catalog order, each of which the parsers read."""

DECISION_ANSWERS: Mapping[str, str] = {
    qid: HAPPY_ANSWERS[qid] for qid in ("volume", "churn", "config", "sla", "customer")
}
"""Just the decision table's inputs."""
