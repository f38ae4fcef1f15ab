"""Neutral inbound events: what any front end hands the dialogue.

An adapter turns a slash command, a thread reply, a button click or a
terminal line into one of these; the dialogue never sees a platform payload.
Time is part of the event because the core has no clock.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

MENTION = re.compile(r"<@(?P<id>[A-Z0-9]+)(?:\|[^>]*)?>")


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    user: str
    at: datetime


class Start(_Event):
    """Someone starts an intake for a project (`/intake Fraud scoring`)."""

    kind: Literal["start"] = "start"
    project: str


class Text(_Event):
    """A free-text message: an answer, or a command such as `status` or `edit 3`.

    A person mentioned in the text is written as `MENTION` below, `<@user id>`
    (or `<@user id|name>`). That is the core's one mention form: Slack sends it
    as it is, and any other adapter converts its own mentions to it.
    """

    kind: Literal["text"] = "text"
    text: str


class Choose(_Event):
    """A click on a choice button; the value carries its own question id."""

    kind: Literal["choose"] = "choose"
    question_id: str
    value: str


Event = Start | Text | Choose
