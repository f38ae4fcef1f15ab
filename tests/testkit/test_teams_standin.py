"""The Teams stand-ins play Microsoft's side as botbuilder's CloudAdapter sees it, authentication on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp
import jwt
import pytest
from aiohttp import web
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
    ErrorResponseException,
)
from msrest.exceptions import ClientRequestError

from testkit.teams_activities import (
    CHANNEL_ID,
    GROUP_CHAT_ID,
    MARIA,
    PERSONAL_CHAT,
    PERSONAL_CONVERSATION_ID,
    TEAM_ID,
    card_submit,
    channel_post,
    channel_reply,
    channel_thread,
    group_chat_message,
    mention_text,
    personal_message,
    signed_headers,
)
from testkit.teams_bare_bot import BareTeamsBot, ReplyOnceBot
from testkit.teams_standin import (
    APP_ID,
    BOT_ID,
    BOTFRAMEWORK_SCOPE,
    BOTFRAMEWORK_TENANT_ID,
    TENANT_ID,
    BotFrameworkIdentityStandIn,
    BotRegistration,
    InvalidAccessTokenError,
    TeamsConnectorStandIn,
)

Turn = Callable[[TurnContext], Awaitable[Any]]


@pytest.fixture
async def identity() -> AsyncIterator[BotFrameworkIdentityStandIn]:
    async with BotFrameworkIdentityStandIn() as standin:
        yield standin


@pytest.fixture
async def connector(
    identity: BotFrameworkIdentityStandIn,
) -> AsyncIterator[TeamsConnectorStandIn]:
    async with TeamsConnectorStandIn(identity) as standin:
        yield standin


@pytest.fixture
async def bot(identity: BotFrameworkIdentityStandIn) -> AsyncIterator[BareTeamsBot]:
    config = identity.bot_config()
    async with BareTeamsBot(
        config, credentials_factory=identity.credentials_factory(config)
    ) as app:
        yield app


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def deliver(
    http: aiohttp.ClientSession,
    url: str,
    activity: dict[str, Any],
    headers: dict[str, str],
) -> int:
    """POST an activity to the bot as the Bot Framework does; return the HTTP status."""
    async with http.post(url, data=json.dumps(activity), headers=headers) as response:
        return response.status


async def bot_token(http: aiohttp.ClientSession, identity: BotFrameworkIdentityStandIn) -> str:
    """An access token for the bot from the login stand-in, as MSAL asks for one."""
    async with http.post(
        identity.token_url(),
        data={
            "grant_type": "client_credentials",
            "client_id": APP_ID,
            "client_secret": identity.registration.password,
            "scope": f"{BOTFRAMEWORK_SCOPE}/.default",
        },
        ssl=False,
    ) as response:
        return str((await response.json())["access_token"])


async def run_turn(bot: BareTeamsBot, incoming: dict[str, Any], turn: Turn) -> None:
    """Continue the conversation ``incoming`` came from, proactively, running ``turn``."""
    reference = TurnContext.get_conversation_reference(Activity().deserialize(incoming))
    await bot.adapter.continue_conversation(reference, turn, APP_ID)


# -- a reply over real HTTP ------------------------------------------------------------


async def test_signed_channel_post_is_answered_in_its_reply_chain(
    bot: BareTeamsBot,
    connector: TeamsConnectorStandIn,
    identity: BotFrameworkIdentityStandIn,
    http: aiohttp.ClientSession,
) -> None:
    """A signed channel post reaches the bot and its reply arrives in the chain with a valid token."""
    post = channel_post("start intake", service_url=connector.service_url)
    conversation_id = post["conversation"]["id"]

    status = await deliver(http, bot.messages_url, post, signed_headers(identity, post))

    assert status == 201
    [reply] = await connector.wait_for_activities(conversation_id)
    assert reply["text"] == "received: <at>intake-bot</at> start intake"
    assert reply["replyToId"] == post["id"]
    assert reply["from"]["id"] == BOT_ID
    assert reply["conversation"]["id"] == conversation_id
    [call] = connector.calls()
    assert call.operation == "reply_to_activity"
    assert call.status == 201
    assert call.activity_id == post["id"]
    claims = identity.verify_access_token(call.headers["authorization"].removeprefix("Bearer "))
    assert claims["appid"] == APP_ID
    assert claims["aud"] == BOTFRAMEWORK_SCOPE
    [token_call] = identity.calls("token")
    assert token_call.path == "/botframework.com/oauth2/v2.0/token"
    assert token_call.form["grant_type"] == "client_credentials"
    assert token_call.form["scope"] == f"{BOTFRAMEWORK_SCOPE}/.default"


async def test_thread_conversation_id_round_trips_through_the_url(
    bot: BareTeamsBot,
    connector: TeamsConnectorStandIn,
    identity: BotFrameworkIdentityStandIn,
    http: aiohttp.ClientSession,
) -> None:
    """msrest quotes the whole conversation id (: @ ; =) in the path; the stand-in decodes it back."""
    post = channel_post("hello", service_url=connector.service_url)
    conversation_id = post["conversation"]["id"]
    assert conversation_id == f"{CHANNEL_ID};messageid={post['id']}"

    await deliver(http, bot.messages_url, post, signed_headers(identity, post))

    [call] = await connector.wait_for_calls()
    encoded = quote(conversation_id, safe="")
    assert "%3A" in encoded
    assert "%40" in encoded
    assert "%3B" in encoded
    assert "%3D" in encoded
    assert call.path == f"/amer/v3/conversations/{encoded}/activities/{post['id']}"
    assert call.conversation_id == conversation_id
    assert connector.conversation_ids() == [conversation_id]


async def test_each_turn_asks_the_login_server_again(
    bot: BareTeamsBot,
    connector: TeamsConnectorStandIn,
    identity: BotFrameworkIdentityStandIn,
    http: aiohttp.ClientSession,
) -> None:
    """botbuilder asks for new credentials every turn: each reply costs a discovery and a token."""
    posts = [channel_post(f"n{n}", service_url=connector.service_url) for n in range(2)]
    for post in posts:
        await deliver(http, bot.messages_url, post, signed_headers(identity, post))
        await connector.wait_for_activities(post["conversation"]["id"])

    assert len(identity.calls("token")) == 2
    assert len(identity.calls("tenant_discovery")) == 2
    # The channel's keys are fetched once and cached per metadata URL.
    assert len(identity.calls("keys")) == 1


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda url: personal_message("hi", service_url=url), id="personal-chat"),
        pytest.param(lambda url: group_chat_message("hi", service_url=url), id="group-chat"),
        pytest.param(
            lambda url: channel_reply("hi", root_id="1700000000000", service_url=url),
            id="reply-in-chain",
        ),
        pytest.param(
            lambda url: channel_reply(
                "hi", root_id="1700000000000", service_url=url, with_reply_to_id=False
            ),
            id="reply-without-reply-to-id",
        ),
        pytest.param(
            lambda url: channel_post(
                f"owner is {mention_text(MARIA)}", service_url=url, mentions=[MARIA]
            ),
            id="mentions-a-person",
        ),
        pytest.param(
            lambda url: card_submit(
                {"answer": "batch"},
                card_activity_id="1700000000001",
                conversation=PERSONAL_CHAT,
                service_url=url,
            ),
            id="card-submit",
        ),
    ],
)
async def test_every_kind_of_teams_message_is_answered_where_it_came_from(
    build: Callable[[str], dict[str, Any]],
    bot: BareTeamsBot,
    connector: TeamsConnectorStandIn,
    identity: BotFrameworkIdentityStandIn,
    http: aiohttp.ClientSession,
) -> None:
    """Each builder's activity passes botbuilder's checks and is answered in its own conversation."""
    activity = build(connector.service_url)

    status = await deliver(http, bot.messages_url, activity, signed_headers(identity, activity))

    assert status == 201
    [reply] = await connector.wait_for_activities(activity["conversation"]["id"])
    assert reply["replyToId"] == activity["id"]
    assert reply["text"].startswith("received")


# -- inbound authentication ------------------------------------------------------------


def _no_token(_identity: BotFrameworkIdentityStandIn, _url: str) -> str | None:
    return None


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(_no_token, id="no-token"),
        pytest.param(lambda i, url: i.forged_channel_token(url), id="forged-signature"),
        pytest.param(lambda i, url: i.channel_token(url, audience="another-app"), id="other-app"),
        pytest.param(lambda i, _url: i.channel_token("https://elsewhere/"), id="other-service-url"),
        pytest.param(lambda i, url: i.channel_token(url, lifetime=-3600), id="expired"),
        pytest.param(
            lambda i, url: i.channel_token(url, issuer="https://evil.example"), id="other-issuer"
        ),
    ],
)
async def test_unauthenticated_activity_is_refused_and_nothing_posted(
    token: Callable[[BotFrameworkIdentityStandIn, str], str | None],
    bot: BareTeamsBot,
    connector: TeamsConnectorStandIn,
    identity: BotFrameworkIdentityStandIn,
    http: aiohttp.ClientSession,
) -> None:
    """Without a channel token signed by the published key, for this bot and service URL: 401."""
    post = channel_post("start intake", service_url=connector.service_url)
    bearer = token(identity, connector.service_url)
    headers = signed_headers(identity, post, token=bearer or "unused")
    if bearer is None:
        del headers["Authorization"]

    status = await deliver(http, bot.messages_url, post, headers)

    assert status == 401
    assert connector.calls() == []
    assert identity.calls("token") == []


async def test_botbuilder_alone_answers_500_without_a_token_once_urls_are_configured(
    identity: BotFrameworkIdentityStandIn, http: aiohttp.ClientSession
) -> None:
    """Why the bare bot checks the header first: botbuilder's parameterized auth fails on None."""
    config = identity.bot_config()
    adapter = CloudAdapter(
        ConfigurationBotFrameworkAuthentication(
            config, credentials_factory=identity.credentials_factory(config)
        )
    )
    bot = ReplyOnceBot()

    async def messages(request: web.Request) -> web.StreamResponse:
        return await adapter.process(request, bot) or web.Response(status=201)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        post = channel_post("hi", service_url="http://127.0.0.1:9/amer/")
        headers = signed_headers(identity, post)
        del headers["Authorization"]

        status = await deliver(http, f"http://{host}:{port}/api/messages", post, headers)
    finally:
        await runner.cleanup()

    assert status == 500


