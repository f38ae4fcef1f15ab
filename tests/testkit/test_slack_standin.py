"""The Slack stand-in and the request signer behave as Slack does, as slack_sdk and Bolt see it."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.say.async_say import AsyncSay
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from testkit.slack_signing import (
    BOT_USER_ID,
    CHANNEL_ID,
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
from testkit.slack_standin import UPLOAD_METHOD, SlackWebApiStandIn, run_standin_in_thread

SECRET = "test-signing-secret"
TS_FORM = re.compile(r"^\d{10}\.\d{6}$")
BLOCKS = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "What data volume do you expect?"}},
    {
        "type": "actions",
        "block_id": "q-volume",
        "elements": [
            {
                "type": "button",
                "action_id": "answer",
                "text": {"type": "plain_text", "text": "Skip"},
                "value": "skip",
            }
        ],
    },
]
METADATA = {"event_type": "intake_question", "event_payload": {"question_id": "volume"}}


@pytest.fixture
async def api() -> AsyncIterator[SlackWebApiStandIn]:
    async with SlackWebApiStandIn() as standin:
        yield standin


@pytest.fixture
def client(api: SlackWebApiStandIn) -> AsyncWebClient:
    return AsyncWebClient(base_url=api.base_url, token=api.token)


# -- the Web API stand-in ------------------------------------------------------------


async def test_base_url_is_the_form_slack_sdk_expects(api: SlackWebApiStandIn) -> None:
    """base_url points at 127.0.0.1 and ends in /api/ as slack_sdk's default does."""
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/", api.base_url)


async def test_auth_test_names_the_bot(client: AsyncWebClient, api: SlackWebApiStandIn) -> None:
    """auth.test answers with the bot user and team Bolt authorizes with."""
    response = await client.auth_test()

    assert response["ok"] is True
    assert response["user_id"] == BOT_USER_ID
    assert response["bot_id"] == "BBOT"
    assert response["team_id"] == TEAM_ID
    assert response["is_enterprise_install"] is False
    assert [c.method for c in api.calls()] == ["auth.test"]


