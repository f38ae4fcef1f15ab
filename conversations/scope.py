"""The project owner's scope-creep guard, as pure functions over two intakes.

The guide's hardest lesson is organisational: small tweaks after the
requirements are agreed can change the whole approach, so an owner with the
power to veto must see each one. From the first complete summary on (the
baseline), `guarded` compares the intake before and after every step:

- each change to an answer the decision uses (a new answer, an edit, an
  owner's answer that settles a conflict, a new owner whose answers now count)
  goes into the intake's history;
- a change that moves the strategy, the compute band, the volume band or the
  real-time class, or adds a high risk, raises a warning the owner approves
  (today's answers become the baseline) or rejects (the baseline's answer is
  put back); other changes stay quiet and are only counted;
- the owner is also warned, once each, of a question changed more than twice,
  a question reopened after an approval, and a conflict unsettled for more
  than three days.

A step that decides a warning raises none: the owner's own rejection moves
the plan back on purpose. Every front end runs the same steps, so each change
of strategy raises exactly one warning wherever it was typed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from conversations import messages as msg
from conversations.answers import Answers, parse_answer
from conversations.assessment import Assessment, assess
from conversations.changes import (
    AnswerChange,
    Changed,
    Decided,
    Difference,
    HistoryEntry,
    ScopeWarning,
    Warned,
    WarningKind,
    WarningStatus,
)
from conversations.intake import (
    AnswerRecord,
    Intake,
    IntakeStatus,
    conflicting,
    finished_at,
    summarise,
    typed_answers,
    used_answer,
    with_answer,
)
from conversations.people import Person, owner_id
from conversations.questions import CATALOG, QUESTIONS, question_number
from conversations.readings import reading
from conversations.replies import Joined, Notice, Param, Reply, SummaryReply, Tone, WarningReply
from conversations.risks import Severity
from conversations.strategies import StrategyId
from conversations.summary import Baseline, Summary, baseline_of
from conversations.values import Value

_NUMBER = re.compile(r"[0-9]{1,6}")
"""A warning's number as typed: ASCII digits only (`int()` refuses "²", which isdigit() takes)."""
CONFLICT_GRACE = timedelta(days=3)
"""How long stakeholders may disagree on a question before the owner is told."""
REPEATED_CHANGES = 2
"""A question whose used answer changed more than this often since the baseline is flagged."""
QUIET_DAYS_KEPT = timedelta(days=14)
"""Quiet changes are counted per day for this long: a weekly digest's period, and some."""
MAX_OPEN_WARNINGS = 10
"""Scope changes left waiting at once; past this the oldest is set aside (written to the
history), so an owner who never decides cannot make every turn carry a growing record."""


def guarded(
    before: Intake | None, after: Intake | None, actor: str, at: datetime
) -> tuple[Intake | None, list[Reply]]:
    """`after` with the guard's bookkeeping done, and the warnings the step raised."""
    if (
        after is None
        or before is None
        or after.status is not IntakeStatus.OPEN
        or before.started_at != after.started_at
        or _decided(before, after)
    ):
        return after, []
    found = _Findings(actor=actor, at=at, last_number=after.warning_count)
    intake = after
    if before.baseline is not None:
        changes = changed_answers(before, after)
        if changes:
            intake = _on_changes(before, intake, changes, found)
    intake = _aged_conflicts(before, intake, found)
    if not found.entries:
        return intake, []
    waiting = intake.open_warnings + tuple(w for w in found.raised if w.decidable)
    set_aside = waiting[: max(len(waiting) - MAX_OPEN_WARNINGS, 0)]
    found.entries.extend(
        Decided(by=actor, at=at, warning=w.number, status=WarningStatus.SUPERSEDED)
        for w in set_aside
    )
    intake = intake.model_copy(
        update={
            "journal": tuple(found.entries),
            "history_count": intake.history_count + len(found.entries),
            "warning_count": found.last_number,
            "open_warnings": waiting[len(set_aside) :],
        }
    )
    # A card set aside must stop offering its buttons: it is replaced like a decided one.
    retired = [
        warning_reply(
            w.model_copy(update={"status": WarningStatus.SUPERSEDED, "decided_at": at}), intake
        ).model_copy(update={"in_place": True})
        for w in set_aside
    ]
    return intake, [*retired, *(warning_reply(warning, intake) for warning in found.raised)]


