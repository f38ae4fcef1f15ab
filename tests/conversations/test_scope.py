"""The scope-creep guard over the pure dialogue: history, warnings, the owner's decisions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conversations import messages as msg
from conversations.changes import Changed, Decided, Warned, WarningKind, WarningStatus
from conversations.intake import new_answers, used_answer
from conversations.people import Person
from conversations.replies import WarningReply
from conversations.scope import MAX_OPEN_WARNINGS
from conversations.strategies import StrategyId
from tests.conversations.flow import Flow, plain

BATCH_ANSWERS = {
    "volume": "40 GB a day",
    "stakeholders": "@maria, the fraud team",
    "churn": "nightly",
    "decay": "every 30 days",
    "frequency": "once a day",
    "config": "no",
    "sla": "by the next morning",
    "customer": "file based",
    "model": "xgboost",
}
# In this order the plan stays batch until the customer answer makes it an event stream.
STREAM_ANSWERS = {
    "churn": "constantly",
    "customer": "internal_high_throughput",
    "frequency": "1000 requests per second",
    "sla": "under 50 ms",
}
MARIA = Person(id="maria", name="Maria")


def baseline_flow(*, owner: Person | str | None = MARIA) -> Flow:
    """An intake answered to its first summary (batch), with `owner` named."""
    flow = Flow("Fraud scoring", starter="alice").answer(BATCH_ANSWERS).expect(summary=True)
    assert flow.record.baseline is not None
    assert flow.record.baseline.strategy is StrategyId.BATCH
    if isinstance(owner, Person):
        flow.send(f"owner @{owner.label}", mentions=(owner,)).expect(notice=msg.OWNER_SET)
    elif owner is not None:
        flow.send(f"owner {owner}").expect(notice=msg.OWNER_SET)
    return flow


def to_stream(flow: Flow, *, user: str = "alice") -> Flow:
    """Change answers one by one until the plan becomes an event stream."""
    for question_id, text in STREAM_ANSWERS.items():
        flow.send(f"edit {question_id}", user=user).send(text, user=user)
    return flow


def scope_warnings(flow: Flow) -> list[object]:
    return [w for w in flow.warnings if w.warning.kind is WarningKind.SCOPE_CHANGE]


def test_a_change_that_flips_the_strategy_raises_one_warning_with_its_cost() -> None:
    """Batch -> event stream is warned once, with the report card's cost and the owner named."""
    flow = baseline_flow()
    flipped = 0
    for question_id, text in STREAM_ANSWERS.items():
        flow.send(f"edit {question_id}").send(text)
        for reply in scope_warnings(flow):
            warning = reply.warning  # type: ignore[attr-defined]
            if warning.from_strategy is not warning.to_strategy:
                flipped += 1
                last = reply
    assert flipped == 1
    warning = last.warning  # type: ignore[possibly-undefined]
    assert (warning.from_strategy, warning.to_strategy) == (
        StrategyId.BATCH,
        StrategyId.EVENT_STREAM,
    )
    moved = {d.what: (d.before, d.after) for d in warning.differences}
    assert moved["Ease of deployment"] == ("8", "2")
    assert moved["MLOps pipeline"] == ("8", "2")
    assert moved["Strategy"][0] == "Batch"
    assert warning.status is WarningStatus.OPEN
    assert warning in flow.record.open_warnings
    owner_line = last.lines[-1]  # type: ignore[possibly-undefined]
    assert owner_line.template == msg.SCOPE_OWNER_DECIDES
    assert owner_line.params["owner"] == MARIA


def test_every_change_after_the_baseline_is_in_the_history_and_quiet_ones_are_counted() -> None:
    """A change that moves nothing raises no warning, but is journaled and counted."""
    flow = baseline_flow()
    flow.send("edit stakeholders").send("@maria, the fraud team, finance")
    assert flow.warnings == []
    entry = flow.record.journal[-1]
    assert isinstance(entry, Changed)
    assert entry.change.old_text == "@maria, the fraud team"
    assert entry.change.new_text == "@maria, the fraud team, finance"
    assert entry.by == "alice"
    assert entry.warning is None
    assert flow.record.quiet_changes == 1
    assert flow.record.history_count == 1


def test_the_same_reading_in_other_words_is_no_change() -> None:
    """'40GB daily' after '40 GB a day' changes nothing the decision uses."""
    flow = baseline_flow()
    flow.send("edit volume").send("40GB daily")
    assert flow.record.history_count == 0
    assert flow.warnings == []


def test_nothing_is_recorded_before_the_first_summary() -> None:
    """Answers changed before the baseline are the requirements forming, not scope creep."""
    flow = Flow("Fraud scoring", starter="alice")
    flow.send("40 GB a day").send("edit volume").send("4 TB a day")
    assert flow.record.history_count == 0


