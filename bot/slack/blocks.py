"""Neutral replies -> Slack messages (Block Kit blocks, fallback text, metadata).

Blocks are plain dicts from `kit.py`, cut to Slack's limits as they are
built; every text people typed is escaped (`&`, `<`, `>`) first, so a person's answer can neither ping `@channel`, forge
a link nor make Slack reject the message. Only a user mention the bot itself
renders (`<@U123>`) is left as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.choice_codec import SEPARATOR, encode_choice
from bot.plain_text import rating
from bot.ports import IntakeRef
from bot.post_metadata import PostMetadata, metadata_for, notice_metadata
from bot.slack.kit import Block, actions, button, context, divider, header, section
from bot.slack.limits import (
    ACTIONS_ELEMENTS_MAX,
    BUTTON_VALUE_MAX,
    MAX_BLOCKS_PER_MESSAGE,
    MESSAGE_TEXT_RECOMMENDED_MAX,
    SECTION_TEXT_MAX,
    escape_mrkdwn,
    truncate,
)
from conversations import messages as msg
from conversations.digest import digest_lines, reminder_lines
from conversations.markup import convert
from conversations.people import Owner, Person
from conversations.questions import QUESTIONS, question_number
from conversations.replies import (
    Clarify,
    DigestReply,
    Link,
    Linker,
    Notice,
    QuestionReply,
    Reask,
    RecordReply,
    ReminderReply,
    Reply,
    SummaryReply,
    WarningReply,
)
from conversations.risks import Severity
from conversations.summary import Summary

CHOICE_ACTION_PREFIX = "intake_choice"
DECIDE_ACTION_PREFIX = "intake_decide"
APPROVE_ACTION = f"{DECIDE_ACTION_PREFIX}{SEPARATOR}approve"
REJECT_ACTION = f"{DECIDE_ACTION_PREFIX}{SEPARATOR}reject"
EXPORT_ACTION = "intake_export"
# What each button types for the person: the click runs the same command as the words.
DECIDE_COMMANDS = {APPROVE_ACTION: "approve", REJECT_ACTION: "reject"}
EXPORT_COMMAND = "export"
SEVERITY_MARKS = {
    Severity.HIGH: ":red_circle:",
    Severity.MEDIUM: ":large_orange_circle:",
    Severity.LOW: ":white_circle:",
}
MAX_RISK_SECTIONS = 10


@dataclass(slots=True)
class SlackMessage:
    """One chat.postMessage worth of content."""

    text: str
    blocks: list[Block] = field(default_factory=list)
    metadata: PostMetadata | None = None

    def as_kwargs(self) -> dict[str, Any]:
        """Arguments for chat.postMessage / chat.update."""
        kwargs: dict[str, Any] = {
            "text": truncate(self.text, MESSAGE_TEXT_RECOMMENDED_MAX),
            "blocks": self.blocks[:MAX_BLOCKS_PER_MESSAGE],
        }
        if self.metadata is not None:
            kwargs["metadata"] = self.metadata.model_dump()
        return kwargs


def mention(person: Person) -> str:
    """A Slack user mention; ids are ours (from payloads), not typed text."""
    return f"<@{escape_mrkdwn(person.id)}>"


def mrkdwn(template: str) -> str:
    """One of our own sentences in mrkdwn: escaped, with the core's markup as Slack's."""
    return convert(template, strong=lambda text: f"*{text}*", code=_code, plain=escape_mrkdwn)


def _code(text: str) -> str:
    return f"`{text}`"


def notice_text(notice: Notice) -> str:
    """A notice in mrkdwn: our template mapped, typed parameters escaped, mentions kept."""
    return notice.fill(mrkdwn(notice.template), escape_mrkdwn, mention)


def question_message(
    question: QuestionReply, preface: list[str], metadata: PostMetadata | None = None
) -> SlackMessage:
    """A question with progress, why, examples, and buttons for its choices."""
    blocks: list[Block] = [context(line) for line in preface]
    heading = (
        f"{mention(question.to_user)} *{question.number}/{question.total} · "
        f"{escape_mrkdwn(question.title)}*\n{escape_mrkdwn(question.prompt)}"
    )
    blocks.append(section(heading))
    hints = [f"_{msg.LABEL_WHY}:_ {escape_mrkdwn(question.why)}"]
    hints.append(f"_{msg.LABEL_EXAMPLES}:_ " + escape_mrkdwn(" · ".join(question.examples)))
    if question.current_answer:
        hints.append(f"_{msg.LABEL_CURRENT_ANSWER}:_ " + escape_mrkdwn(question.current_answer))
    if question.optional:
        hints.append(mrkdwn(msg.OPTIONAL_HINT))
    blocks.append(context("\n".join(hints)))
    if question.choices:
        blocks.append(
            actions(
                f"{CHOICE_ACTION_PREFIX}{SEPARATOR}{question.question_id}",
                [
                    button(
                        choice.label,
                        f"{CHOICE_ACTION_PREFIX}{SEPARATOR}{choice.id}",
                        encode_choice(question.question_id, choice.id),
                    )
                    for choice in question.choices
                ],
            )
        )
    fallback = f"{question.number}/{question.total} {question.title}: {question.prompt}"
    return SlackMessage(
        text="\n".join([*preface, escape_mrkdwn(fallback)]),
        blocks=blocks,
        metadata=metadata,
    )


def answered_message(question_id: str, who: Person, label: str) -> SlackMessage:
    """The question message after a click: buttons gone, who chose what shown.

    The question text comes from the catalog, not from the clicked payload.
    """
    question = QUESTIONS[question_id]
    line = escape_mrkdwn(
        f"{question_number(question_id)}/{len(QUESTIONS)} {question.title}: {question.prompt}"
    )
    return SlackMessage(
        text=line,
        blocks=[
            section(line),
            context(
                ":white_check_mark: "
                + msg.CHOSE.format(user=mention(who), label=f"*{escape_mrkdwn(label)}*")
            ),
        ],
    )


def reask_text(reask: Reask) -> str:
    """Quote what was wrong and say what is expected, with an example."""
    quoted = escape_mrkdwn(truncate(reask.quoted, 200))
    return f"{mention(reask.to_user)} > {quoted}\n" + mrkdwn(
        msg.REASK.format(problem=reask.problem, expected=reask.expected, example=reask.example)
    )


def clarify_message(
    clarify: Clarify, preface: list[str], metadata: PostMetadata | None = None
) -> SlackMessage:
    """Quote the answer and ask for its missing part, with a button for each way to finish it."""
    quoted = escape_mrkdwn(truncate(clarify.quoted, 200))
    text = f"{mention(clarify.to_user)} > {quoted}\n{mrkdwn(clarify.ask)}"
    blocks: list[Block] = [context(line) for line in preface]
    blocks.append(section(text))
    # Action ids must differ within the block; the value carries the whole answer, and an
    # answer too long for a button's value is left to be typed (cutting it would change it).
    buttons = [
        button(option.label, f"{CHOICE_ACTION_PREFIX}{SEPARATOR}option-{number}", value)
        for number, option in enumerate(clarify.options[:ACTIONS_ELEMENTS_MAX], start=1)
        if len(value := encode_choice(clarify.question_id, option.id)) <= BUTTON_VALUE_MAX
    ]
    if buttons:
        blocks.append(actions(f"{CHOICE_ACTION_PREFIX}{SEPARATOR}{clarify.question_id}", buttons))
    return SlackMessage(text="\n".join([*preface, text]), blocks=blocks, metadata=metadata)


def text_message(text: str, metadata: PostMetadata | None = None) -> SlackMessage:
    """A plain notice as one section."""
    return SlackMessage(text=text, blocks=[section(text)], metadata=metadata)


def summary_message(
    summary: Summary, preface: list[str] | None = None, metadata: PostMetadata | None = None
) -> SlackMessage:
    """The summary card, inside Block Kit's limits; notices of the same turn go on top."""
    a = summary.assessment
    card = a.report_card
    blocks: list[Block] = [context(line) for line in preface or []]
    blocks += [
        # Slack reads `<!channel>` in plain text too; escaped, it shows as typed.
        header(escape_mrkdwn(msg.SUMMARY_TITLE.format(project=summary.project))),
        section(
            mrkdwn(msg.SUMMARY_RECOMMENDATION).format(
                strategy=escape_mrkdwn(a.label), score=a.scores[a.strategy]
            ),
            fields=[
                f"*{label}*\n{rating(card, field)}" for field, label in msg.LABEL_RATINGS.items()
            ],
        ),
        context(escape_mrkdwn(f"{msg.LABEL_REPORT_CARD} ({card.source}). {card.note}".strip())),
        section(
            f"*{msg.LABEL_WHY}*\n" + "\n".join(f"• {escape_mrkdwn(r.text)}" for r in a.reasons)
        ),
    ]
    if a.compute:
        blocks.append(
            section(
                f"*{msg.LABEL_COMPUTE}* ({escape_mrkdwn(a.compute.workload)})\n"
                + escape_mrkdwn(
                    msg.COMPUTE_LINE.format(
                        tool=a.compute.tool, infrastructure=a.compute.infrastructure
                    )
                )
            )
        )
    blocks.append(divider())
    alternatives = [
        f"• *{escape_mrkdwn(alt.label)}* ({alt.score:.0f}): "
        + escape_mrkdwn("; ".join(alt.would_need) or msg.ALTERNATIVE_TIE)
        for alt in a.alternatives
    ]
    blocks.append(section(f"*{msg.LABEL_ALTERNATIVES}*\n" + "\n".join(alternatives)))
    blocks.append(divider())
    if a.risks:
        blocks.append(section(f"*{msg.LABEL_RISKS}* ({len(a.risks)})"))
        shown = a.risks[:MAX_RISK_SECTIONS]
        blocks.extend(
            section(
                fields=[
                    f"{SEVERITY_MARKS[risk.severity]} *{risk.severity.value}*: "
                    + escape_mrkdwn(risk.message),
                    f"_{msg.LABEL_WHAT_TO_DO}:_ " + escape_mrkdwn(risk.action),
                ]
            )
            for risk in shown
        )
    else:
        blocks.append(section(f"*{msg.LABEL_RISKS}*: {msg.NO_RISKS}"))
    if summary.conflicts:
        lines = []
        for conflict in summary.conflicts:
            given = "; ".join(
                f"{mention(Person(id=line.by))}: {escape_mrkdwn(line.text)}"
                for line in conflict.answers
            )
            lines.append(
                f"• *{escape_mrkdwn(conflict.title)}*: {given} "
                "("
                + msg.CONFLICT_USING.format(answer=f"_{escape_mrkdwn(conflict.used.text)}_")
                + ")"
            )
        blocks.append(section(f"*{msg.LABEL_CONFLICTS}*\n" + "\n".join(lines)))
    if summary.open_questions:
        blocks.append(
            context(
                f"{msg.LABEL_OPEN_QUESTIONS}: " + escape_mrkdwn(", ".join(summary.open_questions))
            )
        )
    blocks.append(context(_owner_line(summary.owner)))
    # The button goes last but is never the block cut to stay within Slack's count.
    blocks = [*blocks[: MAX_BLOCKS_PER_MESSAGE - 1], _export_actions()]
    fallback = msg.SUMMARY_FALLBACK.format(
        project=summary.project, strategy=a.label, score=a.scores[a.strategy]
    )
    return SlackMessage(
        text=escape_mrkdwn(fallback),
        blocks=blocks,
        metadata=metadata,
    )


