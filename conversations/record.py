"""The requirements and decision record: one intake written down as a Markdown document.

The guide's advice is to write the requirements down and guard them; this is
the written-down part. It holds each question with every answer given (who,
when), the answer the decision uses and how it was read, the recommendation
with its reasons, report card, compute sizing, alternatives and risks, the
conflicts, and the change history with each approval or rejection.

Pure: the service hands in the intake, its answer log and its history log.
Everything people typed is escaped for Markdown, so an answer can neither
format the record nor forge a link in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime

from conversations import messages as msg
from conversations.answers import parse_answer
from conversations.changes import HistoryEntry
from conversations.history import entry_line
from conversations.intake import (
    AnswerRecord,
    Intake,
    summarise,
    typed_answers,
    unresolved,
    used_answer,
)
from conversations.markup import convert
from conversations.people import Person
from conversations.questions import CATALOG
from conversations.readings import reading
from conversations.replies import Notice, shown
from conversations.scope import when
from conversations.summary import Summary
from conversations.values import Value

Names = Callable[[str], str]
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#])")


def escape(text: str) -> str:
    """Typed text as literal Markdown: every character Markdown could read as markup is escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def record_filename(project: str, started_at: datetime) -> str:
    """A file name people recognise: the project's words and the day the intake began."""
    words = re.sub(r"[^A-Za-z0-9]+", "-", project).strip("-").lower()[:60] or "intake"
    return f"requirements-{words}-{started_at:%Y-%m-%d}.md"


def requirements_record(
    intake: Intake,
    answers: Sequence[AnswerRecord],
    history: Sequence[HistoryEntry],
    at: datetime,
    names: Names = str,
) -> str:
    """The whole record; `answers` and `history` are the intake's logs, oldest first."""
    summary = summarise(intake, at)
    sections = [
        msg.RECORD_TITLE.format(project=escape(intake.project)),
        _facts(intake, at, names),
        _recommendation(intake, summary),
        _answers(intake, answers, names),
        _conflicts(summary, names),
        _history(history, names),
        _open_warnings(intake, names),
    ]
    return "\n\n".join(section for section in sections if section) + "\n"


def _facts(intake: Intake, at: datetime, names: Names) -> str:
    answered = sum(1 for question in CATALOG if used_answer(intake, question.id))
    return msg.RECORD_FACTS.format(
        starter=escape(names(intake.started_by)),
        started=when(intake.started_at),
        owner=_owner(intake, names),
        status=intake.status.value,
        answered=answered,
        total=len(CATALOG),
        written=when(at),
    )


def _owner(intake: Intake, names: Names) -> str:
    owner = intake.owner
    if owner is None:
        return msg.RECORD_NO_OWNER
    return escape(names(owner.id) if isinstance(owner, Person) else owner)


def _recommendation(intake: Intake, summary: Summary | None) -> str:
    if summary is None:
        missing_ids = typed_answers(intake).missing_for_decision()
        missing = ", ".join(q.title for q in CATALOG if q.id in missing_ids)
        return msg.RECORD_NOT_READY.format(missing=missing)
    a = summary.assessment
    card = a.report_card
    lines = [
        msg.RECORD_RECOMMENDATION.format(strategy=a.label, score=a.scores[a.strategy]),
        "",
        msg.RECORD_WHY,
        "",
        *(f"- {_plain(reason.text)}" for reason in a.reasons),
        "",
        msg.RECORD_REPORT_CARD.format(source=card.source),
        "",
        msg.RECORD_CARD_HEADER,
        f"| {card.scalability} | {card.speed} | {card.ease_of_deployment} | {card.mlops_pipeline} |",
    ]
    if a.compute is not None:
        lines += [
            "",
            msg.RECORD_COMPUTE.format(
                workload=a.compute.workload,
                tool=a.compute.tool,
                infrastructure=a.compute.infrastructure,
            ),
        ]
    lines += ["", msg.RECORD_ALTERNATIVES, ""]
    for alternative in a.alternatives:
        needs = "; ".join(_plain(need) for need in alternative.would_need) or msg.ALTERNATIVE_TIE
        lines.append(f"- {alternative.label} ({alternative.score:.0f}): {needs}")
    lines += ["", msg.RECORD_RISKS, ""]
    if not a.risks:
        lines.append(msg.NO_RISKS)
    for risk in a.risks:
        lines.append(
            f"- **{risk.severity.value}**: {_plain(risk.message)} "
            f"{msg.LABEL_WHAT_TO_DO}: {_plain(risk.action)}"
        )
    return "\n".join(lines)


