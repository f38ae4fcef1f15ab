"""A choice button's value: the question it answers and the choice, in one short string.

The value carries its question id, so a click on an old question's button
still answers that question, not whatever the person is on now. Every front
end whose buttons carry a string (Slack's `value`) uses this one codec.
"""

from __future__ import annotations

SEPARATOR = ":"


def encode_choice(question_id: str, choice_id: str) -> str:
    """The button value for one choice of one question."""
    return f"{question_id}{SEPARATOR}{choice_id}"


def decode_choice(value: str) -> tuple[str, str] | None:
    """The (question id, choice id) a button value carries, or None if it is not ours."""
    question_id, separator, choice_id = value.partition(SEPARATOR)
    return (question_id, choice_id) if separator and question_id and choice_id else None