# -- outbound: the connector's answers -------------------------------------------------


async def test_update_activity_round_trips(
    bot: BareTeamsBot,
    connector: TeamsConnectorStandIn,
    identity: BotFrameworkIdentityStandIn,
    http: aiohttp.ClientSession,
) -> None:
    """TurnContext.update_activity PUTs to the reply's id and the stand-in keeps the new version."""
    post = channel_post("start intake", service_url=connector.service_url)
    conversation_id = post["conversation"]["id"]
    await deliver(http, bot.messages_url, post, signed_headers(identity, post))
    [reply] = await connector.wait_for_activities(conversation_id)

    async def edit(turn_context: TurnContext) -> None:
        edited = MessageFactory.text("edited")
        edited.id = reply["id"]
        response = await turn_context.update_activity(edited)
        assert response.id == reply["id"]

    await run_turn(bot, post, edit)

    [stored] = connector.activities(conversation_id)
    assert stored["id"] == reply["id"]
    assert stored["text"] == "edited"
    update = connector.calls("update_activity")[-1]
    assert update.method == "PUT"
    assert update.conversation_id == conversation_id
    assert update.activity_id == reply["id"]
    assert update.status == 200


async def test_update_of_unknown_activity_is_not_found(
    bot: BareTeamsBot, connector: TeamsConnectorStandIn
) -> None:
    """An update naming an id the bot never posted answers 404, which botbuilder raises."""
    post = channel_post("hi", service_url=connector.service_url)

    async def edit(turn_context: TurnContext) -> None:
        edited = MessageFactory.text("edited")
        edited.id = "1"
        await turn_context.update_activity(edited)

    with pytest.raises(ErrorResponseException) as raised:
        await run_turn(bot, post, edit)

    assert raised.value.response.status_code == 404


