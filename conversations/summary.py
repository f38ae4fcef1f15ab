"""The Summary model that every card renders, and the assessment behind it.

An Assessment is the recommendation with its complexity risks (what
`intake-bot decide` prints). A Summary adds what the intake knows about
people: the project, its owner, each answer shown as typed, the conflicts
between stakeholders and the questions still open. Slack's Block Kit, Teams'
Adaptive Card and the console all render this one model.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from conversations.answers import Answers
from conversations.decision import Recommendation, decide
from conversations.risks import Risk, complexity_risks


class Assessment(Recommendation):
    """The recommendation and the complexity risks of following it."""

    risks: tuple[Risk, ...]


def assess(answers: Answers, *, owner: str | None) -> Assessment:
    """Decide, then check the decision for complexity risks."""
    recommendation = decide(answers)
    risks = complexity_risks(answers, recommendation, owner)
    return Assessment(**dict(recommendation), risks=risks)


class AnswerLine(BaseModel):
    """One question's answer as the card shows it."""

    model_config = ConfigDict(frozen=True)

    question_id: str
    title: str
    text: str
    by: str


class Conflict(BaseModel):
    """Stakeholders who answered one question differently, and which answer counts."""

    model_config = ConfigDict(frozen=True)

    question_id: str
    title: str
    answers: tuple[AnswerLine, ...]
    used: AnswerLine


class Summary(BaseModel):
    """Everything a summary card shows, platform-free."""

    model_config = ConfigDict(frozen=True)

    project: str
    owner: str | None
    started_by: str
    produced_at: datetime
    assessment: Assessment
    answers: tuple[AnswerLine, ...]
    conflicts: tuple[Conflict, ...]
    open_questions: tuple[str, ...]
