"""Commands to the bot about a channel rather than one intake: `digest ...` and `list`.

They come from a channel's top level (`/intake digest daily 09:00`, `@intake-bot
list`) and act on the channel: its digest setting, or the intakes its threads
hold. Reading the words and writing the list are pure; the setting itself and
the intakes are in Redis, which the service reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from conversations import messages as msg
from conversations.digest import ScheduleProblem, read_schedule
from conversations.frozen import Frozen
from conversations.intake import Intake, IntakeStatus, summarise, used_answer
from conversations.questions import CATALOG
from conversations.replies import Notice, Reply, Tone
from conversations.scope import open_numbers

_ANY_TIME = datetime(2000, 1, 1, tzinfo=UTC)
"""Reading the words needs a time to stamp them with; only whether they read matters here."""
LIST_LIMIT = 25
"""Intakes a list shows, newest first; one message stays readable (and under Slack's limits)."""


class DigestCommand(Frozen):
    """`digest <schedule words>`: show, set or turn off the channel's digest."""

    words: str


class ListCommand(Frozen):
    """`list`: the channel's intakes and where each stands."""


ChannelCommand = DigestCommand | ListCommand


def channel_command(text: str) -> ChannelCommand | None:
    """The channel command `text` is (after `/intake` or a mention), or None."""
    word, _, rest = text.strip().partition(" ")
    word = word.lower()
    if word == "digest":
        return DigestCommand(words=rest.strip())
    if word == "list" and not rest.strip():
        return ListCommand()
    return None


def is_exact_command(command: ChannelCommand) -> bool:
    """Whether the words are exactly a command (`list`, or `digest` with schedule words that
    read), so that in a conversation holding an intake they cannot be an answer."""
    if isinstance(command, ListCommand):
        return True
    first = command.words.split()[0].lower() if command.words.split() else ""
    if first in _SCHEDULE_WORDS:
        return True  # a schedule, perhaps mistyped: answered as one ("digest daily 9am")
    read = read_schedule(command.words, user="", at=_ANY_TIME)
    return not isinstance(read, ScheduleProblem)


_SCHEDULE_WORDS = frozenset({"", "daily", "weekly", "off"})


def channel_list(intakes: Sequence[Intake], command: str) -> list[Reply]:
    """The channel's intakes, newest first, each with its state."""
    if not intakes:
        return [Notice(template=msg.LIST_NONE, params={"command": command})]
    ordered = sorted(intakes, key=lambda intake: intake.started_at, reverse=True)
    lines: list[Reply] = [Notice(template=msg.LIST_HEADER, params={"count": len(ordered)})]
    for intake in ordered[:LIST_LIMIT]:
        lines.append(
            Notice(
                template=msg.LIST_LINE,
                params={"project": intake.project, "state": _state(intake)},
            )
        )
    if len(ordered) > LIST_LIMIT:
        lines.append(Notice(template=msg.LIST_MORE, params={"count": len(ordered) - LIST_LIMIT}))
    return lines


def _state(intake: Intake) -> str:
    """Where one intake stands, in a few words."""
    if intake.status is IntakeStatus.CANCELLED:
        return msg.LIST_STATE_CANCELLED
    summary = summarise(intake, intake.started_at) if intake.baseline is not None else None
    if summary is None:
        answered = sum(1 for question in CATALOG if used_answer(intake, question.id))
        return msg.LIST_STATE_OPEN.format(answered=answered, total=len(CATALOG))
    label = summary.assessment.label
    waiting = open_numbers(intake.open_warnings)
    if waiting:
        numbers = ", ".join(str(number) for number in waiting)
        return msg.LIST_STATE_WAITING.format(label=label, numbers=numbers)
    return msg.LIST_STATE_DONE.format(label=label)


def digest_problem(problem: str, command: str) -> Notice:
    """The reply to schedule words that name no schedule."""
    return Notice(
        template=msg.DIGEST_PROBLEM,
        params={"problem": problem, "command": command},
        tone=Tone.PROBLEM,
    )
