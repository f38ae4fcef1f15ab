"""The scope-creep guard on Slack: warning cards, Approve/Reject clicks, history and the record file.

Every test runs the app over real HTTP with signed requests against the Web
API stand-in and a real Redis, as in ``test_slack_app.py``. The answers
below recommend a batch job; a volume of 4 TB a day (or data that changes
constantly) moves the plan to an event stream, which raises a warning.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DeliveryDeferredError, DeliveryRefusedError, DeliveryUnknownError
from bot.ports import IntakeRef
from bot.slack import blocks
from bot.slack.outbound import SlackOutbound
from conversations import messages as msg
from conversations.changes import WarningStatus
from conversations.intake import Intake, used_answer
from conversations.replies import Notice, RecordReply
from testkit.slack_signing import (
    CHANNEL_ID,
    TEAM_ID,
    USER_ID,
    event_callback_body,
    message_event,
)
from testkit.slack_standin import UPLOAD_METHOD, RecordedCall, SlackWebApiStandIn
from tests.bot.slack.conftest import (
    BOB_ID,
    SlackBot,
    metadata_of,
    posts_of,
    stored_intake,
)

PROJECT = "Fraud scoring"
ANSWERS = {
    "volume": "40 GB a day",
    "stakeholders": "the fraud team",
    "churn": "nightly",
    "decay": "every 30 days",
    "frequency": "1000 requests per second",
    "config": "no",
    "sla": "by the next morning",
    "customer": "internal_high_throughput",
    "model": "xgboost",
}
SCOPE_CHANGE = "intake_scope_change"
SUMMARY = "intake_summary"


async def _to_summary(bot: SlackBot, *, owner: str | None = BOB_ID) -> str:
    """An intake answered to its first summary (the baseline), handed to `owner` when given."""
    thread = await bot.start_intake(PROJECT)
    for text in ANSWERS.values():
        await bot.reply(thread, text)
    [summary] = posts_of(bot.api, SUMMARY)
    assert metadata_of(summary.body)["event_payload"]["strategy"] == "batch"
    if owner is not None:
        [handed] = await bot.reply(thread, f"owner <@{owner}>")
        assert msg.OWNER_SET.format(owner=f"<@{owner}>") in handed["text"]
    return thread


async def _edit(bot: SlackBot, thread: str, number: int, text: str) -> list[dict[str, Any]]:
    """`edit <n>` and the new answer; what the bot posted after the new answer."""
    await bot.reply(thread, f"edit {number}")
    return await bot.reply(thread, text)


async def _warned(bot: SlackBot, thread: str, number: int, text: str) -> RecordedCall:
    """Edit an answer in a way that moves the plan; the one warning card it posted."""
    await _edit(bot, thread, number, text)
    [card] = posts_of(bot.api, SCOPE_CHANGE)
    return card


def _buttons(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        element
        for block in body.get("blocks") or []
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def _payload(body: dict[str, Any]) -> dict[str, Any]:
    payload = metadata_of(body)["event_payload"]
    assert isinstance(payload, dict)
    return payload


async def _intake(bot: SlackBot, thread: str) -> Intake:
    intake = await stored_intake(bot.settings, thread)
    assert intake is not None
    return intake


# -- the warning card ---------------------------------------------------------------------------


async def test_a_volume_edit_that_moves_the_plan_posts_a_warning_card_for_the_owner(
    slack_bot: SlackBot,
) -> None:
    """4 TB a day after the baseline: one card naming the owner, Approve/Reject, open metadata."""
    thread = await _to_summary(slack_bot)

    card = await _warned(slack_bot, thread, 1, "4 TB a day")

    assert card.body["thread_ts"] == thread
    assert f"<@{BOB_ID}>" in card.body["text"]
    assert "4 TB a day" in card.body["text"]
    assert metadata_of(card.body)["event_type"] == SCOPE_CHANGE
    payload = _payload(card.body)
    assert {k: payload[k] for k in ("question_id", "from_strategy", "to_strategy", "status")} == {
        "question_id": "volume",
        "from_strategy": "batch",
        "to_strategy": "event_stream",
        "status": "open",
    }
    buttons = _buttons(card.body)
    assert [(b["action_id"], b["style"], b["value"]) for b in buttons] == [
        (blocks.APPROVE_ACTION, "primary", str(payload["warning"])),
        (blocks.REJECT_ACTION, "danger", str(payload["warning"])),
    ]
    assert [w.number for w in (await _intake(slack_bot, thread)).open_warnings] == [
        payload["warning"]
    ]


async def test_a_non_owners_approve_is_refused_privately_and_the_warning_stays_open(
    slack_bot: SlackBot,
) -> None:
    """The starter is not the owner: only they see the refusal; the card and warning stay as they were."""
    thread = await _to_summary(slack_bot)
    card = await _warned(slack_bot, thread, 1, "4 TB a day")
    summaries = len(posts_of(slack_bot.api, SUMMARY))

    await slack_bot.press(card, blocks.APPROVE_ACTION, user_id=USER_ID)

    [refusal] = slack_bot.api.calls("chat.postEphemeral")
    assert (refusal.body["user"], refusal.body["channel"]) == (USER_ID, CHANNEL_ID)
    assert refusal.body["thread_ts"] == thread
    assert f"Only <@{BOB_ID}>, the project owner" in refusal.body["text"]
    assert slack_bot.api.calls("chat.update") == []
    assert len(posts_of(slack_bot.api, SUMMARY)) == summaries
    intake = await _intake(slack_bot, thread)
    assert [(w.number, w.status) for w in intake.open_warnings] == [(1, WarningStatus.OPEN)]


async def test_the_owners_approve_updates_the_card_and_the_history_records_it(
    slack_bot: SlackBot,
) -> None:
    """Bob approves: the card shows who approved, with status approved; a summary follows; history lists both."""
    thread = await _to_summary(slack_bot)
    card = await _warned(slack_bot, thread, 1, "4 TB a day")
    summaries = len(posts_of(slack_bot.api, SUMMARY))

    await slack_bot.press(card, blocks.APPROVE_ACTION, user_id=BOB_ID)

    [update] = slack_bot.api.calls("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (CHANNEL_ID, card.response["ts"])
    assert f"Approved by <@{BOB_ID}> on" in update.body["text"]
    assert _buttons(update.body) == []
    assert _payload(update.body)["status"] == "approved"
    assert len(posts_of(slack_bot.api, SUMMARY)) == summaries + 1
    assert _payload(posts_of(slack_bot.api, SUMMARY)[-1].body)["strategy"] == "event_stream"
    intake = await _intake(slack_bot, thread)
    assert intake.open_warnings == ()
    assert intake.baseline is not None
    assert intake.baseline.answers["volume"] == "4 TB a day"

    [history] = await slack_bot.reply(thread, "history")
    assert f"<@{BOB_ID}> approved scope change 1" in history["text"]
    assert "changed Data volume: 40 GB a day" in history["text"]
    assert "this raised scope change 1" in history["text"]


async def test_a_decision_typed_in_the_thread_updates_the_card_too(slack_bot: SlackBot) -> None:
    """Bob types `reject 1`: the warning's card is found by its metadata and shows the decision."""
    thread = await _to_summary(slack_bot)
    card = await _warned(slack_bot, thread, 1, "4 TB a day")
    cards = len(posts_of(slack_bot.api, SCOPE_CHANGE))

    await slack_bot.reply(thread, "reject 1", user_id=BOB_ID)

    [update] = slack_bot.api.calls("chat.update")
    assert update.body["ts"] == card.response["ts"]
    assert f"Rejected by <@{BOB_ID}> on" in update.body["text"]
    assert _buttons(update.body) == []
    assert _payload(update.body)["status"] == "rejected"
    assert len(posts_of(slack_bot.api, SCOPE_CHANGE)) == cards  # no second card