def _plain(sentence: str) -> str:
    """One of the engine's own sentences (which may quote typed text) as literal Markdown."""
    return escape(convert(sentence, strong=str, code=str))


def _answers(intake: Intake, answers: Sequence[AnswerRecord], names: Names) -> str:
    lines = [msg.RECORD_ANSWERS]
    open_ids = set(unresolved(intake))
    for number, question in enumerate(CATALOG, start=1):
        lines += ["", msg.RECORD_QUESTION.format(number=number, title=question.title), ""]
        used = used_answer(intake, question.id)
        if used is not None:
            lines.append(
                msg.RECORD_USED.format(
                    text=escape(used.text), reading=_reading(used), by=escape(names(used.by))
                )
            )
        elif question.id in open_ids:
            lines.append(msg.RECORD_UNANSWERED)
        else:
            lines.append(msg.RECORD_SKIPPED)
        given = [record for record in answers if record.question_id == question.id]
        if given:
            lines += ["", msg.RECORD_GIVEN]
            lines.extend(
                msg.RECORD_ANSWER_LINE.format(
                    when=when(record.at), by=escape(names(record.by)), text=escape(record.text)
                )
                for record in given
            )
    return "\n".join(lines)


def _reading(record: AnswerRecord) -> str:
    value = parse_answer(record.question_id, record.text)
    return escape(reading(value)) if isinstance(value, Value) else msg.NO_ANSWER


def _conflicts(summary: Summary | None, names: Names) -> str:
    if summary is None or not summary.conflicts:
        return ""
    lines = [msg.RECORD_CONFLICTS, ""]
    for conflict in summary.conflicts:
        given = "; ".join(
            f"{escape(names(line.by))}: {escape(line.text)}" for line in conflict.answers
        )
        lines.append(
            msg.RECORD_CONFLICT_LINE.format(
                title=conflict.title, answers=given, used=escape(conflict.used.text)
            )
        )
    return "\n".join(lines)


def _history(history: Sequence[HistoryEntry], names: Names) -> str:
    lines = [msg.RECORD_HISTORY, ""]
    if not history:
        lines.append(msg.RECORD_NO_HISTORY)
    lines.extend(f"- {_sentence(entry_line(entry), names)}" for entry in history)
    return "\n".join(lines)


def _sentence(notice: Notice, names: Names) -> str:
    """A history notice as one Markdown line: typed text escaped, people by name."""
    template = convert(notice.template, strong=lambda t: f"**{t}**", code=lambda t: f"`{t}`")
    values = {
        name: shown(value, escape, lambda person: escape(names(person.id)))
        for name, value in notice.params.items()
    }
    return template.format(**values)


def _open_warnings(intake: Intake, names: Names) -> str:
    if not intake.open_warnings:
        return ""
    lines = [msg.RECORD_OPEN_WARNINGS, ""]
    for warning in intake.open_warnings:
        titles = ", ".join(
            question.title for question in CATALOG if question.id in warning.question_ids
        )
        lines.append(
            msg.RECORD_OPEN_WARNING.format(
                number=warning.number,
                questions=titles,
                from_strategy=warning.from_strategy.value,
                to_strategy=warning.to_strategy.value,
                when=when(warning.at),
                by=escape(names(warning.by)),
            )
        )
    return "\n".join(lines)