async def test_rate_limit_reaches_the_caller_without_a_retry(
    bot: BareTeamsBot, connector: TeamsConnectorStandIn
) -> None:
    """A 429 on a reply (a POST) surfaces as ErrorResponseException with Retry-After; nothing posted."""
    post = channel_post("hi", service_url=connector.service_url)
    connector.answer_next(429, {"Retry-After": "3"})

    async def reply(turn_context: TurnContext) -> None:
        await turn_context.send_activity("hello")

    with pytest.raises(ErrorResponseException) as raised:
        await run_turn(bot, post, reply)

    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "3"
    [call] = connector.calls()
    assert call.status == 429
    assert not call.ok
    assert connector.activities(post["conversation"]["id"]) == []


async def test_rate_limited_inbound_turn_answers_the_channel_500(
    bot: BareTeamsBot,
    connector: TeamsConnectorStandIn,
    identity: BotFrameworkIdentityStandIn,
    http: aiohttp.ClientSession,
) -> None:
    """With no on_turn_error, a 429 on the reply fails the whole inbound request with a 500."""
    post = channel_post("hi", service_url=connector.service_url)
    connector.answer_next(429, {"Retry-After": "3"}, operation="reply_to_activity")

    status = await deliver(http, bot.messages_url, post, signed_headers(identity, post))

    assert status == 500
    assert [c.status for c in connector.calls()] == [429]