@dataclass(slots=True)
class _Findings:
    """What one step's guard found: history entries and warnings, numbered in order."""

    actor: str
    at: datetime
    last_number: int
    entries: list[HistoryEntry] = field(default_factory=list)
    raised: list[ScopeWarning] = field(default_factory=list)

    def number(self) -> int:
        """The next warning's number."""
        self.last_number += 1
        return self.last_number

    def notice(self, kind: WarningKind, question_id: str, strategy: StrategyId) -> None:
        """Warn the owner of something that waits for no decision, and note it in the history."""
        number = self.number()
        self.raised.append(
            ScopeWarning(
                number=number,
                kind=kind,
                question_ids=(question_id,),
                from_strategy=strategy,
                to_strategy=strategy,
                by=self.actor,
                at=self.at,
                status=WarningStatus.NOTICE,
            )
        )
        self.entries.append(
            Warned(by=self.actor, at=self.at, warning=number, reason=kind, question_id=question_id)
        )


def _decided(before: Intake, after: Intake) -> bool:
    """Whether this step decided a warning (a decision journals itself and raises nothing)."""
    still_open = {warning.number for warning in after.open_warnings}
    return any(warning.number not in still_open for warning in before.open_warnings)


def _value(record: AnswerRecord | None) -> Value | None:
    if record is None:
        return None
    parsed = parse_answer(record.question_id, record.text)
    return parsed if isinstance(parsed, Value) else None


def changed_answers(before: Intake, after: Intake) -> list[AnswerChange]:
    """Each question whose used answer means something else after the step, in catalog order.

    Wording alone is no change: "40GB daily" after "40 GB a day" reads the same.
    """
    changes = []
    for question in CATALOG:
        old, new = used_answer(before, question.id), used_answer(after, question.id)
        if old == new:
            continue
        old_value, new_value = _value(old), _value(new)
        if old_value is None and new_value is None:
            continue
        if old_value is not None and new_value is not None and old_value.same_as(new_value):
            continue
        changes.append(
            AnswerChange(
                question_id=question.id,
                old_text=old.text if old else None,
                old_reading=reading(old_value) if old_value else None,
                new_text=new.text if new else None,
                new_reading=reading(new_value) if new_value else None,
            )
        )
    return changes


def _on_changes(
    before: Intake, intake: Intake, changes: list[AnswerChange], found: _Findings
) -> Intake:
    """Record the changes, raise a scope-change warning if they moved the plan, count them."""
    moved = compared(before, intake)
    warning_number: int | None = None
    if moved is not None and moved[2]:
        from_strategy, to_strategy, differences = moved
        warning_number = found.number()
        found.raised.append(
            ScopeWarning(
                number=warning_number,
                kind=WarningKind.SCOPE_CHANGE,
                question_ids=tuple(change.question_id for change in changes),
                changes=tuple(changes),
                differences=differences,
                from_strategy=from_strategy,
                to_strategy=to_strategy,
                by=found.actor,
                at=found.at,
                status=WarningStatus.OPEN,
            )
        )
    found.entries.extend(
        Changed(by=found.actor, at=found.at, change=change, warning=warning_number)
        for change in changes
    )
    counts = dict(intake.change_counts)
    warned = list(intake.warned)
    strategy = moved[1] if moved else _strategy(intake)
    for change in changes:
        question_id = change.question_id
        counts[question_id] = counts.get(question_id, 0) + 1
        once = (
            (WarningKind.REPEATED_CHANGES, counts[question_id] > REPEATED_CHANGES),
            (WarningKind.REOPENED, question_id in intake.settled),
        )
        for kind, due in once:
            mark = f"{kind.value}:{question_id}"
            if due and mark not in warned:
                warned.append(mark)
                found.notice(kind, question_id, strategy)
    quiet = 0 if warning_number else len(changes)
    by_day = dict(intake.quiet_by_day)
    if quiet:
        day = found.at.date()
        by_day[day.isoformat()] = by_day.get(day.isoformat(), 0) + quiet
        oldest = (day - QUIET_DAYS_KEPT).isoformat()
        by_day = {kept: count for kept, count in by_day.items() if kept > oldest}
    return intake.model_copy(
        update={
            "change_counts": counts,
            "warned": tuple(warned),
            "quiet_changes": intake.quiet_changes + quiet,
            "quiet_by_day": by_day,
        }
    )


