"""Block Kit rendering: Slack's limits kept, typed text escaped, mentions kept, turns merged."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.choice_codec import decode_choice
from bot.ports import IntakeRef
from bot.slack import blocks
from bot.slack.limits import (
    ACTIONS_ELEMENTS_MAX,
    BUTTON_TEXT_MAX,
    BUTTON_VALUE_MAX,
    HEADER_TEXT_MAX,
    MAX_BLOCKS_PER_MESSAGE,
    MESSAGE_TEXT_RECOMMENDED_MAX,
    SECTION_FIELD_TEXT_MAX,
    SECTION_FIELDS_MAX_ITEMS,
    SECTION_TEXT_MAX,
)
from conversations import messages as msg
from conversations.dialogue import ask
from conversations.people import Owner, Person
from conversations.questions import CATALOG, Question
from conversations.replies import Notice, Reask, SummaryReply, Tone
from conversations.risks import Risk, Severity
from conversations.summary import Conflict, Summary
from testkit.summaries import answer_line, sample_summary
from tests.bot.slack.conftest import assert_valid_blocks

REF = IntakeRef("slack", "T0INTAKE01", "C0PROJECT1", "1700000000.000100")
INTAKE = "T0INTAKE01/C0PROJECT1/1700000000.000100"
ALICE = "U0ALICE01"
BOB = "U0BOB0002"
HOSTILE = "<!channel> & <https://evil.example|your bank> <@U0EVE0001>"


def _summary(**changes: Any) -> Summary:
    return sample_summary(ALICE, **changes)


def _texts(block: dict[str, Any]) -> list[str]:
    """Every text string in a block, fields and elements included."""
    found = []
    if isinstance(block.get("text"), dict):
        found.append(block["text"]["text"])
    found.extend(field["text"] for field in block.get("fields", []))
    found.extend(e["text"] for e in block.get("elements", []) if isinstance(e.get("text"), str))
    return found


def _kwargs(message: blocks.SlackMessage) -> dict[str, Any]:
    kwargs = message.as_kwargs()
    assert_valid_blocks(kwargs["blocks"])
    return kwargs


def test_summary_card_stays_within_limits_however_much_there_is() -> None:
    """Many long risks and conflicts and a long project name still make one valid message."""
    risks = tuple(
        Risk(id=f"r{n}", severity=Severity.HIGH, message=HOSTILE * 80, action="& " * 1500)
        for n in range(40)
    )
    conflicts = tuple(
        Conflict(
            question_id=question.id,
            title=question.title,
            answers=tuple(answer_line(question.id, HOSTILE * 30, f"U0PERSON{n}") for n in range(5)),
            used=answer_line(question.id, HOSTILE * 30, "U0PERSON4"),
        )
        for question in CATALOG
    )
    base = _summary()
    assessment = base.assessment.model_copy(update={"risks": risks})
    summary = _summary(
        project="<" * 150,
        owner=HOSTILE * 10,
        assessment=assessment,
        conflicts=conflicts,
        open_questions=tuple(q.title for q in CATALOG),
    )

    kwargs = _kwargs(blocks.summary_message(summary))

    assert len(kwargs["blocks"]) <= MAX_BLOCKS_PER_MESSAGE
    assert len(kwargs["text"]) <= MESSAGE_TEXT_RECOMMENDED_MAX
    header = kwargs["blocks"][0]
    assert header["type"] == "header"
    assert len(header["text"]["text"]) <= HEADER_TEXT_MAX
    for block in kwargs["blocks"]:
        if block["type"] == "section":
            assert len(block.get("fields", [])) <= SECTION_FIELDS_MAX_ITEMS
            assert all(len(f["text"]) <= SECTION_FIELD_TEXT_MAX for f in block.get("fields", []))
            if "text" in block:
                assert len(block["text"]["text"]) <= SECTION_TEXT_MAX
    shown = json.dumps(kwargs)
    assert "<!channel>" not in shown
    assert "<https://evil" not in shown
    assert f"*Complexity risks* ({len(risks)})" in shown


def test_summary_metadata_carries_the_strategy() -> None:
    """The summary's metadata is intake_summary with the recommended strategy id."""
    summary = _summary()
    kwargs = _kwargs(blocks.to_messages([SummaryReply(summary=summary)], REF)[0])
    assert kwargs["metadata"]["event_type"] == "intake_summary"
    assert kwargs["metadata"]["event_payload"]["strategy"] == summary.assessment.strategy.value
    assert kwargs["metadata"]["event_payload"]["intake"] == INTAKE


def test_summary_escapes_the_project_name_everywhere() -> None:
    """A project name with Slack markup shows as typed in the header, fallback and nowhere raw."""
    kwargs = _kwargs(blocks.summary_message(_summary(project=HOSTILE)))
    header = kwargs["blocks"][0]["text"]["text"]
    assert header.startswith("Intake summary: &lt;!channel&gt; &amp; &lt;https://evil")
    assert "&lt;!channel&gt;" in kwargs["text"]
    assert "<!channel>" not in json.dumps(kwargs)


