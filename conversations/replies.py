"""Neutral replies: what the dialogue asks every front end to show.

Text that people typed travels as parameters, never pre-formatted into a
sentence, so each renderer escapes it for its own markup (Slack mrkdwn,
Teams markdown, a terminal) and shows people as its own mentions. Templates
carry only the core's small markup (see `markup`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import Field

from conversations.changes import ScopeWarning
from conversations.frozen import Frozen
from conversations.people import Person
from conversations.summary import Summary


class Link(Frozen):
    """Typed text (a project's name) that links to an intake's thread in the same channel.

    Each renderer makes its own link (a Slack permalink, a Teams deep link);
    one that cannot shows the text alone, escaped like any typed text.
    """

    text: str
    thread: str


class Joined(Frozen):
    """Several values shown as one list ("a, b and c"); the renderer joins them."""

    items: tuple[str | Person | Link, ...]
    last: str = " and "
    between: str = ", "


Param = str | int | Person | Link | Joined
Linker = Callable[[Link], str]


class Tone(StrEnum):
    """How a front end may style a notice."""

    INFO = "info"
    SAVED = "saved"
    PROBLEM = "problem"


class Notice(Frozen):
    """A sentence from `messages` with its parameters kept apart for escaping."""

    kind: Literal["notice"] = "notice"
    template: str
    params: dict[str, Param] = Field(default_factory=dict)
    tone: Tone = Tone.INFO
    only_for: str | None = None
    """Shown to this user only where the front end can (a refusal nobody else needs)."""

    def fill(
        self,
        template: str,
        escape: Callable[[str], str],
        mention: Callable[[Person], str],
        link: Linker | None = None,
    ) -> str:
        """Fill `template` (this notice's, already mapped to the renderer's markup).

        Typed text is escaped, people become mentions, links the renderer's
        links (or their escaped text), lists are joined. Numbers stay numbers,
        so a template may format them (`{length:,}`).
        """
        values = {name: shown(value, escape, mention, link) for name, value in self.params.items()}
        return template.format(**values)


def shown(
    value: Param,
    escape: Callable[[str], str],
    mention: Callable[[Person], str],
    link: Linker | None = None,
) -> str | int:
    """One parameter as a renderer shows it: typed text escaped, people as its mentions."""

    def one(item: str | Person | Link) -> str:
        if isinstance(item, Person):
            return mention(item)
        if isinstance(item, Link):
            return link(item) if link is not None else escape(item.text)
        return escape(item)

    if isinstance(value, Joined):
        parts = [one(item) for item in value.items]
        if len(parts) < 2:
            return "".join(parts)
        return value.between.join(parts[:-1]) + value.last + parts[-1]
    if isinstance(value, int):
        return value
    return one(value)


class ChoiceButton(Frozen):
    """A choice a front end may show as a button."""

    id: str
    label: str


class QuestionReply(Frozen):
    """Ask one question, with progress, help, examples and choices."""

    kind: Literal["question"] = "question"
    question_id: str
    number: int
    total: int
    title: str
    prompt: str
    why: str
    examples: tuple[str, ...]
    choices: tuple[ChoiceButton, ...]
    optional: bool
    to_user: Person
    current_answer: str | None = None


class Reask(Frozen):
    """An answer that could not be read: quote it, say what was wrong and what is expected."""

    kind: Literal["reask"] = "reask"
    question_id: str
    quoted: str
    problem: str
    expected: str
    example: str
    to_user: Person


class Clarify(Frozen):
    """An answer understood in part: ask only for what is missing, with the few ways to finish it.

    Each option's `id` is the whole answer it stands for ("200 GB per week"),
    so a click on it is an answer like any other, and its `label` is the
    missing part ("per week"), which is also what a person may type instead.
    """

    kind: Literal["clarify"] = "clarify"
    question_id: str
    quoted: str
    ask: str
    options: tuple[ChoiceButton, ...]
    to_user: Person


class SummaryReply(Frozen):
    """The summary card."""

    kind: Literal["summary"] = "summary"
    summary: Summary


class WarningReply(Frozen):
    """A warning to the project owner: its sentences, and the warning for buttons and metadata.

    A scope change that waits for a decision shows Approve and Reject; once
    decided, the same reply (with the decision in its last sentence) replaces
    the card in place where the front end can.
    """

    kind: Literal["warning"] = "warning"
    warning: ScopeWarning
    lines: tuple[Notice, ...]
    in_place: bool = False
    """The decided warning, to replace its earlier card where the front end can find it
    (a decision typed in the thread); a front end that cannot find the card shows nothing."""


class HistoryRequest(Frozen):
    """Show a page of the intake's change history; the service fills it in from the log."""

    kind: Literal["history_request"] = "history_request"
    page: int = 1


class RecordRequest(Frozen):
    """Post the requirements record; the service writes it from the intake and its logs."""

    kind: Literal["record_request"] = "record_request"


class RecordReply(Frozen):
    """The requirements and decision record, as Markdown: a file where the front end has files."""

    kind: Literal["record"] = "record"
    project: str
    filename: str
    markdown: str


class IntakeItem(Frozen):
    """One intake as a digest names it: its thread (for the link) and its project."""

    thread: str
    project: str


class Recommended(Frozen):
    """An intake that reached its first summary in the period, and what it recommends."""

    intake: IntakeItem
    strategy: str
    label: str
    score: float


class Owing(Frozen):
    """An open intake's questions still unanswered, and the people who owe them."""

    intake: IntakeItem
    people: tuple[Person, ...]
    questions: tuple[str, ...]


class Waiting(Frozen):
    """An intake whose scope-change warnings wait for the owner."""

    intake: IntakeItem
    numbers: tuple[int, ...]
    owner: Person | str | None


class Unsettled(Frozen):
    """An intake whose stakeholders disagree on these questions."""

    intake: IntakeItem
    questions: tuple[str, ...]


class Idle(Frozen):
    """An open intake nobody has answered for `days` days."""

    intake: IntakeItem
    days: int


class DigestReply(Frozen):
    """A channel's digest for one period: what happened, and what waits on whom.

    Started, finished and recommended cover the period; the rest is how things
    stand at its end. Every intake is named with its thread, so a renderer links it.
    """

    kind: Literal["digest"] = "digest"
    period_start: datetime
    period_end: datetime
    timezone: str
    started: tuple[IntakeItem, ...] = ()
    finished: tuple[IntakeItem, ...] = ()
    recommended: tuple[Recommended, ...] = ()
    owing: tuple[Owing, ...] = ()
    waiting: tuple[Waiting, ...] = ()
    unsettled: tuple[Unsettled, ...] = ()
    idle: tuple[Idle, ...] = ()
    quiet_changes: int = 0

    def counts(self) -> dict[str, int]:
        """How many of each, for the post's machine-readable data."""
        return {
            "started": len(self.started),
            "finished": len(self.finished),
            "recommended": len(self.recommended),
            "owing": len(self.owing),
            "waiting": len(self.waiting),
            "unsettled": len(self.unsettled),
            "idle": len(self.idle),
            "quiet_changes": self.quiet_changes,
        }


class ReminderReply(Frozen):
    """A nudge in an idle intake's thread: who still owes which answers."""

    kind: Literal["reminder"] = "reminder"
    project: str
    owing: tuple[tuple[Person, tuple[str, ...]], ...]
    idle_hours: int


Lookup = HistoryRequest | RecordRequest
"""Replies the dialogue asks for that need what only the service can read (the logs)."""

Reply = (
    Notice
    | QuestionReply
    | Reask
    | Clarify
    | SummaryReply
    | WarningReply
    | RecordReply
    | DigestReply
    | ReminderReply
    | Lookup
)