def _assessed(intake: Intake) -> tuple[Answers, Assessment] | None:
    answers = typed_answers(intake)
    if answers.missing_for_decision():
        return None
    return answers, assess(answers, owner=intake.owner)


def _strategy(intake: Intake) -> StrategyId:
    """The strategy the intake stands at: today's, else the baseline's."""
    assessed = _assessed(intake)
    if assessed is not None:
        return assessed[1].strategy
    return intake.baseline.strategy if intake.baseline else StrategyId.BATCH


def compared(
    before: Intake, after: Intake
) -> tuple[StrategyId, StrategyId, tuple[Difference, ...]] | None:
    """The strategies before and after, and what moved in the guide's terms (None: no decision).

    A different strategy is shown with the report-card ratings that differ,
    so the cost reads as "ease of deployment 8 -> 2", not as a bare name.
    """
    old, new = _assessed(before), _assessed(after)
    if old is None or new is None:
        return None
    (old_answers, old_a), (new_answers, new_a) = old, new
    differences: list[Difference] = []
    if old_a.strategy is not new_a.strategy:
        differences.append(
            Difference(what=msg.DIFF_STRATEGY, before=old_a.label, after=new_a.label)
        )
        for name, what in msg.DIFF_CARD_FIELDS:
            was, now = getattr(old_a.report_card, name), getattr(new_a.report_card, name)
            if was != now:
                differences.append(Difference(what=what, before=str(was), after=str(now)))
    differences.extend(_compute_change(old_a, new_a))
    differences.extend(_class_changes(old_answers, new_answers))
    old_high = {risk.id for risk in old_a.risks if risk.severity is Severity.HIGH}
    differences.extend(
        Difference(what=msg.DIFF_NEW_RISK, before="-", after=risk.message)
        for risk in new_a.risks
        if risk.severity is Severity.HIGH and risk.id not in old_high
    )
    return old_a.strategy, new_a.strategy, tuple(differences)


def _compute_change(old: Assessment, new: Assessment) -> list[Difference]:
    """The compute band, where the change moved it, with where the new one runs."""
    if old.compute is None or new.compute is None:
        return []
    if old.compute.workload == new.compute.workload:
        return []
    was = msg.DIFF_COMPUTE_VALUE.format(workload=old.compute.workload, tool=old.compute.tool)
    now = msg.DIFF_COMPUTE_VALUE.format(workload=new.compute.workload, tool=new.compute.tool)
    where = msg.DIFF_COMPUTE_ON.format(infrastructure=new.compute.infrastructure)
    return [Difference(what=msg.DIFF_COMPUTE, before=was, after=now + where)]


def _class_changes(old: Answers, new: Answers) -> list[Difference]:
    """The volume band and the real-time class, where the change moved them."""
    moved = []
    if old.volume is not None and new.volume is not None and old.volume.band != new.volume.band:
        moved.append(
            Difference(
                what=msg.DIFF_VOLUME, before=old.volume.band.value, after=new.volume.band.value
            )
        )
    if old.sla is not None and new.sla is not None and old.sla.realtime != new.sla.realtime:
        moved.append(
            Difference(
                what=msg.DIFF_REALTIME, before=old.sla.realtime.value, after=new.sla.realtime.value
            )
        )
    return moved


