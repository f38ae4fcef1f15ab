"""How an intake's change history reads in its thread: `history`, newest first, a page at a time.

The history is a log beside the intake's record (the service reads one page
of it), so showing it costs the same on the hundredth change as on the first.
"""

from __future__ import annotations

from collections.abc import Sequence

from conversations import messages as msg
from conversations.changes import Changed, Decided, HistoryEntry, WarningStatus
from conversations.people import Person
from conversations.questions import QUESTIONS
from conversations.replies import Joined, Notice, Param, Reply, Tone
from conversations.scope import when

PAGE_SIZE = 10
"""Entries shown per page: enough to read at a glance, short enough for one chat message."""


def page_slice(page: int) -> tuple[int, int]:
    """The log range (from the end, inclusive, as Redis' LRANGE takes it) that page `page` shows.

    Counted from the end, the newest entries come first without knowing the
    log's length, so one round trip reads the page and the length together.
    """
    page = max(page, 1)
    return -page * PAGE_SIZE, -(page - 1) * PAGE_SIZE - 1


def pages(total: int) -> int:
    """How many pages `total` entries fill."""
    return max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)


def history_page(
    project: str, entries: Sequence[HistoryEntry], page: int, total: int, *, baseline: bool
) -> list[Reply]:
    """One page of the history, newest first: `entries` are that page's, oldest first."""
    if total == 0:
        template = msg.HISTORY_EMPTY if baseline else msg.HISTORY_NO_BASELINE
        return [_notice(template, project=project)]
    last = pages(total)
    if not entries:
        return [_notice(msg.HISTORY_NO_PAGE, Tone.PROBLEM, page=page, pages=last)]
    lines: list[Reply] = [
        _notice(msg.HISTORY_HEADER, project=project, total=total, page=page, pages=last)
    ]
    lines.extend(entry_line(entry) for entry in reversed(entries))
    if page < last:
        lines.append(_notice(msg.HISTORY_MORE, next=page + 1))
    return lines


def entry_line(entry: HistoryEntry) -> Notice:
    """One entry as a sentence, with who and when."""
    at = when(entry.at)
    if isinstance(entry, Changed):
        change = entry.change
        template = msg.HISTORY_CHANGED_WARNED if entry.warning else msg.HISTORY_CHANGED
        return _notice(
            template,
            when=at,
            user=Person(id=entry.by),
            question=QUESTIONS[change.question_id].title,
            old=change.old_text or msg.NO_ANSWER,
            old_reading=change.old_reading or msg.NO_ANSWER,
            new=change.new_text or msg.NO_ANSWER,
            new_reading=change.new_reading or msg.NO_ANSWER,
            number=entry.warning or 0,
        )
    if isinstance(entry, Decided):
        if entry.status is WarningStatus.REJECTED and entry.restored:
            restored = Joined(
                items=tuple(
                    msg.HISTORY_RESTORED.format(
                        question=QUESTIONS[change.question_id].title,
                        new=change.new_text or msg.NO_ANSWER,
                    )
                    for change in entry.restored
                )
            )
            return _notice(
                msg.HISTORY_REJECTED_RESTORED,
                when=at,
                user=Person(id=entry.by),
                number=entry.warning,
                restored=restored,
            )
        template = {
            WarningStatus.APPROVED: msg.HISTORY_APPROVED,
            WarningStatus.SUPERSEDED: msg.HISTORY_SUPERSEDED,
        }.get(entry.status, msg.HISTORY_REJECTED)
        return _notice(
            template,
            when=at,
            user=Person(id=entry.by),
            number=entry.warning,
        )
    return _notice(
        msg.HISTORY_WARNED,
        when=at,
        number=entry.warning,
        reason=msg.WARNING_REASONS[entry.reason.value],
        question=QUESTIONS[entry.question_id].title,
    )


def _notice(template: str, tone: Tone = Tone.INFO, **params: Param) -> Notice:
    return Notice(template=template, params=params, tone=tone)
