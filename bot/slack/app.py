"""The Slack adapter: slack-bolt listeners that translate, and nothing more.

Each listener turns a Slack payload into one `bot.ports.Inbound` (where the
person wrote, who, what, the delivery id) and hands it to
`IntakeService.receive` together with a `SlackOutbound` for the request's
workspace; the service applies it and posts the replies through that port.
What is Slack's stays here: its payload fields, its mention syntax
(`<@U123>` in, `Person` to the core), its entity escaping, and updating a
clicked message in place (a question shows who chose, a decided scope-change
warning who decided). A button that stands for a command (Approve, Reject,
Export record) is handed over as the words it stands for, so a click and a
typed `approve 3` are one and the same turn to the core.

Acknowledged means saved. Bolt runs in `process_before_response` mode, so
Slack's HTTP 200 (or Socket Mode ack) goes back only after the listener
returns. The listener returns once the turn, its delivery mark and its
replies (queued in the outbox) are in Redis, well inside Slack's 3 seconds;
the delivery worker posts them after the ack.

When the turn could not be saved and Slack will deliver the event again
(`X-Slack-Retry-Num` below 3), the listener raises `TurnNotSavedError`, which
answers 503, and Slack retries. On the last try the person is told instead.
The Events API `event_id`, the same on Slack's retries, is the delivery id,
so a retried delivery is applied once.
"""

from __future__ import annotations

import re
from typing import Any

import structlog
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.choice_codec import decode_choice
from bot.errors import IntakeBotError
from bot.health import Credentials
from bot.metrics import Metrics
from bot.ports import Inbound, IntakeRef, Outcome, TurnStatus, Where
from bot.service import IntakeService, utc_now
from bot.settings import Settings
from bot.slack import blocks
from bot.slack.authorize import one_workspace
from bot.slack.outbound import COMMAND, SlackOutbound
from conversations.events import Choose, Start, Text
from conversations.people import Person

log = structlog.get_logger(__name__)

PLATFORM = "slack"
# Slack delivers an unacknowledged event again up to three times; the third retry is the last.
LAST_RETRY = 3
_MENTION = re.compile(r"<@(?P<id>[A-Z0-9]+)(?:\|(?P<name>[^>]*))?>")
_LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>\s*")
# Messages with these subtypes are still a person writing; every other subtype
# (edits, deletions, joins, bot posts, channel changes) is ignored quietly.
_PERSON_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})


def typed_text(text: str) -> tuple[str, tuple[Person, ...]]:
    """Message text as the person typed it, and the people it mentions.

    Each `<@U123>` (or `<@U123|name>`) becomes `@` and the person's label,
    as the core expects (see `conversations.events.Text`). Slack sends a typed
    `&`, `<` and `>` as entities; they are decoded last, so what a person
    typed cannot pass for a mention, and the renderers escape it again on the
    way out.
    """
    mentions: list[Person] = []

    def person(match: re.Match[str]) -> str:
        mentioned = Person(id=match.group("id"), name=match.group("name") or None)
        mentions.append(mentioned)
        return f"@{mentioned.label}"

    plain = _MENTION.sub(person, text)
    plain = plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return plain, tuple(mentions)


def _text_event(user: str, text: str) -> Text:
    typed, mentions = typed_text(text)
    return Text(user=user, at=utc_now(), text=typed, mentions=mentions)


class TurnNotSavedError(IntakeBotError):
    """The turn was not saved and Slack will deliver it again: answer 503, not 200."""


def _last_try(request: AsyncBoltRequest) -> bool:
    """Whether Slack will deliver this event again if it is not acknowledged."""
    retry = (request.headers.get("x-slack-retry-num") or ["0"])[0]
    return not (retry.isascii() and retry.isdigit()) or int(retry) >= LAST_RETRY


def _acknowledge(outcome: Outcome, inbound: Inbound) -> None:
    """Let the HTTP answer say whether the turn was saved: Slack retries a non-2xx.

    A refusal is acknowledged only on Slack's last try, once the person was told.
    """
    if outcome.status is TurnStatus.REFUSED and not (inbound.last_try and outcome.told):
        raise TurnNotSavedError("the turn was not saved; Slack will retry it")


async def on_error(error: Exception) -> BoltResponse:
    """503 for a turn Slack should retry; 500 (logged with its trace) for anything else."""
    if isinstance(error, TurnNotSavedError):
        log.info("slack.retry_requested")
        return BoltResponse(status=503, body="")
    log.error("slack.listener_failed", error=type(error).__name__, exc_info=error)
    return BoltResponse(status=500, body="")


