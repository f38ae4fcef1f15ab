"""Scripted dialogues over the pure `step`: answers, commands, re-asks, people and summaries."""

from __future__ import annotations

import html

import pytest

from conversations import messages as msg
from conversations.answers import parse_answer
from conversations.dialogue import opening, step
from conversations.events import Start, Text
from conversations.intake import MAX_ANSWERS, DialogueState, IntakeStatus
from conversations.parsing import MAX_ANSWER_CHARS
from conversations.people import Person
from conversations.questions import CATALOG
from conversations.replies import Clarify, Joined, Notice, QuestionReply, Reask, Tone
from conversations.summary import baseline_of
from conversations.values import Value
from testkit.answers import DECISION_ANSWERS, HAPPY_ANSWERS
from tests.conversations.flow import (
    BASE_TIME,
    Flow,
    plain,
)

ALL_BUT_MODEL = {qid: text for qid, text in HAPPY_ANSWERS.items() if qid != "model"}

# --- starting ------------------------------------------------------------------------------


def test_start_announces_the_intake_and_asks_the_first_question() -> None:
    """A start names the project and its starter and asks question 1 of all of them."""
    flow = Flow("Churn model", starter="alice")
    flow.expect(notice=msg.INTAKE_STARTED, question="volume")
    started = flow.find_notice(msg.INTAKE_STARTED)
    assert started.params == {"project": "Churn model", "user": Person(id="alice")}
    first = flow.replies[-1]
    assert isinstance(first, QuestionReply)
    assert (first.number, first.total) == (1, len(CATALOG))
    assert flow.record.started_by == "alice"
    assert flow.record.answers == ()


def test_start_without_a_project_name_asks_for_one() -> None:
    """A start with a blank name creates nothing and says how to name the project."""
    flow = Flow(None).start("   ")
    flow.expect(notice=msg.NEED_PROJECT_NAME)
    assert flow.intake is None


def test_start_squeezes_whitespace_in_the_project_name() -> None:
    """The project name is stored with its runs of spaces and new lines squeezed."""
    flow = Flow(" Churn \n  model ")
    assert flow.record.project == "Churn model"


def test_start_in_an_open_intake_carries_on_where_the_person_was() -> None:
    """A second start keeps the intake and re-asks the person's own current question."""
    flow = Flow().answer({"volume": "40 GB a day"})
    flow.start("Another name").expect(
        notice=msg.INTAKE_ALREADY_OPEN, question="stakeholders", unchanged=True
    )
    assert flow.record.project == "Churn model"


def test_text_and_choice_without_an_intake_say_how_to_start() -> None:
    """Before any start, a message or a click only explains how to start; nothing is created."""
    flow = Flow(None).send("40 GB a day").expect(notice=msg.NO_INTAKE)
    assert flow.intake is None
    flow.choose("churn", "never").expect(notice=msg.NO_INTAKE)
    assert flow.intake is None


# --- the happy path ------------------------------------------------------------------------


def test_happy_path_answers_every_question_and_ends_with_the_summary() -> None:
    """Each answer is saved and the next question asked; the last one brings the summary."""
    flow = Flow()
    ids = list(HAPPY_ANSWERS)
    for index, (question_id, text) in enumerate(HAPPY_ANSWERS.items()):
        assert flow.place().current == question_id
        flow.send(text).expect(saved=text)
        if index + 1 < len(ids):
            flow.expect(question=ids[index + 1], summary=False)
    flow.expect(summary=True)
    summary = flow.summary
    assert summary.project == "Churn model"
    assert summary.assessment.strategy == "rest_api"
    assert [(line.question_id, line.text, line.by) for line in summary.answers] == [
        (qid, text, "alice") for qid, text in HAPPY_ANSWERS.items()
    ]
    assert summary.conflicts == ()
    assert summary.open_questions == ()
    assert flow.place().current is None
    assert flow.place().history == tuple(ids)


def test_message_after_everything_is_answered_points_to_summary_and_edit() -> None:
    """Once every question is resolved, free text is not stored anywhere."""
    flow = Flow().answer(HAPPY_ANSWERS)
    flow.send("one more thing").expect(notice=msg.ALL_ANSWERED, unchanged=True)


# --- commands ------------------------------------------------------------------------------


def test_help_lists_the_commands_and_asks_the_current_question_again() -> None:
    """`help` explains every command and repeats the person's question."""
    flow = Flow().send("help").expect(notice=msg.HELP, question="volume", unchanged=True)
    for command in ("status", "back", "skip", "edit", "owner", "summary", "restart", "cancel"):
        assert f"`{command}" in msg.HELP
    assert flow.place().current == "volume"


def test_commands_are_recognised_in_any_case_and_with_spaces_around() -> None:
    """`  HELP ` is the help command, not an answer."""
    Flow().send("  HELP ").expect(notice=msg.HELP, unchanged=True)