def _aged_conflicts(before: Intake, intake: Intake, found: _Findings) -> Intake:
    """Keep when each conflict began; warn once of any unsettled for longer than the grace.

    The owner's own answer settles a conflict: it is the one used, whoever
    disagrees. Only questions whose answers this step touched can start a
    conflict, so only those are parsed again; the age check needs no parsing.
    """
    touched = {record.question_id for record in set(before.answers) ^ set(intake.answers)}
    since = dict(intake.conflicts_since)
    for question_id in touched:
        if conflicting(intake, question_id):
            since.setdefault(question_id, found.at)
        else:
            since.pop(question_id, None)
    owner = owner_id(intake.owner)
    for record in intake.answers:
        if record.by == owner:
            since.pop(record.question_id, None)
    warned = list(intake.warned)
    for question_id, began in sorted(since.items(), key=lambda item: item[1]):
        mark = f"{WarningKind.UNSETTLED_CONFLICT.value}:{question_id}"
        if found.at - began <= CONFLICT_GRACE or mark in warned:
            continue
        warned.append(mark)
        found.notice(WarningKind.UNSETTLED_CONFLICT, question_id, _strategy(intake))
    if since == intake.conflicts_since and len(warned) == len(intake.warned):
        return intake
    return intake.model_copy(update={"conflicts_since": since, "warned": tuple(warned)})


# --- the owner's decision ---------------------------------------------------------------


def decide(
    intake: Intake, user: str, reference: str, approve: bool, at: datetime
) -> tuple[Intake, list[Reply]]:
    """Approve or reject one open scope-change warning, if `user` is the owner.

    Anyone else is refused privately and the warning stays open. Approve makes
    today's answers the new baseline, except those that other open warnings
    are still waiting on (so rejecting one of those later still puts back what
    was agreed); reject puts the baseline's answer back as the owner's own
    answer (so it is used from now on, and the answer log shows who put it
    back). Both post the summary as it now stands.
    """
    warning = _warning_for(intake, reference)
    if isinstance(warning, Notice):
        return intake, [warning.model_copy(update={"only_for": user})]
    refused = _refusal(intake, user, warning)
    if refused is not None:
        return intake, [refused]
    status = WarningStatus.APPROVED if approve else WarningStatus.REJECTED
    changed = intake if approve else _restored(intake, warning, user, at)
    restored = () if approve else tuple(changed_answers(intake, changed))
    entry = Decided(by=user, at=at, warning=warning.number, status=status, restored=restored)
    still_open = tuple(w for w in intake.open_warnings if w.number != warning.number)
    update: dict[str, object] = {
        "open_warnings": still_open,
        "journal": (entry,),
        "history_count": changed.history_count + 1,
        "completed_at": finished_at(intake),
        # A question the decision changed may no longer be disputed at all.
        "conflicts_since": {
            question_id: since
            for question_id, since in changed.conflicts_since.items()
            if question_id not in warning.question_ids or conflicting(changed, question_id)
        },
    }
    summary = summarise(changed, at)
    if approve:
        if summary is not None:
            update["baseline"] = _approved_baseline(changed, summary, warning, still_open)
        update["settled"] = tuple(dict.fromkeys((*intake.settled, *warning.question_ids)))
    result = changed.model_copy(update=update)
    template = msg.SCOPE_APPROVED if approve else msg.SCOPE_REJECTED
    decided = warning.model_copy(update={"status": status, "decided_by": user, "decided_at": at})
    replies: list[Reply] = [
        warning_reply(decided, result).model_copy(update={"in_place": True}),
        _notice(template, Tone.SAVED, number=warning.number, user=Person(id=user)),
    ]
    if summary is not None:
        replies.append(SummaryReply(summary=summary))
    return result, replies


