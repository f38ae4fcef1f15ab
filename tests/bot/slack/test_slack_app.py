"""The Slack app over real HTTP: signed requests in, Web API calls out, a real Redis behind.

Each test runs the app as production does (``slack_server`` on a free port),
posts requests signed exactly as Slack signs them, and reads what the app
sent to the Web API stand-in. Helpers in ``conftest.py`` wait for Bolt's
listener to finish after the ack, so "nothing was posted" is checked without
sleeping.
"""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis
from structlog.testing import capture_logs

from bot.errors import ConfigurationError
from bot.ports import IntakeRef
from bot.settings import Settings
from bot.slack.server import slack_server
from bot.state.keys import intake_key
from conversations import messages as msg
from conversations.answers import read_answers
from conversations.assessment import assess
from conversations.parsing import MAX_ANSWER_CHARS
from conversations.questions import QUESTION_IDS
from testkit.answers import HAPPY_ANSWERS
from testkit.redis_servers import PrivateRedis
from testkit.slack_signing import (
    BOT_ID,
    BOT_USER_ID,
    CHANNEL_ID,
    PRIVATE_CHANNEL_ID,
    TEAM_ID,
    USER_ID,
    app_mention_event,
    block_actions_body,
    event_callback_body,
    message_event,
    signed_headers,
    slash_command_body,
    url_verification_body,
)
from testkit.slack_standin import SlackWebApiStandIn
from tests.bot.slack.conftest import (
    BOB_ID,
    SIGNING_SECRET,
    SlackBot,
    assert_valid_blocks,
    make_settings,
    metadata_of,
    posted_blocks_and_text,
    running_bot,
    stale_timestamp,
    stored_intake,
)

ANSWERS = {
    "volume": "40 GB a day",
    "stakeholders": "the fraud team, finance",
    "churn": "nightly",
    "decay": "every 30 days",
    "frequency": "50k calls an hour",
    "config": "no",
    "sla": "under 50 ms",
    "customer": "partner apps over the internet",
    "model": "xgboost, about $300 to train",
}
DM_CHANNEL = "D0ALICEDM1"


def _expected_strategy(answers: dict[str, str]) -> str:
    typed = read_answers(answers)
    assert not isinstance(typed, list), typed
    return assess(typed, owner=None).strategy.value


def _question_ids(posts: list[dict[str, Any]]) -> list[str]:
    return [
        metadata_of(post)["event_payload"]["question_id"]
        for post in posts
        if metadata_of(post).get("event_type") == "intake_question"
    ]


async def _answer_all(bot: SlackBot, thread: str, answers: dict[str, str]) -> None:
    for text in answers.values():
        await bot.reply(thread, text)


# -- a whole intake ----------------------------------------------------------------------------


async def test_whole_intake_from_command_to_summary(slack_bot: SlackBot) -> None:
    """`/intake Fraud scoring` posts a root message, asks every question in order, then the summary."""
    answer = await slack_bot.command("Fraud scoring")
    assert answer.status == 200
    calls = await slack_bot.api.wait_for("chat.postMessage", 2)
    root = calls[0]
    assert root.body["channel"] == CHANNEL_ID
    assert "thread_ts" not in root.body
    assert "Fraud scoring" in root.body["text"]
    thread = str(root.response["ts"])

    await _answer_all(slack_bot, thread, ANSWERS)

    posts = slack_bot.api.posted_messages()
    assert all(post["thread_ts"] == thread for post in posts[1:])
    assert _question_ids(posts) == list(QUESTION_IDS)
    summary = posts[-1]
    assert metadata_of(summary)["event_type"] == "intake_summary"
    assert metadata_of(summary)["event_payload"]["strategy"] == _expected_strategy(ANSWERS)
    intake = await stored_intake(slack_bot.settings, thread)
    assert intake is not None
    assert {record.question_id: record.text for record in intake.answers} == ANSWERS


async def test_every_web_api_call_is_authorised_and_answered_ok(slack_bot: SlackBot) -> None:
    """Bolt checks the token with auth.test, and every call carries the bot token Slack accepts."""
    thread = await slack_bot.start_intake("Fraud scoring")
    await slack_bot.reply(thread, ANSWERS["volume"])
    calls = slack_bot.api.calls()
    assert "auth.test" in [call.method for call in calls]
    assert calls
    assert all(call.ok for call in calls), [(c.method, c.response) for c in calls]
    assert all(call.headers["authorization"] == f"Bearer {slack_bot.api.token}" for call in calls)


async def test_event_ack_is_an_empty_200_and_command_ack_is_200(slack_bot: SlackBot) -> None:
    """Bolt acknowledges an event with an empty 200 and a slash command with a 200."""
    command = await slack_bot.deliver(slash_command_body("/intake", "Fraud scoring"))
    assert command.status == 200
    calls = await slack_bot.api.wait_for("chat.postMessage", 2)
    thread = str(calls[0].response["ts"])
    event = event_callback_body(message_event(ANSWERS["volume"], thread_ts=thread))
    answer = await slack_bot.deliver(event)
    assert (answer.status, answer.body) == (200, "")
    await slack_bot.api.wait_for("chat.postMessage", 3)


async def test_url_verification_echoes_the_challenge(slack_bot: SlackBot) -> None:
    """A signed url_verification request gets its challenge back, as Slack's setup expects."""
    answer = await slack_bot.deliver(url_verification_body("challenge-3f9a"))
    assert answer.status == 200
    assert json.loads(answer.body) == {"challenge": "challenge-3f9a"}


async def test_health_probes_answer_on_the_slack_server(slack_bot: SlackBot) -> None:
    """/healthz says alive and /readyz says Redis answers, on the same port as Slack's events."""
    assert await slack_bot.get("/healthz") == (200, {"status": "ok"})
    assert await slack_bot.get("/readyz") == (200, {"status": "ready", "redis": "ok"})