async def test_post_message_records_decoded_blocks_and_metadata(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """chat.postMessage sent as JSON is recorded with its blocks and metadata as objects."""
    response = await client.chat_postMessage(
        channel=CHANNEL_ID,
        text="What data volume do you expect?",
        blocks=BLOCKS,
        metadata=METADATA,
        thread_ts="1700000000.000001",
    )

    assert response["ok"] is True
    assert response["channel"] == CHANNEL_ID
    assert TS_FORM.match(response["ts"])
    echoed = response["message"]
    assert echoed["ts"] == response["ts"]
    assert echoed["thread_ts"] == "1700000000.000001"
    assert echoed["blocks"] == BLOCKS
    assert echoed["metadata"] == METADATA
    [posted] = api.posted_messages()
    assert posted["blocks"] == BLOCKS
    assert posted["metadata"] == METADATA
    assert posted["text"] == "What data volume do you expect?"
    [call] = api.calls("chat.postMessage")
    assert call.headers["authorization"] == f"Bearer {api.token}"
    assert call.headers["content-type"].startswith("application/json")


async def test_form_post_decodes_json_string_fields(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """A form-encoded post's blocks and metadata, sent as JSON strings, are recorded decoded."""
    await client.api_call(
        "chat.postMessage",
        data={
            "channel": CHANNEL_ID,
            "text": "form post",
            "blocks": json.dumps(BLOCKS),
            "metadata": json.dumps(METADATA),
        },
    )

    [posted] = api.posted_messages()
    assert posted["blocks"] == BLOCKS
    assert posted["metadata"] == METADATA


async def test_message_ts_are_unique_and_increasing(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """Every posted message gets a fresh ts later than the one before."""
    timestamps = [
        (await client.chat_postMessage(channel=CHANNEL_ID, text=f"n{n}"))["ts"] for n in range(3)
    ]

    assert len(set(timestamps)) == 3
    assert timestamps == sorted(timestamps, key=float)
    assert all(TS_FORM.match(ts) for ts in timestamps)


async def test_update_and_ephemeral_answer_as_slack_does(client: AsyncWebClient) -> None:
    """chat.update echoes the edited message at its ts; chat.postEphemeral gets a fresh message_ts."""
    posted = await client.chat_postMessage(channel=CHANNEL_ID, text="original")
    update = await client.chat_update(channel=CHANNEL_ID, ts=posted["ts"], text="edited")
    ephemeral = await client.chat_postEphemeral(channel=CHANNEL_ID, user=USER_ID, text="psst")

    assert update["ts"] == posted["ts"]
    assert update["channel"] == CHANNEL_ID
    assert update["message"]["text"] == "edited"
    assert TS_FORM.match(ephemeral["message_ts"])


async def test_a_method_the_bot_does_not_call_is_unknown(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """Any other method answers HTTP 200 with ok=false and unknown_method, as Slack does."""
    with pytest.raises(SlackApiError) as raised:
        await client.views_open(trigger_id="1.2.abc", view={"type": "modal", "blocks": []})

    assert raised.value.response.status_code == 200
    assert raised.value.response.data == {"ok": False, "error": "unknown_method"}
    [call] = api.calls("views.open")
    assert call.ok is False


async def test_wrong_token_is_rejected_as_invalid_auth(api: SlackWebApiStandIn) -> None:
    """A token other than the expected one gets invalid_auth, as Slack answers."""
    intruder = AsyncWebClient(base_url=api.base_url, token="xoxb-not-the-right-one")

    with pytest.raises(SlackApiError) as raised:
        await intruder.chat_postMessage(channel=CHANNEL_ID, text="hi")

    assert raised.value.response["error"] == "invalid_auth"
    assert api.posted_messages() == []
    assert api.calls("chat.postMessage")[0].ok is False


async def test_missing_token_is_rejected_as_not_authed(api: SlackWebApiStandIn) -> None:
    """A call without any token gets not_authed."""
    anonymous = AsyncWebClient(base_url=api.base_url)

    with pytest.raises(SlackApiError) as raised:
        await anonymous.auth_test()

    assert raised.value.response["error"] == "not_authed"


async def test_token_form_field_is_accepted(api: SlackWebApiStandIn) -> None:
    """A token sent as a POST field, which Slack also accepts, authenticates and is not recorded."""
    no_header = AsyncWebClient(base_url=api.base_url)

    await no_header.api_call("chat.postMessage", data={"channel": CHANNEL_ID, "token": api.token})

    [posted] = api.posted_messages()
    assert "token" not in posted


async def test_rate_limit_answers_429_with_retry_after(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """rate_limit_next answers HTTP 429, Retry-After and error ratelimited, then recovers."""
    api.rate_limit_next("chat.postMessage", retry_after=7)

    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel=CHANNEL_ID, text="too fast")
    second = await client.chat_postMessage(channel=CHANNEL_ID, text="later")

    response = raised.value.response
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response["error"] == "ratelimited"
    assert second["ok"] is True
    assert [p["text"] for p in api.posted_messages()] == ["later"]


async def test_rate_limit_is_retried_by_slack_sdk_handler(api: SlackWebApiStandIn) -> None:
    """slack_sdk's AsyncRateLimitErrorRetryHandler honours the 429 and the retry succeeds."""
    patient = AsyncWebClient(
        base_url=api.base_url,
        token=api.token,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    api.rate_limit_next("chat.postMessage", retry_after=0)

    response = await patient.chat_postMessage(channel=CHANNEL_ID, text="eventually")

    assert response["ok"] is True
    assert [c.status for c in api.calls("chat.postMessage")] == [429, 200]
    assert len(api.posted_messages()) == 1


async def test_fail_next_answers_the_given_error_once(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """fail_next answers ok=false with the named error for the next call only."""
    api.fail_next("chat.postMessage", error="channel_not_found")

    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C0GONE", text="hello?")
    await client.chat_postMessage(channel=CHANNEL_ID, text="hello")

    assert raised.value.response.status_code == 200
    assert raised.value.response["error"] == "channel_not_found"
    assert [p["channel"] for p in api.posted_messages()] == [CHANNEL_ID]


async def test_set_response_replaces_one_methods_answer(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """set_response lets a test play another answer, here an Enterprise Grid install."""
    api.set_response(
        "auth.test",
        lambda _body: {"ok": True, "user_id": BOT_USER_ID, "is_enterprise_install": True},
    )

    answer = await client.auth_test()

    assert answer["is_enterprise_install"] is True
    assert api.calls("auth.test")[0].response["is_enterprise_install"] is True


async def test_reset_forgets_calls(client: AsyncWebClient, api: SlackWebApiStandIn) -> None:
    """reset clears what was recorded, so a test can count from a known point."""
    await client.chat_postMessage(channel=CHANNEL_ID, text="before")

    api.reset()

    assert api.calls() == []
    assert api.posted_messages() == []


async def test_wait_for_returns_when_calls_arrive(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """wait_for wakes as soon as the awaited number of calls has arrived."""
    waiting = asyncio.create_task(api.wait_for("chat.postMessage", count=2, timeout=5))
    await client.chat_postMessage(channel=CHANNEL_ID, text="one")
    assert not waiting.done()
    await client.chat_postMessage(channel=CHANNEL_ID, text="two")

    calls = await waiting

    assert [c.body["text"] for c in calls] == ["one", "two"]


async def test_wait_for_times_out_with_a_clear_error(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """wait_for raises TimeoutError naming the method and what arrived instead."""
    await client.auth_test()

    with pytest.raises(TimeoutError, match=r"1 call\(s\) to chat\.postMessage, got 0.*auth\.test"):
        await api.wait_for("chat.postMessage", timeout=0.05)


def test_threaded_standin_serves_synchronous_clients() -> None:
    """run_standin_in_thread serves a sync WebClient and wait_for blocks until the post arrives."""
    with run_standin_in_thread() as api:
        sync_client = WebClient(base_url=api.base_url, token=api.token)
        poster = threading.Thread(
            target=sync_client.chat_postMessage, kwargs={"channel": CHANNEL_ID, "text": "hi"}
        )
        poster.start()
        calls = api.wait_for("chat.postMessage", timeout=5)
        poster.join()

        assert calls[0].body["text"] == "hi"
        assert api.posted_messages()[0]["channel"] == CHANNEL_ID
        with pytest.raises(TimeoutError, match=r"chat\.update"):
            api.wait_for("chat.update", timeout=0.05)


# -- the message store and conversations.* ------------------------------------------

OTHER_CHANNEL = "C0OTHER001"
PERSON_TS = "1800000000.000100"


def _keyed(outbox_id: str) -> dict[str, object]:
    """Metadata as the delivery worker sends it: the event payload carries the outbox id."""
    return {
        "event_type": "intake_question",
        "event_payload": {"question_id": "volume", "outbox_id": outbox_id, "part": 0},
    }


def _outbox_ids(messages: list[dict[str, Any]]) -> list[object]:
    """The outbox ids in the messages' metadata, in their order."""
    return [m["metadata"]["event_payload"].get("outbox_id") for m in messages if "metadata" in m]


async def test_posts_are_stored_with_the_fields_slack_returns(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """A post is stored with ts, thread_ts, channel, text, blocks, metadata, user and bot_id."""
    root = await client.chat_postMessage(channel=CHANNEL_ID, text="Intake: Churn model")
    reply = await client.chat_postMessage(
        channel=CHANNEL_ID, text="Volume?", blocks=BLOCKS, metadata=METADATA, thread_ts=root["ts"]
    )

    top, stored = api.stored_messages(CHANNEL_ID)
    assert top["ts"] == root["ts"]
    assert "thread_ts" not in top
    assert stored["ts"] == reply["ts"]
    assert stored["thread_ts"] == root["ts"]
    assert stored["channel"] == CHANNEL_ID
    assert stored["text"] == "Volume?"
    assert stored["blocks"] == BLOCKS
    assert stored["metadata"] == METADATA
    assert (stored["user"], stored["bot_id"]) == (BOT_USER_ID, "BBOT")
    assert api.stored_posts(CHANNEL_ID) == [top]
    assert api.stored_posts(CHANNEL_ID, root["ts"]) == [stored]


async def test_update_edits_the_stored_message_and_refuses_others(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """chat.update changes the stored post; an unknown ts or a person's message is refused as Slack does."""
    posted = await client.chat_postMessage(channel=CHANNEL_ID, text="Volume?", blocks=BLOCKS)
    api.add_message(CHANNEL_ID, PERSON_TS, "mine")

    await client.chat_update(channel=CHANNEL_ID, ts=posted["ts"], text="Volume: 2 TB", blocks=[])
    with pytest.raises(SlackApiError) as missing:
        await client.chat_update(channel=CHANNEL_ID, ts="1700000000.999900", text="?")
    with pytest.raises(SlackApiError) as not_ours:
        await client.chat_update(channel=CHANNEL_ID, ts=PERSON_TS, text="?")

    [stored] = api.stored_posts(CHANNEL_ID)
    assert (stored["ts"], stored["text"], stored["blocks"]) == (posted["ts"], "Volume: 2 TB", [])
    assert stored["edited"]["user"] == BOT_USER_ID
    assert missing.value.response["error"] == "message_not_found"
    assert not_ours.value.response["error"] == "cant_update_message"


async def test_replies_list_the_thread_oldest_first_with_metadata_only_when_asked(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """conversations.replies gives a person's parent then the thread's replies; metadata needs include_all_metadata."""
    api.add_message(CHANNEL_ID, PERSON_TS, "@intake start Churn model")
    first = await client.chat_postMessage(
        channel=CHANNEL_ID, text="q1", thread_ts=PERSON_TS, metadata=_keyed("e-1")
    )
    second = await client.chat_postMessage(
        channel=CHANNEL_ID, text="q2", thread_ts=PERSON_TS, metadata=_keyed("e-2")
    )
    await client.chat_postMessage(channel=CHANNEL_ID, text="elsewhere", metadata=_keyed("e-3"))
    await client.chat_postMessage(channel=OTHER_CHANNEL, text="x", thread_ts=PERSON_TS)

    plain = await client.conversations_replies(channel=CHANNEL_ID, ts=PERSON_TS)
    full = await client.conversations_replies(
        channel=CHANNEL_ID, ts=PERSON_TS, include_all_metadata=True
    )
    from_a_reply = await client.conversations_replies(channel=CHANNEL_ID, ts=second["ts"])

    assert [m["ts"] for m in plain["messages"]] == [PERSON_TS, first["ts"], second["ts"]]
    assert plain["has_more"] is False
    assert plain["response_metadata"] == {"next_cursor": ""}
    parent = plain["messages"][0]
    assert (parent["user"], parent["text"], "bot_id" in parent) == (
        USER_ID,
        "@intake start Churn model",
        False,
    )
    assert (parent["thread_ts"], parent["reply_count"], parent["reply_users"]) == (
        PERSON_TS,
        2,
        [BOT_USER_ID],
    )
    assert all(m["parent_user_id"] == USER_ID for m in plain["messages"][1:])
    assert not any("metadata" in m for m in plain["messages"])
    assert _outbox_ids(full["messages"]) == ["e-1", "e-2"]
    assert full["messages"][1]["metadata"] == _keyed("e-1")
    assert from_a_reply["messages"] == plain["messages"]


async def test_replies_window_is_exclusive_unless_inclusive(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """oldest and latest leave out messages at their own ts unless inclusive; the parent always leads."""
    root = (await client.chat_postMessage(channel=CHANNEL_ID, text="root"))["ts"]
    ts = [
        (await client.chat_postMessage(channel=CHANNEL_ID, text=f"r{n}", thread_ts=root))["ts"]
        for n in range(3)
    ]

    after = await client.conversations_replies(channel=CHANNEL_ID, ts=root, oldest=ts[0])
    from_it = await client.conversations_replies(
        channel=CHANNEL_ID, ts=root, oldest=ts[0], inclusive=True
    )
    before = await client.conversations_replies(channel=CHANNEL_ID, ts=root, latest=ts[2])

    assert [m["ts"] for m in after["messages"]] == [root, ts[1], ts[2]]
    assert [m["ts"] for m in from_it["messages"]] == [root, *ts]
    assert [m["ts"] for m in before["messages"]] == [root, ts[0], ts[1]]


async def test_replies_page_by_limit_and_cursor(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """A limit splits the thread into pages joined by next_cursor; later pages carry no parent."""
    root = (await client.chat_postMessage(channel=CHANNEL_ID, text="root"))["ts"]
    ts = [
        (await client.chat_postMessage(channel=CHANNEL_ID, text=f"r{n}", thread_ts=root))["ts"]
        for n in range(3)
    ]

    first = await client.conversations_replies(channel=CHANNEL_ID, ts=root, limit=2)
    cursor = first["response_metadata"]["next_cursor"]
    rest = await client.conversations_replies(channel=CHANNEL_ID, ts=root, limit=2, cursor=cursor)
    with pytest.raises(SlackApiError) as bad_cursor:
        await client.conversations_replies(channel=CHANNEL_ID, ts=root, cursor="not-a-cursor")

    assert [m["ts"] for m in first["messages"]] == [root, ts[0]]
    assert first["has_more"] is True
    assert [m["ts"] for m in rest["messages"]] == [ts[1], ts[2]]
    assert rest["has_more"] is False
    assert rest["response_metadata"]["next_cursor"] == ""
    assert bad_cursor.value.response["error"] == "invalid_cursor"


async def test_replies_of_an_unknown_thread_is_thread_not_found(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """A ts the channel has no message at, even one with replies posted under it, is thread_not_found."""
    await client.chat_postMessage(channel=CHANNEL_ID, text="reply", thread_ts=PERSON_TS)

    with pytest.raises(SlackApiError) as raised:
        await client.conversations_replies(channel=CHANNEL_ID, ts=PERSON_TS)

    assert raised.value.response.status_code == 200
    assert raised.value.response.data == {"ok": False, "error": "thread_not_found"}


async def test_history_lists_top_level_messages_newest_first(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """conversations.history gives the channel's top-level messages newest first, without replies."""
    api.add_message(CHANNEL_ID, PERSON_TS, "hello")
    one = await client.chat_postMessage(channel=CHANNEL_ID, text="one", metadata=_keyed("e-1"))
    await client.chat_postMessage(channel=CHANNEL_ID, text="reply", thread_ts=one["ts"])
    two = await client.chat_postMessage(channel=CHANNEL_ID, text="two", metadata=_keyed("e-2"))
    await client.chat_postMessage(channel=OTHER_CHANNEL, text="other")

    plain = await client.conversations_history(channel=CHANNEL_ID)
    full = await client.conversations_history(channel=CHANNEL_ID, include_all_metadata=True)
    newer = await client.conversations_history(channel=CHANNEL_ID, oldest=one["ts"])
    paged = await client.conversations_history(channel=CHANNEL_ID, limit=1)
    empty = await client.conversations_history(channel="C0NOBODY01")

    assert [m["ts"] for m in plain["messages"]] == [two["ts"], one["ts"], PERSON_TS]
    assert plain["messages"][1]["reply_count"] == 1
    assert not any("metadata" in m for m in plain["messages"])
    assert _outbox_ids(full["messages"]) == ["e-2", "e-1"]
    assert [m["ts"] for m in newer["messages"]] == [two["ts"]]
    assert [m["ts"] for m in paged["messages"]] == [two["ts"]]
    assert paged["has_more"] is True
    assert paged["response_metadata"]["next_cursor"]
    assert (empty["messages"], empty["has_more"]) == ([], False)


async def test_posts_come_after_a_seeded_message_they_reply_to(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """add_message stores a person's message; later posts get later ts, as replies do in Slack."""
    parent = api.add_message(CHANNEL_ID, PERSON_TS, "question", user=USER_ID)
    reply = await client.chat_postMessage(channel=CHANNEL_ID, text="answer", thread_ts=PERSON_TS)
    unseeded = await client.chat_postMessage(
        channel=OTHER_CHANNEL, text="answer", thread_ts="1900000000.000100"
    )

    assert parent == {
        "type": "message",
        "user": USER_ID,
        "text": "question",
        "ts": PERSON_TS,
        "team": TEAM_ID,
        "channel": CHANNEL_ID,
    }
    assert float(reply["ts"]) > float(PERSON_TS)
    assert float(unseeded["ts"]) > 1_900_000_000
    with pytest.raises(ValueError, match="already has a message"):
        api.add_message(CHANNEL_ID, PERSON_TS, "again")
    with pytest.raises(ValueError, match="not a Slack ts"):
        api.add_message(CHANNEL_ID, "yesterday", "when?")


async def test_wait_for_posts_wakes_on_the_nth_post_in_a_thread(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """wait_for_posts counts only the app's posts in that thread and wakes when there are enough."""
    api.add_message(CHANNEL_ID, PERSON_TS, "start")
    waiting = asyncio.create_task(
        api.wait_for_posts(CHANNEL_ID, thread_ts=PERSON_TS, count=2, timeout=5)
    )
    await client.chat_postMessage(channel=CHANNEL_ID, text="q1", thread_ts=PERSON_TS)
    await client.chat_postMessage(channel=CHANNEL_ID, text="top level")
    await asyncio.sleep(0)
    assert not waiting.done()
    await client.chat_postMessage(channel=CHANNEL_ID, text="q2", thread_ts=PERSON_TS)

    posts = await waiting

    assert [p["text"] for p in posts] == ["q1", "q2"]
    assert [p["text"] for p in await api.wait_for_posts(CHANNEL_ID)] == ["top level"]
    with pytest.raises(
        TimeoutError, match=rf"3 post\(s\) in thread {PERSON_TS} of {CHANNEL_ID}, got 2"
    ):
        await api.wait_for_posts(CHANNEL_ID, PERSON_TS, count=3, timeout=0.05)


# -- faults ---------------------------------------------------------------------------


async def test_http_error_answers_a_5xx_text_body_without_posting(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """http_error_next answers HTTP 503 with a plain-text body, stores nothing, and records the attempt."""
    api.http_error_next("chat.postMessage", status=503)

    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel=CHANNEL_ID, text="lost?")
    await client.chat_postMessage(channel=CHANNEL_ID, text="later")

    assert raised.value.response.status_code == 503
    assert raised.value.response.data == "503 Service Unavailable"
    assert [c.status for c in api.calls("chat.postMessage")] == [503, 200]
    assert [m["text"] for m in api.stored_messages()] == ["later"]
    with pytest.raises(ValueError, match="500-599"):
        api.http_error_next("chat.postMessage", status=404)


async def test_drop_after_acting_stores_the_post_and_disconnects(
    api: SlackWebApiStandIn,
) -> None:
    """drop_after_acting_next stores the post, then the client sees a disconnect, not an answer or a timeout."""
    no_retry = AsyncWebClient(base_url=api.base_url, token=api.token, retry_handlers=[])
    api.add_message(CHANNEL_ID, PERSON_TS, "start")
    api.drop_after_acting_next("chat.postMessage")

    with pytest.raises(aiohttp.ClientConnectionError) as raised:
        await no_retry.chat_postMessage(
            channel=CHANNEL_ID, text="q1", thread_ts=PERSON_TS, metadata=_keyed("e-7"), timeout=5
        )
    thread = await no_retry.conversations_replies(
        channel=CHANNEL_ID, ts=PERSON_TS, include_all_metadata=True
    )

    assert isinstance(raised.value, aiohttp.ServerDisconnectedError)
    [call] = api.calls("chat.postMessage")
    assert (call.dropped, call.status, call.ok) == (True, 0, True)
    [stored] = api.stored_posts(CHANNEL_ID, PERSON_TS)
    assert stored["ts"] == call.response["ts"]
    assert _outbox_ids(thread["messages"]) == ["e-7"]
    assert [p["text"] for p in api.posted_messages()] == ["q1"]


async def test_slack_sdk_connection_retry_posts_twice_after_a_drop(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """slack_sdk's default connection-error retry re-sends a dropped post, so Slack holds it twice."""
    api.drop_after_acting_next("chat.postMessage")

    answer = await client.chat_postMessage(channel=CHANNEL_ID, text="once?")

    assert [c.dropped for c in api.calls("chat.postMessage")] == [True, False]
    assert [m["text"] for m in api.stored_posts(CHANNEL_ID)] == ["once?", "once?"]
    assert answer["ts"] == api.stored_posts(CHANNEL_ID)[1]["ts"]


async def test_hold_parks_one_channels_calls_until_released(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """hold parks calls in the held channel only; wait_for_held sees them; release lets them through."""
    api.hold("chat.postMessage", channel=CHANNEL_ID)
    parked = [
        asyncio.create_task(client.chat_postMessage(channel=CHANNEL_ID, text=f"held {n}"))
        for n in range(2)
    ]

    assert await api.wait_for_held("chat.postMessage", count=2, timeout=5) == 2
    await client.chat_postMessage(channel=OTHER_CHANNEL, text="free")
    assert api.held_calls("chat.postMessage", channel=CHANNEL_ID) == 2
    assert api.stored_posts(CHANNEL_ID) == []
    assert not any(task.done() for task in parked)
    assert api.release("chat.postMessage", channel=CHANNEL_ID) == 2
    answers = await asyncio.gather(*parked)

    assert all(a["ok"] for a in answers)
    assert api.held_calls() == 0
    assert sorted(p["text"] for p in api.stored_posts(CHANNEL_ID)) == ["held 0", "held 1"]
    await client.chat_postMessage(channel=CHANNEL_ID, text="after")
    assert len(api.stored_posts(CHANNEL_ID)) == 3


async def test_stop_lets_held_calls_go() -> None:
    """Stopping the stand-in with a call parked on a hold neither hangs nor leaves the call waiting."""
    standin = SlackWebApiStandIn()
    await standin.start()
    client = AsyncWebClient(base_url=standin.base_url, token=standin.token, retry_handlers=[])
    standin.hold("chat.postMessage")
    parked = asyncio.create_task(client.chat_postMessage(channel=CHANNEL_ID, text="held"))
    await standin.wait_for_held("chat.postMessage")

    await asyncio.wait_for(standin.stop(), 5)

    assert (await asyncio.wait_for(parked, 5))["ok"] is True


async def test_hang_next_delays_one_channel_while_others_answer(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """hang_next delays the next call in one channel by the given seconds; other channels answer at once."""
    api.hang_next("chat.postMessage", 0.5, channel=CHANNEL_ID)
    started = time.monotonic()
    slow = asyncio.create_task(client.chat_postMessage(channel=CHANNEL_ID, text="slow"))
    await asyncio.sleep(0)

    await client.chat_postMessage(channel=OTHER_CHANNEL, text="fast")
    assert not slow.done()
    await slow

    assert time.monotonic() - started >= 0.5
    assert [m["text"] for m in api.stored_messages()] == ["fast", "slow"]
    started = time.monotonic()
    await client.chat_postMessage(channel=CHANNEL_ID, text="only the next call hangs")
    assert time.monotonic() - started < 0.5


async def test_rate_limit_can_target_one_channel(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """rate_limit_next with a channel answers 429 only there; other channels post as usual."""
    api.rate_limit_next("chat.postMessage", channel=CHANNEL_ID)

    await client.chat_postMessage(channel=OTHER_CHANNEL, text="elsewhere")
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel=CHANNEL_ID, text="busy channel")

    assert raised.value.response.status_code == 429
    assert [(c.body["channel"], c.status) for c in api.calls("chat.postMessage")] == [
        (OTHER_CHANNEL, 200),
        (CHANNEL_ID, 429),
    ]


async def test_reset_keeps_messages_unless_asked(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """reset forgets calls and lifts holds but keeps Slack's messages; reset(messages=True) forgets them too."""
    await client.chat_postMessage(channel=CHANNEL_ID, text="kept")
    api.hold("chat.postMessage")

    api.reset()
    await client.chat_postMessage(channel=CHANNEL_ID, text="not held")

    assert [m["text"] for m in api.stored_messages()] == ["kept", "not held"]
    assert len(api.calls()) == 1
    api.reset(messages=True)
    assert api.stored_messages() == []


def test_threaded_standin_offers_faults_and_blocking_waits() -> None:
    """The thread-run stand-in holds, releases, seeds, fails over HTTP and waits by blocking."""
    with run_standin_in_thread() as api:
        sync_client = WebClient(base_url=api.base_url, token=api.token)
        api.add_message(CHANNEL_ID, PERSON_TS, "start")
        api.hold("chat.postMessage", channel=CHANNEL_ID)
        poster = threading.Thread(
            target=sync_client.chat_postMessage,
            kwargs={"channel": CHANNEL_ID, "text": "q1", "thread_ts": PERSON_TS},
        )
        poster.start()

        assert api.wait_for_held("chat.postMessage", timeout=5) == 1
        assert api.held_calls("chat.postMessage") == 1
        assert api.release("chat.postMessage", channel=CHANNEL_ID) == 1
        [post] = api.wait_for_posts(CHANNEL_ID, PERSON_TS, timeout=5)
        poster.join()
        api.http_error_next("conversations.replies", status=500)
        with pytest.raises(SlackApiError) as raised:
            sync_client.conversations_replies(channel=CHANNEL_ID, ts=PERSON_TS)

        assert post["text"] == "q1"
        assert raised.value.response.status_code == 500
        assert [m["ts"] for m in api.stored_messages(CHANNEL_ID, PERSON_TS)] == [
            PERSON_TS,
            post["ts"],
        ]


# -- files ---------------------------------------------------------------------------

RECORD = "# Requirements and decision record: Fraud scoring\n\n## Change history\n\né & <x>\n"


async def _upload(client: AsyncWebClient, thread_ts: str | None = PERSON_TS) -> Any:
    return await client.files_upload_v2(
        filename="requirements.md",
        title="Record",
        content=RECORD,
        channel=CHANNEL_ID,
        thread_ts=thread_ts,
    )


async def test_files_upload_v2_shares_the_content_in_the_thread(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """slack_sdk's three steps land here; the file is shared in the thread with its bytes kept."""
    api.add_message(CHANNEL_ID, PERSON_TS, "start")

    answer = await _upload(client)

    assert [c.method for c in api.calls()] == [
        "files.getUploadURLExternal",
        UPLOAD_METHOD,
        "files.completeUploadExternal",
    ]
    got_url = api.calls("files.getUploadURLExternal")[0]
    assert got_url.body == {"filename": "requirements.md", "length": str(len(RECORD.encode()))}
    [shared] = api.shared_files(CHANNEL_ID, PERSON_TS)
    assert shared["content"] == RECORD
    assert (shared["filename"], shared["title"]) == ("requirements.md", "Record")
    assert answer["files"] == [answer["file"]]
    assert (answer["file"]["id"], answer["file"]["title"]) == (shared["id"], "Record")
    [message] = api.stored_posts(CHANNEL_ID, PERSON_TS)
    assert [f["id"] for f in message["files"]] == [shared["id"]]


async def test_upload_url_is_on_the_standin_and_needs_no_token(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """The upload URL points at this server; an id it never handed out answers 404."""
    issued = await client.files_getUploadURLExternal(filename="a.md", length=2)
    root = api.base_url.removesuffix("/api/")

    async with aiohttp.ClientSession() as session:
        async with session.post(issued["upload_url"], data=b"hi") as kept:
            kept_text = await kept.text()
        async with session.post(f"{root}/upload/v1/F0NEVER", data=b"hi") as unknown:
            unknown_status = unknown.status

    assert issued["upload_url"] == f"{root}/upload/v1/{issued['file_id']}"
    assert kept_text == "OK - 2"
    assert unknown_status == 404
    assert api.shared_files() == []


async def test_completing_a_file_never_uploaded_is_file_not_found(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """files.completeUploadExternal refuses an id whose bytes never arrived, and shares nothing."""
    issued = await client.files_getUploadURLExternal(filename="a.md", length=2)

    with pytest.raises(SlackApiError) as raised:
        await client.files_completeUploadExternal(
            files=[{"id": issued["file_id"], "title": "A"}], channel_id=CHANNEL_ID
        )

    assert raised.value.response["error"] == "file_not_found"
    assert api.shared_files() == []


async def test_file_methods_take_the_injected_faults(api: SlackWebApiStandIn) -> None:
    """429, a 5xx on the upload and a drop after sharing reach slack_sdk as they would from Slack."""
    no_retry = AsyncWebClient(base_url=api.base_url, token=api.token, retry_handlers=[])
    api.add_message(CHANNEL_ID, PERSON_TS, "start")
    api.rate_limit_next("files.getUploadURLExternal", retry_after=3)
    api.http_error_next(UPLOAD_METHOD, status=503)
    api.drop_after_acting_next("files.completeUploadExternal", channel=CHANNEL_ID)

    with pytest.raises(SlackApiError) as limited:
        await _upload(no_retry)
    with pytest.raises(SlackRequestError, match="status: 503"):
        await _upload(no_retry)
    assert api.shared_files() == []
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await _upload(no_retry)

    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "3"
    [dropped] = api.calls("files.completeUploadExternal")
    assert (dropped.dropped, dropped.ok) == (True, True)
    assert [f["content"] for f in api.shared_files(CHANNEL_ID, PERSON_TS)] == [RECORD]


async def test_a_file_is_not_shared_where_the_bot_is_not_a_member(
    client: AsyncWebClient, api: SlackWebApiStandIn
) -> None:
    """Sharing in a channel the bot is kept out of answers not_in_channel, as chat.postMessage does."""
    api.keep_out(CHANNEL_ID)

    with pytest.raises(SlackApiError) as raised:
        await _upload(client, thread_ts=None)

    assert raised.value.response["error"] == "not_in_channel"
    assert api.shared_files() == []


# -- signing and payloads ------------------------------------------------------------


def test_signed_headers_pass_slack_sdk_verification() -> None:
    """signed_headers produce a signature slack_sdk's SignatureVerifier accepts."""
    body = slash_command_body("/intake", "start")

    headers = signed_headers(SECRET, body)

    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    assert SignatureVerifier(SECRET).is_valid_request(body.encode(), headers)


def test_tampered_body_wrong_secret_or_old_timestamp_fail_verification() -> None:
    """A changed body, another secret or a stale timestamp does not verify."""
    body = event_callback_body(message_event("2 TB a week"))
    headers = signed_headers(SECRET, body)
    stale = signed_headers(SECRET, body, timestamp=int(time.time()) - 10 * 60)

    assert not SignatureVerifier(SECRET).is_valid_request(body.replace("2 TB", "9 TB"), headers)
    assert not SignatureVerifier("another-secret").is_valid_request(body, headers)
    assert not SignatureVerifier(SECRET).is_valid_request(body, stale)


def test_signed_headers_pick_content_type_and_mark_retries() -> None:
    """JSON bodies are sent as JSON, forms as forms, and retries carry Slack's retry headers."""
    json_headers = signed_headers(SECRET, url_verification_body(), retry_num=1)
    form_headers = signed_headers(SECRET, slash_command_body())

    assert json_headers["Content-Type"] == "application/json"
    assert form_headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert json_headers["X-Slack-Retry-Num"] == "1"
    assert json_headers["X-Slack-Retry-Reason"] == "http_timeout"
    assert "X-Slack-Retry-Num" not in form_headers


def test_slash_command_body_is_what_bolt_parses() -> None:
    """Bolt reads the command, text, ids, trigger_id and response_url from the form body."""
    body = slash_command_body("/intake", "start Churn model")

    request = AsyncBoltRequest(body=body, headers=signed_headers(SECRET, body))

    assert request.body["command"] == "/intake"
    assert request.body["text"] == "start Churn model"
    assert request.body["trigger_id"]
    assert request.context.channel_id == CHANNEL_ID
    assert request.context.user_id == USER_ID
    assert request.context.team_id == TEAM_ID
    assert request.context.response_url.startswith("https://hooks.slack.com/commands/")


def test_block_actions_body_is_what_bolt_parses() -> None:
    """A button click arrives as payload=<json> with the action, the message and its thread."""
    body = block_actions_body(
        "answer", "skip", message_ts="1700000000.000200", thread_ts="1700000000.000100"
    )

    assert list(parse_qs(body)) == ["payload"]
    request = AsyncBoltRequest(body=body, headers=signed_headers(SECRET, body))
    assert request.body["type"] == "block_actions"
    assert request.body["actions"][0]["value"] == "skip"
    assert request.body["container"]["message_ts"] == "1700000000.000200"
    assert request.context.channel_id == CHANNEL_ID
    assert request.context.thread_ts == "1700000000.000100"


def test_event_builders_match_slacks_shapes() -> None:
    """Thread replies carry thread_ts, mentions start with the bot, envelopes name the bot."""
    reply = message_event("nightly", thread_ts="1700000000.000100", channel_type="channel")
    mention = app_mention_event("start Churn model")
    envelope = json.loads(event_callback_body(mention, event_id="Ev0001"))

    assert reply["thread_ts"] == "1700000000.000100"
    assert reply["channel_type"] == "channel"
    assert TS_FORM.match(reply["ts"])
    assert mention["text"] == f"<@{BOT_USER_ID}> start Churn model"
    assert envelope["type"] == "event_callback"
    assert envelope["event_id"] == "Ev0001"
    assert envelope["authorizations"][0]["user_id"] == BOT_USER_ID


async def test_bolt_app_answers_a_signed_mention_through_the_standin(
    api: SlackWebApiStandIn,
) -> None:
    """A Bolt app verifies a signed app_mention and its reply reaches the stand-in in the thread."""
    app = AsyncApp(
        client=AsyncWebClient(base_url=api.base_url, token=api.token),
        signing_secret=SECRET,
        process_before_response=True,
    )

    @app.event("app_mention")
    async def reply(event: dict[str, str], say: AsyncSay) -> None:
        await say(text="On it", thread_ts=event["ts"])

    mention = app_mention_event("start", ts="1700000000.000300")
    body = event_callback_body(mention)
    response = await app.async_dispatch(
        AsyncBoltRequest(body=body, headers=signed_headers(SECRET, body))
    )
    forged = await app.async_dispatch(
        AsyncBoltRequest(body=body, headers=signed_headers("wrong-secret", body))
    )

    assert response.status == 200
    assert forged.status == 401
    [posted] = (c.body for c in await api.wait_for("chat.postMessage"))
    assert posted["thread_ts"] == "1700000000.000300"
    assert posted["text"] == "On it"