async def test_in_a_direct_message_a_typed_decision_updates_the_card(slack_bot: SlackBot) -> None:
    """A private intake in a DM: the card is a message of the DM, found and updated there."""
    dm = "D0ALICE001"

    async def say(text: str) -> None:
        event = message_event(text, channel_id=dm, channel_type="im")
        await slack_bot.send(event_callback_body(event))

    await say(f"start {PROJECT}")
    for text in ANSWERS.values():
        await say(text)
    await say(f"owner <@{USER_ID}>")
    await say("edit 1")
    await say("4 TB a day")
    [card] = posts_of(slack_bot.api, SCOPE_CHANGE)
    assert "thread_ts" not in card.body
    await say("approve 1")
    [update] = slack_bot.api.calls("chat.update")
    assert (update.body["channel"], update.body["ts"]) == (dm, card.response["ts"])
    assert _payload(update.body)["status"] == "approved"


async def test_the_owners_reject_puts_the_baseline_answer_back(slack_bot: SlackBot) -> None:
    """Data that changes constantly moves batch to a stream; Bob rejects and nightly is back."""
    thread = await _to_summary(slack_bot)
    card = await _warned(slack_bot, thread, 3, "constantly")
    assert (_payload(card.body)["question_id"], _payload(card.body)["to_strategy"]) == (
        "churn",
        "event_stream",
    )

    await slack_bot.press(card, blocks.REJECT_ACTION, user_id=BOB_ID)

    [update] = slack_bot.api.calls("chat.update")
    assert _payload(update.body)["status"] == "rejected"
    assert f"Rejected by <@{BOB_ID}> on" in update.body["text"]
    summary = posts_of(slack_bot.api, SUMMARY)[-1]
    assert _payload(summary.body)["strategy"] == "batch"
    intake = await _intake(slack_bot, thread)
    churn = used_answer(intake, "churn")
    assert churn is not None
    assert (churn.text, churn.by) == ("nightly", BOB_ID)
    assert intake.open_warnings == ()


