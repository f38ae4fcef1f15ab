"""Neutral inbound events: what any front end hands the dialogue.

An adapter turns a slash command, a thread reply, a button click or a
terminal line into one of these; the dialogue never sees a platform payload.
Time is part of the event because the core has no clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from conversations.frozen import Frozen
from conversations.people import Person


class _Event(Frozen):
    user: str
    at: datetime


class Start(_Event):
    """Someone starts an intake for a project (`/intake Fraud scoring`, `start Fraud scoring`).

    `command` is what they typed to start, so a reply asking for the missing
    project name shows the same command back.
    """

    kind: Literal["start"] = "start"
    project: str
    command: str = "start"


class Text(_Event):
    """A free-text message: an answer, or a command such as `status` or `edit 3`.

    The adapter writes each person mentioned in the text as `@` and their
    label (`Person.label`) and lists them in `mentions`, in order; so
    `owner @Maria` names the mentioned Maria, on any platform.
    """

    kind: Literal["text"] = "text"
    text: str
    mentions: tuple[Person, ...] = ()

    def mentioned(self, typed: str) -> Person | None:
        """The person `typed` (such as "@Maria") refers to, if it is exactly one of the mentions."""
        typed = typed.strip()
        return next((person for person in self.mentions if typed == f"@{person.label}"), None)


class Choose(_Event):
    """A click on a choice button; the value carries its own question id."""

    kind: Literal["choose"] = "choose"
    question_id: str
    value: str


Event = Start | Text | Choose
