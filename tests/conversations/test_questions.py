"""The question catalog: the requirement topics as data that every front end asks the same way."""

from __future__ import annotations

import pytest

from conversations.answers import DECISION_INPUTS
from conversations.questions import (
    CATALOG,
    QUESTION_IDS,
    QUESTIONS,
    Question,
    find_question,
    question_number,
)
from conversations.values import (
    Churn,
    Config,
    Customer,
    ModelPlan,
    ParseError,
    Value,
)

FIXED_IDS = ("volume", "stakeholders", "churn", "decay", "frequency", "config", "sla",
              "customer", "model")  # fmt: skip


def test_question_ids_are_the_designed_ones_in_order() -> None:
    """The catalog asks exactly the fixed question ids (other apps read them), in this order."""
    assert QUESTION_IDS == FIXED_IDS
    assert tuple(question.id for question in CATALOG) == FIXED_IDS
    assert set(QUESTIONS) == set(FIXED_IDS)


def test_decision_columns_are_required_and_the_model_is_not() -> None:
    """Every decision-table column must be answered; only the model plan may be skipped."""
    assert set(DECISION_INPUTS) <= set(QUESTION_IDS)
    assert all(QUESTIONS[qid].required for qid in DECISION_INPUTS)
    assert [q.id for q in CATALOG if not q.required] == ["model"]


@pytest.mark.parametrize("question", CATALOG, ids=QUESTION_IDS)
def test_question_reads_as_a_question_with_a_reason(question: Question) -> None:
    """Each question has a title, a prompt ending in "?", a reason, and examples."""
    assert question.title
    assert question.prompt.endswith("?")
    assert question.why
    assert question.examples


EXAMPLES = [
    pytest.param(question, example, id=f"{question.id}-{example}")
    for question in CATALOG
    for example in question.examples
]


@pytest.mark.parametrize(("question", "example"), EXAMPLES)
def test_every_example_shown_parses(question: Question, example: str) -> None:
    """The examples a question shows are answers its own parser accepts."""
    result = question.parser(example)
    assert isinstance(result, Value), result


CHOICES = [
    pytest.param(question, choice.id, id=f"{question.id}-{choice.id}")
    for question in CATALOG
    for choice in question.choices
]


@pytest.mark.parametrize(("question", "choice_id"), CHOICES)
def test_every_choice_id_parses_to_that_choice(question: Question, choice_id: str) -> None:
    """A button's id, sent as the answer, parses to the value the button stands for."""
    result = question.parser(choice_id)
    if isinstance(result, Churn | Customer):
        assert result.kind.value == choice_id
    elif isinstance(result, ModelPlan):
        assert result.family.value == choice_id
    else:
        assert isinstance(result, Config)
        assert result.stateful is (choice_id == "yes")


def test_categorical_questions_offer_choices() -> None:
    """Churn, config, customer and model offer buttons; the measured answers do not."""
    assert [q.id for q in CATALOG if q.choices] == ["churn", "config", "customer", "model"]


@pytest.mark.parametrize("question", CATALOG, ids=QUESTION_IDS)
def test_empty_answer_is_refused_with_a_working_example(question: Question) -> None:
    """Each parser refuses an empty answer, and the example it gives in the refusal parses."""
    refusal = question.parser("")
    assert isinstance(refusal, ParseError)
    assert refusal.expected
    assert isinstance(question.parser(refusal.example), Value)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        pytest.param("sla", "sla", id="by-id"),
        pytest.param("  SLA ", "sla", id="id-any-case"),
        pytest.param("1", "volume", id="first-by-number"),
        pytest.param("7", "sla", id="seventh-by-number"),
        pytest.param("9", "model", id="last-by-number"),
        pytest.param("0", None, id="zero"),
        pytest.param("10", None, id="past-the-end"),
        pytest.param("-1", None, id="negative"),
        pytest.param("colour", None, id="unknown-id"),
    ],
)
def test_find_question_by_id_or_number(ref: str, expected: str | None) -> None:
    """`edit 7` and `edit sla` find the same question; anything else finds none."""
    found = find_question(ref)
    assert (found.id if found else None) == expected


def test_question_numbers_count_from_one() -> None:
    """Questions are numbered as people count, and numbers round-trip through find_question."""
    assert question_number("volume") == 1
    for question in CATALOG:
        assert find_question(str(question_number(question.id))) is question
