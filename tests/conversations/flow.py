"""A TestFlow for the pure dialogue: script a conversation as send / expect pairs.

In the style of botbuilder-testing's ``TestFlow``, over ``step`` instead of an
adapter. The flow holds what the service would keep in Redis (one intake and
each person's place) and feeds ``step`` the acting person's state, so several
people can interleave in one intake::

    (
        Flow("Churn model", starter="alice")
        .send("40 GB a day", user="alice")
        .expect(saved="40 GB a day", question="stakeholders")
        .send("lots", user="bob")
        .expect(reask="lots", unchanged=True)
    )

Every event gets its own minute on a fixed clock, so "latest" is well defined
and runs are repeatable. ``expect`` fails with the replies spelled out.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Self

from conversations import messages as msg
from conversations.answers import parse_answer
from conversations.dialogue import step
from conversations.events import Choose, Event, Start, Text
from conversations.intake import DialogueState, Intake, Place
from conversations.people import Person
from conversations.readings import reading
from conversations.replies import (
    Clarify,
    Notice,
    QuestionReply,
    Reask,
    Reply,
    SummaryReply,
    Tone,
    WarningReply,
)
from conversations.summary import Summary
from conversations.values import Value

BASE_TIME = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

_SAVED_TEMPLATES = (msg.SAVED, msg.SAVED_CONFLICT)


def plain(notice: Notice) -> str:
    """A notice as plain text: typed text as is, people as their ids, markup as typed."""
    return notice.fill(notice.template, lambda text: text, lambda person: person.id)


def describe(replies: list[Reply]) -> str:
    """The replies on one line each, for failure messages."""
    lines = []
    for reply in replies:
        if isinstance(reply, Notice):
            lines.append(f"notice[{reply.tone}]: {plain(reply)}")
        elif isinstance(reply, QuestionReply):
            lines.append(f"question {reply.question_id} to {reply.to_user}")
        elif isinstance(reply, Reask):
            lines.append(f"reask {reply.question_id}: {reply.quoted!r} ({reply.problem})")
        elif isinstance(reply, Clarify):
            lines.append(f"clarify {reply.question_id}: {reply.quoted!r} ({reply.ask})")
        elif isinstance(reply, WarningReply):
            warning = reply.warning
            lines.append(f"warning {warning.number} {warning.kind} {warning.status}")
        elif isinstance(reply, SummaryReply):
            lines.append(f"summary: {reply.summary.assessment.strategy}")
        else:
            lines.append(reply.kind)
    return "\n  ".join(["replies:", *lines]) if lines else "no replies"


class Flow:
    """One intake's conversation, stepped event by event."""

    def __init__(self, project: str | None = "Churn model", *, starter: str = "alice") -> None:
        self.starter = starter
        self.intake: Intake | None = None
        self.places: dict[str, Place] = {}
        self.replies: list[Reply] = []
        self.before: Intake | None = None
        self.last_user = starter
        self._minutes = 0
        if project is not None:
            self.start(project, user=starter)

    # --- sending -------------------------------------------------------------------------

    def now(self) -> datetime:
        """The time the next event happens: a minute after the last one."""
        self._minutes += 1
        return BASE_TIME + timedelta(minutes=self._minutes)

    def wait(self, pause: timedelta) -> Self:
        """Let time pass before the next event (a stakeholder away for days)."""
        self._minutes += int(pause.total_seconds() // 60)
        return self

    @property
    def warnings(self) -> list[WarningReply]:
        """The warnings the last event raised (a decided card to update in place is not one)."""
        return [
            reply
            for reply in self.replies
            if isinstance(reply, WarningReply) and not reply.in_place
        ]

    def apply(self, event: Event) -> Self:
        """Step one event as the service would: this person's place, the shared intake."""
        self.before = self.intake
        state = DialogueState(intake=self.intake, place=self.places.get(event.user))
        after, self.replies = step(state, event)
        self.intake = after.intake
        if after.place is not None:
            self.places[event.user] = after.place
        self.last_user = event.user
        return self

    def start(self, project: str, *, user: str | None = None) -> Self:
        """Someone starts an intake (`/intake <project>`)."""
        return self.apply(Start(user=user or self.starter, at=self.now(), project=project))

    def send(
        self, text: str, *, user: str | None = None, mentions: tuple[Person, ...] = ()
    ) -> Self:
        """Someone types a message in the thread, mentioning `mentions` (as `@label` in `text`)."""
        return self.apply(
            Text(user=user or self.starter, at=self.now(), text=text, mentions=mentions)
        )

    def choose(self, question_id: str, value: str, *, user: str | None = None) -> Self:
        """Someone clicks a choice button."""
        return self.apply(
            Choose(user=user or self.starter, at=self.now(), question_id=question_id, value=value)
        )

    def answer(self, answers: Mapping[str, str], *, user: str | None = None) -> Self:
        """Answer questions by id in order, each of which must be saved.

        A question that is not the person's current one is reached with `edit <id>` first.
        """
        who = user or self.starter
        for question_id, text in answers.items():
            place = self.places.get(who)
            if place is None or place.current != question_id:
                self.send(f"edit {question_id}", user=who).expect(question=question_id)
            self.send(text, user=who).expect(saved=text)
        return self

    # --- checking ------------------------------------------------------------------------

    def expect(
        self,
        *,
        saved: str | None = None,
        question: str | None = None,
        reask: str | None = None,
        problem: str | None = None,
        notice: str | None = None,
        summary: bool | None = None,
        unchanged: bool = False,
    ) -> Self:
        """Check the replies to the last event.

        saved: a "Saved" notice for this text, and the text is now on the record.
        question: the last reply asks this question of the person who spoke.
        reask: the answer was refused with this quote (and nothing was stored).
        problem: a re-ask's or a problem notice's text contains this.
        notice: a notice built from this `messages` template (exactly, or as its start).
        summary: whether a summary card came back.
        unchanged: the intake record is exactly as before the event.
        """
        if saved is not None:
            self._expect_saved(saved)
        if question is not None:
            self._expect_question(question)
        if reask is not None:
            self._expect_reask(reask)
        if problem is not None:
            self._expect_problem(problem)
        if notice is not None:
            self.find_notice(notice)
        if summary is not None:
            found = any(isinstance(reply, SummaryReply) for reply in self.replies)
            self._check(found == summary, f"expected summary={summary}")
        if unchanged:
            self._check(self.intake == self.before, "expected the intake to be unchanged")
        return self

    def find_notice(self, template: str) -> Notice:
        """The notice built from `template` (or from a sentence that starts with it)."""
        for reply in self.replies:
            if isinstance(reply, Notice) and reply.template.startswith(template):
                return reply
        raise AssertionError(f"expected a notice {template!r}; {describe(self.replies)}")

    def notice_text(self, template: str) -> str:
        """The plain text of the notice built from `template`."""
        return plain(self.find_notice(template))

    def notices_text(self) -> str:
        """Every notice among the last replies as plain text, a line each (as a status reads)."""
        return "\n".join(plain(reply) for reply in self.replies if isinstance(reply, Notice))

    @property
    def summary(self) -> Summary:
        """The summary card among the last replies."""
        for reply in self.replies:
            if isinstance(reply, SummaryReply):
                return reply.summary
        raise AssertionError(f"expected a summary; {describe(self.replies)}")

    @property
    def reask_reply(self) -> Reask:
        """The re-ask among the last replies."""
        for reply in self.replies:
            if isinstance(reply, Reask):
                return reply
        raise AssertionError(f"expected a re-ask; {describe(self.replies)}")

    @property
    def record(self) -> Intake:
        """The intake, which must exist."""
        assert self.intake is not None, "no intake was started"
        return self.intake

    def place(self, user: str | None = None) -> Place:
        """A person's place, which must exist."""
        who = user or self.starter
        assert who in self.places, f"{who} has no place"
        return self.places[who]

    def texts(self, question_id: str) -> list[tuple[str, str]]:
        """(who, text) of each person's latest answer to one question, oldest first."""
        return [(r.by, r.text) for r in self.record.answers if r.question_id == question_id]

    def _expect_saved(self, text: str) -> None:
        saved = [
            reply
            for reply in self.replies
            if isinstance(reply, Notice)
            and reply.tone is Tone.SAVED
            and reply.template.startswith(_SAVED_TEMPLATES)
        ]
        self._check(len(saved) == 1, f"expected one 'Saved' notice for {text!r}")
        before = self.before.answer_count if self.before is not None else 0
        newest = self.record.answers[-1]
        self._check(
            self.record.answer_count == before + 1
            and newest.text == text.strip()
            and newest.by == self.last_user,
            f"expected {text!r} by {self.last_user} to be the newest answer on the record",
        )
        # The notice says back what the answer was read as, not the words typed.
        value = parse_answer(newest.question_id, text)
        assert isinstance(value, Value), value
        self._check(
            saved[0].params.get("value") == reading(value),
            f"expected the 'Saved' notice to read back {reading(value)!r}",
        )

    def _expect_question(self, question_id: str) -> None:
        last = self.replies[-1] if self.replies else None
        self._check(
            isinstance(last, QuestionReply)
            and last.question_id == question_id
            and last.to_user.id == self.last_user,
            f"expected the last reply to ask {question_id!r} of {self.last_user}",
        )
        self._check(
            self.place(self.last_user).current == question_id,
            f"expected {self.last_user}'s place to be at {question_id!r}",
        )

    def _expect_reask(self, quoted: str) -> None:
        reask = self.reask_reply
        self._check(
            reask.quoted == quoted.strip() and reask.to_user.id == self.last_user,
            f"expected a re-ask quoting {quoted!r}",
        )
        self._check(self.intake == self.before, "a refused answer must not change the intake")

    def _expect_problem(self, text: str) -> None:
        problems = [reply.problem for reply in self.replies if isinstance(reply, Reask)]
        problems += [
            plain(reply)
            for reply in self.replies
            if isinstance(reply, Notice) and reply.tone is Tone.PROBLEM
        ]
        self._check(
            any(text in problem for problem in problems), f"expected a problem saying {text!r}"
        )

    def _check(self, condition: bool, message: str) -> None:
        if not condition:
            raise AssertionError(f"{message}; {describe(self.replies)}")