async def test_command_without_project_asks_for_a_name_privately(slack_bot: SlackBot) -> None:
    """`/intake` with no name answers only the person, with an example, and opens nothing."""
    await slack_bot.command("   ")
    ephemeral = await slack_bot.api.wait_for("chat.postEphemeral")
    assert ephemeral[0].body["user"] == USER_ID
    assert "/intake Fraud scoring" in ephemeral[0].body["text"]
    assert slack_bot.api.calls("chat.postMessage") == []


async def test_mention_with_start_opens_an_intake_in_a_thread(slack_bot: SlackBot) -> None:
    """`@bot start Fraud scoring` posts the root message and asks the first question in its thread."""
    mention = app_mention_event("start Fraud scoring")
    await slack_bot.send(event_callback_body(mention))
    calls = await slack_bot.api.wait_for("chat.postMessage", 2)
    assert "Fraud scoring" in calls[0].body["text"]
    assert calls[1].body["thread_ts"] == calls[0].response["ts"]
    assert _question_ids([calls[1].body]) == ["volume"]


async def test_message_copy_of_a_mention_is_left_to_the_mention(slack_bot: SlackBot) -> None:
    """The `message` event Slack also sends for a mention posts nothing; the app_mention handles it."""
    thread = await slack_bot.start_intake("Fraud scoring")
    posted = await slack_bot.reply(thread, f"<@{BOT_USER_ID}> {ANSWERS['volume']}")
    assert posted == []


async def test_direct_message_runs_a_private_intake(slack_bot: SlackBot) -> None:
    """`start <project>` in a DM starts an intake there, and replies in the DM answer it."""
    start = message_event("start Fraud scoring", channel_id=DM_CHANNEL, channel_type="im")
    await slack_bot.send(event_callback_body(start))
    first = await slack_bot.api.wait_for("chat.postMessage")
    assert first[0].body["channel"] == DM_CHANNEL
    assert "thread_ts" not in first[0].body
    assert _question_ids([first[0].body]) == ["volume"]
    reply = message_event(ANSWERS["volume"], channel_id=DM_CHANNEL, channel_type="im")
    await slack_bot.send(event_callback_body(reply))
    posts = slack_bot.api.posted_messages()
    assert _question_ids(posts) == ["volume", "stakeholders"]
    assert "40 GB a day" in posts[-1]["text"]


# -- buttons -----------------------------------------------------------------------------------


async def test_button_click_saves_the_answer_and_shows_who_chose(slack_bot: SlackBot) -> None:
    """A click answers its question; chat.update removes the buttons and names the person."""
    thread = await slack_bot.start_intake("Fraud scoring")
    await slack_bot.reply(thread, ANSWERS["volume"])
    await slack_bot.reply(thread, ANSWERS["stakeholders"])
    question = slack_bot.api.calls("chat.postMessage")[-1]
    assert _question_ids([question.body]) == ["churn"]
    assert any(block["type"] == "actions" for block in question.body["blocks"])

    answer = await slack_bot.click(question, "cadence", "On a schedule")

    assert answer.status == 200
    updates = await slack_bot.api.wait_for("chat.update")
    update = updates[0].body
    assert (update["channel"], update["ts"]) == (CHANNEL_ID, question.response["ts"])
    assert all(block["type"] != "actions" for block in update["blocks"])
    assert f"<@{USER_ID}> chose *On a schedule*" in json.dumps(update["blocks"])
    assert _question_ids(slack_bot.api.posted_messages())[-1] == "decay"
    intake = await stored_intake(slack_bot.settings, thread)
    assert intake is not None
    assert [(r.question_id, r.text, r.by) for r in intake.answers][-1] == (
        "churn",
        "cadence",
        USER_ID,
    )


async def test_click_outside_an_intake_changes_nothing(slack_bot: SlackBot) -> None:
    """A click on a message in a thread with no intake neither saves, posts nor updates."""
    body = block_actions_body(
        "intake_choice:cadence",
        "churn:cadence",
        message_ts="1700000000.000900",
        thread_ts="1700000000.000800",
    )
    answer = await slack_bot.send(body)
    assert answer.status == 200
    assert slack_bot.api.calls("chat.postMessage") == []
    assert slack_bot.api.calls("chat.update") == []
    assert await stored_intake(slack_bot.settings, "1700000000.000800") is None


# -- several people ----------------------------------------------------------------------------


async def test_two_stakeholders_keep_both_answers_and_the_summary_shows_the_conflict(
    slack_bot: SlackBot,
) -> None:
    """Two people answering one question differently are both kept, and the summary says so."""
    thread = await slack_bot.start_intake("Fraud scoring")
    bob_posts = await slack_bot.reply(thread, "2 TB a week", user_id=BOB_ID)
    assert f"<@{BOB_ID}>" in bob_posts[0]["text"]  # welcomed and asked by name
    alice_posts = await slack_bot.reply(thread, ANSWERS["volume"])
    assert BOB_ID in alice_posts[0]["text"]  # told that Bob answered differently
    rest = {key: value for key, value in ANSWERS.items() if key != "volume"}

    await _answer_all(slack_bot, thread, rest)

    intake = await stored_intake(slack_bot.settings, thread)
    assert intake is not None
    volume = [(r.by, r.text) for r in intake.answers if r.question_id == "volume"]
    assert volume == [(BOB_ID, "2 TB a week"), (USER_ID, "40 GB a day")]
    summary = slack_bot.api.posted_messages()[-1]
    assert metadata_of(summary)["event_type"] == "intake_summary"
    shown = json.dumps(summary["blocks"])
    assert "Conflicts between stakeholders" in shown
    assert f"<@{BOB_ID}>: 2 TB a week" in shown
    assert f"<@{USER_ID}>: 40 GB a day" in shown