async def test_server_error_on_update_is_retried_at_once_by_msrest(
    bot: BareTeamsBot, connector: TeamsConnectorStandIn
) -> None:
    """urllib3 retries PUT (never POST) on 5xx: a single 503 costs a second PUT and no error."""
    post = channel_post("hi", service_url=connector.service_url)
    conversation_id = post["conversation"]["id"]

    async def reply(turn_context: TurnContext) -> None:
        await turn_context.send_activity("first")

    await run_turn(bot, post, reply)
    [posted] = connector.activities(conversation_id)
    connector.answer_next(503, operation="update_activity")

    async def edit(turn_context: TurnContext) -> None:
        edited = MessageFactory.text("second")
        edited.id = posted["id"]
        await turn_context.update_activity(edited)

    await run_turn(bot, post, edit)

    assert [c.status for c in connector.calls("update_activity")] == [503, 200]
    assert connector.activities(conversation_id)[0]["text"] == "second"


async def test_server_error_on_reply_is_not_retried(
    bot: BareTeamsBot, connector: TeamsConnectorStandIn
) -> None:
    """A 500 on a POST reaches the caller at once, as ErrorResponseException."""
    post = channel_post("hi", service_url=connector.service_url)
    connector.answer_next(500)

    async def reply(turn_context: TurnContext) -> None:
        await turn_context.send_activity("hello")

    with pytest.raises(ErrorResponseException) as raised:
        await run_turn(bot, post, reply)

    assert raised.value.response.status_code == 500
    assert len(connector.calls()) == 1


async def test_dropped_reply_is_posted_but_the_caller_sees_a_connection_error(
    bot: BareTeamsBot, connector: TeamsConnectorStandIn
) -> None:
    """drop_after_acting_next stores the reply, then the bot's client raises ClientRequestError."""
    post = channel_post("hi", service_url=connector.service_url)
    connector.drop_after_acting_next()

    async def reply(turn_context: TurnContext) -> None:
        await turn_context.send_activity("hello")

    with pytest.raises(ClientRequestError):
        await run_turn(bot, post, reply)

    [call] = connector.calls()
    assert call.dropped
    assert call.ok
    assert [a["text"] for a in connector.activities(post["conversation"]["id"])] == ["hello"]