def test_command_word_followed_by_more_text_is_an_answer() -> None:
    """ "back office, finance" answers the stakeholders question instead of running `back`."""
    flow = Flow().answer({"volume": "40 GB a day"})
    flow.send("back office, finance").expect(saved="back office, finance", question="churn")


def test_status_lists_answered_missing_and_skipped_questions_and_the_owner() -> None:
    """`status` counts answers and shows each question's answer, skip or absence."""
    flow = Flow().answer({"volume": "40 GB a day", "model": "unknown"})
    flow.send("edit model").send("skip").send("owner maria").send("status")
    flow.expect(unchanged=True)
    lines = flow.notices_text().splitlines()
    assert lines[0] == "**Churn model**: 2 of 9 answered."
    assert "1. Data volume: 40 GB a day" in lines
    assert "2. Stakeholders: not answered" in lines
    assert "9. Model type: unknown" in lines
    assert "Owner: maria" in lines
    assert lines[-1] == "Your current question: 2. Stakeholders"


def test_status_marks_a_skipped_question_and_a_missing_owner() -> None:
    """A skipped optional question reads "skipped"; no owner reads "nobody yet"."""
    flow = Flow().send("edit model").send("skip").send("status")
    lines = flow.notices_text().splitlines()
    assert "9. Model type: skipped" in lines
    assert "Owner: nobody yet (`owner <name>`)" in lines


def test_status_shows_conflicting_answers() -> None:
    """`status` flags a question that people answered differently."""
    flow = Flow().answer({"volume": "40 GB a day"})
    flow.answer({"volume": "2 TB a day"}, user="bob")
    lines = flow.send("status").notices_text().splitlines()
    assert "1. Data volume: 2 TB a day (conflict: 40 GB a day / 2 TB a day)" in lines


def test_status_keeps_typed_text_out_of_the_template() -> None:
    """Answers with braces are shown as typed, never interpreted as template fields."""
    flow = Flow().answer({"stakeholders": "{project}, finance"})
    flow.send("status").expect(notice=msg.STATUS_HEADER)
    assert "2. Stakeholders: {project}, finance" in flow.notices_text().splitlines()
    (line,) = [r for r in flow.replies if isinstance(r, Notice) and "value" in r.params]
    assert line.template == msg.STATUS_LINE_ANSWERED
    assert line.params["value"] == "{project}, finance"


def test_back_returns_to_the_previous_question_showing_its_answer() -> None:
    """`back` walks the person's own history and shows the answer the question has."""
    flow = Flow().answer({"volume": "40 GB a day", "stakeholders": "finance"})
    flow.send("back").expect(question="stakeholders", unchanged=True)
    asked = flow.replies[-1]
    assert isinstance(asked, QuestionReply)
    assert asked.current_answer == "finance"
    flow.send("back").expect(question="volume")
    assert flow.place().history == ()


def test_back_at_the_first_question_has_nowhere_to_go() -> None:
    """`back` with no history says so and asks the same question."""
    Flow().send("back").expect(notice=msg.NOTHING_TO_GO_BACK_TO, question="volume", unchanged=True)


def test_answer_after_back_replaces_the_answer_and_moves_on() -> None:
    """Answering a question reached with `back` records the new answer as the one used."""
    flow = Flow().answer({"volume": "40 GB a day"}).send("back")
    flow.send("2 TB a day").expect(saved="2 TB a day", question="stakeholders")
    flow.answer({k: v for k, v in DECISION_ANSWERS.items() if k != "volume"}).send("summary")
    assert flow.summary.answers[0].text == "2 TB a day"
    assert flow.summary.conflicts == ()


def test_skip_an_optional_question_records_the_skip_and_moves_on() -> None:
    """`skip` on the optional model question skips it and, as the last open one, brings the summary."""
    flow = Flow().answer(ALL_BUT_MODEL)
    assert flow.place().current == "model"
    flow.send("skip").expect(notice=msg.SKIPPED, summary=True)
    assert flow.record.skipped == ("model",)
    assert flow.summary.open_questions == ()
    assert [line.question_id for line in flow.summary.answers] == list(ALL_BUT_MODEL)


def test_skip_a_required_question_is_refused() -> None:
    """`skip` on a required question says why it can't and asks it again."""
    flow = Flow().send("skip")
    flow.expect(notice=msg.CANNOT_SKIP, question="volume", unchanged=True)
    assert flow.find_notice(msg.CANNOT_SKIP).tone is Tone.PROBLEM
    assert flow.record.skipped == ()


def test_an_answer_to_a_skipped_question_unskips_it() -> None:
    """Answering a question someone skipped takes it off the skipped list."""
    flow = Flow().send("edit model").send("skip")
    assert flow.record.skipped == ("model",)
    flow.answer({"model": "unknown"})
    assert "model" not in flow.record.skipped


