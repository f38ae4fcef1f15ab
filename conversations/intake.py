"""One project's intake record, each person's place in it, and what follows from them.

The record keeps each person's latest answer to each question, with when they
gave it, so nothing a stakeholder said is overwritten by someone else; the
full history of answers is appended to a log beside the record (the service
writes it), so a turn's cost does not grow with the intake's history. Which answer the decision
uses is one rule: the project owner's latest answer to a question if the owner
gave one, else the latest answer from anybody. Answers that disagree (after
parsing, so "40GB daily" and "40 GB a day" agree) are reported as conflicts.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field, field_validator, model_validator

from conversations.answers import Answers, parse_answer
from conversations.assessment import assess
from conversations.changes import HistoryEntry, ScopeWarning
from conversations.frozen import Frozen
from conversations.people import Owner, Person, owner_id
from conversations.questions import CATALOG, QUESTIONS
from conversations.summary import AnswerLine, Baseline, Conflict, Summary, baseline_of
from conversations.values import Value


class IntakeStatus(StrEnum):
    """Where the intake as a whole stands."""

    OPEN = "open"
    CANCELLED = "cancelled"


class AnswerRecord(Frozen):
    """One answer as given: question, text, who, when."""

    question_id: str
    text: str
    by: str
    at: datetime
    mentions: tuple[Person, ...] = ()
    """The people the answer mentions (the stakeholders), so reminders can mention them."""


class Intake(Frozen):
    """One project's record, shared by everybody answering in its thread."""

    project: str
    started_by: str
    started_at: datetime
    owner: Owner | None = None
    status: IntakeStatus = IntakeStatus.OPEN
    answers: tuple[AnswerRecord, ...] = ()
    """Each person's latest answer to each question, oldest first."""
    answer_count: int = 0
    """Every answer ever given here, replaced ones included (the log holds them all)."""
    skipped: tuple[str, ...] = ()
    baseline: Baseline | None = None
    completed_at: datetime | None = None
    """When the first complete summary was made (an approval moves the baseline, not this)."""
    reminders_off: bool = False
    """`remind off` in the thread: no reminders for this intake."""
    # The scope-creep guard's bookkeeping (see `scope`). Each field is bounded by the
    # catalog or by the warnings still open, so the record stays small however long the
    # intake runs; the history itself is a log beside the record.
    open_warnings: tuple[ScopeWarning, ...] = ()
    """Scope-change warnings waiting for the owner's decision, oldest first."""
    warning_count: int = 0
    """Warnings ever raised here: the next one is number `warning_count + 1`."""
    change_counts: dict[str, int] = Field(default_factory=dict)
    """Question id -> how often its used answer changed since the first baseline."""
    settled: tuple[str, ...] = ()
    """Questions whose change the owner approved: changing one again reopens it."""
    conflicts_since: dict[str, datetime] = Field(default_factory=dict)
    """Question id -> since when stakeholders' answers to it have disagreed."""
    warned: tuple[str, ...] = ()
    """The once-only warnings already given, as `<kind>:<question id>`."""
    quiet_changes: int = 0
    """Changes after the baseline that moved nothing worth a warning, in all."""
    quiet_by_day: dict[str, int] = Field(default_factory=dict)
    """The same per UTC day (ISO date), for the last two weeks: what a digest's period counts."""
    history_count: int = 0
    """History entries ever written; the log beside the record holds them all."""
    journal: tuple[HistoryEntry, ...] = ()
    """The history entries of the step that last wrote any (see `new_history`)."""

    @model_validator(mode="before")
    @classmethod
    def _count_stored_answers(cls, data: object) -> object:
        """Records written before the count held every answer: their length is the count.

        Records written before `completed_at` finished when their first baseline
        was made; an approval moves the baseline, so its time is kept now.
        """
        if not isinstance(data, dict):
            return data
        if "answer_count" not in data:
            data = {**data, "answer_count": len(data.get("answers") or ())}
        baseline = data.get("baseline")
        if "completed_at" not in data and isinstance(baseline, dict):
            made = baseline.get("at") or baseline.get("produced_at")  # compact, or a Summary
            if made is not None:
                data = {**data, "completed_at": made}
        return data

    @field_validator("baseline", mode="before")
    @classmethod
    def _compact_stored_summary(cls, value: object) -> object:
        """Records written before the compact baseline hold a whole Summary: keep its decision."""
        if isinstance(value, dict) and "assessment" in value:
            return baseline_of(Summary.model_validate(value))
        return value


class Pending(Frozen):
    """An answer understood in part, waiting for the same person to give the missing part.

    `options` are the ways offered to finish it, as (what to type, the whole answer).
    """

    question_id: str
    text: str
    options: tuple[tuple[str, str], ...] = ()


class Place(Frozen):
    """One person's position in the dialogue; `history` is what `back` walks.

    `intake_started_at` names the intake the place belongs to, so a place left
    over from a cancelled intake is not carried into a new one in the same thread.
    """

    user: str
    current: str | None
    history: tuple[str, ...] = ()
    intake_started_at: datetime | None = None
    pending: Pending | None = None

    def belongs_to(self, intake: Intake) -> bool:
        """Whether this place was made in `intake` (a place from before this field counts)."""
        return self.intake_started_at in (None, intake.started_at)


class DialogueState(Frozen):
    """What one step reads and writes: the intake and the acting person's place."""

    intake: Intake | None = None
    place: Place | None = None


MAX_ANSWERS = 2000
"""Answers one intake takes; past it, people are asked to start a new intake."""


