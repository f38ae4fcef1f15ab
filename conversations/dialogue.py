"""The dialogue as a pure function: step(state, event) -> (state, replies).

No I/O and no clock: the service loads the state, calls `step`, and saves
what comes back, so a retried step after a lost race gives the same result and
the whole conversation is testable without servers. Events dispatch through a
table, commands through another; no code here branches on a question id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from conversations import messages as msg
from conversations.answers import parse_answer
from conversations.events import Choose, Event, Start, Text
from conversations.intake import (
    MAX_ANSWERS,
    AnswerRecord,
    DialogueState,
    Intake,
    IntakeStatus,
    Pending,
    Place,
    conflicting,
    next_question,
    summarise,
    typed_answers,
    used_answer,
    with_answer,
)
from conversations.parsing import MAX_ANSWER_CHARS
from conversations.people import Owner, Person, owner_id
from conversations.questions import CATALOG, QUESTIONS, Question, find_question, question_number
from conversations.readings import reading
from conversations.replies import (
    ChoiceButton,
    Clarify,
    HistoryRequest,
    Joined,
    Notice,
    Param,
    QuestionReply,
    Reask,
    RecordRequest,
    Reply,
    SummaryReply,
    Tone,
)
from conversations.scope import decide, guarded
from conversations.summary import baseline_of
from conversations.values import ParseError, Unclear, Value

Step = tuple[DialogueState, list[Reply]]
MAX_PROJECT_CHARS = 150
START_WORD = "start"
# Words after `start` (or `/intake`) that name channel commands (see `channel`), never a project.
RESERVED_WORDS = frozenset({"list", "digest"})
_START = re.compile(rf"^\s*{START_WORD}\b\s*(?P<project>.*)$", re.IGNORECASE | re.DOTALL)


def read_start(event: Text) -> Start | None:
    """`start <project>` typed where a new intake can begin (a channel, a direct message)."""
    match = _START.match(event.text)
    if match is None:
        return None
    return Start(user=event.user, at=event.at, project=match.group("project"))


def opening(event: Start | Text, start_command: str | None = None) -> Start | list[Reply]:
    """What a message to the bot outside any intake asks for: an intake, or how to start one.

    `start_command` is the front end's own command for starting (Slack's
    `/intake`), named in the help where there is one.
    """
    start = event if isinstance(event, Start) else read_start(event)
    if start is None:
        if start_command:
            return [_notice(msg.START_HELP_WITH_COMMAND, command=start_command)]
        return [_notice(msg.START_HELP)]
    return _unnamed(start) or start


def _unnamed(start: Start) -> list[Reply] | None:
    """The reply for a start that names no project (nothing, `help`, a reserved word), else None."""
    word = start.project.strip().lower()
    if not word or word in ("help", "usage"):
        return [_notice(msg.NEED_PROJECT_NAME, Tone.PROBLEM, command=start.command)]
    if word in RESERVED_WORDS:
        return [_notice(msg.RESERVED_PROJECT_WORD, Tone.PROBLEM, word=word, command=start.command)]
    return None


def ask(question_id: str, user: str, current_answer: str | None = None) -> QuestionReply:
    """The reply that asks one question of one person."""
    question = QUESTIONS[question_id]
    return QuestionReply(
        question_id=question.id,
        number=question_number(question.id),
        total=len(CATALOG),
        title=question.title,
        prompt=question.prompt,
        why=question.why,
        examples=question.examples,
        choices=tuple(
            ChoiceButton(id=choice.id, label=choice.label) for choice in question.choices
        ),
        optional=not question.required,
        to_user=Person(id=user),
        current_answer=current_answer,
    )


def _notice(template: str, tone: Tone = Tone.INFO, **params: Param) -> Notice:
    return Notice(template=template, params=params, tone=tone)


def _start(state: DialogueState, event: Start) -> Step:
    project = " ".join(event.project.split())[:MAX_PROJECT_CHARS]
    intake = state.intake
    if intake is not None and intake.status is IntakeStatus.OPEN:
        place = state.place or _join(intake, event.user)
        replies: list[Reply] = [_notice(msg.INTAKE_ALREADY_OPEN, project=intake.project)]
        return state.model_copy(update={"place": place}), replies + _prompt(intake, place)
    unnamed = _unnamed(event)
    if unnamed is not None:
        return state, unnamed
    intake = Intake(project=project, started_by=event.user, started_at=event.at)
    place = Place(user=event.user, current=CATALOG[0].id, intake_started_at=event.at)
    started = _notice(msg.INTAKE_STARTED, project=project, user=Person(id=event.user))
    return DialogueState(intake=intake, place=place), [started, ask(CATALOG[0].id, event.user)]


def _join(intake: Intake, user: str) -> Place:
    """A newcomer's place: the thread's open question, so a reply answers what they can see."""
    return Place(
        user=user, current=next_question(intake, None), intake_started_at=intake.started_at
    )


def _prompt(intake: Intake, place: Place) -> list[Reply]:
    """Ask the person's current question, showing any answer it already has."""
    if place.current is None:
        return [_notice(msg.ALL_ANSWERED)]
    record = used_answer(intake, place.current)
    return [ask(place.current, place.user, record.text if record else None)]