@pytest.mark.parametrize(("ref", "question_id"), [("7", "sla"), ("sla", "sla"), ("SLA", "sla")])
def test_edit_by_number_or_id_asks_that_question_with_its_answer(
    ref: str, question_id: str
) -> None:
    """`edit 7` and `edit sla` both reach the SLA question and show its current answer."""
    flow = Flow().answer({"volume": "40 GB a day", "sla": "under 50 ms"})
    flow.send(f"edit {ref}").expect(question=question_id, unchanged=True)
    asked = flow.replies[-1]
    assert isinstance(asked, QuestionReply)
    assert asked.current_answer == "under 50 ms"


def test_edit_then_answer_replaces_the_answer_used() -> None:
    """A new answer after `edit` becomes the used one; the record keeps the latest, and counts both."""
    flow = Flow().answer(DECISION_ANSWERS)
    flow.send("edit 1").send("2 TB a day").expect(saved="2 TB a day")
    assert flow.texts("volume") == [("alice", "2 TB a day")]
    assert flow.record.answer_count == len(DECISION_ANSWERS) + 1
    flow.send("summary")
    assert flow.summary.answers[0].text == "2 TB a day"
    assert flow.summary.conflicts == ()


@pytest.mark.parametrize("ref", ["0", "10", "speed"])
def test_edit_of_an_unknown_question_lists_the_valid_ones(ref: str) -> None:
    """`edit` with a number out of range or an unknown id names what would work."""
    flow = Flow().send(f"edit {ref}").expect(notice=msg.UNKNOWN_QUESTION, unchanged=True)
    text = flow.notice_text(msg.UNKNOWN_QUESTION)
    assert f"'{ref}'" in text
    assert "1 to 9" in text
    assert "volume, stakeholders" in text
    assert flow.place().current == "volume"


def test_bare_edit_asks_which_answer_and_stores_nothing() -> None:
    """`edit` without a question is a command missing its argument, not an answer."""
    flow = Flow().answer({"volume": "40 GB a day"})
    flow.send("edit").expect(notice=msg.EDIT_NEEDS_REF, question="stakeholders", unchanged=True)


def test_restart_goes_back_to_the_first_question_keeping_answers() -> None:
    """`restart` moves the person to question 1 and clears their history, not the record."""
    flow = Flow().answer({"volume": "40 GB a day", "stakeholders": "finance"})
    flow.send("restart").expect(notice=msg.RESTARTED, question="volume", unchanged=True)
    assert flow.place().history == ()
    assert len(flow.record.answers) == 2


def test_owner_sets_the_owner_as_a_mention_or_a_name() -> None:
    """`owner @Maria` naming a mentioned user makes that person owner; `owner maria` a plain name."""
    maria = Person(id="U0MARIA", name="Maria")
    flow = Flow().send("owner @Maria", mentions=(maria,)).expect(notice=msg.OWNER_SET)
    assert flow.record.owner == maria
    assert flow.find_notice(msg.OWNER_SET).params == {"owner": maria}
    flow.send("owner   Maria   Lopez").expect(notice=msg.OWNER_SET)
    assert flow.record.owner == "Maria Lopez"
    assert flow.find_notice(msg.OWNER_SET).params == {"owner": "Maria Lopez"}


def test_an_answer_that_starts_with_owner_is_kept_as_an_answer() -> None:
    """ "owner Maria and the ops team" answers the stakeholders question; it names nobody owner."""
    flow = Flow().answer({"volume": "40 GB a day"})
    flow.send("owner Maria and the ops team").expect(
        saved="owner Maria and the ops team", question="churn"
    )
    assert flow.record.owner is None
    assert flow.texts("stakeholders") == [("alice", "owner Maria and the ops team")]


def test_only_the_starter_or_the_owner_can_name_the_owner() -> None:
    """Anyone else asking to be owner is refused, naming who may; the owner stays as it was."""
    flow = Flow().answer({"volume": "40 GB a day"})
    flow.send("owner bob", user="bob").expect(notice=msg.OWNER_NOT_ALLOWED.split("{")[0])
    assert flow.record.owner is None
    flow.send("owner bob").expect(notice=msg.OWNER_SET)
    flow.send("owner carol", user="bob").expect(notice=msg.OWNER_SET)
    assert flow.record.owner == "carol"


def test_bare_owner_asks_for_a_name_and_stores_nothing() -> None:
    """`owner` without a name asks for one; it is never saved as an answer."""
    flow = Flow().answer({"volume": "40 GB a day"})
    flow.send("owner").expect(notice=msg.OWNER_NEEDS_NAME, question="stakeholders", unchanged=True)
    assert flow.record.owner is None


def test_cancel_by_the_starter_closes_the_intake() -> None:
    """The starter can cancel; afterwards messages and clicks are refused."""
    flow = Flow(starter="alice").send("cancel").expect(notice=msg.INTAKE_CANCELLED)
    assert flow.record.status is IntakeStatus.CANCELLED
    flow.send("40 GB a day").expect(notice=msg.INTAKE_IS_CANCELLED, unchanged=True)
    flow.send("status", user="bob").expect(notice=msg.INTAKE_IS_CANCELLED, unchanged=True)
    flow.choose("churn", "never").expect(notice=msg.INTAKE_IS_CANCELLED, unchanged=True)