@pytest.mark.parametrize(
    ("number", "text"),
    [(3, "every night"), (2, "the fraud team and finance")],
    ids=["same-reading", "stakeholders"],
)
async def test_a_change_that_moves_nothing_posts_no_warning(
    slack_bot: SlackBot, number: int, text: str
) -> None:
    """Nightly said another way, or one more stakeholder: saved, summarised, no card, nothing open."""
    thread = await _to_summary(slack_bot)

    posted = await _edit(slack_bot, thread, number, text)

    assert posted
    assert [metadata_of(p)["event_type"] for p in posted] == [SUMMARY]
    assert posts_of(slack_bot.api, SCOPE_CHANGE) == []
    assert (await _intake(slack_bot, thread)).open_warnings == ()


async def test_without_an_owner_the_warning_names_the_starter_and_a_click_is_refused(
    slack_bot: SlackBot,
) -> None:
    """Nobody named: the card tells the starter nobody can decide; Approve is refused to them alone."""
    thread = await _to_summary(slack_bot, owner=None)
    card = await _warned(slack_bot, thread, 1, "4 TB a day")
    assert f"<@{USER_ID}>: nobody can approve or reject this" in card.body["text"]

    await slack_bot.press(card, blocks.APPROVE_ACTION, user_id=USER_ID)

    [refusal] = slack_bot.api.calls("chat.postEphemeral")
    assert refusal.body["user"] == USER_ID
    assert "until a project owner is named" in refusal.body["text"]
    assert slack_bot.api.calls("chat.update") == []
    assert [w.number for w in (await _intake(slack_bot, thread)).open_warnings] == [1]


# -- the record -----------------------------------------------------------------------------


def _assert_record(text: str) -> None:
    assert f"# Requirements and decision record: {PROJECT}" in text
    assert "## Change history" in text
    for answer in ("40 GB a day", "4 TB a day", "1000 requests per second", "xgboost"):
        assert answer in text


