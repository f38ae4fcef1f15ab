"""Digests for a project channel and reminders for idle intakes, as pure functions.

A digest tells a channel, for the period since the last one, which intakes
started and finished and what they recommend, and, as things stand at its
end, who still owes answers, which scope changes wait for the owner, which
conflicts are unsettled and which intakes have gone quiet. A channel with
nothing to report gets no digest.

A reminder nudges one idle intake's thread, mentioning each person who owes
answers with the questions still open. Whether one is due (idle long enough,
a weekday in the channel's time zone, the intake still open, reminders on)
is decided here; at most one a day is the scheduler's claim in Redis.

The schedule's words (`digest daily 09:00 Europe/Berlin`) are read here too;
when a schedule next fires is the runtime's business (`bot.schedule`), which
uses a cron library with time zones rather than arithmetic of our own.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from conversations import messages as msg
from conversations.frozen import Frozen
from conversations.intake import (
    Intake,
    IntakeStatus,
    finished_at,
    last_activity,
    summarise,
    unresolved,
    used_answer,
)
from conversations.people import Person
from conversations.questions import QUESTIONS
from conversations.replies import (
    DigestReply,
    Idle,
    IntakeItem,
    Joined,
    Link,
    Notice,
    Owing,
    Param,
    Recommended,
    ReminderReply,
    Unsettled,
    Waiting,
)

IDLE_AFTER = timedelta(days=7)
"""An open intake nobody has answered for this long is listed as idle."""
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SATURDAY = 5
_TIME = re.compile(r"^(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)$")


class Cadence(StrEnum):
    """How often a channel's digest comes."""

    DAILY = "daily"
    WEEKLY = "weekly"


class DigestSchedule(Frozen):
    """A channel's digest setting, with who set it and when."""

    cadence: Cadence
    weekday: int | None = None
    """0 is Monday; only for a weekly digest."""
    hour: int
    minute: int
    timezone: str = "UTC"
    set_by: str
    set_at: datetime

    def describe(self) -> str:
        """The setting in the words it was given ("weekly mon 09:00 Europe/Berlin")."""
        day = f" {WEEKDAYS[self.weekday]}" if self.weekday is not None else ""
        return f"{self.cadence.value}{day} {self.hour:02d}:{self.minute:02d} {self.timezone}"


class ScheduleProblem(Frozen):
    """Words after `digest` that name no schedule: what was wrong, with an example."""

    problem: str


ScheduleWords = DigestSchedule | Literal["off", "show"] | ScheduleProblem


def read_schedule(words: str, *, user: str, at: datetime) -> ScheduleWords:
    """`daily 09:00 [TZ]`, `weekly mon 09:00 [TZ]`, `off`, or nothing (show the setting)."""
    parts = words.split()
    if not parts:
        return "show"
    cadence, *rest = parts
    cadence = cadence.lower()
    if cadence == "off" and not rest:
        return "off"
    if cadence not in (Cadence.DAILY.value, Cadence.WEEKLY.value):
        return ScheduleProblem(problem=msg.DIGEST_UNKNOWN_CADENCE.format(word=parts[0]))
    weekday = None
    if cadence == Cadence.WEEKLY.value:
        day = rest[0][:3].lower() if rest else ""
        if day not in WEEKDAYS:
            return ScheduleProblem(problem=msg.DIGEST_NEEDS_DAY)
        weekday = WEEKDAYS.index(day)
        rest = rest[1:]
    match = _TIME.match(rest[0]) if rest else None
    if match is None:
        return ScheduleProblem(problem=msg.DIGEST_NEEDS_TIME)
    zone = _known_zone(rest[1]) if len(rest) > 1 else "UTC"
    if len(rest) > 2 or zone is None:
        return ScheduleProblem(problem=msg.DIGEST_UNKNOWN_ZONE.format(zone=" ".join(rest[1:])))
    return DigestSchedule(
        cadence=Cadence(cadence),
        weekday=weekday,
        hour=int(match.group("hour")),
        minute=int(match.group("minute")),
        timezone=zone,
        set_by=user,
        set_at=at,
    )


