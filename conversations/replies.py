"""Neutral replies: what the dialogue asks every front end to show.

Text that people typed travels as parameters, never pre-formatted into a
sentence, so each adapter escapes it for its own markup (Slack mrkdwn,
Adaptive Card markdown, a terminal) and renders user references as mentions.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from conversations.summary import Summary


class Mention(BaseModel):
    """A reference to a person by their platform user id, rendered as a mention."""

    model_config = ConfigDict(frozen=True)

    user: str


Param = str | int | Mention


class Tone(StrEnum):
    """How a front end may style a notice."""

    INFO = "info"
    SAVED = "saved"
    PROBLEM = "problem"


class Notice(BaseModel):
    """A sentence from `messages` with its parameters kept apart for escaping."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["notice"] = "notice"
    template: str
    params: dict[str, Param] = {}
    tone: Tone = Tone.INFO

    def render(self, escape: Callable[[str], str], mention: Callable[[str], str]) -> str:
        """The sentence with typed text escaped and people shown as mentions.

        Numbers stay numbers, so a template may format them (`{length:,}`); they
        carry no markup to escape.
        """
        values = {name: _shown(value, escape, mention) for name, value in self.params.items()}
        return self.template.format(**values)


def _shown(value: Param, escape: Callable[[str], str], mention: Callable[[str], str]) -> str | int:
    if isinstance(value, Mention):
        return mention(value.user)
    if isinstance(value, int):
        return value
    return escape(value)


class ChoiceButton(BaseModel):
    """A choice a front end may show as a button."""

    model_config = ConfigDict(frozen=True)

    id: str
    label: str


class QuestionReply(BaseModel):
    """Ask one question, with progress, help, examples and choices."""

    model_config = ConfigDict(frozen=True)

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
    to_user: str
    current_answer: str | None = None


class Reask(BaseModel):
    """An answer that could not be read: quote it, say what was wrong and what is expected."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["reask"] = "reask"
    question_id: str
    quoted: str
    problem: str
    expected: str
    example: str
    to_user: str


class SummaryReply(BaseModel):
    """The summary card."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["summary"] = "summary"
    summary: Summary


Reply = Notice | QuestionReply | Reask | SummaryReply