def test_cancel_by_the_owner_closes_the_intake() -> None:
    """The named owner (a chat mention) can cancel an intake somebody else started."""
    flow = Flow(starter="alice").send(
        "owner @maria", mentions=(Person(id="U0MARIA", name="maria"),)
    )
    flow.send("cancel", user="U0MARIA").expect(notice=msg.INTAKE_CANCELLED)
    assert flow.record.status is IntakeStatus.CANCELLED
    assert flow.find_notice(msg.INTAKE_CANCELLED).params["user"] == Person(id="U0MARIA")


def test_cancel_by_anybody_else_is_refused_naming_who_may() -> None:
    """Someone who is neither starter nor owner cannot cancel; the reply names both."""
    flow = Flow(starter="alice").send("cancel", user="bob").expect(unchanged=True)
    refused = flow.find_notice("Only ")
    assert refused.tone is Tone.PROBLEM
    assert plain(refused) == "Only alice can cancel this intake."
    flow.send("owner @U0MARIA", mentions=(Person(id="U0MARIA"),))
    flow.send("cancel", user="bob").expect(unchanged=True)
    assert plain(flow.find_notice("Only ")) == "Only alice or U0MARIA can cancel this intake."
    assert flow.record.status is IntakeStatus.OPEN


def test_start_after_cancel_opens_a_fresh_intake() -> None:
    """A start in a thread whose intake was cancelled begins a new one from scratch."""
    flow = Flow().answer({"volume": "40 GB a day"}).send("cancel")
    flow.start("Churn model v2", user="bob").expect(notice=msg.INTAKE_STARTED, question="volume")
    assert flow.record.status is IntakeStatus.OPEN
    assert flow.record.answers == ()
    assert flow.record.started_by == "bob"


def test_a_place_from_a_cancelled_intake_is_not_carried_into_the_next() -> None:
    """Someone whose place belonged to the cancelled intake rejoins the new one afresh."""
    flow = Flow().answer(HAPPY_ANSWERS)
    assert flow.place("alice").current is None
    flow.send("cancel").start("Churn model v2", user="bob")
    flow.send("40 GB a day", user="alice").expect(notice=msg.INTAKE_JOINED, saved="40 GB a day")
    assert flow.texts("volume") == [("alice", "40 GB a day")]


def test_summary_before_the_decision_inputs_names_what_is_missing() -> None:
    """`summary` too early says which decision inputs are missing, in question order."""
    flow = Flow().answer({"volume": "40 GB a day", "stakeholders": "finance"})
    flow.send("summary").expect(notice=msg.NOT_READY, summary=False, unchanged=True)
    text = flow.notice_text(msg.NOT_READY)
    assert text == (
        "Not enough to recommend yet: still missing Data churn, Configuration / state, SLA, "
        "Customer system."
    )
    assert flow.record.baseline is None


def test_summary_after_the_decision_inputs_lists_the_open_questions() -> None:
    """With the five decision inputs, `summary` gives a card that lists what is still open."""
    flow = Flow().answer(DECISION_ANSWERS).send("summary").expect(summary=True)
    assert flow.summary.open_questions == ("stakeholders", "decay", "frequency", "model")
    assert flow.summary.assessment.strategy == "rest_api"
    assert flow.record.baseline == baseline_of(flow.summary)


def test_summary_after_every_required_answer_leaves_only_the_optional_one_open() -> None:
    """With every required question answered, `summary` gives the card; only `model` is open."""
    flow = Flow().answer(ALL_BUT_MODEL).expect(question="model", summary=False)
    flow.send("summary").expect(summary=True)
    assert flow.summary.open_questions == ("model",)
    assert len(flow.summary.answers) == len(ALL_BUT_MODEL)
    assert flow.place().current == "model"


def test_summary_after_everything_is_answered_repeats_the_card() -> None:
    """`summary` after the automatic card shows the same recommendation again."""
    flow = Flow().answer(HAPPY_ANSWERS)
    first = flow.summary
    flow.send("summary").expect(summary=True)
    assert flow.summary.assessment == first.assessment
    assert flow.summary.produced_at > first.produced_at


# --- bad and overlong input -----------------------------------------------------------------