def _export_actions() -> Block:
    """The summary's "Export record" button: a click types `export` for the person."""
    return actions(EXPORT_ACTION, [button(msg.BUTTON_EXPORT_RECORD, EXPORT_ACTION, EXPORT_COMMAND)])


def warning_message(
    reply: WarningReply, ref: IntakeRef, preface: Sequence[str] = ()
) -> SlackMessage:
    """A warning to the owner as one message: a section per sentence, metadata, and buttons.

    Only a warning still waiting for a decision gets Approve and Reject; a
    notice-kind warning waits for nothing, and a decided one (rendered for
    `chat.update`) says in its last sentence who decided and when. Each
    button's value is the warning's number, so a click decides the warning
    on the card that was clicked even when several are open.
    """
    warning = reply.warning
    buttons: list[Block] = []
    if warning.decidable:
        value = str(warning.number)
        buttons = [
            {**button(msg.BUTTON_APPROVE, APPROVE_ACTION, value), "style": "primary"},
            {**button(msg.BUTTON_REJECT, REJECT_ACTION, value), "style": "danger"},
        ]
    lines = [notice_text(line) for line in reply.lines]
    blocks: list[Block] = [context(line) for line in preface]
    room = MAX_BLOCKS_PER_MESSAGE - len(blocks) - (1 if buttons else 0)
    blocks.extend(section(text) for text in _fitted(lines, room))
    if buttons:
        blocks.append(actions(f"{DECIDE_ACTION_PREFIX}{SEPARATOR}{warning.number}", buttons))
    return SlackMessage(
        text="\n".join([*preface, *lines]), blocks=blocks, metadata=metadata_for(reply, ref)
    )


