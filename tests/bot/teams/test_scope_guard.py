"""The owner's scope-creep guard on Teams, over real HTTP with authentication on.

An intake is answered in a channel's reply chain to its summary (a web
service), Maria is named owner by mention, and the SLA is then changed to
"by the next morning", which moves the plan to batch: a warning card with
Approve and Reject. Clicks arrive as signed card submissions, private
refusals go to a one-to-one chat the connector stand-in opens, and the
record is exported as markdown messages in the chain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from structlog.testing import capture_logs

from bot.teams.cards import COMMAND_FIELD, MAX_ACTIVITY_BYTES
from conversations.changes import WarningStatus
from conversations.intake import used_answer
from conversations.scope import when
from conversations.strategies import StrategyId
from testkit.answers import HAPPY_ANSWERS
from testkit.teams_activities import (
    ALICE,
    MARIA,
    channel_reply,
    channel_thread,
    command_submit,
    mention_text,
    thread_id,
)
from testkit.teams_standin import BOT_ID, TENANT_ID

from .conftest import TeamsBot
from .test_cards import assert_valid, texts
from .test_teams_app import _mentions, chain_ref, intake_data, start_in_channel, stored_intake

# After the happy answers (a web service), this SLA moves the plan to batch; back again, to REST.
BATCH_SLA = "by the next morning"
REST_SLA = HAPPY_ANSWERS["sla"]
SCOPE_CHANGE_EVENT = "intake_scope_change"
TEAMS_MESSAGE_BYTES = 28 * 1024


@dataclass(frozen=True)
class Warned:
    """An intake whose SLA change waits for Maria: where it lives and its warning card."""

    root: str
    card: dict[str, Any]

    @property
    def number(self) -> int:
        return int(intake_data(self.card)["event_payload"]["warning"])


def payload(activity: dict[str, Any]) -> dict[str, Any]:
    """The machine-readable payload of a posted activity."""
    found = intake_data(activity).get("event_payload", {})
    assert isinstance(found, dict)
    return found


def scope_cards(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The scope-change warning cards (not the notice-kind ones) among posted activities."""
    return [
        a
        for a in activities
        if intake_data(a).get("event_type") == SCOPE_CHANGE_EVENT
        and payload(a).get("kind") == "scope_change"
    ]


def ours(activity: dict[str, Any]) -> dict[str, Any]:
    """The fields of a posted activity the bot rendered (not those botbuilder fills in)."""
    return {k: activity[k] for k in ("type", "textFormat", "text", "channelData") if k in activity}


def size(activity: dict[str, Any]) -> int:
    return len(json.dumps(activity).encode("utf-8"))


def summaries(activities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a for a in activities if intake_data(a).get("event_type") == "intake_summary"]


def commands(activity: dict[str, Any]) -> dict[str, str]:
    """The card's command buttons: title -> the words each submits."""
    content = activity["attachments"][0]["content"]
    return {
        action["title"]: action["data"][COMMAND_FIELD]
        for action in content.get("actions", [])
        if COMMAND_FIELD in action.get("data", {})
    }


async def reply(bot: TeamsBot, root: str, text: str, **kwargs: Any) -> list[dict[str, Any]]:
    """A reply in the chain (without mentioning the bot unless asked); what the bot posted."""
    kwargs.setdefault("mention_bot", False)
    return await bot.send(
        channel_reply(text, root_id=root, service_url=bot.connector.service_url, **kwargs)
    )


async def change(bot: TeamsBot, root: str, question_id: str, text: str) -> list[dict[str, Any]]:
    """`edit <question>`, then the new answer; what the bot posted after the answer."""
    await reply(bot, root, f"edit {question_id}")
    return await reply(bot, root, text)


async def click(
    bot: TeamsBot, root: str, card: dict[str, Any], command: str, sender: Any = MARIA
) -> list[dict[str, Any]]:
    """`sender` clicks the card's button for `command`; what the bot posted in the chain."""
    return await bot.send(
        command_submit(
            command,
            card_activity_id=str(card["id"]),
            conversation=channel_thread(root),
            service_url=bot.connector.service_url,
            sender=sender,
        )
    )


async def owned_summary(bot: TeamsBot) -> str:
    """Every happy answer in a chain, then Maria named owner by mention; the chain's root."""
    root = await start_in_channel(bot)
    for text in HAPPY_ANSWERS.values():
        assert await reply(bot, root, text), text
    posted = await reply(bot, root, f"owner {mention_text(MARIA)}", mentions=[MARIA])
    assert {"id": MARIA.id, "name": MARIA.name} in [
        e["mentioned"] for p in posted for e in _mentions(p)
    ]
    return root


