"""Block Kit rendering: Slack's limits kept, typed text escaped, mentions kept, turns merged."""

from __future__ import annotations

import json
from datetime import UTC, datetime
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
from conversations.changes import ScopeWarning, WarningKind, WarningStatus
from conversations.dialogue import ask
from conversations.people import Owner, Person
from conversations.questions import CATALOG, Question
from conversations.replies import (
    Joined,
    Notice,
    Reask,
    RecordReply,
    SummaryReply,
    Tone,
    WarningReply,
)
from conversations.risks import Risk, Severity
from conversations.strategies import StrategyId
from conversations.summary import Conflict, Summary
from testkit.summaries import answer_line, sample_summary
from tests.bot.slack.conftest import assert_valid_blocks

REF = IntakeRef("slack", "T0INTAKE01", "C0PROJECT1", "1700000000.000100")
INTAKE = "T0INTAKE01/C0PROJECT1/1700000000.000100"
ALICE = "U0ALICE01"
BOB = "U0BOB0002"
HOSTILE = "<!channel> & <https://evil.example|your bank> <@U0EVE0001>"
WHEN = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
BOB_OWNER = Person(id=BOB)


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
    owner_block = kwargs["blocks"][-2]  # the Export record button comes last
    assert owner_block["type"] == "context"
    assert _texts(owner_block) == [line]


def test_missing_owner_is_flagged_with_how_to_name_one() -> None:
    """A summary without an owner ends, above its button, with a warning that says how to name one."""
    kwargs = _kwargs(blocks.summary_message(_summary(owner=None)))
    [text] = _texts(kwargs["blocks"][-2])
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


# -- scope-change warnings, the export button, the record file ---------------------------------


def _warning(
    status: WarningStatus = WarningStatus.OPEN,
    kind: WarningKind = WarningKind.SCOPE_CHANGE,
    owner: Owner = BOB_OWNER,
    lines: int = 0,
) -> WarningReply:
    """Warning 3 on a hostile project name, with `lines` extra differences."""
    decided = status in (WarningStatus.APPROVED, WarningStatus.REJECTED)
    warning = ScopeWarning(
        number=3,
        kind=kind,
        question_ids=("volume",),
        from_strategy=StrategyId.BATCH,
        to_strategy=StrategyId.EVENT_STREAM,
        by=ALICE,
        at=WHEN,
        status=status,
        decided_by=BOB if decided else None,
        decided_at=WHEN if decided else None,
    )
    header = Notice(
        template=msg.SCOPE_WARNING,
        params={
            "number": 3,
            "project": HOSTILE,
            "user": Person(id=ALICE),
            "questions": Joined(items=("Data volume",)),
        },
        tone=Tone.PROBLEM,
    )
    differences = [
        Notice(
            template=msg.SCOPE_DIFFERENCE,
            params={"what": f"Thing {n}", "before": HOSTILE, "after": "2"},
        )
        for n in range(lines)
    ]
    if status is WarningStatus.APPROVED:
        last = Notice(
            template=msg.SCOPE_DECIDED_APPROVED,
            params={"user": Person(id=BOB), "when": "2026-01-05 10:00 UTC"},
        )
    else:
        last = Notice(template=msg.SCOPE_OWNER_DECIDES, params={"owner": owner, "number": 3})
    return WarningReply(warning=warning, lines=(header, *differences, last))


def _actions(kwargs: dict[str, Any]) -> list[dict[str, Any]]:
    return [block for block in kwargs["blocks"] if block["type"] == "actions"]


def test_an_open_warning_has_a_section_per_line_and_approve_reject_buttons() -> None:
    """Each sentence is a section, the owner a mention, and both buttons carry the warning's number."""
    reply = _warning(lines=2)
    kwargs = _kwargs(blocks.warning_message(reply, REF))

    sections = [b for b in kwargs["blocks"] if b["type"] == "section"]
    assert [_texts(b)[0] for b in sections] == [blocks.notice_text(n) for n in reply.lines]
    assert f"<@{BOB}>" in _texts(sections[-1])[0]
    [buttons] = _actions(kwargs)
    assert [(e["action_id"], e["style"], e["value"]) for e in buttons["elements"]] == [
        ("intake_decide:approve", "primary", "3"),
        ("intake_decide:reject", "danger", "3"),
    ]
    assert [e["text"]["text"] for e in buttons["elements"]] == [
        msg.BUTTON_APPROVE,
        msg.BUTTON_REJECT,
    ]
    payload = kwargs["metadata"]["event_payload"]
    assert kwargs["metadata"]["event_type"] == "intake_scope_change"
    assert (payload["warning"], payload["status"], payload["question_id"]) == (3, "open", "volume")
    assert (payload["from_strategy"], payload["to_strategy"]) == ("batch", "event_stream")
    shown = json.dumps(kwargs)
    assert "<!channel>" not in shown
    assert "<https://evil" not in shown