async def test_held_reply_waits_until_released(
    bot: BareTeamsBot,
    connector: TeamsConnectorStandIn,
    identity: BotFrameworkIdentityStandIn,
    http: aiohttp.ClientSession,
) -> None:
    """A held reply keeps the inbound request open; releasing it posts the reply and answers 201."""
    post = channel_post("hi", service_url=connector.service_url)
    conversation_id = post["conversation"]["id"]
    connector.hold("reply_to_activity", conversation_id)

    delivery = asyncio.create_task(
        deliver(http, bot.messages_url, post, signed_headers(identity, post))
    )
    assert await connector.wait_for_held(1, "reply_to_activity") == 1
    assert connector.activities(conversation_id) == []
    assert not delivery.done()

    assert connector.release("reply_to_activity", conversation_id) == 1
    assert await delivery == 201
    assert len(await connector.wait_for_activities(conversation_id)) == 1


async def test_create_conversation_starts_a_new_reply_chain(
    bot: BareTeamsBot, connector: TeamsConnectorStandIn
) -> None:
    """A proactive post in a channel creates a chain named after its first activity, then replies in it."""
    parameters = ConversationParameters(
        is_group=True,
        bot=ChannelAccount(id=BOT_ID),
        tenant_id=TENANT_ID,
        activity=MessageFactory.text("New intake started"),
        channel_data={"channel": {"id": CHANNEL_ID}, "team": {"id": TEAM_ID}},
    )
    seen: list[str] = []

    async def follow_up(turn_context: TurnContext) -> None:
        seen.append(turn_context.activity.conversation.id)
        await turn_context.send_activity("First question")

    await bot.adapter.create_conversation(
        APP_ID, follow_up, parameters, "msteams", connector.service_url
    )

    [created] = connector.calls("create_conversation")
    thread = created.response["id"]
    assert thread == f"{CHANNEL_ID};messageid={created.response['activityId']}"
    assert seen == [thread]
    assert [a["text"] for a in connector.activities(thread)] == [
        "New intake started",
        "First question",
    ]


async def test_create_personal_conversation_is_stable_per_user(
    bot: BareTeamsBot, connector: TeamsConnectorStandIn
) -> None:
    """Creating a 1:1 chat twice with the same person gives the same a:1 conversation id."""
    parameters = ConversationParameters(
        bot=ChannelAccount(id=BOT_ID),
        members=[ChannelAccount(id=MARIA.id)],
        tenant_id=TENANT_ID,
    )

    async def nothing(_turn_context: TurnContext) -> None:
        return None

    for _ in range(2):
        await bot.adapter.create_conversation(
            APP_ID, nothing, parameters, "msteams", connector.service_url
        )

    first, second = (c.response["id"] for c in connector.calls("create_conversation"))
    assert first == second
    assert first.startswith("a:1")


async def test_a_personal_chat_is_recorded_with_what_is_posted_there(
    bot: BareTeamsBot, connector: TeamsConnectorStandIn
) -> None:
    """A 1:1 chat opened as the bot opens one is recorded per person, with its activities."""
    parameters = ConversationParameters(
        is_group=False,
        bot=ChannelAccount(id=BOT_ID),
        members=[ChannelAccount(id=MARIA.id)],
        tenant_id=TENANT_ID,
        channel_data={"tenant": {"id": TENANT_ID}},
    )

    async def greet(turn_context: TurnContext) -> None:
        await turn_context.send_activity("Only for you")

    assert connector.personal_conversation(MARIA.id) is None
    await bot.adapter.create_conversation(
        APP_ID, greet, parameters, "msteams", connector.service_url
    )

    chat = connector.personal_conversation(MARIA.id)
    assert chat is not None
    assert chat.startswith("a:1")
    [created] = connector.calls("create_conversation")
    assert created.body["isGroup"] is False
    assert created.body["members"] == [{"id": MARIA.id}]
    assert [a["text"] for a in connector.activities(chat)] == ["Only for you"]
    assert connector.personal_conversation(PERSONAL_CHAT.id) is None