async def warned(bot: TeamsBot) -> Warned:
    """An owned intake whose SLA change to batch waits for Maria's decision."""
    root = await owned_summary(bot)
    (card,) = scope_cards(await change(bot, root, "sla", BATCH_SLA))
    return Warned(root, card)


async def test_a_change_that_moves_the_plan_posts_a_warning_card_for_the_owner(
    teams_bot: TeamsBot,
) -> None:
    """Summary, owner by mention, then an SLA change to batch: a warning card with the buttons."""
    root = await owned_summary(teams_bot)
    chain = teams_bot.connector.activities(thread_id(root))
    assert payload(summaries(chain)[-1])["strategy"] == "rest_api"
    posted = await change(teams_bot, root, "sla", BATCH_SLA)
    (card,) = scope_cards(posted)
    assert_valid(card)
    number = payload(card)["warning"]
    assert commands(card) == {"Approve": f"approve {number}", "Reject": f"reject {number}"}
    assert MARIA.id in [entity["mentioned"]["id"] for entity in _mentions(card)]
    assert intake_data(card)["event_type"] == SCOPE_CHANGE_EVENT
    assert {
        k: payload(card)[k] for k in ("status", "question_id", "from_strategy", "to_strategy")
    } == {
        "status": "open",
        "question_id": "sla",
        "from_strategy": "rest_api",
        "to_strategy": "batch",
    }
    intake = await stored_intake(teams_bot, chain_ref(root))
    assert intake is not None
    assert [w.number for w in intake.open_warnings] == [number]


async def test_a_non_owners_approve_is_refused_in_a_personal_chat(teams_bot: TeamsBot) -> None:
    """Alice clicks Approve: a 1:1 chat is opened with her and the refusal goes there only."""
    case = await warned(teams_bot)
    assert await click(teams_bot, case.root, case.card, f"approve {case.number}", ALICE) == []
    (created,) = teams_bot.connector.calls("create_conversation")
    assert created.status == 201
    assert created.body["isGroup"] is False
    assert created.body["bot"]["id"] == BOT_ID
    assert created.body["members"] == [{"id": ALICE.id}]
    assert created.body["channelData"] == {"tenant": {"id": TENANT_ID}}
    chat = teams_bot.connector.personal_conversation(ALICE.id)
    assert chat is not None
    (refusal,) = teams_bot.connector.activities(chat)
    assert_valid(refusal)
    assert MARIA.id in [entity["mentioned"]["id"] for entity in _mentions(refusal)]  # ask Maria
    assert teams_bot.connector.calls("update_activity") == []
    intake = await stored_intake(teams_bot, chain_ref(case.root))
    assert intake is not None
    assert [(w.number, w.status) for w in intake.open_warnings] == [
        (case.number, WarningStatus.OPEN)
    ]


async def test_the_owners_approve_updates_the_card_in_place(teams_bot: TeamsBot) -> None:
    """Maria clicks Approve: the card shows who approved and when, and a new summary follows."""
    case = await warned(teams_bot)
    posted = await click(teams_bot, case.root, case.card, f"approve {case.number}")
    assert payload(summaries(posted)[-1])["strategy"] == "batch"
    (update,) = teams_bot.connector.calls("update_activity")
    assert update.activity_id == case.card["id"]
    assert_valid(update.body)
    assert commands(update.body) == {}
    assert payload(update.body)["status"] == "approved"
    intake = await stored_intake(teams_bot, chain_ref(case.root))
    assert intake is not None
    assert intake.open_warnings == ()
    assert intake.baseline is not None
    assert intake.baseline.strategy is StrategyId.BATCH
    decided_at = next(e.at for e in intake.journal if getattr(e, "warning", None) == case.number)
    last_line = texts(update.body)[-1]
    assert "<at>Maria</at>" in last_line
    assert when(decided_at) in last_line
    (shown,) = [
        a
        for a in teams_bot.connector.activities(thread_id(case.root))
        if a["id"] == case.card["id"]
    ]
    assert payload(shown)["status"] == "approved"


async def test_a_decision_typed_in_the_chain_updates_the_card_too(teams_bot: TeamsBot) -> None:
    """Maria types `approve N`: the card posted earlier is replaced by its kept id; no new card."""
    case = await warned(teams_bot)
    posted = await reply(teams_bot, case.root, f"approve {case.number}", sender=MARIA)
    assert scope_cards(posted) == []
    (update,) = teams_bot.connector.calls("update_activity")
    assert update.activity_id == case.card["id"]
    assert payload(update.body)["status"] == "approved"
    assert commands(update.body) == {}