async def test_export_typed_in_the_thread_uploads_the_record_as_a_file(
    slack_bot: SlackBot,
) -> None:
    """`export` shares the Markdown record in the thread: title, answers and the change history."""
    thread = await _to_summary(slack_bot)
    await _warned(slack_bot, thread, 1, "4 TB a day")

    await slack_bot.reply(thread, "export")

    [shared] = slack_bot.api.shared_files(CHANNEL_ID, thread)
    _assert_record(shared["content"])
    assert "raised scope change 1" in shared["content"]
    assert shared["filename"].startswith("requirements-fraud-scoring-")
    assert shared["filename"].endswith(".md")
    assert shared["title"] == msg.RECORD_FILE_TITLE.format(project=PROJECT)
    [complete] = slack_bot.api.calls("files.completeUploadExternal")
    assert (complete.body["channel_id"], complete.body["thread_ts"]) == (CHANNEL_ID, thread)


async def test_the_summarys_export_button_uploads_the_record_too(slack_bot: SlackBot) -> None:
    """A click on Export record types `export` for the person: the same file lands in the thread."""
    thread = await _to_summary(slack_bot)
    await _warned(slack_bot, thread, 1, "4 TB a day")
    summary = posts_of(slack_bot.api, SUMMARY)[-1]

    await slack_bot.press(summary, blocks.EXPORT_ACTION)

    [shared] = slack_bot.api.shared_files(CHANNEL_ID, thread)
    _assert_record(shared["content"])
    assert slack_bot.api.calls("chat.update") == []


# -- the outbound port, on its own --------------------------------------------------------------

REF = IntakeRef("slack", TEAM_ID, CHANNEL_ID, "1700000000.000100")
RECORD = RecordReply(project=PROJECT, filename="requirements.md", markdown="# Record\n")


@pytest.fixture
async def outbound(slack_api: SlackWebApiStandIn) -> SlackOutbound:
    """The port over a client with no retries of its own, so each fault reaches the mapping."""
    slack_api.add_message(CHANNEL_ID, REF.thread, "start")
    return SlackOutbound(
        AsyncWebClient(base_url=slack_api.base_url, token=slack_api.token, retry_handlers=[])
    )


async def test_messages_and_the_record_file_keep_the_order_of_the_replies(
    outbound: SlackOutbound, slack_api: SlackWebApiStandIn
) -> None:
    """A notice, the record, a notice: posted, shared, posted, all in the thread."""
    before, after = Notice(template=msg.HELP), Notice(template=msg.SCOPE_NOTHING_WAITING)

    await outbound.post(REF, [before, RECORD, after])

    methods = [c.method for c in slack_api.calls() if c.method != UPLOAD_METHOD]
    assert methods == [
        "chat.postMessage",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
        "chat.postMessage",
    ]
    [shared] = slack_api.shared_files(CHANNEL_ID, REF.thread)
    assert shared["content"] == RECORD.markdown
    assert [p["thread_ts"] for p in slack_api.posted_messages()] == [REF.thread] * 2


async def test_upload_failures_map_onto_the_delivery_errors(
    outbound: SlackOutbound, slack_api: SlackWebApiStandIn
) -> None:
    """429 and a failed upload step defer, a drop after sharing is unknown, not_in_channel refuses."""
    slack_api.rate_limit_next("files.getUploadURLExternal", retry_after=2)
    with pytest.raises(DeliveryDeferredError) as limited:
        await outbound.post(REF, [RECORD])
    slack_api.http_error_next(UPLOAD_METHOD, status=500)
    with pytest.raises(DeliveryDeferredError):
        await outbound.post(REF, [RECORD])
    assert slack_api.shared_files() == []
    slack_api.drop_after_acting_next("files.completeUploadExternal")
    with pytest.raises(DeliveryUnknownError):
        await outbound.post(REF, [RECORD])
    slack_api.fail_next("files.completeUploadExternal", error="not_in_channel")
    with pytest.raises(DeliveryRefusedError):
        await outbound.post(REF, [RECORD])

    assert limited.value.retry_after == 2
    assert len(slack_api.shared_files()) == 1
    assert json.dumps(slack_api.shared_files()).count("# Record") == 1