async def test_a_person_without_the_app_cannot_be_messaged_privately(
    bot: BareTeamsBot, connector: TeamsConnectorStandIn
) -> None:
    """`refuse_personal_chat` answers every request for a chat with that person 403, nothing kept."""
    connector.refuse_personal_chat(MARIA.id)
    parameters = ConversationParameters(
        bot=ChannelAccount(id=BOT_ID), members=[ChannelAccount(id=MARIA.id)], tenant_id=TENANT_ID
    )

    async def nothing(_turn_context: TurnContext) -> None:
        return None

    for _ in range(2):
        with pytest.raises(ErrorResponseException) as refused:
            await bot.adapter.create_conversation(
                APP_ID, nothing, parameters, "msteams", connector.service_url
            )
        assert refused.value.response.status_code == 403
    assert [c.status for c in connector.calls("create_conversation")] == [403, 403]
    assert connector.personal_conversation(MARIA.id) is None
    assert connector.conversation_ids() == []
    with pytest.raises(ValueError, match="403 or 404"):
        connector.refuse_personal_chat(MARIA.id, status=500)


@pytest.mark.parametrize(
    "body",
    [
        {"isGroup": True, "bot": {"id": BOT_ID}, "members": [{"id": "29:x"}], "tenantId": "t"},
        {"bot": {"id": BOT_ID}, "members": [{"id": "29:x"}]},
        {"members": [{"id": "29:x"}], "tenantId": "t"},
    ],
    ids=["a-group", "no-tenant", "no-bot"],
)
async def test_a_malformed_personal_chat_request_is_a_bad_argument(
    connector: TeamsConnectorStandIn,
    identity: BotFrameworkIdentityStandIn,
    http: aiohttp.ClientSession,
    body: dict[str, Any],
) -> None:
    """A 1:1 request that says it is a group, names no tenant or no bot is answered 400."""
    token = await bot_token(http, identity)
    headers = {"Authorization": f"Bearer {token}"}
    conversations = f"{connector.service_url}v3/conversations"
    async with http.post(conversations, json=body, headers=headers) as response:
        assert response.status == 400
        assert (await response.json())["error"]["code"] == "BadArgument"
    assert connector.personal_conversation("29:x") is None


async def test_faults_apply_to_creating_a_personal_chat(
    bot: BareTeamsBot, connector: TeamsConnectorStandIn
) -> None:
    """`answer_next(..., operation="create_conversation")` answers the next chat request once."""
    connector.answer_next(503, operation="create_conversation")
    parameters = ConversationParameters(
        bot=ChannelAccount(id=BOT_ID), members=[ChannelAccount(id=MARIA.id)], tenant_id=TENANT_ID
    )

    async def nothing(_turn_context: TurnContext) -> None:
        return None

    with pytest.raises(ErrorResponseException):
        await bot.adapter.create_conversation(
            APP_ID, nothing, parameters, "msteams", connector.service_url
        )
    assert connector.personal_conversation(MARIA.id) is None
    await bot.adapter.create_conversation(
        APP_ID, nothing, parameters, "msteams", connector.service_url
    )
    assert [c.status for c in connector.calls("create_conversation")] == [503, 201]
    assert connector.personal_conversation(MARIA.id) is not None


# -- the connector's own checks --------------------------------------------------------


async def test_connector_refuses_calls_without_an_issued_token(
    connector: TeamsConnectorStandIn,
    identity: BotFrameworkIdentityStandIn,
    http: aiohttp.ClientSession,
) -> None:
    """No bearer, a channel token, or a self-made one: 401 with Bot Framework's message, nothing stored."""
    url = f"{connector.service_url}v3/conversations/{quote('a:1x', safe='')}/activities"
    bearers = [
        None,
        identity.channel_token(connector.service_url),
        jwt.encode({"aud": BOTFRAMEWORK_SCOPE, "appid": APP_ID}, "s" * 32, algorithm="HS256"),
    ]
    for bearer in bearers:
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        async with http.post(url, json={"type": "message"}, headers=headers) as response:
            assert response.status == 401
            assert await response.json() == {
                "message": "Authorization has been denied for this request."
            }
    assert [c.status for c in connector.calls()] == [401, 401, 401]
    assert connector.activities("a:1x") == []
    with pytest.raises(InvalidAccessTokenError):
        identity.verify_access_token(str(bearers[1]))