def test_conflicts_mention_each_person_and_escape_their_words() -> None:
    """A conflict names each person as a mention and shows their typed answer escaped."""
    conflict = Conflict(
        question_id="volume",
        title="Data volume",
        answers=(
            answer_line("volume", "2 TB <!here>", BOB),
            answer_line("volume", "40 GB a day", ALICE),
        ),
        used=answer_line("volume", "40 GB a day", ALICE),
    )
    kwargs = _kwargs(blocks.summary_message(_summary(conflicts=(conflict,))))
    shown = json.dumps(kwargs["blocks"])
    assert f"<@{BOB}>: 2 TB &lt;!here&gt;" in shown
    assert f"<@{ALICE}>: 40 GB a day" in shown
    assert "<!here>" not in shown


@pytest.mark.parametrize(
    ("owner", "line"),
    [
        (Person(id=BOB), f"Project owner: <@{BOB}>"),
        (Person(id=BOB, name="bob"), f"Project owner: <@{BOB}>"),
        ("<!channel>", "Project owner: &lt;!channel&gt;"),
        (f"<@{BOB}> <!channel>", f"Project owner: &lt;@{BOB}&gt; &lt;!channel&gt;"),
        ("maria & co", "Project owner: maria &amp; co"),
    ],
    ids=["mention", "mention-with-name", "channel-ping", "typed-mention-syntax", "plain-name"],
)
def test_owner_is_a_mention_only_when_a_person(owner: Owner, line: str) -> None:
    """An owner named by mention pings them; a typed name, whatever it holds, is shown escaped."""
    kwargs = _kwargs(blocks.summary_message(_summary(owner=owner)))
    owner_block = kwargs["blocks"][-1]
    assert owner_block["type"] == "context"
    assert _texts(owner_block) == [line]


def test_missing_owner_is_flagged_with_how_to_name_one() -> None:
    """A summary without an owner ends with a warning that says how to name one."""
    kwargs = _kwargs(blocks.summary_message(_summary(owner=None)))
    [text] = _texts(kwargs["blocks"][-1])
    assert msg.SUMMARY_NO_OWNER in text
    assert "owner @name" in text


def test_notice_escapes_typed_parameters_and_renders_mentions() -> None:
    """A notice escapes what people typed and shows a Mention as <@U...>, keeping its own markup."""
    notice = Notice(
        template=msg.INTAKE_STARTED, params={"project": HOSTILE, "user": Person(id=ALICE)}
    )
    text = blocks.notice_text(notice)
    assert text == (
        "Intake for *&lt;!channel&gt; &amp; &lt;https://evil.example|your bank&gt; "
        f"&lt;@U0EVE0001&gt;* started by <@{ALICE}>. Reply in this thread to answer."
    )


def test_notice_template_text_is_escaped_too() -> None:
    """Our own sentences that show `<project name>` literally are escaped, not parsed as links."""
    text = blocks.notice_text(Notice(template=msg.NO_INTAKE))
    assert "`start &lt;project name&gt;`" in text


def test_notice_numbers_keep_their_format() -> None:
    """Integer parameters keep format specs such as thousands separators."""
    notice = Notice(
        template=msg.TOO_LONG, params={"length": 2500, "limit": 2000}, tone=Tone.PROBLEM
    )
    assert (
        blocks.notice_text(notice) == "That answer is 2,500 characters long; I take at most 2,000."
    )


def test_mention_renders_a_user_id_and_escapes_a_forged_one() -> None:
    """A user id becomes <@U...>; an id carrying markup cannot close the mention and ping."""
    assert blocks.mention(Person(id=ALICE)) == f"<@{ALICE}>"
    forged = blocks.mention(Person(id="U1> <!channel"))
    assert "<!channel" not in forged
    assert forged == "<@U1&gt; &lt;!channel>"


def test_question_addresses_the_person_and_carries_metadata() -> None:
    """A question starts with a mention of who is asked and carries intake_question metadata."""
    kwargs = _kwargs(blocks.to_messages([ask("volume", ALICE)], REF)[0])
    heading = kwargs["blocks"][0]["text"]["text"]
    assert heading.startswith(f"<@{ALICE}> *1/{len(CATALOG)} · Data volume*")
    assert kwargs["metadata"] == {
        "event_type": "intake_question",
        "event_payload": {
            "question_id": "volume",
            "intake": INTAKE,
            "number": 1,
            "total": len(CATALOG),
        },
    }


@pytest.mark.parametrize("question", CATALOG, ids=[q.id for q in CATALOG])
def test_every_question_renders_valid_blocks_with_working_buttons(question: Question) -> None:
    """Each catalog question renders valid blocks; each button's value names its question."""
    reply = ask(question.id, ALICE, current_answer=HOSTILE)
    kwargs = _kwargs(blocks.question_message(reply, []))
    actions = [block for block in kwargs["blocks"] if block["type"] == "actions"]
    if not question.choices:
        assert actions == []
        return
    [buttons] = actions
    assert len(buttons["elements"]) <= ACTIONS_ELEMENTS_MAX
    for element, choice in zip(buttons["elements"], question.choices, strict=True):
        assert len(element["text"]["text"]) <= BUTTON_TEXT_MAX
        assert len(element["value"]) <= BUTTON_VALUE_MAX
        assert decode_choice(element["value"]) == (question.id, choice.id)
    assert "<!channel>" not in json.dumps(kwargs)