# -- authentication ----------------------------------------------------------------------------


def _command_body() -> str:
    return slash_command_body("/intake", "Fraud scoring")


def _event_body() -> str:
    return event_callback_body(app_mention_event("start Fraud scoring"))


@pytest.mark.parametrize("make_body", [_command_body, _event_body], ids=["command", "event"])
async def test_bad_signature_is_rejected_with_401(
    slack_bot: SlackBot, make_body: Callable[[], str]
) -> None:
    """A request signed with another secret gets 401 and causes no Web API call."""
    answer = await slack_bot.deliver(make_body(), secret="not-the-signing-secret")
    assert answer.status == 401
    assert [call.method for call in slack_bot.api.calls()] == ["auth.test"]  # at start only


@pytest.mark.parametrize("make_body", [_command_body, _event_body], ids=["command", "event"])
async def test_stale_timestamp_is_rejected_with_401(
    slack_bot: SlackBot, make_body: Callable[[], str]
) -> None:
    """A correctly signed request older than five minutes (a replay) gets 401 and does nothing."""
    answer = await slack_bot.deliver(make_body(), timestamp=stale_timestamp())
    assert answer.status == 401
    assert [call.method for call in slack_bot.api.calls()] == ["auth.test"]  # at start only


async def test_tampered_body_is_rejected_with_401(slack_bot: SlackBot) -> None:
    """A body changed after signing fails verification, so nobody can alter a signed request."""
    body = _command_body()
    headers = signed_headers(slack_bot.secret, body.replace("Fraud+scoring", "Other"))
    async with slack_bot.session.post(
        slack_bot.events_url, data=body.encode(), headers=headers
    ) as response:
        assert response.status == 401
    assert [call.method for call in slack_bot.api.calls()] == ["auth.test"]  # at start only


# -- repeated deliveries -----------------------------------------------------------------------


async def test_retried_delivery_posts_once(slack_bot: SlackBot) -> None:
    """Slack's retry of an event (same event_id, X-Slack-Retry-Num: 1) posts nothing more."""
    thread = await slack_bot.start_intake("Fraud scoring")
    body = event_callback_body(
        message_event(ANSWERS["volume"], thread_ts=thread), event_id="Ev0RETRY0001"
    )
    await slack_bot.send(body)
    posts_after_first = len(slack_bot.api.calls("chat.postMessage"))
    assert posts_after_first == 3

    retry = await slack_bot.send(body, retry_num=1)

    assert (retry.status, retry.body) == (200, "")
    assert len(slack_bot.api.calls("chat.postMessage")) == posts_after_first
    intake = await stored_intake(slack_bot.settings, thread)
    assert intake is not None
    assert [r.question_id for r in intake.answers] == ["volume"]


async def test_retried_mention_start_posts_one_root_message(slack_bot: SlackBot) -> None:
    """A retried `@bot start` (same event_id) opens no second thread: one root, one question."""
    body = event_callback_body(app_mention_event("start Fraud scoring"), event_id="Ev0START0001")
    await slack_bot.send(body)
    await slack_bot.api.wait_for("chat.postMessage", 2)

    retry = await slack_bot.send(body, retry_num=1)

    assert (retry.status, retry.body) == (200, "")
    posts = slack_bot.api.calls("chat.postMessage")
    assert len(posts) == 2
    assert [p.body.get("thread_ts") is None for p in posts] == [True, False]


async def test_concurrent_duplicate_deliveries_post_once(slack_bot: SlackBot) -> None:
    """A retry that arrives while the first delivery is still being handled still posts once."""
    thread = await slack_bot.start_intake("Fraud scoring")
    body = event_callback_body(
        message_event(ANSWERS["volume"], thread_ts=thread), event_id="Ev0RETRY0002"
    )
    before = slack_bot.watch.completed
    first, retry = await asyncio.gather(
        slack_bot.deliver(body), slack_bot.deliver(body, retry_num=1)
    )
    await slack_bot.watch.wait_until(before + 2)
    await slack_bot.worker.idle()
    assert (first.status, retry.status) == (200, 200)
    assert len(slack_bot.api.calls("chat.postMessage")) == 3
    intake = await stored_intake(slack_bot.settings, thread)
    assert intake is not None
    assert [r.question_id for r in intake.answers] == ["volume"]


# -- what people type --------------------------------------------------------------------------


async def test_channel_ping_in_typed_text_is_escaped(slack_bot: SlackBot) -> None:
    """`<!channel>` typed in a project name or an answer reaches Slack only as `&lt;!channel&gt;`."""
    thread = await slack_bot.start_intake("Fraud <!channel> scoring")
    await slack_bot.reply(thread, ANSWERS["volume"])
    await slack_bot.reply(thread, "<!channel> and the fraud team")
    await _answer_all(
        slack_bot, thread, {k: v for k, v in ANSWERS.items() if k not in {"volume", "stakeholders"}}
    )
    calls = slack_bot.api.calls("chat.postMessage")
    assert metadata_of(calls[-1].body)["event_type"] == "intake_summary"
    sent = posted_blocks_and_text(calls + slack_bot.api.calls("chat.update"))
    assert "<!channel>" not in sent
    assert "&lt;!channel&gt;" in posted_blocks_and_text(calls[:1])  # the project name
    assert "&lt;!channel&gt;, the fraud team" in sent  # the answer, as read back


