"""The intake record: who answered what, which answer counts, what conflicts, what is open."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conversations.intake import (
    AnswerRecord,
    Intake,
    Place,
    answered,
    conflicting,
    latest_by_person,
    next_question,
    summarise,
    typed_answers,
    unresolved,
    used_answer,
)
from conversations.people import Owner, Person, owner_id
from conversations.questions import QUESTION_IDS
from conversations.summary import baseline_of
from testkit.answers import DECISION_ANSWERS, HAPPY_ANSWERS
from tests.conversations.flow import BASE_TIME


def _intake(
    *answers: tuple[str, str, str], owner: Owner | None = None, skipped: tuple[str, ...] = ()
) -> Intake:
    """An intake with (question, text, by) answers one minute apart, in the order given."""
    records = tuple(
        AnswerRecord(question_id=q, text=t, by=by, at=BASE_TIME + timedelta(minutes=i + 1))
        for i, (q, t, by) in enumerate(answers)
    )
    return Intake(
        project="Churn model",
        started_by="alice",
        started_at=BASE_TIME,
        owner=owner,
        answers=records,
        skipped=skipped,
    )


@pytest.mark.parametrize(
    ("owner", "user"),
    [
        (Person(id="U0MARIA", name="maria"), "U0MARIA"),
        (Person(id="29:1a2B-teams"), "29:1a2B-teams"),
        ("@maria", "maria"),
        ("  maria ", "maria"),
        ("", None),
        (None, None),
    ],
)
def test_owner_id_reads_mentions_and_plain_names(owner: Owner | None, user: str | None) -> None:
    """The owner (a mentioned person, @name or a name) maps to the id answers carry."""
    assert owner_id(owner) == user


def test_latest_by_person_keeps_each_persons_newest_answer_oldest_first() -> None:
    """A person who answered twice counts once, with their newer answer, in the newer position."""
    intake = _intake(
        ("volume", "1 GB a day", "alice"),
        ("volume", "2 GB a day", "bob"),
        ("sla", "under 50 ms", "alice"),
        ("volume", "3 GB a day", "alice"),
    )
    assert [(r.by, r.text) for r in latest_by_person(intake, "volume")] == [
        ("bob", "2 GB a day"),
        ("alice", "3 GB a day"),
    ]


def test_used_answer_is_the_latest_when_there_is_no_owner() -> None:
    """Without an owner, the newest answer from anybody is the one used."""
    intake = _intake(("volume", "1 GB a day", "alice"), ("volume", "2 GB a day", "bob"))
    used = used_answer(intake, "volume")
    assert used is not None
    assert (used.by, used.text) == ("bob", "2 GB a day")


def test_used_answer_is_the_owners_latest_over_anybody_newer() -> None:
    """With an owner who answered, their newest answer wins over later ones from others."""
    intake = _intake(
        ("volume", "1 GB a day", "U0MARIA"),
        ("volume", "5 GB a day", "U0MARIA"),
        ("volume", "2 GB a day", "bob"),
        owner=Person(id="U0MARIA"),
    )
    used = used_answer(intake, "volume")
    assert used is not None
    assert (used.by, used.text) == ("U0MARIA", "5 GB a day")


def test_used_answer_falls_back_to_latest_when_the_owner_did_not_answer() -> None:
    """An owner who never answered a question leaves it to the latest answer."""
    intake = _intake(
        ("volume", "1 GB a day", "alice"), ("volume", "2 GB a day", "bob"), owner="carol"
    )
    used = used_answer(intake, "volume")
    assert used is not None
    assert used.by == "bob"
    assert used_answer(intake, "sla") is None


def test_conflicting_compares_parsed_values_not_wording() -> None:
    """Equal values in other words agree; different values conflict; one person never does."""
    same = _intake(("volume", "40 GB a day", "alice"), ("volume", "40GB daily", "bob"))
    assert conflicting(same, "volume") == []
    differ = _intake(("volume", "40 GB a day", "alice"), ("volume", "2 TB a day", "bob"))
    assert [r.by for r in conflicting(differ, "volume")] == ["alice", "bob"]
    changed_mind = _intake(("volume", "40 GB a day", "alice"), ("volume", "2 TB a day", "alice"))
    assert conflicting(changed_mind, "volume") == []


def test_conflicting_ignores_a_stored_answer_that_no_longer_parses() -> None:
    """An answer a newer parser cannot read is left out of the comparison, not crashed on."""
    intake = _intake(("volume", "40 GB a day", "alice"), ("volume", "loads", "bob"))
    assert conflicting(intake, "volume") == []


def test_typed_answers_use_the_used_answer_and_skip_unreadable_ones() -> None:
    """The decision gets each question's used answer, parsed; unreadable ones become missing."""
    intake = _intake(
        ("volume", "40 GB a day", "alice"),
        ("volume", "2 TB a day", "bob"),
        ("sla", "quickly please", "alice"),
    )
    answers = typed_answers(intake)
    assert answers.volume is not None
    assert answers.volume.text == "2 TB a day"
    assert answers.sla is None


