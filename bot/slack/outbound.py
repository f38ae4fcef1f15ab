"""The outbound port on Slack: neutral replies -> Block Kit posts with the Web API.

Implements `bot.ports.Outbound`. Replies become as few messages as read well
(`blocks.to_messages`), posted in order in the thread; a post at a channel's
top level opens a thread, whose `ts` comes back as the new place. A Slack
error is logged (never the token) and reported as None, not raised, so one
refused post does not take the turn down with it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.ports import IntakeRef
from bot.slack.blocks import SlackMessage, to_messages
from conversations.replies import Reply

log = structlog.get_logger(__name__)

COMMAND = "/intake"


@dataclass(frozen=True, slots=True)
class SlackOutbound:
    """Posts for one workspace, through the Web API client Bolt hands each request."""

    client: AsyncWebClient

    @property
    def start_command(self) -> str:
        """The slash command the app manifest registers."""
        return COMMAND

    async def post(
        self, where: IntakeRef, replies: Sequence[Reply], *, only_for: str | None = None
    ) -> IntakeRef | None:
        """Post each message of the replies; the first one's `ts` names a new thread."""
        first_ts: str | None = None
        for message in to_messages(replies, where):
            if only_for is not None:
                sent = await call(
                    self.client.chat_postEphemeral,
                    channel=where.channel,
                    user=only_for,
                    **message.as_kwargs(),
                )
            else:
                sent = await call(
                    self.client.chat_postMessage,
                    channel=where.channel,
                    thread_ts=where.thread or None,
                    **message.as_kwargs(),
                )
            if sent is None:
                return None
            first_ts = first_ts or sent.get("ts")
        if where.thread or only_for is not None or first_ts is None:
            return where
        return where.in_thread(first_ts)

    async def update(self, where: IntakeRef, ts: str, message: SlackMessage) -> None:
        """Replace one posted message (a question after a click shows who chose)."""
        await call(self.client.chat_update, channel=where.channel, ts=ts, **message.as_kwargs())


async def call(method: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
    """Call the Web API; a Slack error is logged (without the token) and comes back as None."""
    try:
        return await method(**kwargs)
    except SlackApiError as exc:
        log.warning(
            "slack.api_error",
            method=getattr(method, "__name__", "?"),
            error=exc.response.get("error"),
        )
        return None
