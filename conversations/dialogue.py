"""The dialogue as a pure function: step(state, event) -> (state, replies).

No I/O and no clock: the service loads the state, calls `step`, and saves
what comes back, so a retried step after a lost race gives the same result and
the whole conversation is testable without servers. Events dispatch through a
table, commands through another; no code here branches on a question id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from conversations import messages as msg
from conversations.answers import parse_answer
from conversations.events import MENTION, Choose, Event, Start, Text
from conversations.intake import (
    AnswerRecord,
    DialogueState,
    Intake,
    IntakeStatus,
    Place,
    conflicting,
    next_question,
    owner_user,
    summarise,
    typed_answers,
    used_answer,
)
from conversations.parsing import MAX_ANSWER_CHARS
from conversations.questions import CATALOG, QUESTIONS, find_question, question_number
from conversations.replies import (
    ChoiceButton,
    Mention,
    Notice,
    QuestionReply,
    Reask,
    Reply,
    SummaryReply,
    Tone,
)
from conversations.values import ParseError

Step = tuple[DialogueState, list[Reply]]
MAX_PROJECT_CHARS = 150


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
        to_user=user,
        current_answer=current_answer,
    )


def _notice(template: str, tone: Tone = Tone.INFO, **params: str | int | Mention) -> Notice:
    return Notice(template=template, params=params, tone=tone)


def _start(state: DialogueState, event: Start) -> Step:
    project = " ".join(event.project.split())[:MAX_PROJECT_CHARS]
    intake = state.intake
    if intake is not None and intake.status is IntakeStatus.OPEN:
        place = state.place or _join(intake, event.user)
        replies: list[Reply] = [_notice(msg.INTAKE_ALREADY_OPEN, project=intake.project)]
        return state.model_copy(update={"place": place}), replies + _prompt(intake, place)
    if not project:
        return state, [_notice(msg.NEED_PROJECT_NAME, Tone.PROBLEM)]
    intake = Intake(project=project, started_by=event.user, started_at=event.at)
    place = Place(user=event.user, current=CATALOG[0].id, intake_started_at=event.at)
    started = _notice(msg.INTAKE_STARTED, project=project, user=Mention(user=event.user))
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
    if command is not None and ARGUMENTS.get(word, _no_argument)(argument):
        return command(intake, place, argument, event.at)
    if word in TAKES_ARGUMENT and not argument:
        # A bare `edit` or `owner` is a command missing its argument, never an answer.
        hint = _notice(TAKES_ARGUMENT[word], Tone.PROBLEM)
        return DialogueState(intake=intake, place=place), [hint, *_prompt(intake, place)]
    greeting: list[Reply] = (
        [_notice(msg.INTAKE_JOINED, user=Mention(user=event.user), project=intake.project)]
        if state.place is None
        else []
    )
    if place.current is None:
        return state.model_copy(update={"place": place}), [*greeting, _notice(msg.ALL_ANSWERED)]
    new_state, replies = _answer(intake, place, place.current, event.text, event.at)
    return new_state, greeting + replies


def _choose(state: DialogueState, event: Choose) -> Step:
    intake = _open_intake(state)
    if not isinstance(intake, Intake):
        return state, intake
    if event.question_id not in QUESTIONS:
        return state, [_notice(msg.UNKNOWN_CHOICE, Tone.PROBLEM, value=event.question_id)]
    place = state.place or _join(intake, event.user)
    return _answer(intake, place, event.question_id, event.value, event.at)


def _answer(intake: Intake, place: Place, question_id: str, text: str, at: datetime) -> Step:
    """Validate and record one answer, then move the person on."""
    parsed = parse_answer(question_id, text)
    if isinstance(parsed, ParseError):
        reask = Reask(
            question_id=question_id,
            quoted=text.strip(),
            problem=parsed.problem,
            expected=parsed.expected,
            example=parsed.example,
            to_user=place.user,
        )
        return DialogueState(intake=intake, place=place), [reask]
    record = AnswerRecord(question_id=question_id, text=text.strip(), by=place.user, at=at)
    intake = intake.model_copy(
        update={
            "answers": (*intake.answers, record),
            "skipped": tuple(q for q in intake.skipped if q != question_id),
        }
    )
    others = [other.by for other in conflicting(intake, question_id) if other.by != place.user]
    title = QUESTIONS[question_id].title
    saved = (
        _conflict_notice(title, text.strip(), others)
        if others
        else _notice(msg.SAVED, Tone.SAVED, question=title, value=text.strip())
    )
    return _advance(intake, place, question_id, [saved], at)


def _conflict_notice(title: str, value: str, others: list[str]) -> Notice:
    """ "Saved; these people answered differently", each of them shown as a mention."""
    names = {f"other{index}": Mention(user=user) for index, user in enumerate(others)}
    template = msg.SAVED_CONFLICT.replace("{others}", ", ".join(f"{{{name}}}" for name in names))
    params: dict[str, str | int | Mention] = {"question": title, "value": value, **names}
    return Notice(template=template, params=params, tone=Tone.SAVED)


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
        intake = intake.model_copy(update={"baseline": summary})
    return intake, [SummaryReply(summary=summary)]


Command = Callable[[Intake, Place, str, datetime], Step]


def _help(intake: Intake, place: Place, argument: str, at: datetime) -> Step:
    del argument, at
    return DialogueState(intake=intake, place=place), [_notice(msg.HELP), *_prompt(intake, place)]


def _status(intake: Intake, place: Place, argument: str, at: datetime) -> Step:
    del argument, at
    lines = [msg.STATUS_HEADER]
    params: dict[str, str | int | Mention] = {
        "project": intake.project,
        "answered": sum(1 for q in CATALOG if used_answer(intake, q.id)),
        "total": len(CATALOG),
    }
    for number, question in enumerate(CATALOG, start=1):
        record = used_answer(intake, question.id)
        key = f"q{number}"
        params[f"{key}_title"] = question.title
        if record is not None:
            line = msg.STATUS_LINE_ANSWERED.replace("{question}", f"{{{key}_title}}")
            lines.append(line.replace("{value}", f"{{{key}_value}}").replace("{n}", str(number)))
            params[f"{key}_value"] = record.text
            disagreeing = conflicting(intake, question.id)
            if disagreeing:
                lines[-1] += msg.STATUS_CONFLICT.replace("{answers}", f"{{{key}_conflict}}")
                params[f"{key}_conflict"] = " / ".join(r.text for r in disagreeing)
        else:
            template = (
                msg.STATUS_LINE_SKIPPED
                if question.id in intake.skipped
                else msg.STATUS_LINE_MISSING
            )
            lines.append(
                template.replace("{question}", f"{{{key}_title}}").replace("{n}", str(number))
            )
    if intake.owner:
        lines.append(msg.STATUS_OWNER)
        params["owner"] = _person(intake.owner)
    else:
        lines.append(msg.STATUS_NO_OWNER)
    if place.current is not None:
        lines.append(
            msg.STATUS_YOUR_QUESTION.replace("{n}", str(question_number(place.current))).replace(
                "{question}", "{current_title}"
            )
        )
        params["current_title"] = QUESTIONS[place.current].title
    return DialogueState(intake=intake, place=place), [
        Notice(template="\n".join(lines), params=params)
    ]


def _person(typed: str) -> str | Mention:
    """An owner typed as a mention (`events.MENTION`) becomes a Mention; anything else stays text."""
    match = MENTION.fullmatch(typed.strip())
    return Mention(user=match.group("id")) if match else typed


def _back(intake: Intake, place: Place, argument: str, at: datetime) -> Step:
    del argument, at
    if not place.history:
        return DialogueState(intake=intake, place=place), [
            _notice(msg.NOTHING_TO_GO_BACK_TO),
            *_prompt(intake, place),
        ]
    previous = place.history[-1]
    moved = place.model_copy(update={"current": previous, "history": place.history[:-1]})
    return DialogueState(intake=intake, place=moved), _prompt(intake, moved)


def _skip(intake: Intake, place: Place, argument: str, at: datetime) -> Step:
    del argument
    current = place.current
    if current is None:
        return DialogueState(intake=intake, place=place), [_notice(msg.ALL_ANSWERED)]
    question = QUESTIONS[current]
    if question.required:
        return DialogueState(intake=intake, place=place), [
            _notice(msg.CANNOT_SKIP, Tone.PROBLEM, question=question.title),
            *_prompt(intake, place),
        ]
    if current not in intake.skipped:
        intake = intake.model_copy(update={"skipped": (*intake.skipped, current)})
    return _advance(intake, place, current, [_notice(msg.SKIPPED, question=question.title)], at)


def _edit(intake: Intake, place: Place, argument: str, at: datetime) -> Step:
    del at
    question = find_question(argument)
    if question is None:
        return DialogueState(intake=intake, place=place), [
            _notice(
                msg.UNKNOWN_QUESTION,
                Tone.PROBLEM,
                ref=argument,
                count=len(CATALOG),
                ids=", ".join(QUESTIONS),
            )
        ]
    history = (*place.history, place.current) if place.current else place.history
    moved = place.model_copy(update={"current": question.id, "history": history})
    return DialogueState(intake=intake, place=moved), _prompt(intake, moved)


def _restart(intake: Intake, place: Place, argument: str, at: datetime) -> Step:
    del argument, at
    moved = place.model_copy(update={"current": CATALOG[0].id, "history": ()})
    return DialogueState(intake=intake, place=moved), [
        _notice(msg.RESTARTED),
        *_prompt(intake, moved),
    ]


def _unless_in_charge(intake: Intake, place: Place, template: str) -> Step | None:
    """Refuse, naming who may, unless the person started the intake or owns it."""
    if place.user in {intake.started_by, owner_user(intake.owner)}:
        return None
    names = " or ".join(["{starter}", "{owner}"] if intake.owner else ["{starter}"])
    params: dict[str, str | int | Mention] = {"starter": Mention(user=intake.started_by)}
    if intake.owner:
        params["owner"] = _person(intake.owner)
    notice = Notice(template=template.replace("{allowed}", names), params=params, tone=Tone.PROBLEM)
    return DialogueState(intake=intake, place=place), [notice]


def _cancel(intake: Intake, place: Place, argument: str, at: datetime) -> Step:
    del argument, at
    refused = _unless_in_charge(intake, place, msg.CANCEL_NOT_ALLOWED)
    if refused is not None:
        return refused
    cancelled = intake.model_copy(update={"status": IntakeStatus.CANCELLED})
    return DialogueState(intake=cancelled, place=place), [
        _notice(msg.INTAKE_CANCELLED, project=intake.project, user=Mention(user=place.user))
    ]


def _summary_command(intake: Intake, place: Place, argument: str, at: datetime) -> Step:
    del argument
    intake, replies = _summary(intake, at)
    return DialogueState(intake=intake, place=place), replies


def _owner(intake: Intake, place: Place, argument: str, at: datetime) -> Step:
    del at
    refused = _unless_in_charge(intake, place, msg.OWNER_NOT_ALLOWED)
    if refused is not None:
        return refused
    owner = " ".join(argument.split())[:MAX_PROJECT_CHARS]
    updated = intake.model_copy(update={"owner": owner})
    return DialogueState(intake=updated, place=place), [
        _notice(msg.OWNER_SET, Tone.SAVED, owner=_person(owner))
    ]


COMMANDS: dict[str, Command] = {
    "help": _help,
    "status": _status,
    "back": _back,
    "skip": _skip,
    "edit": _edit,
    "restart": _restart,
    "cancel": _cancel,
    "summary": _summary_command,
    "owner": _owner,
}
# Commands that need an argument, with the hint shown when it is missing.
TAKES_ARGUMENT: dict[str, str] = {"edit": msg.EDIT_NEEDS_REF, "owner": msg.OWNER_NEEDS_NAME}


def _no_argument(argument: str) -> bool:
    return not argument


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


# What each command accepts after its name; anything else is an answer, so a stakeholders
# answer such as "owner Maria and the ops team" is kept as typed, not read as a command.
ARGUMENTS: dict[str, Callable[[str], bool]] = {"edit": bool, "owner": _one_person}

# Each handler takes its own event type; the table is keyed by that type.
_HANDLERS: dict[type, Callable[[DialogueState, Any], Step]] = {
    Start: _start,
    Text: _text,
    Choose: _choose,
}


def step(state: DialogueState, event: Event) -> Step:
    """Apply one event to the intake and the acting person's place; return both and the replies."""
    return _HANDLERS[type(event)](_current_place(state), event)


def _current_place(state: DialogueState) -> DialogueState:
    """Forget a place from an earlier (cancelled) intake in the same thread: it points nowhere."""
    place, intake = state.place, state.intake
    if place is not None and intake is not None and not place.belongs_to(intake):
        return state.model_copy(update={"place": None})
    return state