def _open_intake(state: DialogueState) -> Intake | list[Reply]:
    """The intake an event can act on, or the reply that says why there is none."""
    if state.intake is None:
        return [_notice(msg.NO_INTAKE)]
    if state.intake.status is IntakeStatus.CANCELLED:
        return [_notice(msg.INTAKE_IS_CANCELLED)]
    return state.intake


def _text(state: DialogueState, event: Text) -> Step:
    intake = _open_intake(state)
    if not isinstance(intake, Intake):
        return state, intake
    if len(event.text) > MAX_ANSWER_CHARS:
        return state, [
            _notice(
                msg.TOO_LONG + " " + msg.REASK_EXPECTED,
                Tone.PROBLEM,
                length=len(event.text),
                limit=MAX_ANSWER_CHARS,
                expected=msg.TOO_LONG_EXPECTED,
                example=msg.TOO_LONG_EXAMPLE,
            )
        ]
    place = state.place or _join(intake, event.user)
    word, _, argument = event.text.strip().partition(" ")
    word, argument = word.lower(), argument.strip()
    command = COMMANDS.get(word)
    if command is not None and command.accepts(argument):
        # A command leaves any half-read answer behind: after `edit`, `back` or `restart`
        # a reply must not finish a clarification the person no longer sees.
        place = place.model_copy(update={"pending": None}) if place.pending else place
        return command.run(Turn(intake=intake, place=place, argument=argument, event=event))
    if command is not None and command.missing is not None and not argument:
        # A bare `edit` or `owner` is a command missing its argument, never an answer.
        hint = _notice(command.missing, Tone.PROBLEM)
        return DialogueState(intake=intake, place=place), [hint, *_prompt(intake, place)]
    if place.current is not None and is_side_remark(event, QUESTIONS[place.current]):
        return state, []  # people talking to each other in the thread: not an answer
    greeting: list[Reply] = (
        [_notice(msg.INTAKE_JOINED, user=Person(id=event.user), project=intake.project)]
        if state.place is None
        else []
    )
    if place.current is None:
        return state.model_copy(update={"place": place}), [*greeting, _notice(msg.ALL_ANSWERED)]
    text = event.text
    if place.pending is not None and place.pending.question_id == place.current:
        text = _completed(place.pending, text)
    mentions = event.mentions if QUESTIONS[place.current].names_people else ()
    new_state, replies = _answer(intake, place, place.current, text, event.at, mentions=mentions)
    return new_state, greeting + replies


def _completed(pending: Pending, text: str) -> str:
    """The answer a reply to a clarifying question gives.

    One of the offered options ("per week") gives that option's whole answer.
    A reply with a figure of its own that reads alone ("40 GB a day") is a new
    answer. Otherwise the reply is the missing part, added to what was
    understood ("200 GB" + "weekly"; "500" + "an hour", which alone would
    read as one call an hour). What finishes nothing is read on its own.
    """
    typed = " ".join(text.split()).lower()
    for label, answer in pending.options:
        if typed == label.lower():
            return answer
    alone = isinstance(parse_answer(pending.question_id, text), Value)
    if alone and any(character.isdigit() for character in text):
        return text
    combined = f"{pending.text.strip()} {text.strip()}"
    if isinstance(parse_answer(pending.question_id, combined), Value):
        return combined
    return text