@pytest.mark.parametrize("value", ["", "churn", "churn:", ":cadence", "nothing-here"])
def test_a_button_value_that_is_not_ours_parses_to_none(value: str) -> None:
    """Values without both a question id and a choice id are refused."""
    assert decode_choice(value) is None


def test_answered_question_drops_buttons_and_names_the_chooser() -> None:
    """After a click the question shows who chose what, escaped, and has no buttons left."""
    kwargs = _kwargs(blocks.answered_message("churn", Person(id=ALICE), "<!channel> Constantly"))
    assert all(block["type"] != "actions" for block in kwargs["blocks"])
    assert _texts(kwargs["blocks"][-1]) == [
        f":white_check_mark: <@{ALICE}> chose *&lt;!channel&gt; Constantly*"
    ]


def test_reask_quotes_the_answer_escaped_and_says_what_is_expected() -> None:
    """A re-ask quotes the answer (escaped), says what was wrong, what is expected, and an example."""
    reask = Reask(
        question_id="volume",
        quoted="<!channel> lots",
        problem="I couldn't find a data size.",
        expected="a size with a unit and a period",
        example="40 GB a day",
        to_user=Person(id=ALICE),
    )
    text = blocks.reask_text(reask)
    assert text.startswith(f"<@{ALICE}>")
    assert "&lt;!channel&gt; lots" in text
    assert "<!channel>" not in text
    assert "I expected a size with a unit and a period, for example: 40 GB a day" in text


def test_to_messages_merges_notices_into_the_following_question() -> None:
    """Notices before a question ride along as context lines of that one message."""
    saved = Notice(
        template=msg.SAVED,
        params={"question": "Data volume", "value": "<b>40 GB</b>", "note": ""},
    )
    joined = Notice(template=msg.INTAKE_JOINED, params={"user": Person(id=BOB), "project": "Fraud"})
    [message] = blocks.to_messages([joined, saved, ask("stakeholders", BOB)], REF)
    kwargs = _kwargs(message)
    first, second = kwargs["blocks"][:2]
    assert (first["type"], second["type"]) == ("context", "context")
    assert _texts(first) == [blocks.notice_text(joined)]
    assert _texts(second) == ["Saved Data volume: &lt;b&gt;40 GB&lt;/b&gt;."]
    assert kwargs["text"].startswith(blocks.notice_text(joined))
    assert kwargs["metadata"]["event_payload"]["question_id"] == "stakeholders"


def test_to_messages_puts_notices_before_a_summary_on_top_of_the_card() -> None:
    """A notice before the summary rides on the card as a context line: one post, not two."""
    saved = Notice(
        template=msg.SAVED,
        params={"question": "Model type", "value": "xgboost", "note": ""},
    )
    (card,) = blocks.to_messages([saved, SummaryReply(summary=_summary())], REF)
    kwargs = _kwargs(card)
    assert kwargs["metadata"]["event_type"] == "intake_summary"
    assert kwargs["blocks"][0] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "Saved Model type: xgboost."}],
    }
    assert kwargs["blocks"][1]["type"] == "header"


def test_to_messages_keeps_a_trailing_notice() -> None:
    """A notice after the last question is not dropped: it gets a message of its own."""
    notice = Notice(template=msg.HELP)
    question, trailing = blocks.to_messages([ask("volume", ALICE), notice], REF)
    assert question.metadata is not None
    assert _kwargs(trailing)["text"] == blocks.notice_text(notice)


def test_as_kwargs_cuts_to_slacks_message_limits() -> None:
    """A message is cut to 50 blocks and about 4,000 characters of text before it is sent."""
    message = blocks.SlackMessage(
        text="&" * 2000 + "x" * 3000,
        blocks=[blocks.text_message(f"line {n}").blocks[0] for n in range(60)],
    )
    kwargs = _kwargs(message)
    assert len(kwargs["blocks"]) == MAX_BLOCKS_PER_MESSAGE
    assert len(kwargs["text"]) <= MESSAGE_TEXT_RECOMMENDED_MAX
    assert "metadata" not in kwargs


def test_long_notice_is_cut_inside_section_limits() -> None:
    """A notice longer than a section allows is cut to fit, never splitting an escape."""
    notice = Notice(template="{value}", params={"value": "<" * 5000})
    kwargs = _kwargs(blocks.to_messages([notice], REF)[0])
    text = kwargs["blocks"][0]["text"]["text"]
    assert len(text) <= SECTION_TEXT_MAX
    assert text.endswith("&lt;…")