def _approved_baseline(
    intake: Intake,
    summary: Summary,
    approved: ScopeWarning,
    still_open: tuple[ScopeWarning, ...],
) -> Baseline:
    """Today's answers as the baseline, but what the approval agreed to for its own questions,
    and the old baseline's answer where another open warning still waits on a question."""
    baseline = baseline_of(summary)
    if intake.baseline is None:
        return baseline
    waiting = {question_id for w in still_open for question_id in w.question_ids}
    if not waiting:
        return baseline
    answers = dict(baseline.answers)
    for question_id in waiting - set(approved.question_ids):
        if question_id in intake.baseline.answers:
            answers[question_id] = intake.baseline.answers[question_id]
        else:
            answers.pop(question_id, None)
    for change in approved.changes:
        if change.question_id not in waiting:
            continue  # today's answer is the approved one
        if change.new_text is None:
            answers.pop(change.question_id, None)
        else:
            answers[change.question_id] = change.new_text
    values = {}
    for question_id, text in answers.items():
        value = parse_answer(question_id, text)
        if isinstance(value, Value):
            values[question_id] = value
    typed = Answers.model_validate(values)
    if typed.missing_for_decision():
        return baseline.model_copy(update={"answers": answers})
    agreed = assess(typed, owner=intake.owner)
    return Baseline(
        at=baseline.at,
        answers=answers,
        strategy=agreed.strategy,
        compute=agreed.compute.workload if agreed.compute else None,
        risks=tuple(risk.id for risk in agreed.risks),
    )


def _warning_for(intake: Intake, reference: str) -> ScopeWarning | Notice:
    """The open warning `approve 2` names, the only one a bare `approve` can mean, or why not."""
    waiting = intake.open_warnings
    if reference:
        number = int(reference) if _NUMBER.fullmatch(reference) else None
        found = next((w for w in waiting if w.number == number), None)
        if found is not None:
            return found
        if number is not None and 0 < number <= intake.warning_count:
            return _notice(msg.SCOPE_ALREADY_DECIDED, number=number)
        return _notice(msg.SCOPE_NO_SUCH_WARNING, Tone.PROBLEM, ref=reference)
    if not waiting:
        return _notice(msg.SCOPE_NOTHING_WAITING)
    if len(waiting) > 1:
        numbers = Joined(items=tuple(str(w.number) for w in waiting), last=msg.OR)
        return _notice(msg.SCOPE_WHICH, Tone.PROBLEM, numbers=numbers)
    return waiting[0]


def _refusal(intake: Intake, user: str, warning: ScopeWarning) -> Notice | None:
    """The private refusal for anyone but the owner (None for the owner)."""
    owner = intake.owner
    if owner is None:
        return _notice(
            msg.SCOPE_NO_OWNER_TO_DECIDE, Tone.PROBLEM, number=warning.number
        ).model_copy(update={"only_for": user})
    if owner_id(owner) == user:
        return None
    template = msg.SCOPE_ONLY_OWNER if isinstance(owner, Person) else msg.SCOPE_OWNER_NOT_MENTIONED
    return _notice(template, Tone.PROBLEM, owner=owner, number=warning.number).model_copy(
        update={"only_for": user}
    )


def _restored(intake: Intake, warning: ScopeWarning, user: str, at: datetime) -> Intake:
    """The intake with the baseline's answers to the warning's questions put back.

    A question the baseline left unanswered is left unanswered again: its
    answers leave the record (the answer log keeps them) and it counts as skipped.
    """
    baseline = intake.baseline
    for question_id in warning.question_ids:
        text = baseline.answers.get(question_id) if baseline else None
        if text is not None:
            record = AnswerRecord(question_id=question_id, text=text, by=user, at=at)
            intake = with_answer(intake, record)
            continue
        intake = intake.model_copy(
            update={
                "answers": tuple(r for r in intake.answers if r.question_id != question_id),
                "skipped": tuple(dict.fromkeys((*intake.skipped, question_id))),
            }
        )
    return intake