def decided_message(reply: WarningReply, ref: IntakeRef) -> SlackMessage:
    """The card of a decided warning, for `chat.update` in place: no buttons, who decided, when.

    Its metadata carries the new status (approved or rejected), so an app
    reading the thread sees the decision on the card itself.
    """
    if reply.warning.decidable:
        raise ValueError(f"warning {reply.warning.number} is still open")
    return warning_message(reply, ref)


def _fitted(lines: list[str], room: int) -> list[str]:
    """The lines as at most `room` sections: the first and last kept, the middle merged if needed.

    The first says what happened and the last who may decide, so those two
    are never the ones cut; a section's own limit then trims the merged one.
    """
    if len(lines) <= room or room < 3:
        return lines[: max(room, 0)]
    return [*lines[: room - 2], "\n".join(lines[room - 2 : -1]), lines[-1]]


def _owner_line(owner: Owner | None) -> str:
    if not owner:
        return f":warning: {escape_mrkdwn(msg.SUMMARY_NO_OWNER)}: {mrkdwn(msg.OWNER_MISSING_HINT)}"
    shown = mention(owner) if isinstance(owner, Person) else escape_mrkdwn(owner)
    return f"{msg.LABEL_OWNER}: {shown}"


def notices_text(replies: Sequence[Reply]) -> str:
    """The notices among `replies` as one mrkdwn text, for an answer with no blocks."""
    return "\n".join(notice_text(reply) for reply in replies if isinstance(reply, Notice))