async def test_entities_slack_sends_are_stored_as_typed(slack_bot: SlackBot) -> None:
    """Slack sends a typed `<` as `&lt;`; it is saved as `<` and shown once escaped, not twice."""
    thread = await slack_bot.start_intake("Fraud scoring")
    await slack_bot.reply(thread, ANSWERS["volume"])
    posted = await slack_bot.reply(thread, "R&amp;D &lt;core&gt; team")
    intake = await stored_intake(slack_bot.settings, thread)
    assert intake is not None
    assert intake.answers[-1].text == "R&D <core> team"
    assert "R&amp;D &lt;core&gt; team" in posted[0]["text"]
    assert "&amp;lt;" not in posted_blocks_and_text(slack_bot.api.calls("chat.postMessage"))


async def test_overlong_answer_is_refused_politely_and_nothing_saved(slack_bot: SlackBot) -> None:
    """An answer over 2000 characters gets a reply with the limit and an example; nothing is saved."""
    thread = await slack_bot.start_intake("Fraud scoring")
    await slack_bot.reply(thread, ANSWERS["volume"])
    overlong = "40 GB a day " + "x" * MAX_ANSWER_CHARS

    posted = await slack_bot.reply(thread, overlong)

    assert len(posted) == 1
    assert f"at most {MAX_ANSWER_CHARS:,}" in posted[0]["text"]
    assert "for example" in posted[0]["text"]
    assert "xxxxxxxxxx" not in json.dumps(posted[0])
    assert_valid_blocks(posted[0]["blocks"])
    intake = await stored_intake(slack_bot.settings, thread)
    assert intake is not None
    assert [r.question_id for r in intake.answers] == ["volume"]


async def test_unreadable_answer_is_reasked_with_an_example(slack_bot: SlackBot) -> None:
    """An answer the parser cannot read is quoted back with what was expected and an example."""
    thread = await slack_bot.start_intake("Fraud scoring")
    posted = await slack_bot.reply(thread, "lots")
    assert len(posted) == 1
    shown = json.dumps(posted[0]["blocks"])
    assert f"<@{USER_ID}>" in shown
    assert "lots" in shown
    assert "I expected" in shown
    assert "for example" in shown
    intake = await stored_intake(slack_bot.settings, thread)
    assert intake is not None
    assert intake.answers == ()


# -- quiet cases -------------------------------------------------------------------------------


def _now_ts() -> str:
    return f"{time.time():.6f}"


def _no_thread(thread: str) -> dict[str, Any]:
    del thread
    return message_event("40 GB a day")


def _thread_without_intake(thread: str) -> dict[str, Any]:
    del thread
    return message_event("40 GB a day", thread_ts="1600000000.000100")


def _other_bot(thread: str) -> dict[str, Any]:
    return message_event("40 GB a day", user_id="U0OTHERBOT", bot_id="B0OTHER01", thread_ts=thread)


def _edit(thread: str) -> dict[str, Any]:
    ts = _now_ts()
    original = {"type": "message", "user": USER_ID, "text": "40 GB a day", "ts": ts}
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": CHANNEL_ID,
        "channel_type": "channel",
        "ts": _now_ts(),
        "event_ts": _now_ts(),
        "message": {
            **original,
            "text": "2 TB a week",
            "thread_ts": thread,
            "edited": {"user": USER_ID, "ts": _now_ts()},
        },
        "previous_message": {**original, "thread_ts": thread},
    }


def _deletion(thread: str) -> dict[str, Any]:
    ts = _now_ts()
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": CHANNEL_ID,
        "channel_type": "channel",
        "ts": _now_ts(),
        "event_ts": _now_ts(),
        "deleted_ts": ts,
        "previous_message": {
            "type": "message",
            "user": USER_ID,
            "text": "40 GB a day",
            "ts": ts,
            "thread_ts": thread,
        },
    }


@pytest.mark.parametrize(
    "make_event",
    [_no_thread, _thread_without_intake, _other_bot, _edit, _deletion],
    ids=["no-thread", "thread-without-intake", "other-bot", "edit", "deletion"],
)
async def test_messages_that_are_not_answers_are_ignored_quietly(
    slack_bot: SlackBot, make_event: Callable[[str], dict[str, Any]]
) -> None:
    """Channel chatter, other threads, bots, edits and deletions post nothing and save nothing."""
    thread = await slack_bot.start_intake("Fraud scoring")
    before = slack_bot.api.calls()

    answer = await slack_bot.send(event_callback_body(make_event(thread)))

    assert (answer.status, answer.body) == (200, "")
    assert slack_bot.api.calls() == before
    intake = await stored_intake(slack_bot.settings, thread)
    assert intake is not None
    assert intake.answers == ()


async def test_the_bots_own_posts_are_ignored(slack_bot: SlackBot) -> None:
    """The bot's own message in an intake thread reaches no listener and posts nothing."""
    thread = await slack_bot.start_intake("Fraud scoring")
    before = (slack_bot.watch.completed, len(slack_bot.api.calls("chat.postMessage")))
    own = message_event("40 GB a day", user_id=BOT_USER_ID, bot_id=BOT_ID, thread_ts=thread)

    answer = await slack_bot.deliver(event_callback_body(own))
    await slack_bot.reply(thread, ANSWERS["volume"])  # a real answer after it, handled normally

    assert (answer.status, answer.body) == (200, "")
    after = (slack_bot.watch.completed, len(slack_bot.api.calls("chat.postMessage")))
    assert after == (before[0] + 1, before[1] + 1)
    intake = await stored_intake(slack_bot.settings, thread)
    assert intake is not None
    assert [(r.question_id, r.by) for r in intake.answers] == [("volume", USER_ID)]


# -- blocks ------------------------------------------------------------------------------------