def with_answer(intake: Intake, record: AnswerRecord) -> Intake:
    """The intake with `record` as its author's latest answer to its question."""
    kept = tuple(
        r for r in intake.answers if (r.question_id, r.by) != (record.question_id, record.by)
    )
    return intake.model_copy(
        update={
            "answers": (*kept, record),
            "answer_count": intake.answer_count + 1,
            "skipped": tuple(q for q in intake.skipped if q != record.question_id),
        }
    )


def new_answers(before: Intake | None, after: Intake | None) -> tuple[AnswerRecord, ...]:
    """The answers a step recorded, oldest first (for the answer log).

    Usually one; a rejection that puts back several questions' answers records
    one each. Each is appended to the record's end, so they are its last ones.
    """
    counted = before.answer_count if before is not None and after is not None else 0
    if after is None or not after.answers or after.answer_count <= counted:
        return ()
    if before is not None and before.started_at != after.started_at:
        return ()  # a new intake in the thread: it holds no answers yet
    return after.answers[-min(after.answer_count - counted, len(after.answers)) :]


def new_answer(before: Intake | None, after: Intake | None) -> AnswerRecord | None:
    """The last answer a step recorded, if it recorded one (for front ends)."""
    added = new_answers(before, after)
    return added[-1] if added else None


def new_history(before: Intake | None, after: Intake | None) -> tuple[HistoryEntry, ...]:
    """The history entries a step wrote, for the log beside the record (as `new_answer`)."""
    if after is None or not after.journal:
        return ()
    if before is not None and before.started_at != after.started_at:
        return ()
    counted = before.history_count if before is not None else 0
    return after.journal if after.history_count > counted else ()


def finished_at(intake: Intake) -> datetime | None:
    """When the intake reached its first complete summary, if it has."""
    if intake.completed_at is not None:
        return intake.completed_at
    return intake.baseline.at if intake.baseline is not None else None


def last_activity(intake: Intake) -> datetime:
    """When someone last answered (or the intake began): what idle time is measured from."""
    return max((record.at for record in intake.answers), default=intake.started_at)


def latest_by_person(intake: Intake, question_id: str) -> list[AnswerRecord]:
    """Each person's latest answer to one question, oldest first."""
    latest: dict[str, AnswerRecord] = {}
    for record in intake.answers:
        if record.question_id == question_id:
            latest.pop(record.by, None)
            latest[record.by] = record
    return list(latest.values())


def used_answer(intake: Intake, question_id: str) -> AnswerRecord | None:
    """The answer the decision uses: the owner's latest, else the latest from anybody."""
    candidates = latest_by_person(intake, question_id)
    if not candidates:
        return None
    owner = owner_id(intake.owner)
    for record in candidates:
        if record.by == owner:
            return record
    return max(candidates, key=lambda record: record.at)


def answered(intake: Intake, question_id: str) -> bool:
    """Whether anybody has answered the question."""
    return any(record.question_id == question_id for record in intake.answers)


def unresolved(intake: Intake) -> list[str]:
    """Questions nobody has answered or skipped, in catalog order."""
    resolved = {record.question_id for record in intake.answers} | set(intake.skipped)
    return [question.id for question in CATALOG if question.id not in resolved]


def next_question(intake: Intake, after: str | None) -> str | None:
    """The next unresolved question after `after`, wrapping round; None when all are resolved."""
    open_ids = unresolved(intake)
    if not open_ids:
        return None
    if after is not None:
        position = QUESTIONS_ORDER[after]
        for question_id in open_ids:
            if QUESTIONS_ORDER[question_id] > position:
                return question_id
    return open_ids[0]


QUESTIONS_ORDER = {question.id: index for index, question in enumerate(CATALOG)}


def _parsed(record: AnswerRecord) -> Value | None:
    """A stored answer's value, or None if a newer parser no longer reads it.

    Answers were validated before they were saved; a later parser change must
    degrade to "unanswered" for that one answer rather than break the thread.
    """
    value = parse_answer(record.question_id, record.text)
    return value if isinstance(value, Value) else None


def conflicting(intake: Intake, question_id: str) -> list[AnswerRecord]:
    """People's latest answers to a question when they disagree, else an empty list."""
    latest = latest_by_person(intake, question_id)
    if len(latest) < 2:
        return []
    values = [value for value in map(_parsed, latest) if value is not None]
    if len(values) < 2:
        return []
    first = values[0]
    return latest if any(not first.same_as(value) for value in values[1:]) else []


def typed_answers(intake: Intake) -> Answers:
    """The answers the decision uses, parsed."""
    values: dict[str, Value] = {}
    for question in CATALOG:
        record = used_answer(intake, question.id)
        value = _parsed(record) if record is not None else None
        if value is not None:
            values[question.id] = value
    return Answers.model_validate(values)


def _line(record: AnswerRecord) -> AnswerLine:
    return AnswerLine(
        question_id=record.question_id,
        title=QUESTIONS[record.question_id].title,
        text=record.text,
        by=record.by,
    )


def summarise(intake: Intake, at: datetime) -> Summary | None:
    """The summary of the intake as it stands, or None while decision inputs are missing."""
    answers = typed_answers(intake)
    if answers.missing_for_decision():
        return None
    lines = []
    conflicts = []
    for question in CATALOG:
        record = used_answer(intake, question.id)
        if record is None:
            continue
        lines.append(_line(record))
        disagreeing = conflicting(intake, question.id)
        if disagreeing:
            conflicts.append(
                Conflict(
                    question_id=question.id,
                    title=question.title,
                    answers=tuple(_line(other) for other in disagreeing),
                    used=_line(record),
                )
            )
    return Summary(
        project=intake.project,
        owner=intake.owner,
        started_by=intake.started_by,
        produced_at=at,
        assessment=assess(answers, owner=intake.owner),
        answers=tuple(lines),
        conflicts=tuple(conflicts),
        open_questions=tuple(unresolved(intake)),
    )