@dataclass(frozen=True, slots=True)
class SlackFile:
    """One file shared in the thread (`files_upload_v2`): the record, as Markdown."""

    filename: str
    title: str
    content: str


def record_file(record: RecordReply) -> SlackFile:
    """The requirements record as a file people can download, named for the project and day."""
    return SlackFile(
        filename=record.filename,
        title=msg.RECORD_FILE_TITLE.format(project=record.project),
        content=record.markdown,
    )


def thread_link(ref: IntakeRef, workspace_url: str | None) -> Linker:
    """How a digest links an intake: its thread's permalink, when the workspace's URL is known.

    A permalink is the workspace URL (from `auth.test`), `archives/<channel>/p`
    and the root message's ts without its dot; without the URL the project's
    name is shown as text.
    """

    def link(target: Link) -> str:
        text = escape_mrkdwn(target.text)
        if not workspace_url or not target.thread:
            return text
        stamp = target.thread.replace(".", "")
        base = workspace_url.rstrip("/")
        return f"<{base}/archives/{ref.channel}/p{stamp}|{text}>"

    return link


_DIGEST_HEADINGS = frozenset(
    {
        msg.DIGEST_SECTION_RECOMMENDED,
        msg.DIGEST_SECTION_OWING,
        msg.DIGEST_SECTION_WAITING,
        msg.DIGEST_SECTION_UNSETTLED,
        msg.DIGEST_SECTION_IDLE,
    }
)


