"""The Slack adapter: slack-bolt listeners that translate payloads to events and replies to posts.

Nothing here decides anything. A slash command, a mention, a thread reply or
a button click becomes a neutral event for one intake (workspace, channel,
thread); the service steps the dialogue; the replies become Block Kit posts in
the thread. Bolt acknowledges before the listener does its work, so Slack gets
its answer well inside 3 seconds; the Events API `event_id` (the same on
Slack's retries) goes to the service as the delivery id, which records it
atomically with the state it produced, so a retried delivery posts nothing.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Any

import structlog
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.service import IntakeService, Outcome, utc_now
from bot.settings import Settings
from bot.slack import blocks, kit
from bot.slack.blocks import SlackMessage
from bot.slack.limits import escape_mrkdwn
from bot.state.keys import IntakeRef
from conversations import messages as msg
from conversations.events import Choose, Event, Start, Text
from conversations.replies import Notice, Tone

log = structlog.get_logger(__name__)

PLATFORM = "slack"
TURNS_AT_ONCE = 8
COMMAND = "/intake"
_START = re.compile(r"^\s*start\b\s*(?P<project>.*)$", re.IGNORECASE | re.DOTALL)
_LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>\s*")
# Messages with these subtypes are still a person writing; every other subtype
# (edits, deletions, joins, bot posts, channel changes) is ignored quietly.
_PERSON_SUBTYPES = frozenset({None, "thread_broadcast", "file_share"})


def typed_text(text: str) -> str:
    """Message text as the person typed it.

    Slack sends a typed `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;` in event
    text (its own markup, `<@U123>` or `<!channel>`, stays as markup); the
    dialogue keeps what was typed, and the renderers escape it again on the way
    out, so `< 50 ms` is read by the parsers and shown back once escaped.
    """
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def intake_id(ref: IntakeRef) -> str:
    """The intake's id in message metadata, readable by other apps in the workspace."""
    return "/".join((ref.workspace, ref.channel, ref.thread))