async def test_the_owners_reject_puts_the_baselines_answer_back(teams_bot: TeamsBot) -> None:
    """After an approval, a change back to REST is warned again; Reject restores batch's SLA."""
    case = await warned(teams_bot)
    await click(teams_bot, case.root, case.card, f"approve {case.number}")
    (card,) = scope_cards(await change(teams_bot, case.root, "sla", REST_SLA))
    number = payload(card)["warning"]
    assert (payload(card)["from_strategy"], payload(card)["to_strategy"]) == ("batch", "rest_api")
    posted = await click(teams_bot, case.root, card, f"reject {number}")
    assert payload(summaries(posted)[-1])["strategy"] == "batch"
    update = teams_bot.connector.calls("update_activity")[-1]
    assert update.activity_id == card["id"]
    assert payload(update.body)["status"] == "rejected"
    intake = await stored_intake(teams_bot, chain_ref(case.root))
    assert intake is not None
    used = used_answer(intake, "sla")
    assert used is not None
    assert used.text == BATCH_SLA
    assert intake.open_warnings == ()


async def test_export_posts_the_record_in_the_chain_in_parts(teams_bot: TeamsBot) -> None:
    """`export` typed with a mention, and the summary's button: the record, split under the limit."""
    case = await warned(teams_bot)
    await click(teams_bot, case.root, case.card, f"approve {case.number}")
    # Long non-ASCII stakeholder answers make the record longer than one message.
    for n in range(4):
        await change(teams_bot, case.root, "stakeholders", f"@maria {n} " + "Ωμέγα ομάδα " * 160)
    typed = await reply(teams_bot, case.root, "export", mention_bot=True)
    summary = summaries(teams_bot.connector.activities(thread_id(case.root)))[-1]
    assert commands(summary) == {"Export record": "export"}
    clicked = await click(teams_bot, case.root, summary, "export", ALICE)
    for posted in (typed, clicked):
        assert len(posted) > 1
        # What the bot wrote is within its limit; with what botbuilder adds, within Teams' 28 KB.
        assert all(size(ours(a)) <= MAX_ACTIVITY_BYTES for a in posted)
        assert all(size(a) <= TEAMS_MESSAGE_BYTES for a in posted)
        assert all(a["textFormat"] == "markdown" and "attachments" not in a for a in posted)
        record = "".join(a["text"] for a in posted)
        assert record.startswith("# ")
        assert "## Change history" in record
        assert record.index("## Answers") < record.index("## Change history")
        assert f"@maria 3 {'Ωμέγα ομάδα ' * 2}" in record
    assert {a["text"] for a in typed} == {a["text"] for a in clicked}


async def test_a_refused_personal_chat_falls_back_to_a_mention_in_the_chain(
    teams_bot: TeamsBot,
) -> None:
    """Alice never installed the app: her refusal is posted in the chain, mentioning her."""
    case = await warned(teams_bot)
    teams_bot.connector.refuse_personal_chat(ALICE.id)
    with capture_logs() as logs:
        posted = await click(teams_bot, case.root, case.card, f"approve {case.number}", ALICE)
    assert [c.status for c in teams_bot.connector.calls("create_conversation")] == [403]
    assert teams_bot.connector.personal_conversation(ALICE.id) is None
    (refusal,) = posted
    assert_valid(refusal)
    assert texts(refusal)[0].startswith(f"<at>{ALICE.name}</at> ")
    assert ALICE.id in [entity["mentioned"]["id"] for entity in _mentions(refusal)]
    assert any(entry["event"] == "teams.private_chat_refused" for entry in logs)
    intake = await stored_intake(teams_bot, chain_ref(case.root))
    assert intake is not None
    assert [w.number for w in intake.open_warnings] == [case.number]


async def test_only_the_three_command_words_are_taken_from_a_button(teams_bot: TeamsBot) -> None:
    """A submitted `intake_command` other than approve N, reject N or export does nothing."""
    case = await warned(teams_bot)
    for forged in ("owner <at>Alice</at>", "approve", "cancel", f"approve {case.number} now"):
        assert await click(teams_bot, case.root, case.card, forged) == []
    intake = await stored_intake(teams_bot, chain_ref(case.root))
    assert intake is not None
    assert [w.number for w in intake.open_warnings] == [case.number]
    assert teams_bot.connector.calls("update_activity") == []