_SOCIAL = re.compile(
    r"(?i)^\W*(?:hi|hello|hey|hiya|morning|good (?:morning|afternoon|evening)|thanks|thank you"
    r"|thx|ty|cheers|great|cool|nice|awesome|perfect|lol|haha|\+1)\b[^\n]*$"
)
_SIDE_REMARK_MAX_WORDS = 4


def is_side_remark(event: Text, question: Question) -> bool:
    """Whether a message in an intake's thread is people talking, not an answer to `question`.

    Two kinds, both left unanswered so the thread is not filled with re-asks:
    a short greeting or thanks ("hi all", "thanks!", "great, thx"), and a
    message that starts by mentioning someone (the bot's own mention is
    removed by the front end), which is addressed to that person. A question
    whose answers name people (`names_people`) takes the second kind as an
    answer ("@maria, the fraud team").
    """
    text = event.text.strip()
    if len(text.split()) <= _SIDE_REMARK_MAX_WORDS and _SOCIAL.match(text):
        return True
    return not question.names_people and any(
        text.startswith(f"@{person.label}") for person in event.mentions
    )


def _choose(state: DialogueState, event: Choose) -> Step:
    intake = _open_intake(state)
    if not isinstance(intake, Intake):
        return state, intake
    if event.question_id not in QUESTIONS:
        return state, [_notice(msg.UNKNOWN_CHOICE, Tone.PROBLEM, value=event.question_id)]
    place = state.place or _join(intake, event.user)
    return _answer(intake, place, event.question_id, event.value, event.at)


def _answer(
    intake: Intake,
    place: Place,
    question_id: str,
    text: str,
    at: datetime,
    *,
    mentions: tuple[Person, ...] = (),
) -> Step:
    """Validate and record one answer, then move the person on."""
    if intake.answer_count >= MAX_ANSWERS:
        full = _notice(msg.TOO_MANY_ANSWERS, Tone.PROBLEM, limit=MAX_ANSWERS)
        return DialogueState(intake=intake, place=place), [full]
    parsed = parse_answer(question_id, text)
    if isinstance(parsed, Unclear):  # before ParseError: a clarification is a kind of it
        return _clarify(intake, place, question_id, text, parsed)
    if isinstance(parsed, ParseError):
        reask = Reask(
            question_id=question_id,
            quoted=text.strip(),
            problem=parsed.problem,
            expected=parsed.expected,
            example=parsed.example,
            to_user=Person(id=place.user),
        )
        return DialogueState(intake=intake, place=place), [reask]
    record = AnswerRecord(
        question_id=question_id, text=text.strip(), by=place.user, at=at, mentions=mentions
    )
    intake = with_answer(intake, record)
    if place.pending is not None and place.pending.question_id == question_id:
        place = place.model_copy(update={"pending": None})
    others = [other.by for other in conflicting(intake, question_id) if other.by != place.user]
    return _advance(intake, place, question_id, [_saved(question_id, parsed, others)], at)


def _clarify(intake: Intake, place: Place, question_id: str, text: str, unclear: Unclear) -> Step:
    """Ask only for the part of an answer that is missing, and wait for it."""
    options = tuple((option.label, option.answer) for option in unclear.options)
    pending = Pending(question_id=question_id, text=text.strip(), options=options)
    clarify = Clarify(
        question_id=question_id,
        quoted=text.strip(),
        ask=unclear.ask,
        options=tuple(ChoiceButton(id=answer, label=label) for label, answer in options),
        to_user=Person(id=place.user),
    )
    return DialogueState(intake=intake, place=place.model_copy(update={"pending": pending})), [
        clarify
    ]