async def test_every_posted_blocks_list_validates(slack_bot: SlackBot) -> None:
    """Every question, notice, re-ask, status, help, update and summary passes slack_sdk's checks."""
    thread = await slack_bot.start_intake("Fraud scoring " + "é" * 200)
    await slack_bot.reply(thread, "lots")
    await slack_bot.reply(thread, "help")
    await slack_bot.reply(thread, "status")
    await slack_bot.reply(thread, ANSWERS["volume"])
    await slack_bot.reply(thread, ANSWERS["stakeholders"])
    question = slack_bot.api.calls("chat.postMessage")[-1]
    await slack_bot.click(question, "constant", "Constantly")
    rest = {k: v for k, v in ANSWERS.items() if k not in {"volume", "stakeholders", "churn"}}
    await _answer_all(slack_bot, thread, rest)
    await slack_bot.reply(thread, "owner <!here>")
    await slack_bot.reply(thread, "summary")

    calls = slack_bot.api.calls("chat.postMessage") + slack_bot.api.calls("chat.update")
    assert len(calls) > 12
    kinds = {metadata_of(call.body).get("event_type") for call in calls}
    assert {"intake_question", "intake_summary"} <= kinds
    for call in calls:
        assert call.ok, call.response
        assert_valid_blocks(call.body["blocks"])


# -- Web API trouble ---------------------------------------------------------------------------


async def test_rate_limited_post_is_retried_after_retry_after(slack_bot: SlackBot) -> None:
    """A 429 from chat.postMessage is retried as Slack asks, so the question still arrives."""
    slack_bot.api.rate_limit_next("chat.postMessage", retry_after=0)
    thread = await slack_bot.start_intake("Fraud scoring")
    calls = slack_bot.api.calls("chat.postMessage")
    assert [call.status for call in calls] == [429, 200, 200]
    assert _question_ids(slack_bot.api.posted_messages()) == ["volume"]
    assert slack_bot.api.posted_messages()[1]["thread_ts"] == thread


# -- Redis going away --------------------------------------------------------------------------


async def test_redis_outage_mid_intake_loses_no_acknowledged_answer(
    private_redis: PrivateRedis, slack_api: SlackWebApiStandIn, key_prefix: str, tmp_path: Path
) -> None:
    """With Redis stopped the bot says it couldn't save; after a restart the intake completes intact."""
    settings = make_settings(private_redis.url, slack_api, key_prefix, tmp_path)
    async with running_bot(settings, slack_api) as bot:
        thread = await bot.start_intake("Fraud scoring")
        await bot.reply(thread, ANSWERS["volume"])

        private_redis.stop()
        assert (await bot.get("/readyz"))[0] == 503
        body = event_callback_body(
            message_event(ANSWERS["stakeholders"], thread_ts=thread), event_id="Ev0OUTAGE0001"
        )
        before = len(bot.api.calls("chat.postMessage"))
        first = await bot.deliver(body)
        assert first.status == 503  # not saved, so not acknowledged: Slack will deliver it again
        await bot.worker.idle()
        assert len(bot.api.calls("chat.postMessage")) == before  # and nobody is told yet
        await bot.send(body, retry_num=3)  # Slack's last try: now the person hears of it
        refused = [call.body for call in bot.api.calls("chat.postMessage")[before:]]
        assert len(refused) == 1
        assert msg.COULD_NOT_SAVE in refused[0]["text"]
        assert "question_id" not in json.dumps(refused[0])  # no next question: nothing moved on

        private_redis.start()
        assert await bot.get("/readyz") == (200, {"status": "ready", "redis": "ok"})
        await _answer_all(bot, thread, {k: v for k, v in ANSWERS.items() if k != "volume"})

        posts = bot.api.posted_messages()
        assert metadata_of(posts[-1])["event_type"] == "intake_summary"
        assert metadata_of(posts[-1])["event_payload"]["strategy"] == _expected_strategy(ANSWERS)
        intake = await stored_intake(settings, thread)
        assert intake is not None
        assert [(r.question_id, r.text) for r in intake.answers] == list(ANSWERS.items())


# -- bursts, first requests and outages -------------------------------------------------------


async def test_a_burst_of_first_requests_calls_auth_test_once(
    slack_settings: Settings, slack_api: SlackWebApiStandIn
) -> None:
    """Thirty events arriving together before any other: one auth.test, thirty acks."""
    async with running_bot(slack_settings, slack_api) as bot:
        bodies = [
            event_callback_body(message_event(f"lunch {n}?", thread_ts="1700000000.999900"))
            for n in range(30)
        ]
        answers = await asyncio.gather(*(bot.deliver(body) for body in bodies))
        assert [answer.status for answer in answers] == [200] * 30
        assert len(slack_api.calls("auth.test")) == 1


async def test_a_burst_larger_than_the_redis_pool_waits_for_connections(
    slack_settings: Settings, slack_api: SlackWebApiStandIn, redis_client: Redis, key_prefix: str
) -> None:
    """Sixty intakes started at once through four Redis connections: all saved, none refused."""
    settings = slack_settings.model_copy(update={"redis_max_connections": 4})
    channels = [f"D0BURST{n:03d}" for n in range(60)]
    async with running_bot(settings, slack_api) as bot:
        bodies = [
            event_callback_body(message_event("start Burst", channel_id=channel, channel_type="im"))
            for channel in channels
        ]
        answers = await asyncio.gather(*(bot.deliver(body) for body in bodies))
        assert [answer.status for answer in answers] == [200] * 60
        await bot.worker.idle()
    texts = json.dumps([call.body for call in slack_api.calls("chat.postMessage")])
    assert msg.COULD_NOT_SAVE.split(":")[0] not in texts
    saved = [
        await redis_client.exists(intake_key(IntakeRef("slack", TEAM_ID, channel, ""), key_prefix))
        for channel in channels
    ]
    assert saved == [1] * 60


