"""Neutral replies: what the dialogue asks every front end to show.

Text that people typed travels as parameters, never pre-formatted into a
sentence, so each renderer escapes it for its own markup (Slack mrkdwn,
Teams markdown, a terminal) and shows people as its own mentions. Templates
carry only the core's small markup (see `markup`).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Literal

from pydantic import Field

from conversations.changes import ScopeWarning
from conversations.frozen import Frozen
from conversations.people import Person
from conversations.summary import Summary


class Joined(Frozen):
    """Several values shown as one list ("a, b and c"); the renderer joins them."""

    items: tuple[str | Person, ...]
    last: str = " and "
    between: str = ", "


Param = str | int | Person | Joined


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
    ) -> str:
        """Fill `template` (this notice's, already mapped to the renderer's markup).

        Typed text is escaped, people become mentions, lists are joined.
        Numbers stay numbers, so a template may format them (`{length:,}`).
        """
        values = {name: shown(value, escape, mention) for name, value in self.params.items()}
        return template.format(**values)


def shown(
    value: Param, escape: Callable[[str], str], mention: Callable[[Person], str]
) -> str | int:
    """One parameter as a renderer shows it: typed text escaped, people as its mentions."""
    if isinstance(value, Person):
        return mention(value)
    if isinstance(value, Joined):
        shown = [
            mention(item) if isinstance(item, Person) else escape(item) for item in value.items
        ]
        if len(shown) < 2:
            return "".join(shown)
        return value.between.join(shown[:-1]) + value.last + shown[-1]
    if isinstance(value, int):
        return value
    return escape(value)


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


Lookup = HistoryRequest | RecordRequest
"""Replies the dialogue asks for that need what only the service can read (the logs)."""

Reply = (
    Notice | QuestionReply | Reask | Clarify | SummaryReply | WarningReply | RecordReply | Lookup
)