def _saved(question_id: str, value: Value, others: list[str]) -> Notice:
    """Say back what the answer was read as, so a misreading is seen (and edited) at once.

    A range or a hedge read the stricter way says so; people who answered
    differently are named, each as a mention.
    """
    title = QUESTIONS[question_id].title
    understood = reading(value)
    note = msg.SAVED_NOTE.format(note=value.note.rstrip(".")) if value.note else ""
    if not others:
        return _notice(msg.SAVED, Tone.SAVED, question=title, value=understood, note=note)
    people = Joined(items=tuple(Person(id=user) for user in others))
    return _notice(
        msg.SAVED_CONFLICT, Tone.SAVED, question=title, value=understood, note=note, others=people
    )


def _advance(intake: Intake, place: Place, after: str, replies: list[Reply], at: datetime) -> Step:
    """Move to the next open question, or produce the summary when none is left."""
    following = next_question(intake, after)
    if following is not None and place.current not in (None, after):
        # A click on another question's button: the person's own question is still theirs.
        return DialogueState(intake=intake, place=place), [*replies, *_prompt(intake, place)]
    history = (*place.history, after) if place.current == after else place.history
    moved = place.model_copy(update={"current": following, "history": history})
    if following is not None:
        return DialogueState(intake=intake, place=moved), [*replies, ask(following, place.user)]
    intake, summary_replies = _summary(intake, at)
    return DialogueState(intake=intake, place=moved), replies + summary_replies


def _summary(intake: Intake, at: datetime) -> tuple[Intake, list[Reply]]:
    """The summary reply; the first one is kept as the baseline for the scope-creep guard."""
    summary = summarise(intake, at)
    if summary is None:
        # Only the decision's inputs hold the card back; other open questions are listed on it.
        missing_ids = typed_answers(intake).missing_for_decision()
        missing = [question.title for question in CATALOG if question.id in missing_ids]
        return intake, [_notice(msg.NOT_READY, missing=", ".join(missing))]
    if intake.baseline is None:
        intake = intake.model_copy(update={"baseline": baseline_of(summary), "completed_at": at})
    return intake, [SummaryReply(summary=summary)]


@dataclass(frozen=True, slots=True)
class Turn:
    """What a command works on: the open intake, the person's place, what followed its name."""

    intake: Intake
    place: Place
    argument: str
    event: Text

    @property
    def at(self) -> datetime:
        """When the command was given."""
        return self.event.at

    def unchanged(self, *replies: Reply) -> Step:
        """The state as it was, with these replies."""
        return DialogueState(intake=self.intake, place=self.place), list(replies)


def _help(turn: Turn) -> Step:
    return turn.unchanged(_notice(msg.HELP), *_prompt(turn.intake, turn.place))


def _status(turn: Turn) -> Step:
    intake, place = turn.intake, turn.place
    answered = sum(1 for q in CATALOG if used_answer(intake, q.id))
    lines = [
        _notice(msg.STATUS_HEADER, project=intake.project, answered=answered, total=len(CATALOG))
    ]
    for number, question in enumerate(CATALOG, start=1):
        lines.append(_status_line(intake, number, question.id))
    if intake.owner:
        lines.append(_notice(msg.STATUS_OWNER, owner=intake.owner))
    else:
        lines.append(_notice(msg.STATUS_NO_OWNER))
    if place.current is not None:
        current = QUESTIONS[place.current]
        lines.append(
            _notice(
                msg.STATUS_YOUR_QUESTION,
                n=question_number(current.id),
                question=current.title,
            )
        )
    return turn.unchanged(*lines)


def _status_line(intake: Intake, number: int, question_id: str) -> Notice:
    """One question's line of the status: its answer and any conflict, or why it has none."""
    title = QUESTIONS[question_id].title
    record = used_answer(intake, question_id)
    if record is None:
        skipped = question_id in intake.skipped
        template = msg.STATUS_LINE_SKIPPED if skipped else msg.STATUS_LINE_MISSING
        return _notice(template, n=number, question=title)
    disagreeing = conflicting(intake, question_id)
    if not disagreeing:
        return _notice(msg.STATUS_LINE_ANSWERED, n=number, question=title, value=record.text)
    answers = Joined(items=tuple(r.text for r in disagreeing), last=" / ", between=" / ")
    return _notice(
        msg.STATUS_LINE_CONFLICT, n=number, question=title, value=record.text, answers=answers
    )


