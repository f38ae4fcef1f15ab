"""The Summary model that every card renders, and the baseline the first one leaves.

A Summary is the assessment (see `assessment`) plus what the intake knows
about people: the project, its owner, each answer shown as typed, the
conflicts between stakeholders and the questions still open. Slack's Block
Kit, Teams' Adaptive Card and the console all render this one model.

A Baseline is what the scope-creep guard compares later answers with: the
answer used per question, the strategy, the compute band and the risk ids of
the first summary. It is a few hundred bytes, where a whole Summary is
several kilobytes that every turn would rewrite.
"""

from __future__ import annotations

from datetime import datetime

from conversations.assessment import Assessment
from conversations.frozen import Frozen
from conversations.people import Owner
from conversations.strategies import StrategyId


class AnswerLine(Frozen):
    """One question's answer as the card shows it; `by` is the user id of who gave it."""

    question_id: str
    title: str
    text: str
    by: str


class Conflict(Frozen):
    """Stakeholders who answered one question differently, and which answer counts."""

    question_id: str
    title: str
    answers: tuple[AnswerLine, ...]
    used: AnswerLine


class Summary(Frozen):
    """Everything a summary card shows, platform-free."""

    project: str
    owner: Owner | None
    started_by: str
    produced_at: datetime
    assessment: Assessment
    answers: tuple[AnswerLine, ...]
    conflicts: tuple[Conflict, ...]
    open_questions: tuple[str, ...]


class Baseline(Frozen):
    """The first summary's decision, kept to measure scope changes against."""

    at: datetime
    answers: dict[str, str]
    """Question id -> the answer the decision used, as typed."""
    strategy: StrategyId
    compute: str | None
    """The compute workload band (`Compute.workload`), None where no sizing applied."""
    risks: tuple[str, ...]
    """Risk ids, most severe first."""


def baseline_of(summary: Summary) -> Baseline:
    """The compact record of one summary."""
    a = summary.assessment
    return Baseline(
        at=summary.produced_at,
        answers={line.question_id: line.text for line in summary.answers},
        strategy=a.strategy,
        compute=a.compute.workload if a.compute else None,
        risks=tuple(risk.id for risk in a.risks),
    )