def test_an_owner_named_as_text_is_escaped_not_a_mention() -> None:
    """An owner typed as words shows as typed: it can ping nobody."""
    kwargs = _kwargs(blocks.warning_message(_warning(owner=HOSTILE), REF))
    assert "&lt;!channel&gt;" in kwargs["text"]
    assert "<!channel>" not in json.dumps(kwargs)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (WarningStatus.NOTICE, WarningKind.REPEATED_CHANGES),
        (WarningStatus.APPROVED, WarningKind.SCOPE_CHANGE),
    ],
)
def test_a_notice_or_decided_warning_has_no_buttons(
    status: WarningStatus, kind: WarningKind
) -> None:
    """Nothing to decide, so nothing to click."""
    kwargs = _kwargs(blocks.warning_message(_warning(status, kind), REF))
    assert _actions(kwargs) == []
    assert kwargs["metadata"]["event_payload"]["status"] == status.value


def test_a_decided_card_says_who_decided_and_carries_the_new_status() -> None:
    """The update for chat.update: no buttons, the decision in text and blocks, status approved."""
    kwargs = _kwargs(blocks.decided_message(_warning(WarningStatus.APPROVED), REF))
    assert _actions(kwargs) == []
    assert f"Approved by <@{BOB}> on 2026-01-05 10:00 UTC." in kwargs["text"]
    assert kwargs["blocks"][-1]["text"]["text"] == kwargs["text"].splitlines()[-1]
    assert kwargs["metadata"]["event_payload"]["status"] == "approved"
    with pytest.raises(ValueError, match="still open"):
        blocks.decided_message(_warning(), REF)


def test_a_warning_with_very_many_lines_keeps_its_first_last_and_buttons() -> None:
    """Past Slack's block count, the middle lines merge: the header, who decides and buttons stay."""
    reply = _warning(lines=80)
    kwargs = _kwargs(blocks.to_messages([Notice(template=msg.HELP), reply], REF)[0])
    assert len(kwargs["blocks"]) == MAX_BLOCKS_PER_MESSAGE
    assert kwargs["blocks"][0]["type"] == "context"
    assert kwargs["blocks"][1]["text"]["text"] == blocks.notice_text(reply.lines[0])
    assert kwargs["blocks"][-2]["text"]["text"] == blocks.notice_text(reply.lines[-1])
    assert kwargs["blocks"][-1]["type"] == "actions"


def test_the_summary_ends_with_an_export_button_even_when_cut() -> None:
    """Export record types `export`; a preface long enough to fill the message never pushes it out."""
    for preface in ([], [f"notice {n}" for n in range(60)]):
        kwargs = _kwargs(blocks.summary_message(_summary(), preface))
        last = kwargs["blocks"][-1]
        assert len(kwargs["blocks"]) <= MAX_BLOCKS_PER_MESSAGE
        assert last["type"] == "actions"
        [export] = last["elements"]
        assert (export["action_id"], export["value"]) == ("intake_export", "export")
        assert export["text"]["text"] == msg.BUTTON_EXPORT_RECORD


def test_to_posts_puts_the_record_file_between_the_messages_around_it() -> None:
    """A record is a file of its own, in reply order; notices either side stay messages."""
    record = RecordReply(project="Fraud <scoring>", filename="requirements-x.md", markdown="# R\n")
    before, after = Notice(template=msg.HELP), Notice(template=msg.SCOPE_NOTHING_WAITING)
    posts = blocks.to_posts([before, record, after], REF)
    assert [type(post).__name__ for post in posts] == ["SlackMessage", "SlackFile", "SlackMessage"]
    file = posts[1]
    assert isinstance(file, blocks.SlackFile)
    assert (file.filename, file.content) == ("requirements-x.md", "# R\n")
    assert file.title == msg.RECORD_FILE_TITLE.format(project="Fraud <scoring>")