def digest_message(
    reply: DigestReply, ref: IntakeRef, workspace_url: str | None = None
) -> SlackMessage:
    """A channel's digest as one message: a section per heading, each intake a permalink.

    Sections hold up to Slack's 3,000 characters and the message its 50
    blocks; `digest_lines` already caps each heading's intakes, so a digest
    for a busy channel is cut, not refused.
    """
    link = thread_link(ref, workspace_url)
    sections: list[list[str]] = [[]]
    for line in digest_lines(reply):
        text = line.fill(mrkdwn(line.template), escape_mrkdwn, mention, link)
        current = sections[-1]
        if line.template in _DIGEST_HEADINGS or (
            current and len("\n".join([*current, text])) > SECTION_TEXT_MAX
        ):
            sections.append([text])
        else:
            current.append(text)
    texts = ["\n".join(lines) for lines in sections if lines][:MAX_BLOCKS_PER_MESSAGE]
    return SlackMessage(
        text="\n\n".join(texts),
        blocks=[section(text) for text in texts],
        metadata=metadata_for(reply, ref),
    )


def reminder_message(reply: ReminderReply, ref: IntakeRef) -> SlackMessage:
    """A reminder in the intake's thread, mentioning each person with what they still owe."""
    lines = [notice_text(line) for line in reminder_lines(reply)]
    return SlackMessage(
        text="\n".join(lines),
        blocks=[section("\n".join(lines[:-1])), context(lines[-1])],
        metadata=metadata_for(reply, ref),
    )


@dataclass(frozen=True, slots=True)
class SlackUpdate:
    """A decided warning's card, to replace the card of that warning already in the thread."""

    warning: int
    message: SlackMessage


def to_posts(
    replies: Sequence[Reply], ref: IntakeRef, workspace_url: str | None = None
) -> list[SlackMessage | SlackFile | SlackUpdate]:
    """Replies of one turn -> messages and files, in the order the replies came.

    A record is a file of its own; the replies on either side of it become
    messages as `to_messages` makes them, so nothing moves past it.
    """
    posts: list[SlackMessage | SlackFile | SlackUpdate] = []
    run: list[Reply] = []
    for reply in replies:
        if isinstance(reply, RecordReply):
            posts.extend(to_messages(run, ref, workspace_url))
            posts.append(record_file(reply))
            run = []
        elif isinstance(reply, WarningReply) and reply.in_place:
            posts.extend(to_messages(run, ref, workspace_url))
            posts.append(SlackUpdate(reply.warning.number, decided_message(reply, ref)))
            run = []
        else:
            run.append(reply)
    posts.extend(to_messages(run, ref, workspace_url))
    return posts


def to_messages(
    replies: Sequence[Reply], ref: IntakeRef, workspace_url: str | None = None
) -> list[SlackMessage]:
    """Replies of one turn -> as few messages as reads well.

    Notices before a question, summary or warning ride along as context lines
    of that message, which keeps a turn to one post (Slack allows about one
    message a second per channel). A record is not a message (see `to_posts`).
    """
    messages: list[SlackMessage] = []
    pending: list[str] = []
    for reply in replies:
        if isinstance(reply, Notice):
            pending.append(notice_text(reply))
        elif isinstance(reply, Reask):
            pending.append(reask_text(reply))
        elif isinstance(reply, QuestionReply):
            messages.append(question_message(reply, pending, metadata_for(reply, ref)))
            pending = []
        elif isinstance(reply, Clarify):
            messages.append(clarify_message(reply, pending, metadata_for(reply, ref)))
            pending = []
        elif isinstance(reply, SummaryReply):
            messages.append(summary_message(reply.summary, pending, metadata_for(reply, ref)))
            pending = []
        elif isinstance(reply, WarningReply):
            messages.append(warning_message(reply, ref, pending))
            pending = []
        elif isinstance(reply, DigestReply):
            messages.append(digest_message(reply, ref, workspace_url))
        elif isinstance(reply, ReminderReply):
            messages.append(reminder_message(reply, ref))
    if pending:
        messages.append(text_message("\n".join(pending), notice_metadata(ref)))
    return messages
