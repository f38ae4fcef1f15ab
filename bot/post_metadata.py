"""The machine-readable object every question, summary and later post carries.

Other apps in a workspace follow an intake through these: Slack sends the
object as message metadata, Teams as the activity's `channelData.intake`.
Both are built here, from the neutral replies, so they are the same object
by construction.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bot.ports import IntakeRef
from conversations.replies import (
    Clarify,
    DigestReply,
    QuestionReply,
    ReminderReply,
    Reply,
    SummaryReply,
    WarningReply,
)

QUESTION_EVENT = "intake_question"
SUMMARY_EVENT = "intake_summary"
NOTICE_EVENT = "intake_notice"
SCOPE_CHANGE_EVENT = "intake_scope_change"
DIGEST_EVENT = "intake_digest"
REMINDER_EVENT = "intake_reminder"
OUTBOX_ID = "outbox_id"
PART = "part"

Payload = dict[str, str | int | float]


class PostMetadata(BaseModel):
    """Slack's message metadata shape: an event type and a flat payload."""

    model_config = ConfigDict(frozen=True)

    event_type: str
    event_payload: Payload

    def keyed(self, key: str, part: int) -> PostMetadata:
        """The same object carrying the outbox id and which of the entry's posts this is.

        A delivery worker that cannot tell whether a post went through looks for
        these two values before posting again.
        """
        return self.model_copy(
            update={"event_payload": {**self.event_payload, OUTBOX_ID: key, PART: part}}
        )


def notice_metadata(ref: IntakeRef) -> PostMetadata:
    """The metadata of a post that holds only notices."""
    return PostMetadata(event_type=NOTICE_EVENT, event_payload={"intake": intake_id(ref)})


def intake_id(ref: IntakeRef) -> str:
    """The intake's id as other apps see it: workspace/channel/thread."""
    return "/".join((ref.workspace, ref.channel, ref.thread))


def metadata_for(reply: Reply, ref: IntakeRef) -> PostMetadata | None:
    """The metadata of the post that shows `reply`; None for replies that carry none."""
    if isinstance(reply, QuestionReply):
        return PostMetadata(
            event_type=QUESTION_EVENT,
            event_payload={
                "question_id": reply.question_id,
                "intake": intake_id(ref),
                "number": reply.number,
                "total": reply.total,
            },
        )
    if isinstance(reply, Clarify):
        return PostMetadata(
            event_type=QUESTION_EVENT,
            event_payload={
                "question_id": reply.question_id,
                "intake": intake_id(ref),
                "clarifying": True,
            },
        )
    if isinstance(reply, SummaryReply):
        a = reply.summary.assessment
        return PostMetadata(
            event_type=SUMMARY_EVENT,
            event_payload={
                "strategy": a.strategy.value,
                "intake": intake_id(ref),
                "score": a.scores[a.strategy],
                "risks": len(a.risks),
            },
        )
    if isinstance(reply, WarningReply):
        return scope_change_metadata(reply, ref)
    if isinstance(reply, DigestReply):
        return PostMetadata(
            event_type=DIGEST_EVENT,
            event_payload={
                "channel": "/".join((ref.workspace, ref.channel)),
                "period_start": reply.period_start.isoformat(),
                "period_end": reply.period_end.isoformat(),
                **reply.counts(),
            },
        )
    if isinstance(reply, ReminderReply):
        return PostMetadata(
            event_type=REMINDER_EVENT,
            event_payload={
                "intake": intake_id(ref),
                "idle_hours": reply.idle_hours,
                "people": len(reply.owing),
            },
        )
    return None


def scope_change_metadata(reply: WarningReply, ref: IntakeRef) -> PostMetadata:
    """A warning's object; `status` is open, approved, rejected, or notice (waits for nothing)."""
    warning = reply.warning
    return PostMetadata(
        event_type=SCOPE_CHANGE_EVENT,
        event_payload={
            "intake": intake_id(ref),
            "warning": warning.number,
            "kind": warning.kind.value,
            "question_id": ",".join(warning.question_ids),
            "from_strategy": warning.from_strategy.value,
            "to_strategy": warning.to_strategy.value,
            "status": warning.status.value,
        },
    )
