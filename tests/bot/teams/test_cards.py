"""Adaptive Card rendering for Teams: valid cards, the intake object, mentions, escaping, size."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft6Validator

import testkit
from bot.choice_codec import decode_choice
from bot.ports import IntakeRef
from bot.post_metadata import PostMetadata, metadata_for, notice_metadata
from bot.teams import cards
from bot.teams.cards import (
    CARD_CONTENT_TYPE,
    CARD_SCHEMA,
    CHOICE_FIELD,
    ELLIPSIS,
    LABEL_FIELD,
    MAX_ACTIVITY_BYTES,
    UNKNOWN_NAME,
    answered_card,
    decided_card,
    escape_markdown,
    message_link,
    record_markdown,
    record_texts,
    to_activities,
)
from conversations import messages as msg
from conversations.changes import WarningKind, WarningStatus
from conversations.dialogue import ask
from conversations.digest import digest_lines, reminder_lines
from conversations.people import Owner, Person
from conversations.questions import CATALOG, Question
from conversations.replies import (
    ChoiceButton,
    Clarify,
    DigestReply,
    Idle,
    IntakeItem,
    Notice,
    Owing,
    Reask,
    RecordReply,
    ReminderReply,
    Reply,
    SummaryReply,
    Tone,
    WarningReply,
)
from conversations.risks import Risk, Severity
from conversations.summary import Conflict, Summary
from testkit.answers import HAPPY_ANSWERS
from testkit.summaries import answer_line, sample_summary
from tests.conversations.flow import Flow
from tests.conversations.test_scope import STREAM_ANSWERS, baseline_flow

SCHEMA_PATH = Path(testkit.__file__).parent / "adaptive_card_schema.json"
REF = IntakeRef("teams", "tenant-1", "19:channel@thread.tacv2", "1700000000001")
ALICE = "29:1alice"
BOB = "29:1bob"
MARIA = Person(id="29:1maria", name="Maria")
NAMES = {ALICE: "Alice Example", BOB: "Bob Builder"}
HOSTILE = (
    "[x](http://evil) ![i](http://evil/i.png) <at>General</at> <b>bold</b> **loud** _it_ "
    "`code` ~~gone~~ {{DATE(2017-02-14T06:08:00Z)}} & \\"
)
HOSTILE_SHOWN = (
    r"\[x\](http://evil) !\[i\](http://evil/i.png) &lt;at&gt;General&lt;/at&gt; "
    r"&lt;b&gt;bold&lt;/b&gt; \*\*loud\*\* \_it\_ \`code\` \~\~gone\~\~ "
    r"\{\{DATE(2017-02-14T06:08:00Z)\}\} &amp; \\"
)
RAW_PIECES = ("[x](", "![i](", "<at>General", "<b>", "**loud**", "{{DATE")
# Teams' host extension of the card root (cards-format.md: mentions in `msteams.entities`),
# which the public schema does not list; everything else is checked by the schema as it is.
MSTEAMS = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "entities": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["type", "text", "mentioned"],
                "properties": {
                    "type": {"const": "mention"},
                    "text": {"type": "string", "pattern": "^<at>[^<>]+</at>$"},
                    "mentioned": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["id", "name"],
                        "properties": {
                            "id": {"type": "string", "minLength": 1},
                            "name": {"type": "string", "minLength": 1},
                        },
                    },
                },
            },
        }
    },
}


@cache
def validator() -> Draft6Validator:
    """The Adaptive Card 1.5 schema from the test kit, with Teams' `msteams` property allowed."""
    schema = copy.deepcopy(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    schema["definitions"]["AdaptiveCard"]["properties"]["msteams"] = MSTEAMS
    Draft6Validator.check_schema(schema)
    return Draft6Validator(schema)


def names(user: str) -> str | None:
    return NAMES.get(user)


def card_of(activity: dict[str, Any]) -> dict[str, Any]:
    (attachment,) = activity["attachments"]
    assert attachment["contentType"] == CARD_CONTENT_TYPE
    card = attachment["content"]
    assert isinstance(card, dict)
    return card


def texts(activity: dict[str, Any]) -> list[str]:
    """Every markdown text of an activity's card, in order."""
    return list(cards.texts(card_of(activity)["body"]))


def entities(activity: dict[str, Any]) -> list[dict[str, Any]]:
    return list(card_of(activity).get("msteams", {}).get("entities", []))


def assert_valid(activity: dict[str, Any]) -> dict[str, Any]:
    """A message activity with one schema-valid Adaptive Card 1.5, within the size limit,
    whose every mention tag has its entity and every entity its tag."""
    assert activity["type"] == "message"
    assert len(json.dumps(activity).encode("utf-8")) <= MAX_ACTIVITY_BYTES
    card = card_of(activity)
    errors = sorted(validator().iter_errors(card), key=lambda error: list(error.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message[:300]}" for e in errors[:5])
    assert (card["type"], card["version"], card["$schema"]) == ("AdaptiveCard", "1.5", CARD_SCHEMA)
    assert all(block["wrap"] is True for block in _blocks(card["body"]))
    shown = "\n".join(texts(activity))
    tags = set(re.findall(r"<at>.*?</at>", shown))
    listed = {entity["text"] for entity in entities(activity)}
    assert tags == listed, (tags, listed)
    return card


def _blocks(elements: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for element in elements:
        if element["type"] == "TextBlock":
            yield element
        yield from _blocks(element.get("items", ()))


def rendered(replies: Sequence[Reply], **kwargs: Any) -> list[dict[str, Any]]:
    """`to_activities` for REF and NAMES, every activity checked by `assert_valid`."""
    activities = to_activities(replies, REF, names, **kwargs)
    for activity in activities:
        assert_valid(activity)
    return activities


def summary_of(**changes: Any) -> Summary:
    return sample_summary(ALICE, **changes)


def metadata(reply: Reply) -> PostMetadata:
    """The metadata a reply's post carries, which must exist."""
    found = metadata_for(reply, REF)
    assert found is not None, reply
    return found


def whole_intake() -> list[list[Reply]]:
    """Every turn's replies of one intake run through the real dialogue: a re-ask, the
    happy answers, a second stakeholder whose "200 GB" is clarified and conflicts, an
    owner named by mention, then the summary, status and help."""
    flow = Flow("Fraud scoring", starter=ALICE)
    turns = [flow.replies]

    def turn(text: str, **kwargs: Any) -> None:
        flow.send(text, **kwargs)
        turns.append(flow.replies)

    turn("lots")
    for text in HAPPY_ANSWERS.values():
        turn(text)
    turn("edit volume", user=BOB)
    turn("200 GB", user=BOB)
    clarify = next(reply for reply in flow.replies if isinstance(reply, Clarify))
    flow.choose("volume", clarify.options[1].id, user=BOB)
    turns.append(flow.replies)
    turn("owner @Maria", mentions=(MARIA,))
    turn("summary")
    turn("status")
    turn("help")
    return turns


def test_every_card_of_a_whole_intake_is_a_valid_adaptive_card() -> None:
    """Each activity of a whole intake, from start to summary, is a valid card within the limit."""
    turns = whole_intake()
    replies = [reply for replies in turns for reply in replies]
    assert {Notice, Reask, Clarify, SummaryReply} <= {type(reply) for reply in replies}
    posted = [rendered(replies) for replies in turns]
    assert all(len(activities) == 1 for activities in posted)  # each turn reads as one post
    summary_turn = max(
        n for n, replies in enumerate(turns) if any(isinstance(r, SummaryReply) for r in replies)
    )
    (summary,) = [reply for reply in turns[summary_turn] if isinstance(reply, SummaryReply)]
    assert summary.summary.conflicts
    assert summary.summary.owner == MARIA
    (card,) = posted[summary_turn]
    assert {"id": MARIA.id, "name": "Maria"} in [e["mentioned"] for e in entities(card)]
    assert {BOB, ALICE} <= {e["mentioned"]["id"] for e in entities(card)}  # the conflict


def test_channel_data_is_the_post_metadata_of_the_reply() -> None:
    """channelData.intake is exactly the object Slack sends as metadata, for every kind of post."""
    for replies in whole_intake():
        activities = rendered(replies)
        expected = [metadata(reply) for reply in replies if metadata_for(reply, REF) is not None]
        if len(activities) > len(expected):  # notices after the last card post on their own
            expected.append(notice_metadata(REF))
        assert [a["channelData"]["intake"] for a in activities] == [
            m.model_dump() for m in expected
        ]


def test_a_keyed_post_carries_the_outbox_id_and_its_part() -> None:
    """With a key, each activity's intake object is `PostMetadata.keyed(key, part)`."""
    question = ask("churn", ALICE)
    trailing = Notice(template=msg.HELP)
    first, second = rendered([question, trailing], key="outbox-7")
    assert first["channelData"]["intake"] == metadata(question).keyed("outbox-7", 0).model_dump()
    assert second["channelData"]["intake"] == notice_metadata(REF).keyed("outbox-7", 1).model_dump()


def test_notices_ride_on_the_following_question_and_a_trailing_one_gets_its_own_card() -> None:
    """A turn's notices sit on top of the next card, split from it by a line; the rest post alone."""
    saved = Notice(
        template=msg.SAVED, params={"question": "Data volume", "value": "40 GB", "note": ""}
    )
    notice = Notice(template=msg.HELP)
    question, trailing = rendered([saved, ask("stakeholders", BOB), notice])
    body = card_of(question)["body"]
    assert body[0]["text"] == "Saved Data volume: 40 GB."
    assert body[1]["separator"] is True
    assert body[1]["text"].startswith(f"<at>{NAMES[BOB]}</at> **2/{len(CATALOG)} · Stakeholders**")
    assert texts(trailing)[0].startswith("Answer each question in your own words")
    assert trailing["channelData"]["intake"]["event_type"] == "intake_notice"


def test_the_question_card_holds_progress_prompt_why_examples_and_hints() -> None:
    """Progress and title, prompt, why, examples, current answer and the optional hint, and no
    word that buttons are the only way to answer."""
    question = ask("model", ALICE, current_answer="xgboost")
    (activity,) = rendered([question])
    shown = texts(activity)
    assert shown[0] == f"<at>{NAMES[ALICE]}</at> **9/9 · Model type**"
    assert shown[1] == question.prompt
    assert shown[2] == f"_Why:_ {question.why}"
    assert (
        shown[3]
        == "_For example:_ xgboost, about $300 to train · TensorFlow CNN, $5,000 to train · unknown"
    )
    assert shown[4] == "_Current answer:_ xgboost"
    assert shown[5] == "Optional: reply **skip** to leave it out."
    assert not any(word in text.lower() for text in shown for word in ("click", "button", "tap"))
    assert activity["summary"] == f"9/9 Model type: {question.prompt}"


@pytest.mark.parametrize("question", [q for q in CATALOG if q.choices], ids=lambda q: q.id)
def test_choice_buttons_submit_the_question_id_and_the_value(question: Question) -> None:
    """Each choice is an Action.Submit whose data decodes to (question id, choice id)."""
    (activity,) = rendered([ask(question.id, ALICE)])
    actions = card_of(activity)["actions"]
    assert [action["type"] for action in actions] == ["Action.Submit"] * len(question.choices)
    for action, choice in zip(actions, question.choices, strict=True):
        assert action["title"] == choice.label
        assert decode_choice(action["data"][CHOICE_FIELD]) == (question.id, choice.id)
        assert action["data"][LABEL_FIELD] == choice.label


def test_a_question_without_choices_has_no_buttons() -> None:
    """A free-text question shows no actions at all."""
    (activity,) = rendered([ask("volume", ALICE)])
    assert "actions" not in card_of(activity)


def test_clarify_quotes_the_answer_and_its_buttons_submit_the_whole_answer() -> None:
    """Answering "200 GB" to the volume asks for the period; each button carries the full answer."""
    flow = Flow("Fraud scoring", starter=ALICE).send("200 GB")
    (clarify,) = flow.replies
    assert isinstance(clarify, Clarify)
    (activity,) = rendered(flow.replies)
    card = card_of(activity)
    assert card["body"][0]["style"] == "emphasis"
    assert card["body"][0]["items"][0]["text"] == "200 GB"
    assert (
        card["body"][1]["text"] == f"<at>{NAMES[ALICE]}</at> 200 GB per day, per week or per month?"
    )
    assert [decode_choice(a["data"][CHOICE_FIELD]) for a in card["actions"]] == [
        ("volume", "200 GB per day"),
        ("volume", "200 GB per week"),
        ("volume", "200 GB per month"),
    ]
    assert [a["data"][LABEL_FIELD] for a in card["actions"]] == ["per day", "per week", "per month"]
    assert activity["channelData"]["intake"] == metadata(clarify).model_dump()


def test_a_clarify_answer_too_long_for_a_button_is_left_to_be_typed() -> None:
    """An option whose data would pass the value limit gets no button; the card is still valid."""
    long_answer = "Ω" * 1000 + " per week"
    clarify = Clarify(
        question_id="volume",
        quoted="Ω" * 1000,
        ask="Per day or per week?",
        options=(
            ChoiceButton(id="1 GB per day", label="per day"),
            ChoiceButton(id=long_answer, label="per week"),
        ),
        to_user=Person(id=ALICE),
    )
    (activity,) = rendered([clarify])
    actions = card_of(activity)["actions"]
    assert [a["title"] for a in actions] == ["per day"]


def test_a_reask_quotes_the_typed_answer_and_says_what_is_expected() -> None:
    """A re-ask quotes the answer in a box, then mentions who typed it with what was expected."""
    reask = Reask(
        question_id="volume",
        quoted="lots",
        problem="I couldn't find a data size.",
        expected="a size with a unit and a period",
        example="40 GB a day",
        to_user=Person(id=ALICE),
    )
    (activity,) = rendered([reask])
    assert texts(activity) == [
        "lots",
        f"<at>{NAMES[ALICE]}</at> I couldn't find a data size. I expected a size with a unit "
        "and a period, for example: 40 GB a day",
    ]


def test_answered_card_drops_the_buttons_and_names_who_chose_what() -> None:
    """After a click the card shows the question and "<who> chose <label>", with no actions."""
    activity = answered_card("churn", Person(id=ALICE, name="Alice Example"), "<b>Never</b> **x**")
    card = assert_valid(activity)
    assert "actions" not in card
    assert texts(activity) == [
        f"**3/{len(CATALOG)} · Data churn**",
        CATALOG[2].prompt,
        r"✅ <at>Alice Example</at> chose **&lt;b&gt;Never&lt;/b&gt; \*\*x\*\***",
    ]
    assert entities(activity) == [
        {
            "type": "mention",
            "text": "<at>Alice Example</at>",
            "mentioned": {"id": ALICE, "name": "Alice Example"},
        }
    ]
    assert "channelData" not in activity


def test_a_person_is_mentioned_by_name_with_an_entity_in_the_card() -> None:
    """A person becomes `<at>Name</at>` in the text and a mention entity naming their id."""
    notice = Notice(template=msg.INTAKE_STARTED, params={"project": "X", "user": Person(id=BOB)})
    (activity,) = rendered([notice])
    assert texts(activity) == [
        f"Intake for **X** started by <at>{NAMES[BOB]}</at>. Reply in this thread to answer."
    ]
    assert entities(activity) == [
        {
            "type": "mention",
            "text": f"<at>{NAMES[BOB]}</at>",
            "mentioned": {"id": BOB, "name": NAMES[BOB]},
        }
    ]
    assert "entities" not in activity  # card mentions live in the card's msteams property


def test_a_name_the_person_carries_wins_and_an_unknown_one_still_pings() -> None:
    """Person.name comes first, then `names`; with neither the mention reads "someone", by id."""
    asked: list[str] = []

    def lookup(user: str) -> str | None:
        asked.append(user)
        return "Looked Up"

    joined = Notice(
        template=msg.SAVED_CONFLICT,
        params={
            "question": "SLA",
            "value": "50 ms",
            "note": "",
            "others": Person(id="29:1carol", name="Carol"),
        },
    )
    (activity,) = to_activities([joined], REF, lookup)
    assert "<at>Carol</at> answered differently" in texts(activity)[0]
    assert asked == []
    (unknown,) = to_activities([ask("sla", "29:1nobody")], REF, lambda _user: None)
    assert_valid(unknown)
    assert texts(unknown)[0].startswith(f"<at>{UNKNOWN_NAME}</at> ")
    assert entities(unknown)[0]["mentioned"] == {"id": "29:1nobody", "name": UNKNOWN_NAME}


def test_a_display_name_cannot_break_out_of_its_mention() -> None:
    """Tag and markup characters in a display name are dropped; the mention stays one tag."""
    person = Person(id="29:1eve", name="Eve</at> <at>General [x](http://evil) *")
    (activity,) = rendered([ask("sla", "29:1eve").model_copy(update={"to_user": person})])
    heading = texts(activity)[0]
    assert heading.startswith("<at>Eve/at atGeneral x(http://evil)</at> **7/9")
    assert heading.count("<at>") == 1


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("[x](http://evil)", r"\[x\](http://evil)"),
        ("![i](http://evil/i.png)", r"!\[i\](http://evil/i.png)"),
        ("<at>General</at>", "&lt;at&gt;General&lt;/at&gt;"),
        ("<b>bold</b>", "&lt;b&gt;bold&lt;/b&gt;"),
        ("**x** _y_ `z` ~~w~~", r"\*\*x\*\* \_y\_ \`z\` \~\~w\~\~"),
        ("R&D &lt;ok&gt;", "R&amp;D &amp;lt;ok&amp;gt;"),
        ("C:\\temp", "C:\\\\temp"),
        ("{{DATE(2017-02-14T06:08:00Z)}}", r"\{\{DATE(2017-02-14T06:08:00Z)\}\}"),
        ("# heading", r"\# heading"),
        ("- item\n+ more\n= under", "\\- item\n\\+ more\n\\= under"),
        ("1. first", r"1\. first"),
        ("yes - per-customer thresholds (v2.1)", "yes - per-customer thresholds (v2.1)"),
        ("40 GB a day", "40 GB a day"),
    ],
    ids=[
        "link",
        "image",
        "mention",
        "html",
        "emphasis",
        "entities",
        "backslash",
        "date-function",
        "heading",
        "block-markers",
        "ordered-list",
        "ordinary",
        "plain",
    ],
)
def test_escape_markdown_makes_typed_text_literal(typed: str, shown: str) -> None:
    """Each construct people could type comes out in the exact escaped form that shows as typed."""
    assert escape_markdown(typed) == shown


def test_hostile_typed_text_renders_as_plain_text_everywhere() -> None:
    """Notice parameters, quotes, project and stakeholder names, owners and conflicting answers
    show the escaped form, and no raw link, image, mention or HTML reaches a card."""
    started = Notice(
        template=msg.INTAKE_STARTED, params={"project": HOSTILE, "user": Person(id=ALICE)}
    )
    reask = Reask(
        question_id="volume",
        quoted=HOSTILE,
        problem="I couldn't read that answer.",
        expected="a size",
        example="40 GB a day",
        to_user=Person(id=ALICE),
    )
    clarify = Clarify(
        question_id="volume",
        quoted=HOSTILE,
        ask="Per day or per week?",
        options=(ChoiceButton(id="1 GB per day", label="per day"),),
        to_user=Person(id=ALICE),
    )
    conflict = Conflict(
        question_id="volume",
        title="Data volume",
        answers=(answer_line("volume", HOSTILE, BOB), answer_line("volume", "40 GB a day", ALICE)),
        used=answer_line("volume", HOSTILE, BOB),
    )
    summary = summary_of(project=HOSTILE, owner=HOSTILE, conflicts=(conflict,))
    activities = rendered([started, reask, ask("volume", ALICE, current_answer=HOSTILE)])
    activities += rendered([clarify])
    activities += rendered([SummaryReply(summary=summary)])
    shown = [texts(activity) for activity in activities]

    assert shown[0][0] == (
        f"Intake for **{HOSTILE_SHOWN}** started by <at>{NAMES[ALICE]}</at>. "
        "Reply in this thread to answer."
    )
    assert shown[0][1] == HOSTILE_SHOWN  # the re-ask's quote
    assert f"_Current answer:_ {HOSTILE_SHOWN}" in shown[0]
    assert shown[1][0] == HOSTILE_SHOWN  # the clarification's quote
    assert shown[2][0] == f"Intake summary: {HOSTILE_SHOWN}"
    assert shown[2][-1] == f"Project owner: {HOSTILE_SHOWN}"
    conflicts = next(text for text in shown[2] if text.startswith("- **Data volume**"))
    assert conflicts == (
        f"- **Data volume**: <at>{NAMES[BOB]}</at>: {HOSTILE_SHOWN}; "
        f"<at>{NAMES[ALICE]}</at>: 40 GB a day (using _{HOSTILE_SHOWN}_)"
    )
    everything = "\n".join(text for texts_ in shown for text in texts_)
    assert not [piece for piece in RAW_PIECES if piece in everything]
    mentioned = {e["mentioned"]["id"] for activity in activities for e in entities(activity)}
    assert mentioned == {ALICE, BOB}  # the typed owner and <at>General</at> ping nobody


def test_typed_stakeholder_names_from_the_dialogue_stay_plain() -> None:
    """A stakeholders answer full of markup, saved by the real dialogue, is said back escaped."""
    flow = Flow("Fraud scoring", starter=ALICE).send("40 GB a day")
    flow.send("@maria, [x](http://evil), <b>ops</b>, <at>General</at>")
    (activity,) = rendered(flow.replies)
    assert texts(activity)[0] == (
        r"Saved Stakeholders: @maria, \[x\](http://evil), &lt;b&gt;ops&lt;/b&gt;, "
        "&lt;at&gt;General&lt;/at&gt;."
    )


@pytest.mark.parametrize(
    ("owner", "text", "mentioned"),
    [
        (MARIA, "Project owner: <at>Maria</at>", [{"id": MARIA.id, "name": "Maria"}]),
        (
            Person(id=BOB),
            f"Project owner: <at>{NAMES[BOB]}</at>",
            [{"id": BOB, "name": NAMES[BOB]}],
        ),
        ("<at>General</at>", "Project owner: &lt;at&gt;General&lt;/at&gt;", []),
        ("maria & co", "Project owner: maria &amp; co", []),
    ],
    ids=["mention", "mention-by-id", "typed-mention-syntax", "typed-name"],
)
def test_the_owner_is_a_mention_only_when_a_person(
    owner: Owner, text: str, mentioned: list[dict[str, str]]
) -> None:
    """An owner named by mention is a Teams mention; a typed name, whatever it holds, is text."""
    (activity,) = rendered([SummaryReply(summary=summary_of(owner=owner))])
    assert texts(activity)[-1] == text
    assert [e["mentioned"] for e in entities(activity)] == mentioned


def test_a_missing_owner_is_flagged_with_how_to_name_one() -> None:
    """A summary without an owner ends with a warning that says how to name one."""
    (activity,) = rendered([SummaryReply(summary=summary_of(owner=None))])
    last = card_of(activity)["body"][-1]
    assert last["color"] == "warning"
    assert last["text"] == "⚠️ No project owner named: reply **owner @name**."


def test_the_summary_card_holds_what_slacks_summary_card_holds() -> None:
    """Title, recommendation, ratings, report card, reasons, compute, alternatives with what
    would make each win, risks with what to do, conflicts, open questions and the owner."""
    risk = Risk(
        id="r1", severity=Severity.HIGH, message="Too **big**.", action="Name one (`owner @x`)."
    )
    conflict = Conflict(
        question_id="sla",
        title="SLA",
        answers=(answer_line("sla", "under 50 ms", ALICE), answer_line("sla", "2 seconds", BOB)),
        used=answer_line("sla", "2 seconds", BOB),
    )
    base = summary_of()
    a = base.assessment.model_copy(update={"risks": (risk,)})
    summary = summary_of(
        assessment=a, conflicts=(conflict,), open_questions=("Model type",), owner=MARIA
    )
    (activity,) = rendered([SummaryReply(summary=summary)])
    card = card_of(activity)
    shown = texts(activity)
    assert card["body"][0]["style"] == "heading"
    assert shown[0] == "Intake summary: Fraud scoring"
    assert shown[1] == (
        f"Recommended deployment: **{a.label}** (score {a.scores[a.strategy]:.0f}/100)"
    )
    facts = next(element["facts"] for element in card["body"] if element["type"] == "FactSet")
    assert [fact["title"] for fact in facts] == list(msg.LABEL_RATINGS.values())
    assert any(text.startswith(f"{msg.LABEL_REPORT_CARD} (") for text in shown)
    assert "**Why**" in shown
    assert any(text.startswith("**Compute** (") for text in shown)
    assert f"**{msg.LABEL_ALTERNATIVES}**" in shown
    alternatives = shown[shown.index(f"**{msg.LABEL_ALTERNATIVES}**") + 1]
    assert alternatives.count("\n- ") + 1 == len(a.alternatives)
    assert "**Complexity risks** (1)" in shown
    assert "🔴 **high**: Too **big**." in shown
    assert "_What to do:_ Name one (**owner @x**)." in shown
    assert (
        f"- **SLA**: <at>{NAMES[ALICE]}</at>: under 50 ms; <at>{NAMES[BOB]}</at>: 2 seconds "
        "(using _2 seconds_)"
    ) in shown
    assert "Open questions: Model type" in shown
    assert shown[-1] == "Project owner: <at>Maria</at>"
    assert activity["summary"] == msg.SUMMARY_FALLBACK.format(
        project="Fraud scoring", strategy=a.label, score=a.scores[a.strategy]
    )


def test_our_markup_becomes_teams_bold_and_placeholders_keep_their_format() -> None:
    """`**x**` and `` `x` `` both show bold; `<project name>` in our own text is escaped;
    number formats such as `{length:,}` still apply."""
    no_intake, too_long = rendered(
        [
            Notice(template=msg.NO_INTAKE),
            Notice(
                template=msg.TOO_LONG, params={"length": 2500, "limit": 2000}, tone=Tone.PROBLEM
            ),
        ]
    )[0]["attachments"][0]["content"]["body"]
    assert no_intake["text"] == (
        "There is no intake here yet. Start one with **start &lt;project name&gt;**."
    )
    assert too_long["text"] == "That answer is 2,500 characters long; I take at most 2,000."
    assert too_long["color"] == "attention"


def _huge_summary(filler: str) -> Summary:
    risks = tuple(
        Risk(id=f"r{n}", severity=Severity.HIGH, message=filler * 40, action=filler * 40)
        for n in range(40)
    )
    conflicts = tuple(
        Conflict(
            question_id=question.id,
            title=question.title,
            answers=tuple(
                answer_line(question.id, filler * 40, f"29:1person{n}") for n in range(6)
            ),
            used=answer_line(question.id, filler * 40, "29:1person5"),
        )
        for question in CATALOG
    )
    assessment = summary_of().assessment.model_copy(update={"risks": risks})
    return summary_of(
        project=filler * 4,
        owner=filler * 40,
        assessment=assessment,
        conflicts=conflicts,
        open_questions=tuple(question.title for question in CATALOG),
    )


@pytest.mark.parametrize(
    "filler", [HOSTILE, "Ωμέγα € 😀 数据 " * 3], ids=["ascii-markup", "non-ascii"]
)
def test_a_summary_with_huge_typed_answers_stays_under_the_size_limit(filler: str) -> None:
    """Thousands of characters of typed answers, risks and conflicts still make one valid card,
    cut with an ellipsis, its title and owner line kept."""
    notices = [
        Notice(template=msg.SAVED, params={"question": "SLA", "value": filler * 40, "note": ""})
    ]
    (activity,) = rendered([*notices, SummaryReply(summary=_huge_summary(filler))])
    shown = texts(activity)
    assert len(json.dumps(activity).encode("utf-8")) <= MAX_ACTIVITY_BYTES
    assert any(text.startswith("Intake summary: ") for text in shown)
    assert any(text.startswith("Project owner: ") for text in shown)
    assert any(ELLIPSIS in text for text in shown)
    assert "**Complexity risks** (40)" in shown


def test_a_turn_too_long_for_one_card_drops_detail_from_the_end() -> None:
    """Hundreds of long notices still post as one valid card: the first notices and the
    question are kept, the cut is marked."""
    notices = [
        Notice(template=msg.SAVED, params={"question": f"Q{n}", "value": "数据" * 500, "note": ""})
        for n in range(300)
    ]
    (alone,) = rendered(notices)
    assert texts(alone)[0].startswith("Saved Q0: ")
    assert texts(alone)[-1] == ELLIPSIS
    (question,) = rendered([*notices, ask("churn", ALICE)])
    shown = texts(question)
    heading = f"<at>{NAMES[ALICE]}</at> **3/9 · Data churn**"
    assert shown[0].startswith("Saved Q0: ")
    assert shown[shown.index(heading) - 1] == ELLIPSIS  # the notices are cut, the question kept
    assert len(card_of(question)["actions"]) == len(CATALOG[2].choices)


def test_the_schema_in_the_test_kit_refuses_what_teams_would() -> None:
    """The checker is not a rubber stamp: an unknown element or a TextBlock without text fails."""
    (activity,) = rendered([ask("volume", ALICE)])
    card = card_of(activity)
    broken: list[Callable[[dict[str, Any]], None]] = [
        lambda c: c["body"].append({"type": "Marquee", "text": "hi"}),
        lambda c: c["body"][0].pop("text"),
        lambda c: c.update({"actions": [{"type": "Action.Submit", "data": 1}]}),
        lambda c: c["msteams"]["entities"].append({"type": "mention", "text": "x"}),
    ]
    for breaking in broken:
        changed = copy.deepcopy(card)
        breaking(changed)
        assert list(validator().iter_errors(changed)), breaking


# --- the scope-creep guard ---------------------------------------------------------------


def warned_flow() -> tuple[Flow, WarningReply]:
    """An owned batch intake changed answer by answer into an event stream, and the scope-change
    warning that moved the strategy (still open)."""
    flow = baseline_flow(owner=MARIA)
    flipped = None
    for question_id, text in STREAM_ANSWERS.items():
        flow.send(f"edit {question_id}").send(text)
        for reply in flow.warnings:
            if reply.warning.from_strategy is not reply.warning.to_strategy:
                flipped = reply
    assert flipped is not None
    return flow, flipped


def actions_of(activity: dict[str, Any]) -> list[dict[str, Any]]:
    return list(card_of(activity).get("actions", []))


def test_a_warning_is_a_card_with_a_block_per_line_and_approve_and_reject() -> None:
    """An open scope change: one TextBlock per sentence, its metadata, and two command buttons."""
    _, warning = warned_flow()
    saved = Notice(template=msg.HELP)
    (activity,) = rendered([saved, warning])
    number = warning.warning.number
    assert [(a["type"], a["title"], a["data"]) for a in actions_of(activity)] == [
        ("Action.Submit", msg.BUTTON_APPROVE, {cards.COMMAND_FIELD: f"approve {number}"}),
        ("Action.Submit", msg.BUTTON_REJECT, {cards.COMMAND_FIELD: f"reject {number}"}),
    ]
    body = card_of(activity)["body"]
    assert len(body) == 1 + len(warning.lines)  # the help notice rides on top
    assert body[1]["separator"] is True
    assert body[1]["text"].startswith(cards.WARNING_MARK)
    assert activity["channelData"]["intake"] == metadata(warning).model_dump()
    assert activity["channelData"]["intake"]["event_payload"]["status"] == "open"
    assert {"id": MARIA.id, "name": "Maria"} in [e["mentioned"] for e in entities(activity)]


def test_a_warning_that_waits_for_nothing_has_no_buttons() -> None:
    """A notice-kind warning (or a decided one) is shown without Approve and Reject."""
    _, warning = warned_flow()
    notice = warning.model_copy(
        update={
            "warning": warning.warning.model_copy(
                update={"kind": WarningKind.REPEATED_CHANGES, "status": WarningStatus.NOTICE}
            )
        }
    )
    (activity,) = rendered([notice])
    assert "actions" not in card_of(activity)
    assert activity["channelData"]["intake"]["event_payload"]["status"] == "notice"


def test_typed_text_in_a_warning_is_escaped() -> None:
    """The old and new answers quoted in a warning are typed text: no markup, no forged mention."""
    _, warning = warned_flow()
    params = {"question": "SLA", "old": HOSTILE, "new": HOSTILE, "old_reading": "a"}
    quoted = Notice(template=msg.SCOPE_CHANGE_LINE, params={**params, "new_reading": "b"})
    hostile = warning.model_copy(update={"lines": (warning.lines[0], quoted, *warning.lines[1:])})
    (activity,) = rendered([hostile])
    shown = texts(activity)
    assert shown[1] == f"SLA: {HOSTILE_SHOWN} (a) → {HOSTILE_SHOWN} (b)"
    for raw in RAW_PIECES:
        assert raw not in "\n".join(shown)


def test_a_decided_warning_renders_for_an_update_with_who_and_when() -> None:
    """After the owner's approval the card has no buttons, names her, and says approved."""
    flow, warning = warned_flow()
    flow.send(f"approve {warning.warning.number}", user=MARIA.id)
    (decided,) = [r for r in flow.replies if isinstance(r, WarningReply) and r.in_place]
    activity = decided_card(decided, REF, {MARIA.id: "Maria"}.get)
    assert_valid(activity)
    assert "actions" not in card_of(activity)
    assert activity["channelData"]["intake"]["event_payload"]["status"] == "approved"
    assert texts(activity)[-1].startswith("Approved by <at>Maria</at>")
    with pytest.raises(ValueError, match="still open"):
        decided_card(warning, REF, names)


def test_the_summary_card_has_an_export_record_button() -> None:
    """The summary's one button submits `export`, the same words as typing it."""
    (activity,) = rendered([SummaryReply(summary=summary_of())])
    assert actions_of(activity) == [
        {
            "type": "Action.Submit",
            "title": msg.BUTTON_EXPORT_RECORD,
            "data": {cards.COMMAND_FIELD: "export"},
        }
    ]


def big_record(line: str, lines: int) -> RecordReply:
    markdown = "# Requirements and decision record: X\n\n## Answers\n\n"
    markdown += "".join(f"- {n}: {line}\n" for n in range(lines))
    markdown += "\n## Change history\n\nNo change since the first summary.\n"
    return RecordReply(project="X", filename="requirements-x.md", markdown=markdown)


@pytest.mark.parametrize("line", ["plain answer text " * 10, "Ωμέγα 数据 😀 " * 12])
def test_a_long_record_is_split_on_line_ends_into_messages_within_the_limit(line: str) -> None:
    """A record too long for one message becomes several markdown messages, in order, each
    within the limit, cut only at line ends; together they are the whole record."""
    record = big_record(line, 600)
    before = Notice(template=msg.HELP)
    posted = to_activities([before, record], REF, names, key="outbox-9")
    assert_valid(posted[0])  # the notice before the record is a card of its own
    messages = posted[1:]
    assert len(messages) > 2
    for part, activity in enumerate(messages, start=1):
        assert len(json.dumps(activity).encode("utf-8")) <= MAX_ACTIVITY_BYTES
        assert (activity["type"], activity["textFormat"]) == ("message", "markdown")
        assert activity["channelData"]["intake"]["event_payload"]["part"] == part
        assert activity["text"].endswith("\n")
    assert "".join(a["text"] for a in messages) == record_markdown(record.markdown)
    assert messages[-1]["text"].endswith("No change since the first summary.\n")


def test_a_line_longer_than_a_message_is_cut_between_characters() -> None:
    """One line bigger than a whole message still posts, cut into pieces within the limit."""
    record = RecordReply(project="X", filename="x.md", markdown="数" * 20_000 + "\nend\n")
    pieces = list(record_texts(record))
    assert len(pieces) > 1
    assert "".join(pieces) == record.markdown
    for piece in pieces:
        activity = {"type": "message", "textFormat": "markdown", "text": piece}
        assert len(json.dumps(activity).encode("utf-8")) <= MAX_ACTIVITY_BYTES


def test_record_markdown_is_safe_for_a_teams_text_message() -> None:
    """The record's escaped `<`, `>` become entities, `&` is kept literal, braces are escaped."""
    assert record_markdown(r"\<b\>x\</b\> & {{DATE()}} \\\<") == (
        r"&lt;b&gt;x&lt;/b&gt; &amp; \{\{DATE()\}\} \\&lt;"
    )


def test_replies_for_one_person_posted_for_all_start_by_mentioning_them() -> None:
    """`addressed_to`: the first card opens with a mention of that person, with its entity."""
    refusal = Notice(template=msg.SCOPE_NOTHING_WAITING, tone=Tone.PROBLEM)
    (activity,) = rendered([refusal], addressed_to=ALICE)
    assert texts(activity)[0].startswith(f"<at>{NAMES[ALICE]}</at> ")
    assert ALICE in [e["mentioned"]["id"] for e in entities(activity)]
    (plain,) = rendered([refusal])
    assert not texts(plain)[0].startswith("<at>")


# --- digests and reminders -----------------------------------------------------------------

CHANNEL_REF = REF.in_thread("")
PERIOD_END = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def item(n: int, project: str | None = None) -> IntakeItem:
    return IntakeItem(thread=f"17000000{n:05d}", project=project or f"Project {n}")


def digest_of(
    count: int, project: Callable[[int], str] = lambda n: f"Project {n}", people: int = 2
) -> DigestReply:
    """A digest of `count` intakes, each started, idle and owing answers to Alice, Bob and
    `people - 2` more people of its own."""
    items = [item(n, project(n)) for n in range(count)]

    def owed(n: int) -> tuple[Person, ...]:
        others = [Person(id=f"29:1p{n}x{p}", name=f"Person {n}.{p}") for p in range(people - 2)]
        return (Person(id=ALICE), Person(id=BOB), *others)

    return DigestReply(
        period_start=PERIOD_END - timedelta(days=1),
        period_end=PERIOD_END,
        timezone="Europe/Berlin",
        started=tuple(items),
        owing=tuple(
            Owing(intake=i, people=owed(n), questions=("Data volume", "Data churn"))
            for n, i in enumerate(items)
        ),
        idle=tuple(Idle(intake=i, days=9) for i in items),
        quiet_changes=3,
    )


def reminder_of(project: str = "Fraud scoring") -> ReminderReply:
    return ReminderReply(
        project=project,
        owing=(
            (Person(id=ALICE), ("Data volume", "Data churn")),
            (MARIA, ("Data volume",)),
        ),
        idle_hours=30,
    )


def link_to(thread: str) -> str:
    return (
        "https://teams.microsoft.com/l/message/19%3Achannel%40thread.tacv2/"
        f"{thread}?tenantId=tenant-1&parentMessageId={thread}"
    )


def test_message_link_is_teams_deep_link_to_the_chain_with_every_part_encoded() -> None:
    """`/l/message/<channel>/<root>?tenantId=..&parentMessageId=<root>`; no link without a chain."""
    assert message_link(REF, "1700000000001") == link_to("1700000000001")
    odd = IntakeRef("teams", "t&1", "19:a b@thread.tacv2", "")
    assert message_link(odd, "1/2") == (
        "https://teams.microsoft.com/l/message/19%3Aa%20b%40thread.tacv2/1%2F2"
        "?tenantId=t%261&parentMessageId=1%2F2"
    )
    assert message_link(REF, "") is None


def test_a_digest_is_one_card_of_its_lines_with_links_mentions_and_metadata() -> None:
    """A TextBlock per line of `digest_lines`: headings bold with a line above, each project
    a link to its chain, each person who owes answers a mention; channelData is the digest's."""
    digest = digest_of(2)
    (activity,) = rendered([digest], key="outbox-1")
    shown = texts(activity)
    assert len(shown) == len(digest_lines(digest))
    assert shown[0].startswith("**Intake digest**: ")
    assert shown[1] == (
        f"**Started**: [Project 0]({link_to(item(0).thread)}) and "
        f"[Project 1]({link_to(item(1).thread)})"
    )
    headings = [b for b in card_of(activity)["body"] if b.get("separator")]
    assert [b["text"] for b in headings] == [
        "**Waiting for answers**",
        "**Idle for more than 7 days**",
    ]
    assert shown[3] == (
        f"[Project 0]({link_to(item(0).thread)}): <at>{NAMES[ALICE]}</at> and "
        f"<at>{NAMES[BOB]}</at> still owe Data volume, Data churn."
    )
    assert {e["mentioned"]["id"] for e in entities(activity)} == {ALICE, BOB}
    assert activity["channelData"]["intake"] == metadata(digest).keyed("outbox-1", 0).model_dump()
    assert activity["channelData"]["intake"]["event_payload"]["owing"] == 2
    assert activity["summary"].startswith("Intake digest: ")


def test_a_digest_of_200_intakes_is_one_card_within_the_limit() -> None:
    """Two hundred intakes with long names and many people owing still make one valid card."""
    digest = digest_of(200, lambda n: f"Project {n} " + "数据 and more " * 300, people=12)
    (activity,) = rendered([digest])
    assert activity["channelData"]["intake"]["event_payload"]["started"] == 200
    assert texts(activity)[0].startswith("**Intake digest**: ")


def test_a_digest_too_big_for_one_card_drops_lines_from_the_end() -> None:
    """With more mentions than a card holds, lines go from the end and an ellipsis marks it."""
    (activity,) = rendered([digest_of(10, people=60)])
    shown = texts(activity)
    assert shown[0].startswith("**Intake digest**: ")
    assert shown[-1] == ELLIPSIS
    assert len(shown) < len(digest_lines(digest_of(10, people=60)))
    assert activity["channelData"]["intake"]["event_type"] == "intake_digest"


def test_typed_project_names_in_a_digest_and_a_reminder_are_escaped() -> None:
    """A project name full of markup is link text (escaped) in a digest, plain in a reminder."""
    (digest,) = rendered([digest_of(1, lambda n: HOSTILE)])
    (reminder,) = rendered([reminder_of(HOSTILE)])
    assert f"**Started**: [{HOSTILE_SHOWN}]({link_to(item(0).thread)})" in texts(digest)
    assert texts(reminder)[0].startswith(f"**{HOSTILE_SHOWN}** has had no answer")
    everything = "\n".join([*texts(digest), *texts(reminder)])
    assert not [piece for piece in RAW_PIECES if piece in everything]
    mentioned = {e["mentioned"]["id"] for a in (digest, reminder) for e in entities(a)}
    assert mentioned == {ALICE, BOB, MARIA.id}  # <at>General</at> pings nobody


def test_a_link_where_there_is_no_chain_is_its_escaped_text() -> None:
    """In a group chat (no reply chains) a digest names each project without a link."""
    chat = IntakeRef("teams", "tenant-1", "19:chat@thread.v2", "")
    digest = digest_of(1, lambda n: "a_b").model_copy(
        update={"started": (IntakeItem(thread="", project="a_b"),), "owing": (), "idle": ()}
    )
    (activity,) = to_activities([digest], chat, names)
    assert_valid(activity)
    assert texts(activity)[1] == r"**Started**: a\_b"


def test_a_reminder_is_a_card_mentioning_each_person_who_owes_answers() -> None:
    """A TextBlock per line of `reminder_lines`, each person a mention, the reminder's object."""
    reminder = reminder_of()
    (activity,) = rendered([reminder])
    shown = texts(activity)
    assert len(shown) == len(reminder_lines(reminder))
    assert shown[0] == "**Fraud scoring** has had no answer for 30 hours. Still open:"
    assert shown[1] == f"<at>{NAMES[ALICE]}</at>: Data volume, Data churn"
    assert shown[2] == "<at>Maria</at>: Data volume"
    assert {e["mentioned"]["id"] for e in entities(activity)} == {ALICE, MARIA.id}
    intake = activity["channelData"]["intake"]
    assert intake == metadata(reminder).model_dump()
    assert intake["event_type"] == "intake_reminder"
    assert intake["event_payload"]["people"] == 2
