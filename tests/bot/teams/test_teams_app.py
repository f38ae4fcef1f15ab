"""The Teams bot over real HTTP: signed activities in, replies through the connector stand-in."""

from __future__ import annotations

import json
from typing import Any

import pytest
from structlog.testing import capture_logs

from bot.ports import IntakeRef
from bot.state.keys import conversation_key, intake_key
from bot.state.store import StateStore
from conversations.intake import Intake
from conversations.people import Person
from testkit.answers import HAPPY_ANSWERS
from testkit.teams_activities import (
    ALICE,
    CHANNEL_ID,
    GROUP_CHAT,
    MARIA,
    PERSONAL_CHAT,
    TENANT_ID,
    card_submit,
    channel_post,
    channel_reply,
    channel_thread,
    group_chat_message,
    mention_text,
    personal_message,
    signed_headers,
    thread_id,
)
from testkit.teams_standin import BotRegistration

from .conftest import TeamsBot
from .test_cards import assert_valid


def intake_data(activity: dict[str, Any]) -> dict[str, Any]:
    """The machine-readable object a posted activity carries (Slack's metadata twin)."""
    data = (activity.get("channelData") or {}).get("intake") or {}
    assert isinstance(data, dict)
    return data


def question_of(activity: dict[str, Any]) -> str | None:
    data = intake_data(activity)
    return data.get("event_payload", {}).get("question_id") if data else None


async def stored_intake(bot: TeamsBot, ref: IntakeRef) -> Intake | None:
    store = StateStore(bot.running.addresses.client, bot.settings.key_prefix)
    loaded = await store.load(intake_key(ref, bot.settings.key_prefix), Intake)
    return loaded.value if loaded else None


def chain_ref(root: str) -> IntakeRef:
    return IntakeRef("teams", TENANT_ID, CHANNEL_ID, root)


async def start_in_channel(bot: TeamsBot, project: str = "Fraud scoring") -> str:
    """`@intake-bot start <project>` as a new channel post; the root id of its reply chain."""
    post = channel_post(f"start {project}", service_url=bot.connector.service_url)
    replies = await bot.send(post)
    assert question_of(replies[-1]) == "volume", replies
    return str(post["id"])


async def test_a_whole_intake_runs_in_a_channel_reply_chain(teams_bot: TeamsBot) -> None:
    """Start with a mention, answer by replying without one, end with the summary card."""
    root = await start_in_channel(teams_bot)
    last: list[dict[str, Any]] = []
    for text in HAPPY_ANSWERS.values():
        reply = channel_reply(
            text, root_id=root, service_url=teams_bot.connector.service_url, mention_bot=False
        )
        last = await teams_bot.send(reply)
        assert last, f"no reply to {text!r}"
    assert intake_data(last[-1])["event_type"] == "intake_summary"
    assert intake_data(last[-1])["event_payload"]["strategy"] == "rest_api"
    # Every post went into the chain, none to the channel's top level, and each is a valid card.
    assert set(teams_bot.connector.conversation_ids()) == {thread_id(root)}
    for activity in teams_bot.connector.activities(thread_id(root)):
        assert_valid(activity)
    intake = await stored_intake(teams_bot, chain_ref(root))
    assert intake is not None
    assert intake.baseline is not None
    assert [a.question_id for a in intake.answers] == list(HAPPY_ANSWERS)


async def test_the_bot_mention_is_stripped_and_replies_are_cards(teams_bot: TeamsBot) -> None:
    """`<at>intake-bot</at> start X` starts project X; the question is an Adaptive Card."""
    root = await start_in_channel(teams_bot, "Churn model")
    intake = await stored_intake(teams_bot, chain_ref(root))
    assert intake is not None
    assert intake.project == "Churn model"
    question = teams_bot.connector.activities(thread_id(root))[-1]
    (card,) = question["attachments"]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["version"] == "1.5"