BAD_ANSWERS = [
    ("volume", "lots", msg.VOLUME_NO_SIZE, msg.VOLUME_EXPECTED, msg.VOLUME_EXAMPLE),
    ("volume", "40 a day", msg.VOLUME_NO_UNIT, msg.VOLUME_EXPECTED, msg.VOLUME_EXAMPLE),
    (
        "stakeholders",
        ", ;",
        msg.NOT_UNDERSTOOD,
        msg.STAKEHOLDERS_EXPECTED,
        msg.STAKEHOLDERS_EXAMPLE,
    ),
    ("churn", "purple", msg.NOT_UNDERSTOOD, msg.CHURN_EXPECTED, msg.CHURN_EXAMPLE),
    ("decay", "sometimes", msg.NOT_UNDERSTOOD, msg.DECAY_EXPECTED, msg.DECAY_EXAMPLE),
    ("config", "maybe", msg.NOT_UNDERSTOOD, msg.CONFIG_EXPECTED, msg.CONFIG_EXAMPLE),
    ("customer", "???", msg.NOT_UNDERSTOOD, msg.CUSTOMER_EXPECTED, msg.CUSTOMER_EXAMPLE),
    ("model", "a banana", msg.NOT_UNDERSTOOD, msg.MODEL_EXPECTED, msg.MODEL_EXAMPLE),
]


@pytest.mark.parametrize(("question_id", "text", "problem", "expected", "example"), BAD_ANSWERS)
def test_bad_answer_is_quoted_explained_and_not_stored(
    question_id: str, text: str, problem: str, expected: str, example: str
) -> None:
    """A refused answer is quoted with the problem, what was expected and an example."""
    flow = Flow().send(f"edit {question_id}").send(f"  {text}  ")
    flow.expect(reask=text, unchanged=True)
    reask = flow.reask_reply
    assert (reask.question_id, reask.problem, reask.expected, reask.example) == (
        question_id,
        problem,
        expected,
        example,
    )
    assert flow.place().current == question_id
    assert flow.record.answers == ()


# Answers understood in part: what a person might type next, and the whole answer it makes.
CLARIFIED = [
    ("volume", "40 GB", "per week", "40 GB per week"),  # the option's label
    ("volume", "40 GB", "Per Week", "40 GB per week"),  # typed in any case
    ("volume", "40 GB", "weekly", "40 GB weekly"),  # the missing part in other words
    ("volume", "40 GB", "40 GB a day", "40 GB a day"),  # a whole answer of its own
    ("frequency", "500", "an hour", "500 an hour"),
    ("sla", "50", "ms", "50 ms"),
]


def _clarify_reply(flow: Flow) -> Clarify:
    (clarify,) = [reply for reply in flow.replies if isinstance(reply, Clarify)]
    return clarify


@pytest.mark.parametrize(("question_id", "partial", "follow_up", "saved"), CLARIFIED)
def test_an_answer_understood_in_part_asks_only_for_the_missing_part(
    question_id: str, partial: str, follow_up: str, saved: str
) -> None:
    """ "40 GB" gets "per day, week or month?" with buttons; the reply completes the answer."""
    flow = Flow().send(f"edit {question_id}").send(partial).expect(unchanged=True)
    clarify = _clarify_reply(flow)
    assert (clarify.question_id, clarify.quoted, clarify.to_user.id) == (
        question_id,
        partial,
        "alice",
    )
    assert 2 <= len(clarify.options) <= 5
    # Each button carries a whole answer that reads on its own.
    for option in clarify.options:
        assert isinstance(parse_answer(question_id, option.id), Value), option
    assert flow.place().pending is not None
    flow.send(follow_up).expect(saved=saved)
    assert flow.texts(question_id) == [("alice", saved)]
    assert flow.place().pending is None


def test_a_click_on_a_clarifying_button_saves_its_whole_answer() -> None:
    """The button's value is the whole answer: the click saves it and moves on."""
    flow = Flow().send("200 GB")
    per_month = next(o for o in _clarify_reply(flow).options if o.label == "per month")
    flow.choose("volume", per_month.id).expect(saved=per_month.id, question="stakeholders")
    assert flow.texts("volume") == [("alice", "200 GB per month")]


def test_a_reply_that_does_not_finish_the_answer_is_read_on_its_own() -> None:
    """After "40 GB", "purple" is neither an option nor the missing part: it is re-asked."""
    flow = Flow().send("40 GB").send("purple").expect(reask="purple", unchanged=True)
    assert flow.place().current == "volume"


def test_a_pending_clarification_belongs_to_its_question_only() -> None:
    """Moving to another question with `edit` leaves "weekly" to be read as that question's."""
    flow = Flow().send("40 GB").send("edit churn")
    assert flow.place().pending is None
    flow.send("weekly").expect(saved="weekly")
    assert flow.texts("volume") == []


@pytest.mark.parametrize("command", ["edit sla", "restart", "back", "status"])
def test_a_command_drops_a_half_read_answer(command: str) -> None:
    """After "40 GB" and a command, coming back to volume and typing "per month" is read alone."""
    flow = Flow().send("40 GB").send(command)
    assert flow.place().pending is None
    flow.send("edit volume").send("per month").expect(reask="per month", unchanged=True)
    assert flow.texts("volume") == []


