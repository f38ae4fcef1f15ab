"""The Slack stand-in and the request signer behave as Slack does, as slack_sdk and Bolt see it."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qs

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.say.async_say import AsyncSay
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
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
from testkit.slack_standin import SlackWebApiStandIn, run_standin_in_thread

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
    update = await client.chat_update(channel=CHANNEL_ID, ts="1700000000.000100", text="edited")
    ephemeral = await client.chat_postEphemeral(channel=CHANNEL_ID, user=USER_ID, text="psst")

    assert update["ts"] == "1700000000.000100"
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