class SlackAdapter:
    """Listener bodies, kept apart from Bolt's registration so their flow reads top-down."""

    def __init__(
        self,
        service: IntakeService,
        metrics: Metrics | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        self.service = service
        self.metrics = metrics
        self.credentials = credentials

    def _outbound(self, client: AsyncWebClient) -> SlackOutbound:
        """Posts through the client Bolt made for this request's workspace."""
        return SlackOutbound(client, self.metrics, self.credentials)

    async def on_command(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """`/intake <project>`: a new intake in a thread of its own.

        Slack never repeats a command, so a refusal is told to the person at once.
        """
        ref = IntakeRef(PLATFORM, body["team_id"], body["channel_id"], "")
        project = (body.get("text") or "").strip()
        event = Start(user=body["user_id"], at=utc_now(), project=project, command=COMMAND)
        inbound = Inbound(ref, event, Where.CHANNEL, delivery=body.get("trigger_id"))
        outcome = await self.service.receive(inbound, self._outbound(client))
        if outcome.replies and not outcome.told:
            # Nothing reached the channel (the bot may not be in it): answer in the ack,
            # which Slack shows to the person whatever the channel.
            await ack(text=blocks.notices_text(outcome.replies))
            return
        await ack()

    async def on_mention(
        self,
        body: dict[str, Any],
        event: dict[str, Any],
        client: AsyncWebClient,
        request: AsyncBoltRequest,
    ) -> None:
        """`@bot start <project>` in a channel; in an intake's thread, a reply like any other."""
        user = event.get("user")
        if not user:
            return
        thread = event.get("thread_ts") or ""
        ref = IntakeRef(PLATFORM, body.get("team_id", ""), event["channel"], thread)
        text = _LEADING_MENTION.sub("", event.get("text", ""), count=1)
        where = Where.THREAD if thread else Where.CHANNEL
        inbound = Inbound(
            ref, _text_event(user, text), where, body.get("event_id"), _last_try(request)
        )
        _acknowledge(await self.service.receive(inbound, self._outbound(client)), inbound)

    async def on_message(
        self,
        body: dict[str, Any],
        event: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
        request: AsyncBoltRequest,
    ) -> None:
        """A thread reply answers the intake of its thread; a direct message runs a private one."""
        user = event.get("user")
        if event.get("subtype") not in _PERSON_SUBTYPES or event.get("bot_id") or not user:
            return
        if user == context.bot_user_id:
            return
        text = event.get("text") or ""
        if context.bot_user_id and f"<@{context.bot_user_id}" in text:
            return  # the app_mention event for the same message carries it
        direct = event.get("channel_type") == "im"
        thread = "" if direct else event.get("thread_ts")
        if thread is None:
            return  # a top-level channel message not addressed to the bot
        ref = IntakeRef(PLATFORM, body.get("team_id", ""), event["channel"], thread)
        where = Where.DIRECT if direct else Where.THREAD
        inbound = Inbound(
            ref, _text_event(user, text), where, body.get("event_id"), _last_try(request)
        )
        _acknowledge(await self.service.receive(inbound, self._outbound(client)), inbound)

    async def on_choice(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """A button click answers the question its value names; the question then shows who chose."""
        choice = decode_choice(action.get("value", ""))
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id")
        thread = message.get("thread_ts") or (body.get("container") or {}).get("thread_ts")
        if choice is None or not channel:
            await ack()
            return
        question_id, value = choice
        team = (body.get("team") or {}).get("id") or body["user"].get("team_id", "")
        user = body["user"]["id"]
        ref = IntakeRef(PLATFORM, team, channel, thread or "")
        event = Choose(user=user, at=utc_now(), question_id=question_id, value=value)
        delivery = f"action:{message.get('ts')}:{user}:{action.get('action_ts')}"
        outbound = self._outbound(client)
        outcome = await self.service.receive(Inbound(ref, event, Where.THREAD, delivery), outbound)
        await ack()
        if outcome.applied and outcome.answered == question_id:
            label = (action.get("text") or {}).get("text", value)
            updated = blocks.answered_message(question_id, Person(id=user), label)
            await outbound.update(ref, message.get("ts", ""), updated)

    async def on_decide(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Approve or Reject on a warning: the owner's `approve <n>` / `reject <n>`, typed for them.

        The click runs exactly the typed command, so the core decides who may
        (anyone else is refused privately, through the outbox), and a decision
        replaces the warning's card the same way a typed one does: the outbox
        finds the card by its metadata and updates it (buttons gone, who
        decided and when, the new status).
        """
        command = blocks.DECIDE_COMMANDS.get(str(action.get("action_id")))
        number = str(action.get("value") or "").strip()
        if command is None or not (number.isascii() and number.isdigit()):
            await ack()
            return
        await self._clicked(ack, body, action, client, f"{command} {number}")

    async def on_export(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """The summary's Export button: `export` typed for the person; the record comes as a file."""
        await self._clicked(ack, body, action, client, blocks.EXPORT_COMMAND)

    async def _clicked(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        text: str,
    ) -> None:
        """A button that stands for typed words: run them in the clicked message's thread, ack."""
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id")
        thread = message.get("thread_ts") or (body.get("container") or {}).get("thread_ts")
        if not channel:
            await ack()
            return
        team = (body.get("team") or {}).get("id") or body["user"].get("team_id", "")
        user = body["user"]["id"]
        ref = IntakeRef(PLATFORM, team, channel, thread or "")
        event = Text(user=user, at=utc_now(), text=text)
        delivery = f"action:{message.get('ts')}:{user}:{action.get('action_ts')}"
        await self.service.receive(
            Inbound(ref, event, Where.THREAD, delivery), self._outbound(client)
        )
        await ack()


def build_app(
    settings: Settings,
    service: IntakeService,
    client: AsyncWebClient,
    *,
    identity: AsyncSlackResponse | None = None,
    metrics: Metrics | None = None,
    credentials: Credentials | None = None,
) -> AsyncApp:
    """The Bolt app with every listener registered; signature checks stay on unless explicitly off."""
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    app = AsyncApp(
        client=client,
        signing_secret=secret,
        authorize=one_workspace(client, identity),
        request_verification_enabled=not settings.insecure_skip_auth,
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )
    app.error(on_error)
    adapter = SlackAdapter(service=service, metrics=metrics, credentials=credentials)
    app.command(COMMAND)(adapter.on_command)
    app.event("app_mention")(adapter.on_mention)
    app.event("message")(adapter.on_message)
    app.action(re.compile(rf"^{blocks.CHOICE_ACTION_PREFIX}:"))(adapter.on_choice)
    app.action(re.compile(rf"^{blocks.DECIDE_ACTION_PREFIX}:(approve|reject)$"))(adapter.on_decide)
    app.action(blocks.EXPORT_ACTION)(adapter.on_export)
    return app