async def test_a_card_submission_answers_and_updates_the_card(teams_bot: TeamsBot) -> None:
    """A click on a choice button saves the answer and the card shows who chose what."""
    root = await start_in_channel(teams_bot)
    url = teams_bot.connector.service_url
    for key in ("volume", "stakeholders"):
        await teams_bot.send(
            channel_reply(HAPPY_ANSWERS[key], root_id=root, service_url=url, mention_bot=False)
        )
    churn_card = teams_bot.connector.activities(thread_id(root))[-1]
    assert question_of(churn_card) == "churn"
    submit = card_submit(
        {"intake_choice": "churn:never"},
        card_activity_id=str(churn_card["id"]),
        conversation=channel_thread(root),
        service_url=url,
    )
    replies = await teams_bot.send(submit)
    assert question_of(replies[-1]) == "decay"
    intake = await stored_intake(teams_bot, chain_ref(root))
    assert intake is not None
    assert [(a.question_id, a.text) for a in intake.answers][-1] == ("churn", "never")
    (update,) = teams_bot.connector.calls("update_activity")
    assert update.activity_id == churn_card["id"]
    assert_valid(update.body)
    assert "Alice Example" in json.dumps(update.body)
    assert "Action.Submit" not in json.dumps(update.body)


async def test_two_stakeholders_in_one_chain_are_both_kept(teams_bot: TeamsBot) -> None:
    """Maria answers the volume differently: both answers are kept and Alice is mentioned."""
    root = await start_in_channel(teams_bot)
    url = teams_bot.connector.service_url
    await teams_bot.send(channel_reply("40 GB a day", root_id=root, service_url=url))
    await teams_bot.send(channel_reply("edit volume", root_id=root, service_url=url, sender=MARIA))
    replies = await teams_bot.send(
        channel_reply("300 GB a day", root_id=root, service_url=url, sender=MARIA)
    )
    intake = await stored_intake(teams_bot, chain_ref(root))
    assert intake is not None
    assert {(a.by, a.text) for a in intake.answers if a.question_id == "volume"} == {
        (ALICE.id, "40 GB a day"),
        (MARIA.id, "300 GB a day"),
    }
    mentioned = [entity["mentioned"]["id"] for reply in replies for entity in _mentions(reply)]
    assert ALICE.id in mentioned  # told that Alice answered differently


def _mentions(activity: dict[str, Any]) -> list[dict[str, Any]]:
    """Every mention entity of an activity, on the activity or inside its cards."""
    found = [e for e in activity.get("entities") or [] if e.get("type") == "mention"]
    for attachment in activity.get("attachments") or []:
        content = attachment.get("content") or {}
        found += [
            e
            for e in (content.get("msteams") or {}).get("entities") or []
            if e.get("type") == "mention"
        ]
    return found


async def test_an_owner_named_by_mention_is_a_person_and_is_mentioned_back(
    teams_bot: TeamsBot,
) -> None:
    """`owner @Maria` arrives as Maria's Teams id; the confirmation mentions her by name."""
    root = await start_in_channel(teams_bot)
    replies = await teams_bot.send(
        channel_reply(
            f"owner {mention_text(MARIA)}",
            root_id=root,
            service_url=teams_bot.connector.service_url,
            mentions=[MARIA],
        )
    )
    intake = await stored_intake(teams_bot, chain_ref(root))
    assert intake is not None
    assert intake.owner == Person(id=MARIA.id, name="Maria")
    entities = [entity for reply in replies for entity in _mentions(reply)]
    assert {"id": MARIA.id, "name": "Maria"} in [entity["mentioned"] for entity in entities]
    assert any("<at>Maria</at>" in json.dumps(reply) for reply in replies)


async def test_a_repeated_activity_is_processed_once(teams_bot: TeamsBot) -> None:
    """The same activity delivered twice saves one answer and posts one set of replies."""
    root = await start_in_channel(teams_bot)
    reply = channel_reply("40 GB a day", root_id=root, service_url=teams_bot.connector.service_url)
    first = await teams_bot.send(reply)
    again = await teams_bot.send(reply)
    assert first
    assert again == []
    intake = await stored_intake(teams_bot, chain_ref(root))
    assert intake is not None
    assert intake.answer_count == 1