def test_a_range_is_saved_as_its_stricter_end_and_says_so() -> None:
    """ "10-20 GB a day" plans for 20 GB, and the confirmation says that it did."""
    flow = Flow().send("10-20 GB a day").expect(saved="10-20 GB a day")
    (saved,) = [r for r in flow.replies if isinstance(r, Notice) and r.tone is Tone.SAVED]
    assert "20 GB" in str(saved.params["value"])
    assert "planning for 20" in str(saved.params["note"])


def test_person_stays_on_the_question_until_the_answer_reads() -> None:
    """After a re-ask the next message answers the same question."""
    flow = (
        Flow().send("lots").expect(reask="lots").send("a lot, really").expect(reask="a lot, really")
    )
    flow.send("40 GB a day").expect(saved="40 GB a day", question="stakeholders")
    assert flow.texts("volume") == [("alice", "40 GB a day")]


def test_overlong_message_is_refused_with_its_length_and_the_limit() -> None:
    """A message over the limit gets a clear refusal and nothing is stored."""
    text = "4" * (MAX_ANSWER_CHARS + 1)
    flow = Flow().send(text).expect(notice=msg.TOO_LONG.split("{")[0], unchanged=True)
    notice = flow.find_notice(msg.TOO_LONG.split("{")[0])
    assert notice.tone is Tone.PROBLEM
    assert plain(notice) == (
        "That answer is 2,001 characters long; I take at most 2,000. I expected "
        f"{msg.TOO_LONG_EXPECTED}, for example: {msg.TOO_LONG_EXAMPLE}"
    )
    assert flow.place().current == "volume"


def test_overlong_refusal_renders_through_an_escaping_front_end() -> None:
    """The refusal's numbers format with separators even where typed text is escaped."""
    notice = Flow().send("4" * (MAX_ANSWER_CHARS + 1)).find_notice(msg.TOO_LONG.split("{")[0])
    rendered = notice.fill(notice.template, html.escape, lambda person: f"<@{person.id}>")
    assert rendered.startswith("That answer is 2,001 characters long; I take at most 2,000.")


def test_overlong_message_that_starts_with_a_command_is_refused_too() -> None:
    """The length limit applies before commands are read: `owner <2001 chars>` sets nobody."""
    text = "owner " + "m" * MAX_ANSWER_CHARS
    flow = Flow().send(text).expect(problem="2,006 characters long", unchanged=True)
    assert flow.record.owner is None


def test_overlong_choice_value_is_refused_as_a_reask() -> None:
    """A button value over the limit is re-asked with the length problem and not stored."""
    flow = Flow().choose("stakeholders", "x" * (MAX_ANSWER_CHARS + 1))
    flow.expect(problem="2,001 characters long", unchanged=True)
    assert flow.reask_reply.question_id == "stakeholders"


def test_answer_of_exactly_the_limit_is_accepted() -> None:
    """An answer of exactly the limit is not refused for its length."""
    text = "finance, " + "r" * (MAX_ANSWER_CHARS - len("finance, "))
    assert len(text) == MAX_ANSWER_CHARS
    Flow().answer({"stakeholders": text})


# --- several people -------------------------------------------------------------------------


def test_newcomer_is_greeted_once_and_answers_the_threads_open_question() -> None:
    """Somebody new answers the first open question and is welcomed on their first message."""
    flow = Flow().answer({"volume": "40 GB a day"})
    flow.send("finance, risk", user="bob").expect(
        notice=msg.INTAKE_JOINED, saved="finance, risk", question="churn"
    )
    flow.send("nightly", user="bob").expect(saved="nightly")
    assert not any(
        isinstance(reply, Notice) and reply.template == msg.INTAKE_JOINED for reply in flow.replies
    )


def test_two_people_interleave_each_keeping_their_own_place() -> None:
    """Alice and Bob answer in turns; each message answers its sender's own question."""
    flow = Flow(starter="alice")
    flow.send("40 GB a day", user="alice").expect(saved="40 GB a day", question="stakeholders")
    flow.send("finance", user="bob").expect(saved="finance", question="churn")
    flow.send("nightly", user="bob").expect(saved="nightly", question="decay")
    assert flow.place("alice").current == "stakeholders"
    flow.send("the fraud team", user="alice").expect(saved="the fraud team", question="decay")
    flow.send("every 30 days", user="bob").expect(saved="every 30 days", question="frequency")
    flow.send("weekly", user="alice").expect(saved="weekly", question="frequency")
    assert flow.place("bob").history == ("stakeholders", "churn", "decay")
    assert flow.place("alice").history == ("volume", "stakeholders", "decay")
    assert [(r.question_id, r.by) for r in flow.record.answers] == [
        ("volume", "alice"),
        ("stakeholders", "bob"),
        ("churn", "bob"),
        ("stakeholders", "alice"),
        ("decay", "bob"),
        ("decay", "alice"),
    ]