def test_the_owner_approves_and_the_answers_become_the_baseline() -> None:
    """Approve: the warning closes, the baseline moves to today's answers, a summary follows."""
    flow = to_stream(baseline_flow())
    *earlier, last = flow.record.open_warnings
    for warning in earlier:
        flow.send(f"approve {warning.number}", user="maria")
    number = last.number
    flow.send(f"approve {number}", user="maria")
    approved = flow.find_notice(msg.SCOPE_APPROVED)
    assert approved.params["user"] == Person(id="maria")
    assert flow.summary.assessment.strategy is StrategyId.EVENT_STREAM
    assert flow.record.baseline is not None
    assert flow.record.baseline.strategy is StrategyId.EVENT_STREAM
    assert number not in [w.number for w in flow.record.open_warnings]
    entry = flow.record.journal[-1]
    assert isinstance(entry, Decided)
    assert (entry.status, entry.by, entry.warning) == (WarningStatus.APPROVED, "maria", number)
    assert flow.warnings == []
    # The warning's own card is to show the decision: a reply to update it in place.
    [card] = [r for r in flow.replies if isinstance(r, WarningReply) and r.in_place]
    assert (card.warning.number, card.warning.status) == (number, WarningStatus.APPROVED)
    assert card.lines[-1].template == msg.SCOPE_DECIDED_APPROVED


def test_the_owner_rejects_and_the_baselines_answer_is_back() -> None:
    """Reject: the baseline's answer is used again, as the owner's, and raises no new warning."""
    flow = baseline_flow()
    flow.send("edit volume").send("4 TB a day")
    [warning] = flow.record.open_warnings
    flow.send("reject", user="maria")
    flow.find_notice(msg.SCOPE_REJECTED)
    assert flow.warnings == []
    used = [r for r in flow.record.answers if r.question_id == "volume" and r.by == "maria"]
    assert [r.text for r in used] == ["40 GB a day"]
    assert flow.summary.assessment.compute is not None
    assert flow.summary.assessment.compute.workload.startswith("XL")
    entry = flow.record.journal[-1]
    assert isinstance(entry, Decided)
    assert entry.status is WarningStatus.REJECTED
    assert [(c.old_text, c.new_text) for c in entry.restored] == [("4 TB a day", "40 GB a day")]
    assert flow.record.open_warnings == ()
    assert warning.number == 1


def test_anyone_but_the_owner_is_refused_privately_and_the_warning_stays_open() -> None:
    """A stakeholder's approve is answered to them alone and changes nothing."""
    flow = baseline_flow()
    flow.send("edit volume").send("4 TB a day")
    before = flow.record
    flow.send("approve 1", user="bob")
    refusal = flow.find_notice(msg.SCOPE_ONLY_OWNER)
    assert refusal.only_for == "bob"
    assert refusal.params["owner"] == MARIA
    assert flow.record.open_warnings == before.open_warnings
    assert flow.record.baseline == before.baseline


def test_without_an_owner_the_warning_names_the_starter_and_nobody_can_decide() -> None:
    """No owner: the warning mentions the starter; even the starter's approve is refused."""
    flow = baseline_flow(owner=None)
    flow.send("edit volume").send("4 TB a day")
    [reply] = flow.warnings
    assert reply.lines[-1].template == msg.SCOPE_NO_OWNER
    assert reply.lines[-1].params["starter"] == Person(id="alice")
    flow.send("approve", user="alice")
    refusal = flow.find_notice(msg.SCOPE_NO_OWNER_TO_DECIDE)
    assert refusal.only_for == "alice"
    assert len(flow.record.open_warnings) == 1


def test_an_owner_named_as_text_cannot_decide_until_mentioned() -> None:
    """An owner typed as a name has no user id to act with: the refusal says to mention them."""
    flow = baseline_flow(owner="Maria Lopez")
    flow.send("edit volume").send("4 TB a day")
    flow.send("approve 1", user="maria")
    assert flow.find_notice(msg.SCOPE_OWNER_NOT_MENTIONED).only_for == "maria"


def test_the_owner_hands_over_and_only_the_new_owner_decides() -> None:
    """After `owner @bob` by Maria, Maria is refused and Bob approves."""
    flow = baseline_flow()
    flow.send("edit volume").send("4 TB a day")
    bob = Person(id="bob", name="Bob")
    flow.send("owner @Bob", user="maria", mentions=(bob,)).expect(notice=msg.OWNER_SET)
    flow.send("approve 1", user="maria")
    assert flow.find_notice(msg.SCOPE_ONLY_OWNER).params["owner"] == bob
    flow.send("approve 1", user="bob").expect(notice=msg.SCOPE_APPROVED)