async def test_a_personal_chat_runs_a_private_intake(teams_bot: TeamsBot) -> None:
    """In a personal chat `start X` starts there, and the next message answers it."""
    url = teams_bot.connector.service_url
    replies = await teams_bot.send(personal_message("start Side project", service_url=url))
    assert question_of(replies[-1]) == "volume"
    replies = await teams_bot.send(personal_message("40 GB a day", service_url=url))
    assert question_of(replies[-1]) == "stakeholders"
    assert set(teams_bot.connector.conversation_ids()) == {PERSONAL_CHAT.id}


async def test_missing_or_forged_tokens_get_401_and_nothing_is_posted(teams_bot: TeamsBot) -> None:
    """No bearer token, or one signed by another key: 401, no turn, no post."""
    post = channel_post("start Fraud scoring", service_url=teams_bot.connector.service_url)
    unsigned = {"Content-Type": "application/json"}
    assert await teams_bot.deliver(post, unsigned) == 401
    forged = teams_bot.identity.forged_channel_token(teams_bot.connector.service_url)
    assert (
        await teams_bot.deliver(post, signed_headers(teams_bot.identity, post, token=forged)) == 401
    )
    assert teams_bot.connector.calls() == []
    assert await stored_intake(teams_bot, chain_ref(str(post["id"]))) is None


async def test_a_throttled_post_is_retried_and_lands_once(teams_bot: TeamsBot) -> None:
    """The connector answers 429 once: the outbox waits and posts the question once."""
    teams_bot.connector.answer_next(429, {"Retry-After": "0"})
    root = await start_in_channel(teams_bot)
    posted = teams_bot.connector.activities(thread_id(root))
    assert [question_of(activity) for activity in posted].count("volume") == 1
    statuses = [call.status for call in teams_bot.connector.calls()]
    assert statuses[0] == 429


async def test_the_conversation_address_is_kept_in_redis(teams_bot: TeamsBot) -> None:
    """After an activity, the channel's address is in Redis, in the channel's key slot."""
    await start_in_channel(teams_bot)
    key = conversation_key("teams", TENANT_ID, CHANNEL_ID, teams_bot.settings.key_prefix)
    raw = await teams_bot.running.addresses.client.get(key)
    assert raw is not None
    address = json.loads(raw)
    assert address["service_url"] == teams_bot.connector.service_url
    assert address["conversation_id"] == CHANNEL_ID
    assert address["tenant_id"] == TENANT_ID


async def test_the_bots_token_is_fetched_once_for_many_posts(teams_bot: TeamsBot) -> None:
    """Credentials are kept: three turns' posts cost one token request, not three."""
    root = await start_in_channel(teams_bot)
    url = teams_bot.connector.service_url
    for key in ("volume", "stakeholders"):
        await teams_bot.send(channel_reply(HAPPY_ANSWERS[key], root_id=root, service_url=url))
    assert len(teams_bot.connector.activities(thread_id(root))) >= 3
    assert len(teams_bot.identity.calls("token")) == 1


async def test_a_group_chat_is_one_intake_without_threads(teams_bot: TeamsBot) -> None:
    """In a group chat, the chat holds the intake: two people answer in it by mentioning the bot."""
    url = teams_bot.connector.service_url
    replies = await teams_bot.send(group_chat_message("start Team project", service_url=url))
    assert question_of(replies[-1]) == "volume"
    await teams_bot.send(group_chat_message("40 GB a day", service_url=url))
    replies = await teams_bot.send(group_chat_message("40 GB a day", service_url=url, sender=MARIA))
    assert replies
    intake = await stored_intake(teams_bot, IntakeRef("teams", TENANT_ID, GROUP_CHAT.id, ""))
    assert intake is not None
    assert {a.by for a in intake.answers} == {ALICE.id, MARIA.id}
    assert set(teams_bot.connector.conversation_ids()) == {GROUP_CHAT.id}