def test_conflict_keeps_both_answers_and_uses_the_latest_without_an_owner() -> None:
    """Different answers from two people are both kept; the summary flags them and uses the latest."""
    flow = Flow(starter="alice").answer(DECISION_ANSWERS, user="alice")
    flow.answer({"volume": "2 TB a day"}, user="bob")
    flow.expect(notice=msg.SAVED_CONFLICT)
    others = flow.find_notice(msg.SAVED_CONFLICT).params["others"]
    assert others == Joined(items=(Person(id="alice"),))
    assert flow.texts("volume") == [("alice", "40 GB a day"), ("bob", "2 TB a day")]
    flow.send("summary")
    (conflict,) = flow.summary.conflicts
    assert conflict.question_id == "volume"
    assert [(line.by, line.text) for line in conflict.answers] == [
        ("alice", "40 GB a day"),
        ("bob", "2 TB a day"),
    ]
    assert (conflict.used.by, conflict.used.text) == ("bob", "2 TB a day")
    assert flow.summary.answers[0].text == "2 TB a day"


def test_conflict_uses_the_owners_answer_even_when_it_is_older() -> None:
    """Once an owner is named, the decision uses the owner's answer over a later one."""
    flow = Flow(starter="alice").send("owner @carol")
    flow.answer({"volume": "40 GB a day"}, user="carol")
    flow.answer({**DECISION_ANSWERS, "volume": "2 TB a day"}, user="bob")
    flow.send("summary")
    (conflict,) = flow.summary.conflicts
    assert (conflict.used.by, conflict.used.text) == ("carol", "40 GB a day")
    assert flow.summary.answers[0].text == "40 GB a day"
    compute = flow.summary.assessment.compute
    assert compute is not None
    assert compute.workload.startswith("XL")


def test_the_same_value_in_other_words_is_not_a_conflict() -> None:
    """ "40GB daily" and "40 GB a day" agree after parsing, so nothing is flagged."""
    flow = Flow().answer(DECISION_ANSWERS)
    flow.answer({"volume": "40GB daily"}, user="bob").expect(notice=msg.SAVED)
    flow.send("summary")
    assert flow.summary.conflicts == ()


# --- the baseline -----------------------------------------------------------------------------


def test_first_summary_is_kept_as_the_baseline_and_never_replaced() -> None:
    """Later summaries reflect new answers, but the baseline stays the first summary."""
    flow = Flow().answer(HAPPY_ANSWERS)
    first = flow.summary
    assert flow.record.baseline == baseline_of(first)
    flow.send("edit volume").send("2 TB a day").expect(saved="2 TB a day")
    flow.send("summary").expect(summary=True)
    assert flow.summary.answers[0].text == "2 TB a day"
    assert flow.summary != first
    assert flow.record.baseline == baseline_of(first)


def test_a_summary_command_can_set_the_baseline_before_every_question_is_answered() -> None:
    """The first card, even from `summary` with questions open, becomes the baseline."""
    flow = Flow().answer(DECISION_ANSWERS).send("summary")
    first = flow.summary
    flow.answer({"stakeholders": "finance"})
    flow.send("summary")
    assert flow.summary.open_questions != first.open_questions
    assert flow.record.baseline == baseline_of(first)


# --- choices ----------------------------------------------------------------------------------


def test_choice_answers_the_question_it_names_not_the_current_one() -> None:
    """A click on a churn button saves churn; the person is asked their own question again."""
    flow = Flow().choose("churn", "constant").expect(saved="constant", question="volume")
    assert flow.texts("churn") == [("alice", "constant")]
    assert flow.texts("volume") == []
    assert flow.place().history == ()


def test_choice_by_someone_new_joins_them_to_the_intake() -> None:
    """A click from somebody without a place saves their answer under their name."""
    flow = Flow().choose("customer", "external", user="bob").expect(saved="external")
    assert flow.texts("customer") == [("bob", "external")]
    assert "bob" in flow.places


def test_choice_with_a_value_the_question_cannot_read_is_reasked() -> None:
    """A button value the parser refuses is quoted back for that question, not stored."""
    flow = Flow().choose("config", "maybe").expect(reask="maybe", unchanged=True)
    assert flow.reask_reply.question_id == "config"


def test_choice_for_an_unknown_question_is_refused() -> None:
    """A button from an older catalog names an unknown question and changes nothing."""
    flow = Flow().choose("budget", "high").expect(notice=msg.UNKNOWN_CHOICE, unchanged=True)
    assert flow.find_notice(msg.UNKNOWN_CHOICE).params == {"value": "budget"}


def test_choices_can_finish_an_intake_and_bring_the_summary() -> None:
    """Clicking the last open question's button completes the intake with a summary."""
    flow = Flow().answer(ALL_BUT_MODEL)
    flow.choose("model", "simple").expect(saved="simple", summary=True)
    assert flow.summary.answers[-1].text == "simple"


# --- purity -------------------------------------------------------------------------------------


