"""Stored record sizes: the intake record and a place, as the store writes them, in bytes.

Runs intakes through the pure dialogue (no Redis needed) and prints the size
of the JSON the store keeps for the intake record and for one person's place:
- a completed intake (every question answered once, the summary out), and
- intakes where people keep answering in one thread (10 and 1,500 answers),
  which shows whether the record, rewritten on every turn, grows with history.

    python bench/record_size.py
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from conversations.dialogue import step
from conversations.events import Event, Start, Text
from conversations.intake import DialogueState, Intake, Place
from testkit.answers import HAPPY_ANSWERS

PEOPLE = ("U0ALICE001", "U0BOB00002", "U0CAROL003", "U0DAVE0004")
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class Thread:
    """One intake and its people's places, stepped as the service would."""

    def __init__(self) -> None:
        self.intake: Intake | None = None
        self.places: dict[str, Place] = {}
        self.clock = (START + timedelta(seconds=n) for n in itertools.count())

    def send(self, event: Event) -> None:
        after, _ = step(DialogueState(intake=self.intake, place=self.places.get(event.user)), event)
        self.intake = after.intake
        if after.place is not None:
            self.places[event.user] = after.place

    def text(self, user: str, text: str) -> None:
        self.send(Text(user=user, at=next(self.clock), text=text))

    def record_bytes(self) -> int:
        assert self.intake is not None
        return len(self.intake.model_dump_json())


def completed() -> Thread:
    thread = Thread()
    thread.send(Start(user=PEOPLE[0], at=next(thread.clock), project="Fraud scoring"))
    for answer in HAPPY_ANSWERS.values():
        thread.text(PEOPLE[0], answer)
    return thread


def answers_in_one_thread(count: int) -> Thread:
    """`count` answers after a completed intake: people keep revising the volume."""
    thread = completed()
    for n in range(count - len(HAPPY_ANSWERS)):
        user = PEOPLE[n % len(PEOPLE)]
        thread.text(user, "edit volume")
        thread.text(user, f"{10 + n % 90} GB a day")
    return thread


def main() -> None:
    done = completed()
    place = done.places[PEOPLE[0]]
    print(
        f"completed intake ({len(HAPPY_ANSWERS)} answers, summary out): {done.record_bytes():,} B"
    )
    print(f"one person's place: {len(place.model_dump_json()):,} B")
    for count in (10, 1500):
        print(
            f"intake record at {count:,} answers: {answers_in_one_thread(count).record_bytes():,} B"
        )


if __name__ == "__main__":
    main()