@dataclass(slots=True)
class SlackAdapter:
    """Listener bodies, kept apart from Bolt's registration so their flow reads top-down."""

    service: IntakeService
    # Turns worked on at once after their ack. Turns beyond this wait parked, not runnable,
    # so under load the event loop keeps answering Slack's requests (acks) promptly.
    busy: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(TURNS_AT_ONCE))

    async def on_command(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """`/intake <project>`: a root message in the channel, then the first question in its thread."""
        await ack()
        team, channel, user = body["team_id"], body["channel_id"], body["user_id"]
        project = (body.get("text") or "").strip()
        if not project:
            await _ephemeral(client, channel, user, msg.NEED_PROJECT_NAME.replace("start", COMMAND))
            return
        ref = IntakeRef(platform=PLATFORM, workspace=team, channel=channel, thread="")
        await self._start(client, ref, user, project, delivery=body.get("trigger_id"))

    async def on_mention(
        self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """`@bot start <project>` starts an intake; a mention in an intake thread is a reply."""
        team, channel, user = body.get("team_id", ""), event["channel"], event.get("user")
        if not user:
            return
        text = typed_text(_LEADING_MENTION.sub("", event.get("text", ""), count=1))
        thread = event.get("thread_ts")
        start = _START.match(text)
        if start and not thread:
            project = start.group("project").strip()
            if not project:
                await _ephemeral(client, channel, user, msg.NEED_PROJECT_NAME)
                return
            ref = IntakeRef(platform=PLATFORM, workspace=team, channel=channel, thread="")
            await self._start(client, ref, user, project, delivery=body.get("event_id"))
            return
        if not thread:
            await _ephemeral(client, channel, user, msg.SLACK_MENTION_HELP)
            return
        ref = IntakeRef(platform=PLATFORM, workspace=team, channel=channel, thread=thread)
        event_in = Text(user=user, at=utc_now(), text=text)
        await self._handle(client, ref, event_in, body.get("event_id"), require_intake=True)

    async def on_message(
        self,
        body: dict[str, Any],
        event: dict[str, Any],
        client: AsyncWebClient,
        context: AsyncBoltContext,
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
        text = typed_text(text)
        team, channel = body.get("team_id", ""), event["channel"]
        delivery = body.get("event_id")
        if event.get("channel_type") == "im":
            ref = IntakeRef(platform=PLATFORM, workspace=team, channel=channel, thread="")
            start = _START.match(text)
            event_in: Event = (
                Start(user=user, at=utc_now(), project=start.group("project"))
                if start
                else Text(user=user, at=utc_now(), text=text)
            )
            await self._handle(client, ref, event_in, delivery, require_intake=False)
            return
        thread = event.get("thread_ts")
        if not thread:
            return
        ref = IntakeRef(platform=PLATFORM, workspace=team, channel=channel, thread=thread)
        await self._handle(
            client, ref, Text(user=user, at=utc_now(), text=text), delivery, require_intake=True
        )

    async def on_choice(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """A button click answers the question its value names; the question then shows who chose."""
        await ack()
        choice = blocks.parse_choice_value(action.get("value", ""))
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id")
        thread = message.get("thread_ts") or (body.get("container") or {}).get("thread_ts")
        if choice is None or not channel:
            return
        question_id, value = choice
        team = (body.get("team") or {}).get("id") or body["user"].get("team_id", "")
        user = body["user"]["id"]
        ref = IntakeRef(platform=PLATFORM, workspace=team, channel=channel, thread=thread or "")
        event = Choose(user=user, at=utc_now(), question_id=question_id, value=value)
        delivery = f"action:{message.get('ts')}:{user}:{action.get('action_ts')}"
        outcome = await self._handle(client, ref, event, delivery, require_intake=True)
        if outcome is not None and _accepted(outcome):
            label = (action.get("text") or {}).get("text", value)
            updated = blocks.answered_message(question_id, user, label)
            await _call(
                client.chat_update, channel=channel, ts=message.get("ts"), **updated.as_kwargs()
            )

    async def _start(
        self,
        client: AsyncWebClient,
        channel_ref: IntakeRef,
        user: str,
        project: str,
        *,
        delivery: str | None,
    ) -> None:
        """Post the root message, then start the intake in its thread (once per delivery)."""
        if delivery and not await self.service.claim_delivery(PLATFORM, delivery):
            log.info("slack.skipped", delivery=delivery, duplicate=True)
            return
        root_text = msg.SLACK_ROOT.format(
            project=escape_mrkdwn(project), user=blocks.mention(user), command=COMMAND
        )
        channel = channel_ref.channel
        posted = await _call(
            client.chat_postMessage,
            channel=channel,
            **SlackMessage(text=root_text, blocks=[kit.section(root_text)]).as_kwargs(),
        )
        if posted is None:
            return
        ref = IntakeRef(
            platform=PLATFORM, workspace=channel_ref.workspace, channel=channel, thread=posted["ts"]
        )
        await self._handle(
            client,
            ref,
            Start(user=user, at=utc_now(), project=project),
            delivery,
            require_intake=False,
        )

    async def _handle(
        self,
        client: AsyncWebClient,
        ref: IntakeRef,
        event: Event,
        delivery: str | None,
        *,
        require_intake: bool,
    ) -> Outcome | None:
        """One turn: the service steps the intake, then its replies are posted in the thread."""
        async with self.busy:
            outcome = await self.service.handle(
                ref, event, platform_delivery=delivery, require_intake=require_intake
            )
            if outcome.duplicate or outcome.ignored:
                log.info(
                    "slack.skipped",
                    intake=intake_id(ref),
                    duplicate=outcome.duplicate,
                    delivery=delivery,
                )
                return None
            for message in blocks.to_messages(outcome.replies, intake_id(ref)):
                await _call(
                    client.chat_postMessage,
                    channel=ref.channel,
                    thread_ts=ref.thread or None,
                    **message.as_kwargs(),
                )
            return outcome


def _accepted(outcome: Outcome) -> bool:
    """Whether the turn saved an answer (its first reply is a saved notice)."""
    first = outcome.replies[0] if outcome.replies else None
    return isinstance(first, Notice) and first.tone is Tone.SAVED


async def _ephemeral(client: AsyncWebClient, channel: str, user: str, text: str) -> None:
    await _call(client.chat_postEphemeral, channel=channel, user=user, text=escape_mrkdwn(text))


async def _call(method: Any, **kwargs: Any) -> Any:
    """Call the Web API; a Slack error is logged (without the token) and does not crash the listener."""
    try:
        return await method(**kwargs)
    except SlackApiError as exc:
        log.warning(
            "slack.api_error",
            method=getattr(method, "__name__", "?"),
            error=exc.response.get("error"),
        )
        return None


def build_app(settings: Settings, service: IntakeService, client: AsyncWebClient) -> AsyncApp:
    """The Bolt app with every listener registered; signature checks stay on unless explicitly off."""
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    app = AsyncApp(
        client=client,
        signing_secret=secret,
        request_verification_enabled=not settings.insecure_skip_auth,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )
    adapter = SlackAdapter(service=service)
    app.command(COMMAND)(adapter.on_command)
    app.event("app_mention")(adapter.on_mention)
    app.event("message")(adapter.on_message)
    app.action(re.compile(rf"^{blocks.CHOICE_ACTION_PREFIX}{blocks.CHOICE_SEPARATOR}"))(
        adapter.on_choice
    )
    return app
