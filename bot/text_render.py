"""Neutral replies -> plain text, for the terminal and for chat notification fallbacks.

Plain text has no markup to escape, so people's words are shown as typed;
the chat adapters escape before they reuse any of this.
"""

from __future__ import annotations

from collections.abc import Callable

from conversations import messages as msg
from conversations.replies import Notice, QuestionReply, Reask, Reply, SummaryReply
from conversations.strategies import ReportCard
from conversations.summary import Summary

Mentioner = Callable[[str], str]


def _plain(text: str) -> str:
    return text


def render_notice(notice: Notice, mention: Mentioner) -> str:
    """A notice with its parameters filled in as typed."""
    return notice.render(_plain, mention)


def render_question(question: QuestionReply) -> str:
    """The question with progress, why it matters, examples and choices."""
    lines = [f"[{question.number}/{question.total}] {question.title}: {question.prompt}"]
    lines.append(f"  Why: {question.why}")
    if question.choices:
        lines.append("  Choices: " + ", ".join(f"{c.id} ({c.label})" for c in question.choices))
    lines.append("  For example: " + "; ".join(question.examples))
    if question.optional:
        lines.append("  Optional: reply `skip` to leave it out.")
    if question.current_answer:
        lines.append(f"  Current answer: {question.current_answer}")
    return "\n".join(lines)


def render_reask(reask: Reask) -> str:
    """Quote the answer, say what was wrong and what is expected."""
    return f'"{reask.quoted[:200]}": ' + msg.REASK.format(
        problem=reask.problem, expected=reask.expected, example=reask.example
    )


def report_card_line(card: ReportCard) -> str:
    """The guide's four ratings on one line."""
    line = (
        f"scalability {card.scalability}, speed {card.speed}, "
        f"ease of deployment {card.ease_of_deployment}, MLOps pipeline {card.mlops_pipeline}"
    )
    return f"{line} ({card.source})"


def render_summary(summary: Summary, mention: Mentioner) -> str:
    """The whole summary card as text."""
    a = summary.assessment
    lines = [
        "=" * 60,
        msg.SUMMARY_TITLE.format(project=summary.project),
        "=" * 60,
        msg.SUMMARY_RECOMMENDATION.format(strategy=a.label, score=a.scores[a.strategy]).replace(
            "*", ""
        ),
        "Report card: " + report_card_line(a.report_card),
    ]
    if a.report_card.note:
        lines.append("  " + a.report_card.note)
    lines.append("")
    lines.append("Why:")
    lines.extend(f"  - {reason.text}" for reason in a.reasons)
    if a.compute:
        lines.append("")
        lines.append(
            f"Compute: {a.compute.workload} workload -> {a.compute.tool}, on {a.compute.infrastructure}"
        )
    lines.append("")
    lines.append("Alternatives:")
    for alt in a.alternatives:
        needs = "; ".join(alt.would_need) if alt.would_need else "no change (a tie)"
        lines.append(f"  - {alt.label} ({alt.score:.0f}): {needs}")
    lines.append("")
    lines.append("Risks:" if a.risks else "Risks: none found")
    for risk in a.risks:
        lines.append(f"  - [{risk.severity.value}] {risk.message}")
        lines.append(f"    What to do: {risk.action}")
    if summary.conflicts:
        lines.append("")
        lines.append("Conflicts between stakeholders:")
        for conflict in summary.conflicts:
            given = "; ".join(f"{mention(line.by)}: {line.text}" for line in conflict.answers)
            lines.append(f"  - {conflict.title}: {given} (using {conflict.used.text!r})")
    if summary.open_questions:
        lines.append("")
        lines.append("Open questions: " + ", ".join(summary.open_questions))
    lines.append("")
    lines.append("Project owner: " + (summary.owner or msg.SUMMARY_NO_OWNER))
    return "\n".join(lines)


def render_reply(reply: Reply, mention: Mentioner = _plain) -> str:
    """Any reply as text."""
    if isinstance(reply, Notice):
        return render_notice(reply, mention)
    if isinstance(reply, QuestionReply):
        return render_question(reply)
    if isinstance(reply, Reask):
        return render_reask(reply)
    if isinstance(reply, SummaryReply):
        return render_summary(reply.summary, mention)
    raise TypeError(f"unknown reply {type(reply).__name__}")