async def test_a_connector_error_is_retried_and_the_question_lands(teams_bot: TeamsBot) -> None:
    """The connector answers 500 (nothing done): the outbox posts again, and the question lands."""
    teams_bot.connector.answer_next(500)
    root = await start_in_channel(teams_bot)
    posted = teams_bot.connector.activities(thread_id(root))
    assert [question_of(activity) for activity in posted] == ["volume"]
    assert [call.status for call in teams_bot.connector.calls()][:2] == [500, 201]


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'"x"',
        b"3",
        b"null",
        b"{not json",
        b'{"text": "no type"}',
        b'{"type": "message", "conversation": "abc"}',
        b'{"type": "message", "entities": "SECRET-BODY-xyz"}',
        '{"type": "message", "text": "\udcff"}'.encode("utf-8", "surrogatepass"),
    ],
)
async def test_a_malformed_activity_gets_a_4xx_and_is_never_logged(
    teams_bot: TeamsBot, body: bytes
) -> None:
    """Bodies that are not one activity: 400 before botbuilder sees them, nothing posted or logged."""
    headers = {"Content-Type": "application/json", "Authorization": "Bearer not-a-jwt"}
    with capture_logs() as logs:
        async with teams_bot.http.post(teams_bot.messages_url, data=body, headers=headers) as r:
            status = r.status
    assert 400 <= status < 500, status
    assert teams_bot.connector.calls() == []
    assert "SECRET-BODY" not in json.dumps(logs, default=str)


async def test_a_body_that_is_not_json_typed_gets_415(teams_bot: TeamsBot) -> None:
    """A form post to the messaging endpoint is refused as the wrong media type."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Bearer x"}
    async with teams_bot.http.post(teams_bot.messages_url, data=b"a=1", headers=headers) as r:
        assert r.status == 415


async def test_a_forged_mention_entity_is_skipped_not_a_500(teams_bot: TeamsBot) -> None:
    """A mention entity in the wrong shape is ignored; the message is still read."""
    root = await start_in_channel(teams_bot)
    reply = channel_reply("40 GB a day", root_id=root, service_url=teams_bot.connector.service_url)
    reply["entities"].append({"type": "mention", "mentioned": "x", "text": 5})
    replies = await teams_bot.send(reply)
    assert question_of(replies[-1]) == "stakeholders"


async def test_a_refused_bot_secret_turns_readiness_off_and_is_counted(
    teams_bot: TeamsBot,
) -> None:
    """Microsoft's login server refuses the bot: no post, /readyz says why, the metric counts it."""
    teams_bot.identity.reset()
    teams_bot.identity.registration = BotRegistration(password="rotated-elsewhere")
    post = channel_post("start Fraud scoring", service_url=teams_bot.connector.service_url)
    assert await teams_bot.deliver(post) in (200, 201)
    await teams_bot.running.worker.idle()
    assert teams_bot.connector.activities(str(post["conversation"]["id"])) == []
    status, body = await teams_bot.get("/readyz")
    assert (status, body.get("token")) == (503, "token_refused")


async def test_a_reply_without_text_such_as_an_image_is_left_alone(teams_bot: TeamsBot) -> None:
    """A reply holding only an attachment is not an answer: no re-ask, nothing saved."""
    root = await start_in_channel(teams_bot)
    reply = channel_reply(
        "x", root_id=root, service_url=teams_bot.connector.service_url, mention_bot=False
    )
    del reply["text"]
    reply["attachments"] = [{"contentType": "image/png", "contentUrl": "https://example.com/i.png"}]
    assert await teams_bot.send(reply) == []
    intake = await stored_intake(teams_bot, chain_ref(root))
    assert intake is not None
    assert intake.answer_count == 0