# --- how a warning reads ----------------------------------------------------------------


def _notice(template: str, tone: Tone = Tone.INFO, **params: Param) -> Notice:
    return Notice(template=template, params=params, tone=tone)


def when(at: datetime) -> str:
    """A time as a warning or the history shows it: minutes, in UTC, unambiguous."""
    return at.strftime("%Y-%m-%d %H:%M UTC")


def warning_reply(warning: ScopeWarning, intake: Intake) -> WarningReply:
    """The warning's card: what changed, what it costs, and who may decide."""
    return WarningReply(warning=warning, lines=tuple(_warning_lines(warning, intake)))


def _warning_lines(warning: ScopeWarning, intake: Intake) -> list[Notice]:
    question = QUESTIONS[warning.question_ids[0]]
    questions = Joined(items=tuple(QUESTIONS[q].title for q in warning.question_ids))
    header = {
        WarningKind.SCOPE_CHANGE: msg.SCOPE_WARNING,
        WarningKind.REPEATED_CHANGES: msg.SCOPE_REPEATED,
        WarningKind.REOPENED: msg.SCOPE_REOPENED,
        WarningKind.UNSETTLED_CONFLICT: msg.SCOPE_CONFLICT,
    }[warning.kind]
    lines = [
        _notice(
            header,
            Tone.PROBLEM,
            number=warning.number,
            project=intake.project,
            user=Person(id=warning.by),
            questions=questions,
            question=question.title,
            count=intake.change_counts.get(question.id, 0),
            days=CONFLICT_GRACE.days,
            n=question_number(question.id),
        )
    ]
    for change in warning.changes:
        lines.append(_change_line(change))
    for difference in warning.differences:
        lines.append(
            _notice(
                msg.SCOPE_DIFFERENCE,
                what=difference.what,
                before=difference.before,
                after=difference.after,
            )
        )
    lines.append(_who_decides(warning, intake))
    return lines


def _change_line(change: AnswerChange) -> Notice:
    return _notice(
        msg.SCOPE_CHANGE_LINE,
        question=QUESTIONS[change.question_id].title,
        old=change.old_text or msg.NO_ANSWER,
        new=change.new_text or msg.NO_ANSWER,
        old_reading=change.old_reading or msg.NO_ANSWER,
        new_reading=change.new_reading or msg.NO_ANSWER,
    )


def _who_decides(warning: ScopeWarning, intake: Intake) -> Notice:
    """The last line: who decided and when, or who may, mentioning them."""
    if warning.status is WarningStatus.SUPERSEDED:
        return _notice(
            msg.SCOPE_SET_ASIDE,
            when=when(warning.decided_at or warning.at),
            limit=MAX_OPEN_WARNINGS,
        )
    if warning.status in (WarningStatus.APPROVED, WarningStatus.REJECTED):
        template = (
            msg.SCOPE_DECIDED_APPROVED
            if warning.status is WarningStatus.APPROVED
            else msg.SCOPE_DECIDED_REJECTED
        )
        return _notice(
            template,
            Tone.SAVED,
            user=Person(id=warning.decided_by or ""),
            when=when(warning.decided_at or warning.at),
        )
    owner = intake.owner
    if owner is None:
        return _notice(msg.SCOPE_NO_OWNER, Tone.PROBLEM, starter=Person(id=intake.started_by))
    if warning.decidable:
        return _notice(msg.SCOPE_OWNER_DECIDES, owner=owner, number=warning.number)
    return _notice(msg.SCOPE_OWNER_NOTE, owner=owner)


def open_numbers(warnings: Sequence[ScopeWarning]) -> tuple[int, ...]:
    """The numbers of the warnings still waiting, for `status` and the digest."""
    return tuple(warning.number for warning in warnings if warning.decidable)