def _back(turn: Turn) -> Step:
    place = turn.place
    if not place.history:
        return turn.unchanged(_notice(msg.NOTHING_TO_GO_BACK_TO), *_prompt(turn.intake, place))
    previous = place.history[-1]
    moved = place.model_copy(update={"current": previous, "history": place.history[:-1]})
    return DialogueState(intake=turn.intake, place=moved), _prompt(turn.intake, moved)


def _skip(turn: Turn) -> Step:
    intake, place = turn.intake, turn.place
    current = place.current
    if current is None:
        return turn.unchanged(_notice(msg.ALL_ANSWERED))
    question = QUESTIONS[current]
    if question.required:
        return turn.unchanged(
            _notice(msg.CANNOT_SKIP, Tone.PROBLEM, question=question.title),
            *_prompt(intake, place),
        )
    if current not in intake.skipped:
        intake = intake.model_copy(update={"skipped": (*intake.skipped, current)})
    return _advance(
        intake, place, current, [_notice(msg.SKIPPED, question=question.title)], turn.at
    )


def _edit(turn: Turn) -> Step:
    place = turn.place
    question = find_question(turn.argument)
    if question is None:
        return turn.unchanged(
            _notice(
                msg.UNKNOWN_QUESTION,
                Tone.PROBLEM,
                ref=turn.argument,
                count=len(CATALOG),
                ids=", ".join(QUESTIONS),
            )
        )
    history = (*place.history, place.current) if place.current else place.history
    moved = place.model_copy(update={"current": question.id, "history": history})
    return DialogueState(intake=turn.intake, place=moved), _prompt(turn.intake, moved)


def _restart(turn: Turn) -> Step:
    moved = turn.place.model_copy(update={"current": CATALOG[0].id, "history": ()})
    return DialogueState(intake=turn.intake, place=moved), [
        _notice(msg.RESTARTED),
        *_prompt(turn.intake, moved),
    ]


def _refused_unless_in_charge(turn: Turn, template: str) -> Step | None:
    """Refuse, naming who may, unless the person started the intake or owns it."""
    intake = turn.intake
    if turn.place.user in {intake.started_by, owner_id(intake.owner)}:
        return None
    allowed: tuple[str | Person, ...] = (Person(id=intake.started_by),)
    if intake.owner:
        allowed += (intake.owner,)
    return turn.unchanged(
        _notice(template, Tone.PROBLEM, allowed=Joined(items=allowed, last=msg.OR))
    )


def _cancel(turn: Turn) -> Step:
    refused = _refused_unless_in_charge(turn, msg.CANCEL_NOT_ALLOWED)
    if refused is not None:
        return refused
    intake = turn.intake
    cancelled = intake.model_copy(update={"status": IntakeStatus.CANCELLED})
    return DialogueState(intake=cancelled, place=turn.place), [
        _notice(msg.INTAKE_CANCELLED, project=intake.project, user=Person(id=turn.place.user))
    ]


def _summary_command(turn: Turn) -> Step:
    intake, replies = _summary(turn.intake, turn.at)
    return DialogueState(intake=intake, place=turn.place), replies


def _owner(turn: Turn) -> Step:
    refused = _refused_unless_in_charge(turn, msg.OWNER_NOT_ALLOWED)
    if refused is not None:
        return refused
    owner: Owner = (
        turn.event.mentioned(turn.argument) or " ".join(turn.argument.split())[:MAX_PROJECT_CHARS]
    )
    updated = turn.intake.model_copy(update={"owner": owner})
    return DialogueState(intake=updated, place=turn.place), [
        _notice(msg.OWNER_SET, Tone.SAVED, owner=owner)
    ]


def _approve(turn: Turn) -> Step:
    return _decision(turn, approve=True)


def _reject(turn: Turn) -> Step:
    return _decision(turn, approve=False)