def test_step_is_pure_the_same_state_and_event_give_the_same_result() -> None:
    """Stepping one state twice with one event gives equal states and replies."""
    flow = Flow().answer({"volume": "40 GB a day"})
    state = DialogueState(intake=flow.intake, place=flow.place())
    event = Text(user="alice", at=BASE_TIME, text="finance")
    assert step(state, event) == step(state, event)
    assert state.intake == flow.intake


def test_reask_goes_to_the_person_who_answered() -> None:
    """A re-ask is addressed to its sender, not to the thread's starter."""
    flow = Flow(starter="alice").send("lots", user="bob")
    reask = flow.reask_reply
    assert isinstance(reask, Reask)
    assert reask.to_user == Person(id="bob")


def test_the_record_stays_one_answer_per_person_and_question_however_often_they_answer() -> None:
    """Two people revising one answer 300 times leave two answers on the record, and 600 counted."""
    flow = Flow().answer({"volume": "40 GB a day"})
    flow.answer({"volume": "41 GB a day"}, user="bob")
    for n in range(299):
        flow.answer({"volume": f"{n + 1} GB a day"})
        flow.answer({"volume": f"{n + 2} TB a day"}, user="bob")
    assert flow.texts("volume") == [("alice", "299 GB a day"), ("bob", "300 TB a day")]
    assert flow.record.answer_count == 600
    assert len(flow.record.answers) == 2


def test_an_intake_past_its_answer_limit_refuses_more_and_says_how_to_go_on() -> None:
    """At MAX_ANSWERS answers a further one is refused with the limit, and nothing changes."""
    flow = Flow().answer({"volume": "40 GB a day"})
    flow.intake = flow.record.model_copy(update={"answer_count": MAX_ANSWERS})
    flow.send("finance").expect(notice=msg.TOO_MANY_ANSWERS, unchanged=True)
    assert "2,000 answers" in flow.notice_text(msg.TOO_MANY_ANSWERS)
    flow.choose("churn", "never").expect(notice=msg.TOO_MANY_ANSWERS, unchanged=True)


@pytest.mark.parametrize("typed", ["help", "HELP", "usage", "  "])
def test_start_with_help_shows_usage_and_starts_nothing(typed: str) -> None:
    """`/intake help` (or nothing) is a request for usage, never a project called "help"."""
    flow = Flow(project=None).start(typed)
    flow.expect(notice=msg.NEED_PROJECT_NAME)
    assert flow.intake is None


@pytest.mark.parametrize("word", ["list", "digest"])
def test_start_with_a_command_word_names_no_project(word: str) -> None:
    """`start list` reaching the dialogue says it is a command and starts no project "list"."""
    flow = Flow(project=None).start(word)
    assert f"`start {word}` is a command" in flow.notice_text(
        msg.RESERVED_PROJECT_WORD.split("`")[0]
    )
    assert flow.intake is None


def test_opening_names_the_front_ends_own_command_in_its_usage() -> None:
    """At channel level, help and usage name the command the person used (`/intake`)."""
    asked = opening(Start(user="alice", at=BASE_TIME, project="help", command="/intake"))
    assert isinstance(asked, list)
    [usage] = asked
    assert isinstance(usage, Notice)
    assert usage.params == {"command": "/intake"}


@pytest.mark.parametrize("text", ["hi all", "Thanks!", "great, thx", "hey everyone 👋", "+1"])
def test_greetings_and_thanks_in_the_thread_are_not_answers(text: str) -> None:
    """Short social messages get no reply and change nothing; the question stays open."""
    flow = Flow().answer({"volume": "40 GB a day"})
    flow.send(text, user="bob")
    assert flow.replies == []
    flow.expect(unchanged=True)
    assert "bob" not in flow.places  # saying hi does not join anybody to the intake


def test_a_message_to_someone_else_is_not_an_answer() -> None:
    """`@carol can you check?` mid-intake is addressed to Carol: no reply, no re-ask."""
    carol = Person(id="U0CAROL", name="carol")
    flow = Flow().answer({"volume": "40 GB a day", "stakeholders": "finance"})
    flow.send("@carol can you check the churn?", mentions=(carol,))
    assert flow.replies == []
    flow.expect(unchanged=True)


def test_a_leading_mention_answers_a_question_that_names_people() -> None:
    """For stakeholders a message starting with a mention is the answer itself."""
    maria = Person(id="U0MARIA", name="maria")
    flow = Flow().answer({"volume": "40 GB a day"})
    flow.send("@maria, the fraud team", mentions=(maria,)).expect(saved="@maria, the fraud team")


def test_a_longer_message_that_starts_with_hi_is_still_read() -> None:
    """ "hi all, we get about 40 GB a day" is more than a greeting: it is answered as usual."""
    flow = Flow()
    flow.send("hi all, we get about 40 GB a day").expect(saved="hi all, we get about 40 GB a day")
