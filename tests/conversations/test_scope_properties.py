"""A flipped strategy never goes unwarned: random edits after a baseline, checked step by step."""

from __future__ import annotations

from hypothesis import event, given, settings
from hypothesis import strategies as st

from conversations.changes import WarningKind
from conversations.intake import Intake, summarise
from conversations.people import Person
from conversations.replies import WarningReply
from conversations.strategies import StrategyId
from tests.conversations.flow import BASE_TIME, Flow
from tests.conversations.test_scope import BATCH_ANSWERS

# Answers that move the plan every which way: volumes across the bands, real-time and not,
# every customer kind, state and none.
POOL: dict[str, tuple[str, ...]] = {
    "volume": ("40 GB a day", "4 TB a day", "500 MB a day", "10 GB a day", "300 GB a day"),
    "churn": ("nightly", "constantly", "never", "hourly", "rarely"),
    "sla": ("by the next morning", "under 50 ms", "2 seconds", "within the hour", "no SLA"),
    "customer": ("file based", "internal_high_throughput", "external", "internal_private"),
    "frequency": ("once a day", "1000 requests per second", "50k calls an hour"),
    "config": ("no", "yes - per-customer thresholds in a table"),
    "decay": ("every 30 days", "never", "every day"),
    "model": ("xgboost", "TensorFlow CNN, $5,000 to train"),
    "stakeholders": ("@maria, the fraud team", "finance and the fraud team"),
}
PEOPLE = ("alice", "bob", "maria")
MARIA = Person(id="maria", name="Maria")

edits = st.tuples(
    st.sampled_from(PEOPLE),
    st.sampled_from(sorted(POOL)).flatmap(
        lambda question: st.tuples(st.just(question), st.sampled_from(POOL[question]))
    ),
)
decisions = st.tuples(st.sampled_from(("approve", "reject")), st.sampled_from(PEOPLE))
actions = st.one_of(edits, edits, edits, edits, decisions)


def _strategy(intake: Intake | None) -> StrategyId | None:
    summary = summarise(intake, BASE_TIME) if intake is not None else None
    return summary.assessment.strategy if summary is not None else None


def _scope_warnings(flow: Flow) -> list[WarningReply]:
    return [w for w in flow.warnings if w.warning.kind is WarningKind.SCOPE_CHANGE]


@settings(max_examples=150, deadline=None)
@given(st.lists(actions, min_size=8, max_size=30))
def test_every_change_of_strategy_raises_exactly_one_warning(
    steps: list[tuple[str, str] | tuple[str, tuple[str, str]]],
) -> None:
    """Each step that flips the strategy raises one scope-change warning; a decision raises none.

    Edits come from anyone (the owner's answers win), decisions from anyone
    (only the owner's count); the strategy is recomputed from the intake on
    each side of every step, independently of the guard.
    """
    flow = Flow("Fraud scoring", starter="alice").answer(BATCH_ANSWERS)
    flow.send("owner @Maria", mentions=(MARIA,))
    flips = 0
    for action in steps:
        who, what = action[1], action[0]
        if isinstance(what, str) and what in ("approve", "reject"):
            flow.send(what, user=str(who))
            assert _scope_warnings(flow) == [], "a decision raises no scope-change warning"
            continue
        user, (question_id, text) = action  # type: ignore[misc]
        flow.send(f"edit {question_id}", user=user)
        assert _scope_warnings(flow) == [], "moving to a question changes no answer"
        flow.send(text, user=user)
        before, after = _strategy(flow.before), _strategy(flow.intake)
        scope = _scope_warnings(flow)
        assert len(scope) <= 1, "one step raises at most one scope-change warning"
        moved = [w for w in scope if w.warning.from_strategy is not w.warning.to_strategy]
        if before == after:
            assert moved == [], f"{before} did not change, yet a warning says it did"
            continue
        flips += 1
        assert len(moved) == 1, f"{before} -> {after} went unwarned"
        assert (moved[0].warning.from_strategy, moved[0].warning.to_strategy) == (before, after)
    event(f"strategy flips: {min(flips, 3)}+" if flips >= 3 else f"strategy flips: {flips}")
    assert flow.record.warning_count >= flips
