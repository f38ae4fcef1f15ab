"""A full set of typed answers, and reading one from what people typed.

The decision engine needs the five columns of the decision table;
the other answers refine risks and sizing. Reading reports every problem at
once (not the first) so a person fixes a form in one pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from conversations import messages as msg
from conversations.frozen import Frozen
from conversations.parsing import is_text, too_long
from conversations.questions import QUESTIONS
from conversations.values import (
    Churn,
    Config,
    Customer,
    Decay,
    Frequency,
    ModelPlan,
    ParseError,
    Sla,
    Stakeholders,
    Unclear,
    Value,
    Volume,
)

PARSED_ANSWERS_KEPT = 4096
DECISION_INPUTS: tuple[str, ...] = ("volume", "churn", "sla", "customer", "config")


class Answers(Frozen):
    """Typed answers by question id; None where nobody answered."""

    volume: Volume | None = None
    stakeholders: Stakeholders | None = None
    churn: Churn | None = None
    decay: Decay | None = None
    frequency: Frequency | None = None
    config: Config | None = None
    sla: Sla | None = None
    customer: Customer | None = None
    model: ModelPlan | None = None

    def missing_for_decision(self) -> tuple[str, ...]:
        """The decision-table columns still unanswered, in catalog order."""
        return tuple(qid for qid in DECISION_INPUTS if getattr(self, qid) is None)


class FieldProblem(Frozen):
    """One bad field of a set of answers: enough to fix it without asking again."""

    field: str
    value: str
    problem: str
    expected: str
    example: str

    def line(self) -> str:
        """One line for a terminal or a chat reply."""
        shown = f" {self.value!r}" if self.value else ""
        return (
            f"{self.field}{shown}: {self.problem} Expected {self.expected}; "
            f"for example: {self.example!r}."
        )


@lru_cache(maxsize=PARSED_ANSWERS_KEPT)
def parse_answer(question_id: str, text: str) -> Value | ParseError:
    """Parse one answer with its question's parser, refusing overlong text or non-text first.

    Parsing is pure and its results are frozen, so they are kept: a summary
    re-reads every answer on the record, and the same texts come back turn
    after turn.
    """
    refused = too_long(text)
    if refused is not None:
        return refused
    if not is_text(text):
        wanted = _expected(question_id)
        return ParseError(problem=msg.NOT_TEXT, expected=wanted.expected, example=wanted.example)
    return QUESTIONS[question_id].parser(text)


def _expected(question_id: str) -> ParseError:
    """What a question's parser expects, as it says when given nothing."""
    refused = QUESTIONS[question_id].parser("")
    if isinstance(refused, ParseError):
        return refused
    return ParseError(problem="", expected=QUESTIONS[question_id].prompt, example="")


def _field_problem(field: str, given: str, refused: ParseError) -> FieldProblem:
    """A refused answer as a field problem; one understood in part says what would finish it."""
    if isinstance(refused, Unclear) and refused.options:
        answers = [option.answer for option in refused.options]
        return FieldProblem(
            field=field,
            value=given[:80],
            problem=refused.ask,
            expected=" or ".join(repr(answer) for answer in answers),
            example=answers[0],
        )
    return FieldProblem(
        field=field,
        value=given[:80],
        problem=refused.problem,
        expected=refused.expected,
        example=refused.example,
    )


def read_answers(
    raw: Mapping[str, object], *, required: tuple[str, ...] = DECISION_INPUTS
) -> Answers | list[FieldProblem]:
    """Typed answers from question id -> typed text, or every problem found."""
    problems: list[FieldProblem] = []
    values: dict[str, Value] = {}
    for key, given in raw.items():
        question = QUESTIONS.get(key)
        if question is None:
            problems.append(
                FieldProblem(
                    field=key,
                    value=given[:80] if isinstance(given, str) else "",
                    problem="is not a question I ask.",
                    expected="one of " + ", ".join(QUESTIONS),
                    example="volume",
                )
            )
            continue
        if not isinstance(given, str) or not given.strip():
            problems.append(
                FieldProblem(
                    field=key,
                    value="" if given is None else str(given)[:80],
                    problem="must be the text a person would type.",
                    expected=_expected(key).expected,
                    example=_expected(key).example,
                )
            )
            continue
        parsed = parse_answer(key, given)
        if isinstance(parsed, ParseError):
            problems.append(_field_problem(key, given, parsed))
        else:
            values[key] = parsed
    for key in required:
        if key not in raw:
            problems.append(
                FieldProblem(
                    field=key,
                    value="",
                    problem="is missing.",
                    expected=_expected(key).expected,
                    example=_expected(key).example,
                )
            )
    if problems:
        return problems
    return Answers.model_validate(values)