async def test_a_command_while_redis_is_down_posts_no_orphan_root(
    private_redis: PrivateRedis, slack_api: SlackWebApiStandIn, key_prefix: str, tmp_path: Path
) -> None:
    """`/intake` with Redis gone: no root message, only a private "couldn't start, try again"."""
    settings = make_settings(private_redis.url, slack_api, key_prefix, tmp_path)
    async with running_bot(settings, slack_api) as bot:
        private_redis.stop()
        try:
            await bot.command("Fraud scoring")
            assert slack_api.calls("chat.postMessage") == []
            [ephemeral] = slack_api.calls("chat.postEphemeral")
            assert msg.COULD_NOT_START.split(":")[0] in ephemeral.body["text"]
        finally:
            private_redis.start()


async def test_a_token_slack_refuses_stops_the_server_at_start(
    slack_settings: Settings, slack_api: SlackWebApiStandIn
) -> None:
    """`auth.test` answering invalid_auth at start is a clear configuration error, not a crash later."""
    slack_api.fail_next("auth.test", error="invalid_auth")
    with pytest.raises(ConfigurationError) as caught:
        async with running_bot(slack_settings, slack_api):
            pytest.fail("the server started with a refused token")
    assert "invalid_auth" in str(caught.value)
    assert "SLACK_BOT_TOKEN" in str(caught.value)


async def test_readyz_is_not_ready_when_redis_refuses_writes(
    private_redis: PrivateRedis, slack_api: SlackWebApiStandIn, key_prefix: str, tmp_path: Path
) -> None:
    """A Redis that answers pings but refuses writes (maxmemory reached) makes /readyz 503."""
    settings = make_settings(private_redis.url, slack_api, key_prefix, tmp_path)
    async with running_bot(settings, slack_api) as bot:
        assert (await bot.get("/readyz"))[0] == 200
        client = Redis.from_url(private_redis.url)
        try:
            await client.config_set("maxmemory-policy", "noeviction")
            await client.config_set("maxmemory", "1")
            assert await bot.get("/readyz") == (
                503,
                {"status": "not ready", "redis": "not writable"},
            )
        finally:
            await client.config_set("maxmemory", "0")
            await client.aclose()
        assert (await bot.get("/readyz"))[0] == 200


async def test_each_turn_logs_one_line_with_where_who_and_what_became_of_it(
    slack_bot: SlackBot,
) -> None:
    """A saved answer logs one `turn` line: intake, team, channel, user, kind, question, outcome."""
    thread = await slack_bot.start_intake("Fraud scoring")
    with capture_logs() as logs:
        await slack_bot.reply(thread, "40 GB a day")
    [turn] = [entry for entry in logs if entry["event"] == "turn"]
    assert turn["intake"] == f"{TEAM_ID}/{CHANNEL_ID}/{thread}"
    assert (turn["team"], turn["channel"], turn["user"]) == (TEAM_ID, CHANNEL_ID, USER_ID)
    assert (turn["kind"], turn["question"], turn["outcome"]) == ("text", "volume", "applied")
    assert turn["latency_ms"] >= 0
    assert "40 GB a day" not in json.dumps(turn)


MALFORMED = {
    "cut JSON": '{"type": "event_callback", "event": {"type": "mess',
    "JSON array": "[1, 2, 3]",
    "JSON string": '"hello"',
    "deep nesting": "[" * 50_000 + "]" * 50_000,
    "form typed as JSON": "command=%2Fintake&text=x",
    "empty": "",
    "event without event": '{"type": "event_callback", "team_id": "T0INTAKE01"}',
    "non-UTF-8": "\udcff",
}


@pytest.mark.parametrize("body", list(MALFORMED.values()), ids=list(MALFORMED))
async def test_a_malformed_signed_request_gets_a_4xx_never_a_500(
    slack_bot: SlackBot, body: str
) -> None:
    """Properly signed but malformed bodies are refused with a 4xx (or ignored with 200), never a 500."""
    raw = body.encode("utf-8", errors="surrogateescape")
    headers = signed_headers(slack_bot.secret, raw, content_type="application/json")
    async with slack_bot.session.post(slack_bot.events_url, data=raw, headers=headers) as answer:
        await answer.read()
        assert answer.status < 500, (answer.status, body[:60])
    assert slack_bot.watch.errors == []


async def test_an_oversized_body_gets_413(slack_bot: SlackBot) -> None:
    """A body far beyond any Slack payload is refused before it is read whole."""
    raw = b"{" + b" " * (2 * 1024 * 1024) + b"}"
    headers = signed_headers(slack_bot.secret, raw, content_type="application/json")
    async with slack_bot.session.post(
        slack_bot.events_url, data=io.BytesIO(raw), headers=headers
    ) as answer:
        assert answer.status == 413