def _known_zone(name: str) -> str | None:
    """The IANA time zone `name` names, in its own spelling ("europe/berlin" is
    "Europe/Berlin"); None for one this machine does not know."""
    if not re.fullmatch(r"[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*", name):
        return None
    zone = _ZONES.get(name.lower())
    if zone is None:
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return zone


_ZONES = {zone.lower(): zone for zone in available_timezones()}


# --- the digest -------------------------------------------------------------------------


def channel_digest(
    intakes: Sequence[tuple[str, Intake]],
    start: datetime,
    end: datetime,
    timezone: str = "UTC",
) -> DigestReply | None:
    """The digest of a channel's intakes (thread, record) for `start` < t <= `end`; None if empty."""
    digest = DigestReply(period_start=start, period_end=end, timezone=timezone)
    started, finished, recommended = [], [], []
    owing, waiting, unsettled, idle = [], [], [], []
    quiet = 0
    for thread, intake in sorted(intakes, key=lambda pair: pair[1].started_at):
        item = IntakeItem(thread=thread, project=intake.project)
        if start < intake.started_at <= end:
            started.append(item)
        done = finished_at(intake)
        if done is not None and start < done <= end:
            finished.append(item)
            summary = summarise(intake, end)
            if summary is not None:
                a = summary.assessment
                recommended.append(
                    Recommended(
                        intake=item,
                        strategy=a.strategy.value,
                        label=a.label,
                        score=a.scores[a.strategy],
                    )
                )
        if intake.status is not IntakeStatus.OPEN:
            continue
        quiet += _quiet_in(intake.quiet_by_day, start, end)
        open_questions = unresolved(intake)
        people = owed_by(intake)
        if open_questions and people:
            owing.append(
                Owing(
                    intake=item,
                    people=people,
                    questions=tuple(QUESTIONS[q].title for q in open_questions),
                )
            )
        decidable = tuple(w.number for w in intake.open_warnings if w.decidable)
        if decidable:
            waiting.append(Waiting(intake=item, numbers=decidable, owner=intake.owner))
        if intake.conflicts_since:
            titles = tuple(QUESTIONS[q].title for q in sorted(intake.conflicts_since))
            unsettled.append(Unsettled(intake=item, questions=titles))
        quiet_for = end - last_activity(intake)
        if open_questions and quiet_for > IDLE_AFTER:
            idle.append(Idle(intake=item, days=quiet_for.days))
    digest = digest.model_copy(
        update={
            "started": tuple(started),
            "finished": tuple(finished),
            "recommended": tuple(recommended),
            "owing": tuple(owing),
            "waiting": tuple(waiting),
            "unsettled": tuple(unsettled),
            "idle": tuple(idle),
            "quiet_changes": quiet,
        }
    )
    if not any(count for name, count in digest.counts().items() if name != "quiet_changes"):
        return None
    return digest


def _quiet_in(by_day: dict[str, int], start: datetime, end: datetime) -> int:
    """Quiet changes of the UTC days that ended in `start` < t <= `end`: each day is counted
    once, complete, in the first digest after its midnight (a day late, never twice)."""
    total = 0
    for day, count in by_day.items():
        midnight = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1)
        if start < midnight <= end:
            total += count
    return total


def owed_by(intake: Intake) -> tuple[Person, ...]:
    """Who owes the open questions: the people the stakeholders answer in use mentions, and
    everyone who has answered at least once, each once, in that order."""
    people: dict[str, Person] = {}
    stakeholders = used_answer(intake, "stakeholders")
    for person in stakeholders.mentions if stakeholders is not None else ():
        people.setdefault(person.id, person)
    for record in intake.answers:
        people.setdefault(record.by, Person(id=record.by))
    return tuple(people.values())


# --- reminders --------------------------------------------------------------------------