async def test_unknown_call_is_recorded_and_not_found(
    connector: TeamsConnectorStandIn,
    identity: BotFrameworkIdentityStandIn,
    http: aiohttp.ClientSession,
) -> None:
    """A call the stand-in does not play answers 404, so a new call in the bot fails loudly."""
    async with http.post(
        identity.token_url(),
        data={
            "grant_type": "client_credentials",
            "client_id": APP_ID,
            "client_secret": identity.registration.password,
            "scope": f"{BOTFRAMEWORK_SCOPE}/.default",
        },
        ssl=False,
    ) as response:
        token = (await response.json())["access_token"]
    url = f"{connector.service_url}v3/conversations/{quote(PERSONAL_CONVERSATION_ID, safe='')}/members"

    async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
        assert response.status == 404

    [call] = connector.calls("unknown")
    assert call.conversation_id == PERSONAL_CONVERSATION_ID


# -- tenants ---------------------------------------------------------------------------


async def test_single_tenant_bot_gets_tokens_from_its_tenant(http: aiohttp.ClientSession) -> None:
    """MICROSOFT_APP_TYPE=SingleTenant: the token comes from /{tenant}/ with that tenant's issuer."""
    registration = BotRegistration(tenant_id=TENANT_ID)
    async with (
        BotFrameworkIdentityStandIn(registration) as identity,
        TeamsConnectorStandIn(identity) as connector,
    ):
        config = identity.bot_config()
        assert config.APP_TYPE == "SingleTenant"
        assert identity.login_url(TENANT_ID) == config.TO_CHANNEL_FROM_BOT_LOGIN_URL
        async with BareTeamsBot(
            config, credentials_factory=identity.credentials_factory(config)
        ) as bot:
            post = personal_message("hi", service_url=connector.service_url)

            await deliver(http, bot.messages_url, post, signed_headers(identity, post))
            await connector.wait_for_activities(PERSONAL_CONVERSATION_ID)

        [token_call] = identity.calls("token")
        assert token_call.path == f"/{TENANT_ID}/oauth2/v2.0/token"
        claims = identity.verify_access_token(token_call.response["access_token"])
        assert claims["tid"] == TENANT_ID
        assert claims["iss"] == f"https://sts.windows.net/{TENANT_ID}/"


async def test_multi_tenant_token_comes_from_botframework_tenant(
    bot: BareTeamsBot,
    connector: TeamsConnectorStandIn,
    identity: BotFrameworkIdentityStandIn,
    http: aiohttp.ClientSession,
) -> None:
    """A multi-tenant bot's token is issued by the botframework.com tenant."""
    post = group_chat_message("hi", service_url=connector.service_url)

    await deliver(http, bot.messages_url, post, signed_headers(identity, post))
    await connector.wait_for_activities(GROUP_CHAT_ID)

    [token_call] = identity.calls("token")
    claims = identity.verify_access_token(token_call.response["access_token"])
    assert claims["tid"] == BOTFRAMEWORK_TENANT_ID


async def test_misconfigured_tenant_gets_no_token_and_posts_nothing(
    http: aiohttp.ClientSession,
) -> None:
    """A single-tenant app configured as MultiTenant is refused a token; botbuilder answers 401."""
    async with (
        BotFrameworkIdentityStandIn(BotRegistration(tenant_id=TENANT_ID)) as identity,
        TeamsConnectorStandIn(identity) as connector,
    ):
        config = identity.bot_config(app_type="MultiTenant")
        async with BareTeamsBot(
            config, credentials_factory=identity.credentials_factory(config)
        ) as bot:
            post = personal_message("hi", service_url=connector.service_url)

            status = await deliver(http, bot.messages_url, post, signed_headers(identity, post))

        assert status == 401  # MSAL's refusal becomes a PermissionError, which CloudAdapter maps
        [token_call] = identity.calls("token")
        assert token_call.status == 400
        assert token_call.response["error"] == "unauthorized_client"
        assert connector.calls() == []


# -- the builders ----------------------------------------------------------------------