async def test_a_client_that_never_finishes_its_headers_is_cut_off(
    slack_api: SlackWebApiStandIn, slack_settings: Settings
) -> None:
    """Half a request line and no more: the server closes the connection after the idle timeout."""
    settings = slack_settings.model_copy(update={"http_idle_timeout_seconds": 0.5})
    async with running_bot(settings, slack_api) as bot:
        reader, writer = await asyncio.open_connection("127.0.0.1", bot.port)
        try:
            writer.write(b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slack-")
            await writer.drain()
            # The server closes the connection (EOF) without answering; a server that
            # waited for the rest of the headers would trip this test's own 10 s deadline.
            async with asyncio.timeout(10):
                assert await reader.read() == b""
        finally:
            writer.close()
        assert (await bot.get("/healthz"))[0] == 200  # and it serves everyone else


async def test_a_non_numeric_timestamp_header_gets_a_4xx(slack_bot: SlackBot) -> None:
    """A request whose timestamp header is not a number is refused as unauthenticated, not a 500."""
    body = event_callback_body(message_event("hello"))
    headers = {**signed_headers(slack_bot.secret, body), "X-Slack-Request-Timestamp": "soon"}
    async with slack_bot.session.post(slack_bot.events_url, data=body, headers=headers) as answer:
        assert 400 <= answer.status < 500


async def metric_samples(slack_bot: SlackBot) -> dict[str, float]:
    """`GET /metrics`, parsed: each sample's name with labels -> its value."""
    async with slack_bot.session.get(f"http://127.0.0.1:{slack_bot.port}/metrics") as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/plain")
        text = await answer.text()
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


async def test_metrics_count_turns_api_calls_and_posts(slack_bot: SlackBot) -> None:
    """After a start and an answer, /metrics shows the turns, Slack's calls and the posts."""
    thread = await slack_bot.start_intake("Fraud scoring")
    await slack_bot.reply(thread, "40 GB a day")
    samples = await metric_samples(slack_bot)
    assert samples['intake_turns_total{kind="start",outcome="applied",platform="slack"}'] == 1
    assert samples['intake_turns_total{kind="text",outcome="applied",platform="slack"}'] == 1
    assert samples['intake_turn_seconds_count{platform="slack"}'] == 2
    calls = (
        'intake_platform_api_calls_total{method="chat_postMessage",platform="slack",result="ok"}'
    )
    assert samples[calls] == 3  # the root, the first question, the second question
    assert samples['intake_outbox_entries_total{outcome="posted"}'] == 2
    assert samples['intake_intakes_total{event="started",platform="slack"}'] == 1
    assert 'intake_intakes_total{event="completed",platform="slack"}' not in samples


async def test_metrics_count_an_intake_completed_once(slack_bot: SlackBot) -> None:
    """The first full summary completes an intake; an edit after it completes nothing more."""
    thread = await slack_bot.start_intake("Fraud scoring")
    for text in HAPPY_ANSWERS.values():
        await slack_bot.reply(thread, text)
    await slack_bot.reply(thread, "edit volume")
    await slack_bot.reply(thread, "60 GB a day")
    samples = await metric_samples(slack_bot)
    assert samples['intake_intakes_total{event="started",platform="slack"}'] == 1
    assert samples['intake_intakes_total{event="completed",platform="slack"}'] == 1


async def test_an_answer_understood_in_part_gets_buttons_that_finish_it(
    slack_bot: SlackBot,
) -> None:
    """ "200 GB" asks "per day, week or month?" with buttons; a click saves the whole answer."""
    thread = await slack_bot.start_intake("Fraud scoring")
    (clarifying,) = await slack_bot.reply(thread, "200 GB")
    assert metadata_of(clarifying)["event_payload"]["question_id"] == "volume"
    (buttons,) = [block for block in clarifying["blocks"] if block["type"] == "actions"]
    labels = [element["text"]["text"] for element in buttons["elements"]]
    assert labels == ["per day", "per week", "per month"]
    question = slack_bot.api.calls("chat.postMessage")[-1]
    await slack_bot.click(question, "200 GB per week", "per week")
    intake = await stored_intake(slack_bot.settings, thread)
    assert intake is not None
    assert [(a.question_id, a.text) for a in intake.answers] == [("volume", "200 GB per week")]
    saved = slack_bot.api.calls("chat.postMessage")[-1].body
    assert "about 28.6 GB a day (high)" in saved["text"], saved
    # The clarifying message now shows who chose what, without its buttons.
    (update,) = slack_bot.api.calls("chat.update")
    assert "per week" in update.body["text"] + json.dumps(update.body.get("blocks"))
    assert all(block["type"] != "actions" for block in update.body["blocks"])


async def test_thanks_in_an_intake_thread_gets_no_reply(slack_bot: SlackBot) -> None:
    """A "thanks!" in the thread is acked and left alone: nothing posted, nothing re-asked."""
    thread = await slack_bot.start_intake("Fraud scoring")
    assert await slack_bot.reply(thread, "thanks!") == []
    intake = await stored_intake(slack_bot.settings, thread)
    assert intake is not None
    assert intake.answer_count == 0


async def test_a_command_in_a_public_channel_the_bot_is_not_in_joins_it_and_starts(
    slack_bot: SlackBot,
) -> None:
    """With the channels:join scope, `/intake` where the bot was never invited just works."""
    slack_bot.api.keep_out(CHANNEL_ID)
    answer = await slack_bot.command("Fraud scoring")
    assert (answer.status, answer.body) == (200, "")
    calls = [(call.method, call.ok) for call in slack_bot.api.calls()]
    assert calls[-4:-1] == [
        ("chat.postMessage", False),  # not_in_channel
        ("conversations.join", True),
        ("chat.postMessage", True),  # the root message
    ]
    root = slack_bot.api.stored_posts(CHANNEL_ID)
    assert len(root) == 1
    assert await stored_intake(slack_bot.settings, root[0]["ts"]) is not None


async def test_a_join_that_fails_for_now_says_try_again_not_invite(slack_bot: SlackBot) -> None:
    """conversations.join answering 503: the person is told to try again, not to invite the bot."""
    slack_bot.api.keep_out(CHANNEL_ID)
    slack_bot.api.http_error_next("conversations.join", status=503)
    answer = await slack_bot.command("Fraud scoring")
    assert answer.status == 200
    assert answer.body.startswith(msg.COULD_NOT_POST[:20]), answer
    assert "/invite" not in answer.body


async def test_a_reply_in_a_thread_never_joins_a_channel_the_bot_was_removed_from(
    slack_bot: SlackBot,
) -> None:
    """Removed after the start: the thread's posts are refused, and the bot does not join back."""
    thread = await slack_bot.start_intake("Fraud scoring")
    slack_bot.api.keep_out(CHANNEL_ID)
    await slack_bot.reply(thread, ANSWERS["volume"])
    assert slack_bot.api.calls("conversations.join") == []
    assert not slack_bot.api.calls("chat.postMessage")[-1].ok


@pytest.mark.parametrize("channel", [CHANNEL_ID, PRIVATE_CHANNEL_ID])
async def test_a_command_where_the_bot_cannot_join_tells_the_person_to_invite_it(
    slack_bot: SlackBot, channel: str
) -> None:
    """No join scope (public channel) or no joining at all (private): the ack says to invite."""
    slack_bot.api.join_allowed = channel != CHANNEL_ID
    slack_bot.api.keep_out(channel)
    answer = await slack_bot.send(
        slash_command_body("/intake", "Fraud scoring", channel_id=channel)
    )
    assert answer.status == 200
    assert answer.body.startswith(msg.CANNOT_POST_NOT_A_MEMBER[:20]), answer
    assert "/invite" in answer.body
    assert [call.ok for call in slack_bot.api.calls("chat.postMessage")] == [False]
    assert slack_bot.api.stored_posts(channel) == []


async def test_help_where_the_bot_is_not_a_member_is_shown_in_the_commands_answer(
    slack_bot: SlackBot,
) -> None:
    """`/intake help` in a channel the bot is not in: the usage comes back in the ack."""
    slack_bot.api.keep_out(CHANNEL_ID)
    answer = await slack_bot.command("help")
    assert answer.status == 200
    assert "/intake" in answer.body
    assert [call.ok for call in slack_bot.api.calls("chat.postEphemeral")] == [False]


async def test_help_where_the_bot_is_a_member_is_shown_to_the_person_only(
    slack_bot: SlackBot,
) -> None:
    """`/intake help` in the bot's channel: an ephemeral message, and an empty ack."""
    answer = await slack_bot.command("help")
    assert (answer.status, answer.body) == (200, "")
    (ephemeral,) = slack_bot.api.calls("chat.postEphemeral")
    assert ephemeral.ok
    assert "/intake" in ephemeral.body["text"]


@pytest.mark.parametrize(
    ("error", "template"),
    [
        ("is_archived", msg.CANNOT_POST_CHANNEL_GONE),
        ("restricted_action", msg.CANNOT_POST_RESTRICTED),
    ],
)
async def test_a_command_where_the_bot_cannot_post_says_why_in_its_answer(
    slack_bot: SlackBot, error: str, template: str
) -> None:
    """`/intake` in a channel the bot may not post in: the command's own answer says what to do."""
    slack_bot.api.fail_next("chat.postMessage", error=error)
    answer = await slack_bot.command("Fraud scoring")
    assert answer.status == 200
    # Slack shows a plain-text command answer to the person who ran the command.
    assert answer.body.startswith(template[:20]), answer
    assert [call.ok for call in slack_bot.api.calls("chat.postMessage")] == [False]
    assert await stored_intake(slack_bot.settings, "") is None


async def test_a_click_is_acknowledged_even_when_its_question_cannot_be_updated(
    slack_bot: SlackBot,
) -> None:
    """chat.update refused (the message was deleted): the answer is saved and the click gets 200."""
    thread = await slack_bot.start_intake("Fraud scoring")
    await _answer_all(slack_bot, thread, {k: ANSWERS[k] for k in ("volume", "stakeholders")})
    question = next(
        call
        for call in slack_bot.api.calls("chat.postMessage")
        if metadata_of(call.body).get("event_payload", {}).get("question_id") == "churn"
    )
    slack_bot.api.fail_next("chat.update", error="message_not_found")
    await slack_bot.click(question, "never", "Never changes")
    intake = await stored_intake(slack_bot.settings, thread)
    assert intake is not None
    assert [(r.question_id, r.text) for r in intake.answers][-1] == ("churn", "never")
    assert slack_bot.watch.errors == []


async def test_a_shutdown_turns_readiness_and_new_events_away_and_still_posts_what_was_saved(
    slack_settings: Settings, slack_api: SlackWebApiStandIn
) -> None:
    """On stop: /readyz and new events get 503 at once, and the saved reply is still posted, once."""
    server = slack_server(slack_settings, "127.0.0.1", 0)
    running = await server.__aenter__()
    try:
        async with aiohttp.ClientSession() as session:
            base = f"http://127.0.0.1:{running.port}"

            async def status(method: str, path: str, body: str = "") -> int:
                headers = signed_headers(SIGNING_SECRET, body) if body else {}
                async with session.request(method, base + path, data=body, headers=headers) as r:
                    return r.status

            start = event_callback_body(
                message_event("start Fraud scoring", channel_id="D0STOP0001", channel_type="im")
            )
            slack_api.hold("chat.postMessage", channel="D0STOP0001")
            assert await status("POST", "/slack/events", start) == 200  # saved, its post held
            await slack_api.wait_for_held("chat.postMessage", 1, channel="D0STOP0001")
            stopping = asyncio.create_task(server.__aexit__(None, None, None))
            # The first request after the stop began already sees it: nothing waits for a timer.
            assert await status("GET", "/readyz") == 503
            later = event_callback_body(
                message_event("40 GB a day", channel_id="D0STOP0001", channel_type="im")
            )
            assert await status("POST", "/slack/events", later) == 503
            slack_api.release("chat.postMessage", channel="D0STOP0001")
            await stopping
    except BaseException:
        await server.__aexit__(None, None, None)
        raise
    assert len(slack_api.stored_posts("D0STOP0001")) == 1


async def test_readyz_reports_a_token_slack_refuses_after_start(slack_bot: SlackBot) -> None:
    """A post refused with token_revoked turns /readyz 503 naming it; a good answer clears it."""
    slack_bot.api.fail_next("chat.postMessage", error="token_revoked")
    await slack_bot.command("Fraud scoring")
    assert await slack_bot.get("/readyz") == (
        503,
        {"status": "not ready", "token": "token_revoked"},
    )
    await slack_bot.start_intake("Fraud scoring")  # Slack answers ok again
    assert (await slack_bot.get("/readyz"))[0] == 200