def test_which_warning_a_decision_means() -> None:
    """A bare approve with two open is asked to name one; unknown and decided numbers are said."""
    flow = baseline_flow()
    flow.send("edit volume").send("4 TB a day")
    flow.send("edit sla").send("under 50 ms")
    assert len(flow.record.open_warnings) == 2
    flow.send("approve", user="maria").expect(notice=msg.SCOPE_WHICH)
    flow.send("approve 7", user="maria").expect(notice=msg.SCOPE_NO_SUCH_WARNING)
    flow.send("approve 1", user="maria").expect(notice=msg.SCOPE_APPROVED)
    flow.send("reject 1", user="maria").expect(notice=msg.SCOPE_ALREADY_DECIDED)
    assert [w.number for w in flow.record.open_warnings] == [2]


def test_an_answer_changed_more_than_twice_is_flagged_once() -> None:
    """The third change to one question warns the owner; the fourth does not again."""
    flow = baseline_flow()
    kinds: list[WarningKind] = []
    for text in ("hourly", "every 2 hours", "every 3 hours", "every 4 hours"):
        flow.send("edit churn").send(text)
        kinds += [w.warning.kind for w in flow.warnings]
    assert kinds.count(WarningKind.REPEATED_CHANGES) == 1
    assert flow.record.change_counts["churn"] == 4
    assert "repeated_changes:churn" in flow.record.warned


def test_a_question_changed_after_its_approval_is_reopened_once() -> None:
    """Approved, then changed again: the owner hears it is reopened, once."""
    flow = baseline_flow()
    flow.send("edit volume").send("4 TB a day")
    flow.send("approve 1", user="maria")
    flow.send("edit volume").send("3 TB a day")
    assert [w.warning.kind for w in flow.warnings] == [WarningKind.REOPENED]
    reopened = flow.warnings[0]
    assert reopened.warning.status is WarningStatus.NOTICE
    assert reopened.lines[-1].template == msg.SCOPE_OWNER_NOTE
    flow.send("edit volume").send("5 TB a day")
    assert WarningKind.REOPENED not in [w.warning.kind for w in flow.warnings]


def test_a_conflict_unsettled_for_three_days_is_flagged_when_next_touched() -> None:
    """Bob disagrees with Alice; three days later any touch warns the owner, once."""
    flow = baseline_flow()
    flow.send("edit sla", user="bob").send("within 2 hours", user="bob")
    assert "sla" in flow.record.conflicts_since
    flow.send("status", user="bob")
    assert flow.warnings == []
    flow.wait(timedelta(days=3))
    flow.send("status", user="bob")
    [warning] = flow.warnings
    assert warning.warning.kind is WarningKind.UNSETTLED_CONFLICT
    assert warning.warning.question_ids == ("sla",)
    entry = flow.record.journal[-1]
    assert isinstance(entry, Warned)
    assert entry.reason is WarningKind.UNSETTLED_CONFLICT
    flow.send("status", user="bob")
    assert flow.warnings == []


def test_a_conflict_settled_in_time_is_not_flagged() -> None:
    """The owner answers within three days: the conflict is gone, and so is the clock."""
    flow = baseline_flow()
    flow.send("edit sla", user="bob").send("within 2 hours", user="bob")
    assert "sla" in flow.record.conflicts_since
    flow.send("edit sla", user="maria").send("by the next morning", user="maria")
    flow.wait(timedelta(days=4))
    flow.send("status", user="bob")
    assert flow.warnings == []
    assert flow.record.conflicts_since == {}


def test_history_asks_the_service_for_a_page() -> None:
    """`history 2` is a request for page 2; a non-number after it is an answer."""
    flow = baseline_flow()
    flow.send("history 2")
    [request] = flow.replies
    assert request.kind == "history_request"
    assert request.page == 2  # type: ignore[union-attr]
    flow.send("export")
    assert [r.kind for r in flow.replies] == ["record_request"]


def test_a_warning_reads_in_words() -> None:
    """The warning's sentences name the project, who changed what, and the old and new answers."""
    flow = baseline_flow()
    flow.send("edit volume").send("4 TB a day")
    [reply] = flow.warnings
    text = "\n".join(plain(line) for line in reply.lines)
    assert "Scope change 1" in text
    assert "Fraud scoring" in text
    assert "40 GB a day" in text
    assert "4 TB a day" in text
    assert "Volume band: high → massive" in text