def _decision(turn: Turn, *, approve: bool) -> Step:
    """The owner's Approve or Reject of a scope-change warning (`approve 2`, or a button)."""
    intake, replies = decide(turn.intake, turn.place.user, turn.argument, approve, turn.at)
    return DialogueState(intake=intake, place=turn.place), replies


def _history(turn: Turn) -> Step:
    page = int(turn.argument) if turn.argument else 1
    return turn.unchanged(HistoryRequest(page=max(page, 1)))


def _export(turn: Turn) -> Step:
    return turn.unchanged(RecordRequest())


def _remind(turn: Turn) -> Step:
    """`remind off` / `remind on`: this intake's reminders, for everyone in its thread."""
    off = turn.argument.lower() == "off"
    intake = turn.intake.model_copy(update={"reminders_off": off})
    notice = _notice(msg.REMIND_OFF if off else msg.REMIND_ON, Tone.SAVED)
    return DialogueState(intake=intake, place=turn.place), [notice]


def _on_or_off(argument: str) -> bool:
    return argument.lower() in ("on", "off")


def _no_argument(argument: str) -> bool:
    return not argument


def _number_or_nothing(argument: str) -> bool:
    """Nothing, or a number in ASCII digits (`isdigit` also takes "²", which `int` refuses)."""
    return not argument or _SMALL_NUMBER.fullmatch(argument) is not None


_SMALL_NUMBER = re.compile(r"[0-9]{1,6}")


_ONE_PERSON = re.compile(r"[^,;&]+", re.IGNORECASE)
_MAX_NAME_WORDS = 3


def _one_person(argument: str) -> bool:
    """A mention or a short name: no list of people ("Maria and the ops team")."""
    words = argument.split()
    return (
        0 < len(words) <= _MAX_NAME_WORDS
        and "and" not in (word.lower() for word in words)
        and _ONE_PERSON.fullmatch(argument) is not None
    )


@dataclass(frozen=True, slots=True)
class Command:
    """A word a person can type instead of an answer.

    `accepts` says what may follow the word: anything else is an answer, so a
    stakeholders answer such as "owner Maria and the ops team" is kept as typed.
    `missing` is the hint for a command typed bare that needs an argument.
    """

    run: Callable[[Turn], Step]
    accepts: Callable[[str], bool] = _no_argument
    missing: str | None = None


COMMANDS: dict[str, Command] = {
    "help": Command(_help),
    "status": Command(_status),
    "back": Command(_back),
    "skip": Command(_skip),
    "edit": Command(_edit, accepts=bool, missing=msg.EDIT_NEEDS_REF),
    "restart": Command(_restart),
    "cancel": Command(_cancel),
    "summary": Command(_summary_command),
    "owner": Command(_owner, accepts=_one_person, missing=msg.OWNER_NEEDS_NAME),
    "approve": Command(_approve, accepts=_number_or_nothing),
    "reject": Command(_reject, accepts=_number_or_nothing),
    "history": Command(_history, accepts=_number_or_nothing),
    "export": Command(_export),
    "remind": Command(_remind, accepts=_on_or_off),
}

# Each handler takes its own event type; the table is keyed by that type.
_HANDLERS: dict[type, Callable[[DialogueState, Any], Step]] = {
    Start: _start,
    Text: _text,
    Choose: _choose,
}


def step(state: DialogueState, event: Event) -> Step:
    """Apply one event to the intake and the acting person's place; return both and the replies.

    Every step passes the scope-creep guard, so no front end and no command
    can change an answer after the baseline without the owner hearing of it.
    """
    before = _current_place(state)
    after, replies = _HANDLERS[type(event)](before, event)
    intake, warnings = guarded(before.intake, after.intake, event.user, event.at)
    if not warnings and intake is after.intake:
        return after, replies
    return after.model_copy(update={"intake": intake}), [*replies, *warnings]


def _current_place(state: DialogueState) -> DialogueState:
    """Forget a place from an earlier (cancelled) intake in the same thread: it points nowhere."""
    place, intake = state.place, state.intake
    if place is not None and intake is not None and not place.belongs_to(intake):
        return state.model_copy(update={"place": None})
    return state