def test_unresolved_lists_unanswered_unskipped_questions_in_order() -> None:
    """Answered and skipped questions are resolved; the rest are listed in catalog order."""
    intake = _intake(("churn", "nightly", "bob"), skipped=("model",))
    assert unresolved(intake) == [q for q in QUESTION_IDS if q not in ("churn", "model")]
    assert answered(intake, "churn")
    assert not answered(intake, "model")


def test_next_question_goes_forward_then_wraps_round() -> None:
    """The next open question after one, wrapping to the first open one; None when done."""
    intake = _intake(("stakeholders", "finance", "bob"), ("churn", "nightly", "bob"))
    assert next_question(intake, None) == "volume"
    assert next_question(intake, "volume") == "decay"
    assert next_question(intake, "model") == "volume"
    done = _intake(*((q, t, "alice") for q, t in HAPPY_ANSWERS.items()))
    assert next_question(done, "volume") is None


def test_summarise_waits_for_the_decision_inputs() -> None:
    """No summary until the five decision-table answers are in; then one with open questions."""
    partial = _intake(*((q, t, "alice") for q, t in DECISION_ANSWERS.items() if q != "sla"))
    assert summarise(partial, BASE_TIME) is None
    ready = _intake(*((q, t, "alice") for q, t in DECISION_ANSWERS.items()))
    summary = summarise(ready, BASE_TIME)
    assert summary is not None
    assert summary.produced_at == BASE_TIME
    assert summary.open_questions == ("stakeholders", "decay", "frequency", "model")
    assert [line.question_id for line in summary.answers] == [
        "volume",
        "churn",
        "config",
        "sla",
        "customer",
    ]


def test_summarise_flags_conflicts_with_the_answer_used() -> None:
    """A summary lists each disagreement with every person's answer and the one used."""
    intake = _intake(
        *((q, t, "alice") for q, t in DECISION_ANSWERS.items()),
        ("sla", "by the next morning", "bob"),
        owner="alice",
    )
    summary = summarise(intake, BASE_TIME)
    assert summary is not None
    (conflict,) = summary.conflicts
    assert conflict.question_id == "sla"
    assert [line.text for line in conflict.answers] == ["under 50 ms", "by the next morning"]
    assert conflict.used.by == "alice"
    assert summary.owner == "alice"


def test_place_belongs_to_the_intake_it_was_made_in() -> None:
    """A place made for an earlier intake in the thread does not belong to a new one."""
    intake = _intake()
    assert Place(user="bob", current="volume", intake_started_at=BASE_TIME).belongs_to(intake)
    assert Place(user="bob", current="volume").belongs_to(intake)
    earlier = BASE_TIME - timedelta(days=1)
    assert not Place(user="bob", current=None, intake_started_at=earlier).belongs_to(intake)


def test_records_round_trip_through_json() -> None:
    """The intake and a place survive the JSON the store keeps them in, unchanged."""
    intake = _intake(*((q, t, "alice") for q, t in HAPPY_ANSWERS.items()), owner=Person(id="U1"))
    summary = summarise(intake, BASE_TIME)
    assert summary is not None
    with_baseline = intake.model_copy(update={"baseline": baseline_of(summary)})
    assert Intake.model_validate_json(with_baseline.model_dump_json()) == with_baseline
    place = Place(user="bob", current="sla", history=("volume",), intake_started_at=BASE_TIME)
    assert Place.model_validate_json(place.model_dump_json()) == place
