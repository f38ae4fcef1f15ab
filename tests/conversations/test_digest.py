"""Digests and reminders as pure functions: schedule words, a digest's content, reminder rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conversations import messages as msg
from conversations.channel import DigestCommand, ListCommand, channel_command, channel_list
from conversations.digest import (
    Cadence,
    DigestSchedule,
    ScheduleProblem,
    channel_digest,
    digest_lines,
    owed_by,
    read_schedule,
    reminder_due,
)
from conversations.intake import Intake, IntakeStatus
from conversations.people import Person
from conversations.replies import Link
from tests.conversations.flow import BASE_TIME, Flow, plain
from tests.conversations.test_scope import BATCH_ANSWERS, MARIA

AT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # a Monday
DAY = timedelta(days=1)


# --- schedule words ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("daily 09:00", (Cadence.DAILY, None, 9, 0, "UTC")),
        ("daily 9:30 Europe/Berlin", (Cadence.DAILY, None, 9, 30, "Europe/Berlin")),
        ("weekly mon 09:00", (Cadence.WEEKLY, 0, 9, 0, "UTC")),
        ("Weekly Friday 17:45 America/New_York", (Cadence.WEEKLY, 4, 17, 45, "America/New_York")),
    ],
)
def test_schedule_words_are_read(words: str, expected: tuple[object, ...]) -> None:
    """Daily and weekly schedules, with or without an IANA zone, keep who set them and when."""
    schedule = read_schedule(words, user="alice", at=AT)
    assert isinstance(schedule, DigestSchedule)
    got = (schedule.cadence, schedule.weekday, schedule.hour, schedule.minute, schedule.timezone)
    assert got == expected
    assert (schedule.set_by, schedule.set_at) == ("alice", AT)


@pytest.mark.parametrize(
    ("words", "says"),
    [
        ("hourly 09:00", "'hourly' is not a digest schedule."),
        ("weekly 09:00", msg.DIGEST_NEEDS_DAY),
        ("daily", msg.DIGEST_NEEDS_TIME),
        ("daily 25:00", msg.DIGEST_NEEDS_TIME),
        ("daily 09:00 Mars/Olympus", "'Mars/Olympus' is not a time zone"),
        ("daily 09:00 ../../etc/passwd", "is not a time zone"),
    ],
)
def test_bad_schedule_words_say_what_is_wrong(words: str, says: str) -> None:
    """Each mistake names itself, so the reply can say what was expected."""
    problem = read_schedule(words, user="alice", at=AT)
    assert isinstance(problem, ScheduleProblem)
    assert says in problem.problem


def test_off_and_nothing_are_their_own_words() -> None:
    """`digest off` turns it off; `digest` alone asks to see the setting."""
    assert read_schedule("off", user="a", at=AT) == "off"
    assert read_schedule("  ", user="a", at=AT) == "show"


def test_channel_commands_are_recognised() -> None:
    """`digest ...` and a bare `list` are channel commands; a project called "listing" is not."""
    assert channel_command("digest daily 09:00") == DigestCommand(words="daily 09:00")
    assert channel_command("LIST") == ListCommand()
    assert channel_command("listing service") is None
    assert channel_command("list of churn models") is None


# --- a digest's content -----------------------------------------------------------------------


def finished_intake(project: str = "Fraud scoring") -> Intake:
    flow = Flow(project, starter="alice").answer(BATCH_ANSWERS)
    flow.send("owner @Maria", mentions=(MARIA,))
    return flow.record


def test_a_channel_with_intakes_in_every_state_gets_every_section() -> None:
    """Started, finished with its recommendation, owing, waiting, unsettled, idle: all named."""
    done = finished_intake("Done project")
    waiting_flow = Flow("Waiting project", starter="alice").answer(BATCH_ANSWERS)
    waiting_flow.send("owner @Maria", mentions=(MARIA,))
    waiting_flow.send("edit volume").send("4 TB a day")
    waiting = waiting_flow.record
    half = Flow("Half project", starter="bob").send("40 GB a day", user="bob")
    half.send("@maria, the fraud team", user="bob", mentions=(Person(id="maria", name="Maria"),))
    half.send("edit volume", user="carol").send("2 TB a day", user="carol")
    half_intake = half.record
    old = Flow("Old project", starter="dan").send("40 GB a day", user="dan").record
    old = old.model_copy(update={"started_at": BASE_TIME - timedelta(days=30)})
    old = old.model_copy(
        update={
            "answers": tuple(
                r.model_copy(update={"at": BASE_TIME - timedelta(days=20)}) for r in old.answers
            )
        }
    )
    cancelled = finished_intake("Gone").model_copy(update={"status": IntakeStatus.CANCELLED})
    start, end = BASE_TIME - DAY, BASE_TIME + DAY
    digest = channel_digest(
        [("t1", done), ("t2", waiting), ("t3", half_intake), ("t4", old), ("t5", cancelled)],
        start,
        end,
    )
    assert digest is not None
    started = {item.project for item in digest.started}
    assert {"Done project", "Waiting project", "Half project", "Gone"} <= started
    assert "Old project" not in started
    assert {r.intake.project: r.strategy for r in digest.recommended}["Done project"] == "batch"
    owing = {o.intake.project: o for o in digest.owing}
    assert set(owing) == {"Half project", "Old project"}
    assert [p.id for p in owing["Half project"].people] == ["maria", "bob", "carol"]
    assert "Data churn" in owing["Half project"].questions
    assert [(w.intake.project, w.numbers) for w in digest.waiting] == [("Waiting project", (1,))]
    assert [(u.intake.project, u.questions) for u in digest.unsettled] == [
        ("Half project", ("Data volume",))
    ]
    assert [(i.intake.project, i.days) for i in digest.idle] == [("Old project", 21)]
    counts = digest.counts()
    assert counts["waiting"] == 1
    assert counts["idle"] == 1
    text = "\n".join(plain(line) for line in digest_lines(digest))
    assert "Intake digest" in text
    assert "scope change 1 waits for" in text
    projects = [
        value.text
        for line in digest_lines(digest)
        for value in line.params.values()
        if isinstance(value, Link)
    ]
    assert "Old project" in projects


def test_nothing_to_report_is_no_digest() -> None:
    """A period in which nothing started or finished and nothing waits gives None."""
    done = finished_intake()
    assert channel_digest([("t1", done)], BASE_TIME + DAY, BASE_TIME + 2 * DAY) is None
    assert channel_digest([], BASE_TIME, BASE_TIME + DAY) is None


def test_the_people_who_owe_answers_are_stakeholders_and_answerers() -> None:
    """Mentioned stakeholders first, then everyone who answered, the starter included, once each."""
    flow = Flow("P", starter="alice").send("40 GB a day")
    flow.send("@Maria, ops", mentions=(MARIA,))
    flow.send("edit churn", user="bob").send("nightly", user="bob")
    assert [p.id for p in owed_by(flow.record)] == ["maria", "alice", "bob"]


# --- reminders --------------------------------------------------------------------------------


def idle_intake() -> Intake:
    return Flow("Idle", starter="alice").send("40 GB a day").record


def test_a_reminder_is_due_after_the_idle_time_on_a_weekday() -> None:
    """Idle 25 hours on a Monday: a reminder naming each person with what they owe."""
    intake = idle_intake()
    last = intake.answers[-1].at
    monday = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    moved = intake.model_copy(
        update={
            "answers": tuple(
                r.model_copy(update={"at": monday - timedelta(hours=25)}) for r in intake.answers
            )
        }
    )
    assert last != moved.answers[-1].at
    reminder = reminder_due(moved, monday, timezone="UTC", remind_after=timedelta(hours=24))
    assert reminder is not None
    assert reminder.idle_hours == 25
    [(person, questions)] = reminder.owing
    assert person.id == "alice"
    assert "Stakeholders" in questions
    assert reminder_due(moved, monday, timezone="UTC", remind_after=timedelta(hours=26)) is None


def test_no_reminder_at_the_weekend_in_the_channels_time_zone() -> None:
    """Sunday 23:30 in UTC is Monday in Tokyo: the zone decides."""
    intake = idle_intake()
    sunday_night = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    long_ago = sunday_night - timedelta(days=3)
    old = intake.model_copy(
        update={"answers": tuple(r.model_copy(update={"at": long_ago}) for r in intake.answers)}
    )
    after = timedelta(hours=24)
    assert reminder_due(old, sunday_night, timezone="UTC", remind_after=after) is None
    assert reminder_due(old, sunday_night, timezone="Asia/Tokyo", remind_after=after) is not None


def test_no_reminder_when_off_complete_or_cancelled() -> None:
    """`remind off`, an intake with every question resolved, and a cancelled one get none."""
    monday = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    after = timedelta(hours=1)
    flow = (
        Flow(
            "Off",
            starter="alice",
        )
        .send("40 GB a day")
        .send("remind off")
    )
    assert flow.record.reminders_off
    assert reminder_due(flow.record, monday, timezone="UTC", remind_after=after) is None
    flow.send("remind on")
    assert reminder_due(flow.record, monday, timezone="UTC", remind_after=after) is not None
    done = finished_intake()
    assert reminder_due(done, monday, timezone="UTC", remind_after=after) is None
    gone = idle_intake().model_copy(update={"status": IntakeStatus.CANCELLED})
    assert reminder_due(gone, monday, timezone="UTC", remind_after=after) is None


def test_the_list_names_each_intake_with_its_state() -> None:
    """Newest first; open with its progress, finished with its strategy, waiting, cancelled."""
    done = finished_intake("Done")
    half = Flow("Half", starter="bob").send("40 GB a day", user="bob").record
    replies = channel_list([done, half], "/intake")
    text = "\n".join(plain(r) for r in replies)  # type: ignore[arg-type]
    assert "Intakes in this channel: 2." in text
    assert "Half: open, 1 of 9 answered" in text
    assert "Done: Batch recommended" in text
    assert plain(channel_list([], "/intake")[0]).startswith("No intakes")  # type: ignore[arg-type]


def test_only_the_stakeholders_answer_in_use_and_answerers_owe() -> None:
    """Bob's replaced stakeholders answer named Dave; Alice's in use names Carol; the starter
    who never answered owes nothing."""
    dave, carol = Person(id="dave", name="Dave"), Person(id="carol", name="Carol")
    flow = Flow("P", starter="starter")
    flow.send("edit stakeholders", user="bob").send("@Dave", user="bob", mentions=(dave,))
    flow.send("edit stakeholders", user="alice").send("@Carol", user="alice", mentions=(carol,))
    assert [p.id for p in owed_by(flow.record)] == ["carol", "bob", "alice"]


def test_a_days_quiet_changes_count_in_one_digest_only() -> None:
    """Quiet changes are counted by UTC day, whole, in the first digest after its midnight."""
    # An open intake (someone owes answers), so every period has a digest to count in.
    done = idle_intake().model_copy(update={"quiet_by_day": {"2026-11-30": 3}})
    day = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    before = channel_digest([("t1", done)], day - 2 * DAY, day - DAY)
    first = channel_digest([("t1", done)], day - DAY, day)
    second = channel_digest([("t1", done)], day, day + DAY)
    counts = [d.quiet_changes if d is not None else 0 for d in (before, first, second)]
    assert counts == [0, 0, 3]