def reminder_due(
    intake: Intake, now: datetime, *, timezone: str, remind_after: timedelta
) -> ReminderReply | None:
    """The reminder an intake is due now, if any (the once-a-day claim is the caller's).

    None when the intake is cancelled or complete, reminders are off, it has
    not been idle for `remind_after`, or it is Saturday or Sunday where the
    channel is.
    """
    if intake.status is not IntakeStatus.OPEN or intake.reminders_off:
        return None
    open_questions = unresolved(intake)
    if not open_questions:
        return None
    if now.astimezone(ZoneInfo(timezone)).weekday() >= SATURDAY:
        return None
    quiet_for = now - last_activity(intake)
    people = owed_by(intake)
    if quiet_for < remind_after or not people:
        return None
    titles = tuple(QUESTIONS[q].title for q in open_questions)
    return ReminderReply(
        project=intake.project,
        owing=tuple((person, titles) for person in people),
        idle_hours=int(quiet_for.total_seconds() // 3600),
    )


# --- how a digest and a reminder read ---------------------------------------------------

SECTION_LIMIT = 10
"""Intakes a digest names per section; the rest are counted, so one post stays in limits."""


def _link(item: IntakeItem) -> Link:
    return Link(text=item.project, thread=item.thread)


def _when(at: datetime, timezone: str) -> str:
    return f"{at.astimezone(ZoneInfo(timezone)):%a %Y-%m-%d %H:%M} {timezone}"


def digest_lines(digest: DigestReply) -> list[Notice]:
    """The digest as sentences, section by section, each intake a link to its thread."""
    lines = [
        _note(
            msg.DIGEST_TITLE,
            start=_when(digest.period_start, digest.timezone),
            end=_when(digest.period_end, digest.timezone),
        )
    ]
    if digest.started:
        lines.append(_note(msg.DIGEST_STARTED, projects=_links(digest.started)))
    if digest.finished:
        lines.append(_note(msg.DIGEST_FINISHED, projects=_links(digest.finished)))
    sections: list[tuple[str, list[Notice]]] = [
        (
            msg.DIGEST_SECTION_RECOMMENDED,
            [
                _note(
                    msg.DIGEST_RECOMMENDED,
                    project=_link(r.intake),
                    label=r.label,
                    score=f"{r.score:.0f}",
                )
                for r in digest.recommended
            ],
        ),
        (
            msg.DIGEST_SECTION_OWING,
            [
                _note(
                    msg.DIGEST_OWING,
                    project=_link(o.intake),
                    people=Joined(items=o.people),
                    questions=", ".join(o.questions),
                )
                for o in digest.owing
            ],
        ),
        (
            msg.DIGEST_SECTION_WAITING,
            [
                _note(
                    msg.DIGEST_WAITING if w.owner else msg.DIGEST_WAITING_NO_OWNER,
                    project=_link(w.intake),
                    numbers=", ".join(str(n) for n in w.numbers),
                    owner=w.owner or "",
                )
                for w in digest.waiting
            ],
        ),
        (
            msg.DIGEST_SECTION_UNSETTLED,
            [
                _note(
                    msg.DIGEST_UNSETTLED, project=_link(u.intake), questions=", ".join(u.questions)
                )
                for u in digest.unsettled
            ],
        ),
        (
            msg.DIGEST_SECTION_IDLE,
            [_note(msg.DIGEST_IDLE, project=_link(i.intake), days=i.days) for i in digest.idle],
        ),
    ]
    for heading, items in sections:
        if not items:
            continue
        lines.append(_note(heading))
        lines.extend(items[:SECTION_LIMIT])
        if len(items) > SECTION_LIMIT:
            lines.append(_note(msg.LIST_MORE, count=len(items) - SECTION_LIMIT))
    if digest.quiet_changes:
        lines.append(_note(msg.DIGEST_QUIET, count=digest.quiet_changes))
    return lines


def _links(items: Sequence[IntakeItem]) -> Joined:
    shown: tuple[str | Person | Link, ...] = tuple(_link(item) for item in items[:SECTION_LIMIT])
    if len(items) > SECTION_LIMIT:
        shown += (msg.LIST_MORE.format(count=len(items) - SECTION_LIMIT),)
    return Joined(items=shown)


def reminder_lines(reminder: ReminderReply) -> list[Notice]:
    """The reminder: how long the intake has waited, each person with what they owe."""
    lines = [_note(msg.REMINDER_HEAD, project=reminder.project, hours=reminder.idle_hours)]
    lines.extend(
        _note(msg.REMINDER_LINE, person=person, questions=", ".join(questions))
        for person, questions in reminder.owing[:SECTION_LIMIT]
    )
    lines.append(_note(msg.REMINDER_FOOT))
    return lines


def _note(template: str, **params: Param) -> Notice:
    return Notice(template=template, params=params)