def test_channel_post_starts_a_chain_named_after_itself() -> None:
    """A channel post's conversation id carries its own id; channelData names team, channel, tenant."""
    post = channel_post("start", service_url="https://smba.trafficmanager.net/amer/")

    assert post["conversation"] == {
        "conversationType": "channel",
        "tenantId": TENANT_ID,
        "id": f"{CHANNEL_ID};messageid={post['id']}",
        "isGroup": True,
    }
    assert post["channelData"]["team"]["id"] == TEAM_ID
    assert post["channelData"]["channel"]["id"] == CHANNEL_ID
    assert post["channelData"]["tenant"] == {"id": TENANT_ID}
    assert post["text"] == "<at>intake-bot</at> start"
    [mention] = [e for e in post["entities"] if e["type"] == "mention"]
    assert mention["mentioned"] == {"id": BOT_ID, "name": "intake-bot"}
    assert post["recipient"]["id"] == BOT_ID
    assert post["from"]["id"].startswith("29:")
    assert post["channelId"] == "msteams"
    assert post["locale"] == "en-US"


def test_reply_and_other_conversations_have_teams_shapes() -> None:
    """Replies share the root's chain; personal and group chats carry their type and no team."""
    url = "https://smba.trafficmanager.net/amer/"
    reply = channel_reply("more", root_id="1700000000000", service_url=url)
    personal = personal_message("hi", service_url=url)
    group = group_chat_message("hi", service_url=url)

    assert reply["conversation"]["id"] == channel_thread("1700000000000").id
    assert reply["replyToId"] == "1700000000000"
    assert personal["conversation"]["conversationType"] == "personal"
    assert "isGroup" not in personal["conversation"]
    assert personal["channelData"] == {"tenant": {"id": TENANT_ID}}
    assert not [e for e in personal["entities"] if e["type"] == "mention"]
    assert group["conversation"]["conversationType"] == "groupChat"
    assert group["conversation"]["isGroup"] is True
    assert int(reply["id"]) < int(personal["id"]) < int(group["id"])


def test_mentioning_a_person_adds_their_entity() -> None:
    """<at>Maria</at> in the text comes with a mention entity naming her 29: id."""
    post = channel_post(
        f"owner is {mention_text(MARIA)}", service_url="https://x/", mentions=[MARIA]
    )

    mentioned = [e["mentioned"] for e in post["entities"] if e["type"] == "mention"]
    assert mentioned == [{"id": BOT_ID, "name": "intake-bot"}, {"id": MARIA.id, "name": "Maria"}]
    assert "<at>Maria</at>" in post["text"]
    with pytest.raises(ValueError, match="Maria"):
        channel_post("owner is Maria", service_url="https://x/", mentions=[MARIA])


def test_card_submit_has_a_value_and_no_text() -> None:
    """An Action.Submit is a message with value, replyToId of the card, and no text."""
    submit = card_submit(
        {"answer": "batch"},
        card_activity_id="1700000000001",
        conversation=PERSONAL_CHAT,
        service_url="https://x/",
    )

    assert submit["type"] == "message"
    assert "text" not in submit
    assert submit["value"] == {"answer": "batch"}
    assert submit["replyToId"] == "1700000000001"
    assert submit["channelData"]["source"] == {"name": "message"}


async def test_signed_headers_carry_a_channel_token_for_the_service_url(
    identity: BotFrameworkIdentityStandIn,
) -> None:
    """The bearer is RS256 with the published kid, issuer api.botframework.com, the bot as audience."""
    post = personal_message("hi", service_url="https://smba.trafficmanager.net/amer/")

    headers = signed_headers(identity, post)

    token = headers["Authorization"].removeprefix("Bearer ")
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    assert header["kid"] == identity.key_id
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == "https://api.botframework.com"
    assert claims["aud"] == APP_ID
    assert claims["serviceurl"] == post["serviceUrl"]
    assert headers["x-ms-conversation-id"] == PERSONAL_CONVERSATION_ID
    assert headers["x-ms-tenant-id"] == TENANT_ID
