"""Summaries built directly, for renderer tests that need a card without running an intake."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from conversations.answers import read_answers
from conversations.assessment import assess
from conversations.summary import AnswerLine, Summary
from testkit.answers import DECISION_ANSWERS


def sample_summary(started_by: str, **changes: Any) -> Summary:
    """The summary of the decision-table answers, started by `started_by`, with `changes`."""
    typed = read_answers(DECISION_ANSWERS)
    assert not isinstance(typed, list), typed
    summary = Summary(
        project="Fraud scoring",
        owner=None,
        started_by=started_by,
        produced_at=datetime(2026, 1, 5, 9, 30, tzinfo=UTC),
        assessment=assess(typed, owner=None),
        answers=(),
        conflicts=(),
        open_questions=(),
    )
    return summary.model_copy(update=changes)


def answer_line(question_id: str, text: str, by: str) -> AnswerLine:
    """One person's answer as a summary lists it."""
    return AnswerLine(question_id=question_id, title=question_id.title(), text=text, by=by)
