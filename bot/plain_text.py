"""Neutral replies -> plain text, for the terminal and for chat notification fallbacks.

Plain text has no markup to escape, so people's words are shown as typed and
the core's markup is stripped (`markup.strip`): no stray `*` or backtick
reaches the terminal. People show as their names, else their ids. The chat
adapters escape before they reuse any of this.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from conversations import messages as msg
from conversations.digest import digest_lines, reminder_lines
from conversations.markup import strip
from conversations.people import Owner, Person
from conversations.replies import (
    Clarify,
    DigestReply,
    Notice,
    QuestionReply,
    Reask,
    RecordReply,
    ReminderReply,
    Reply,
    SummaryReply,
    WarningReply,
)
from conversations.strategies import ReportCard
from conversations.summary import Summary

Mentioner = Callable[[Person], str]


def _as_typed(text: str) -> str:
    return text


def by_label(person: Person) -> str:
    """A person in plain text: their name, else their id."""
    return person.label


def render_notice(notice: Notice, mention: Mentioner = by_label) -> str:
    """A notice with its parameters filled in as typed."""
    return notice.fill(strip(notice.template), _as_typed, mention)


def render_question(question: QuestionReply) -> str:
    """The question with progress, why it matters, examples and choices."""
    lines = [f"[{question.number}/{question.total}] {question.title}: {question.prompt}"]
    lines.append(f"  {msg.LABEL_WHY}: {question.why}")
    if question.choices:
        choices = ", ".join(f"{c.id} ({c.label})" for c in question.choices)
        lines.append(f"  {msg.LABEL_CHOICES}: {choices}")
    lines.append(f"  {msg.LABEL_EXAMPLES}: " + "; ".join(question.examples))
    if question.optional:
        lines.append(f"  {strip(msg.OPTIONAL_HINT)}")
    if question.current_answer:
        lines.append(f"  {msg.LABEL_CURRENT_ANSWER}: {question.current_answer}")
    return "\n".join(lines)


def render_reask(reask: Reask) -> str:
    """Quote the answer, say what was wrong and what is expected."""
    return f'"{reask.quoted[:200]}": ' + strip(
        msg.REASK.format(problem=reask.problem, expected=reask.expected, example=reask.example)
    )


def render_clarify(clarify: Clarify) -> str:
    """Quote the answer, ask for the missing part, and list what may be typed."""
    options = " | ".join(option.label for option in clarify.options)
    return f'"{clarify.quoted[:200]}": {strip(clarify.ask)}\n  {msg.LABEL_CHOICES}: {options}'


def report_card_line(card: ReportCard) -> str:
    """The report card's four ratings on one line."""
    line = ", ".join(f"{label} {rating(card, field)}" for field, label in msg.LABEL_RATINGS.items())
    return f"{line} ({card.source})"


def rating(card: ReportCard, field: str) -> str:
    """One of the card's four ratings as shown ("9", or "7-10" for a range)."""
    return str(getattr(card, field))


def render_summary(summary: Summary, mention: Mentioner) -> str:
    """The whole summary card as text."""
    a = summary.assessment
    lines = [
        "=" * 60,
        msg.SUMMARY_TITLE.format(project=summary.project),
        "=" * 60,
        strip(msg.SUMMARY_RECOMMENDATION).format(strategy=a.label, score=a.scores[a.strategy]),
        f"{msg.LABEL_REPORT_CARD}: " + report_card_line(a.report_card),
    ]
    if a.report_card.note:
        lines.append("  " + a.report_card.note)
    lines.append("")
    lines.append(f"{msg.LABEL_WHY}:")
    lines.extend(f"  - {reason.text}" for reason in a.reasons)
    if a.compute:
        lines.append("")
        lines.append(
            f"{msg.LABEL_COMPUTE} ({a.compute.workload}): "
            + msg.COMPUTE_LINE.format(tool=a.compute.tool, infrastructure=a.compute.infrastructure)
        )
    lines.append("")
    lines.append(f"{msg.LABEL_ALTERNATIVES}:")
    for alt in a.alternatives:
        needs = "; ".join(alt.would_need) or msg.ALTERNATIVE_TIE
        lines.append(f"  - {alt.label} ({alt.score:.0f}): {needs}")
    lines.append("")
    lines.append(f"{msg.LABEL_RISKS}:" if a.risks else f"{msg.LABEL_RISKS}: {msg.NO_RISKS}")
    for risk in a.risks:
        lines.append(f"  - [{risk.severity.value}] {strip(risk.message)}")
        lines.append(f"    {msg.LABEL_WHAT_TO_DO}: {strip(risk.action)}")
    if summary.conflicts:
        lines.append("")
        lines.append(f"{msg.LABEL_CONFLICTS}:")
        for conflict in summary.conflicts:
            given = "; ".join(
                f"{mention(Person(id=line.by))}: {line.text}" for line in conflict.answers
            )
            using = msg.CONFLICT_USING.format(answer=repr(conflict.used.text))
            lines.append(f"  - {conflict.title}: {given} ({using})")
    if summary.open_questions:
        lines.append("")
        lines.append(f"{msg.LABEL_OPEN_QUESTIONS}: " + ", ".join(summary.open_questions))
    lines.append("")
    lines.append(f"{msg.LABEL_OWNER}: " + _owner(summary.owner, mention))
    return "\n".join(lines)


def _owner(owner: Owner | None, mention: Mentioner) -> str:
    if owner is None:
        return msg.SUMMARY_NO_OWNER
    return mention(owner) if isinstance(owner, Person) else owner


def render_warning(warning: WarningReply, mention: Mentioner = by_label) -> str:
    """A warning to the owner: its first sentence, then what changed, one line each."""
    first, *rest = (render_notice(line, mention) for line in warning.lines)
    return "\n".join(["!" * 60, first, *(f"  {line}" for line in rest), "!" * 60])


def render_replies(replies: Sequence[Reply], mention: Mentioner = by_label) -> str:
    """One turn's replies as text: notices in a row read as one paragraph, blocks apart."""
    parts: list[str] = []
    previous: Reply | None = None
    for reply in replies:
        text = render_reply(reply, mention)
        if isinstance(reply, Notice) and isinstance(previous, Notice):
            parts[-1] += "\n" + text
        else:
            parts.append(text)
        previous = reply
    return "\n\n".join(parts)


def render_reply(reply: Reply, mention: Mentioner = by_label) -> str:
    """Any reply as text."""
    if isinstance(reply, Notice):
        return render_notice(reply, mention)
    if isinstance(reply, QuestionReply):
        return render_question(reply)
    if isinstance(reply, Reask):
        return render_reask(reply)
    if isinstance(reply, Clarify):
        return render_clarify(reply)
    if isinstance(reply, SummaryReply):
        return render_summary(reply.summary, mention)
    if isinstance(reply, WarningReply):
        return render_warning(reply, mention)
    if isinstance(reply, RecordReply):
        return reply.markdown.rstrip("\n")
    if isinstance(reply, DigestReply):
        return "\n".join(render_notice(line, mention) for line in digest_lines(reply))
    if isinstance(reply, ReminderReply):
        return "\n".join(render_notice(line, mention) for line in reminder_lines(reply))
    raise TypeError(f"unknown reply {type(reply).__name__}")