def test_undecided_warnings_are_capped_and_the_oldest_set_aside_in_the_history() -> None:
    """An owner who never decides: at most ten wait; each older one is set aside, in the history."""
    flow = baseline_flow()
    volumes = ("4 TB a day", "40 GB a day")
    for n in range(14):
        flow.send("edit volume").send(volumes[n % 2])
    waiting = [w.number for w in flow.record.open_warnings]
    assert len(waiting) == MAX_OPEN_WARNINGS
    assert waiting == sorted(waiting)
    assert flow.record.warning_count > MAX_OPEN_WARNINGS
    set_aside = [
        entry
        for entry in flow.record.journal
        if isinstance(entry, Decided) and entry.status is WarningStatus.SUPERSEDED
    ]
    assert [entry.warning for entry in set_aside] == [waiting[0] - 1]
    flow.send(f"approve {waiting[0] - 1}", user="maria").expect(notice=msg.SCOPE_ALREADY_DECIDED)


def test_approving_one_warning_leaves_what_another_waits_on_in_the_baseline() -> None:
    """Approve 2, then reject 1: warning 1's question goes back to the agreed answer."""
    flow = baseline_flow()
    flow.send("edit volume").send("50 TB a day")
    flow.send("edit churn").send("constantly")
    flow.send("edit customer").send("internal_high_throughput")
    assert [w.question_ids for w in flow.record.open_warnings] == [("volume",), ("customer",)]
    flow.send("approve 2", user="maria").expect(notice=msg.SCOPE_APPROVED)
    assert flow.record.baseline is not None
    assert flow.record.baseline.answers["volume"] == "40 GB a day"
    assert flow.record.baseline.answers["customer"] == "internal_high_throughput"
    flow.send("reject 1", user="maria").expect(notice=msg.SCOPE_REJECTED)
    volume = [r for r in flow.record.answers if r.question_id == "volume" and r.by == "maria"]
    assert [r.text for r in volume] == ["40 GB a day"]


@pytest.mark.parametrize("typed", ["approve ²", "reject ³", "history ²", "edit ²"])
def test_unicode_digits_are_not_numbers(typed: str) -> None:
    """'²' passes str.isdigit() but not int(): it is read as words, never crashes the turn."""
    flow = baseline_flow()
    flow.send(typed)
    assert flow.replies


def test_a_rejection_that_puts_back_two_answers_records_both() -> None:
    """A new owner whose answers now count, rejected: both questions come back, both recorded."""
    flow = Flow("Fraud scoring", starter="alice")
    flow.send("4 TB a day", user="maria")
    flow.send("edit sla", user="maria").send("under 50 ms", user="maria")
    flow.answer(BATCH_ANSWERS, user="alice").send("summary")
    assert flow.record.baseline is not None
    flow.send("owner @Maria", mentions=(MARIA,))
    [warning] = flow.record.open_warnings
    assert set(warning.question_ids) == {"volume", "sla"}
    before = flow.record
    flow.send("reject", user="maria").expect(notice=msg.SCOPE_REJECTED)
    added = new_answers(before, flow.record)
    assert sorted((r.question_id, r.text) for r in added) == [
        ("sla", "by the next morning"),
        ("volume", "40 GB a day"),
    ]


def test_a_conflict_removed_by_a_rejection_is_no_longer_counted() -> None:
    """Both answers to an unanswered question go with the rejection, and so does the conflict."""
    flow = Flow("Fraud scoring", starter="alice")
    answers = {k: v for k, v in BATCH_ANSWERS.items() if k != "model"}
    flow.answer(answers)
    flow.send("edit model").send("skip")
    flow.send("owner @Maria", mentions=(MARIA,))
    flow.send("edit model", user="bob").send("xgboost", user="bob")
    flow.send("edit model", user="carol").send("TensorFlow CNN, $50,000 to train", user="carol")
    assert "model" in flow.record.conflicts_since
    for warning in flow.record.open_warnings:
        flow.send(f"reject {warning.number}", user="maria")
    assert flow.record.conflicts_since == {}


@pytest.mark.parametrize(
    ("approve", "reject", "used"),
    [(1, 2, "50 TB a day"), (2, 1, "1 GB a day")],
)
def test_two_warnings_on_one_question_keep_what_the_owner_approved(
    approve: int, reject: int, used: str
) -> None:
    """40 GB -> 50 TB (1) -> 1 GB (2): approving one and rejecting the other leaves the approved."""
    flow = baseline_flow()
    flow.send("edit volume").send("50 TB a day")
    flow.send("edit volume").send("1 GB a day")
    assert [w.question_ids for w in flow.record.open_warnings] == [("volume",), ("volume",)]
    flow.send(f"approve {approve}", user="maria").expect(notice=msg.SCOPE_APPROVED)
    flow.send(f"reject {reject}", user="maria").expect(notice=msg.SCOPE_REJECTED)
    record = used_answer(flow.record, "volume")
    assert record is not None
    assert record.text == used
