"""The outbound port on Slack: neutral replies -> Block Kit posts with the Web API.

Implements `bot.ports.Outbound`. Replies become as few messages as read well
(`blocks.to_posts`), posted in order in the thread; the requirements record
is shared there as a file (`files_upload_v2`) between them. A post at a
channel's top level opens a thread, whose `ts` comes back as the new place.

Every message of an outbox entry carries the entry's id and its part number
in its metadata. When an earlier attempt may have gone through
(`maybe_posted`), the thread (`conversations.replies`) or the channel
(`conversations.history`) is read first, and only the missing parts are
posted. Slack's answers map onto the delivery errors:
- an error Slack will give again is `DeliveryRefusedError`;
- a rate limit or an error before acting is `DeliveryDeferredError`;
- a dropped connection or a 5xx after sending is `DeliveryUnknownError`.
The token never reaches a log line or an error message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import (
    DeliveryDeferredError,
    DeliveryError,
    DeliveryRefusedError,
    DeliveryUnknownError,
    Refusal,
)
from bot.health import Credentials
from bot.metrics import Metrics
from bot.ports import IntakeRef
from bot.post_metadata import OUTBOX_ID, PART, SCOPE_CHANGE_EVENT
from bot.slack.blocks import SlackFile, SlackMessage, SlackUpdate, to_posts
from conversations.replies import Reply

log = structlog.get_logger(__name__)

COMMAND = "/intake"
# Errors Slack gives again however often it is asked: the post can never succeed.
REFUSALS = frozenset(
    {
        "account_inactive",
        "channel_not_found",
        "ekm_access_denied",
        "invalid_arguments",
        "invalid_auth",
        "invalid_blocks",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "is_archived",
        "method_not_supported_for_channel_type",
        "missing_scope",
        "msg_too_long",
        "no_permission",
        "not_authed",
        "not_in_channel",
        "restricted_action",
        "team_access_not_granted",
        "thread_not_found",
        "token_expired",
        "token_revoked",
    }
)
# What Slack's refusals mean, for the words the person is told.
REFUSAL_KINDS = {
    "not_in_channel": Refusal.NOT_A_MEMBER,
    "channel_not_found": Refusal.CHANNEL_GONE,
    "is_archived": Refusal.CHANNEL_GONE,
    "restricted_action": Refusal.RESTRICTED,
}
# Slack's answers that mean the token itself no longer works: /readyz says so.
TOKEN_REFUSALS = frozenset(
    {"account_inactive", "invalid_auth", "not_authed", "token_expired", "token_revoked"}
)
HISTORY_PAGE = 200
HISTORY_PAGES = 5


@dataclass(frozen=True, slots=True)
class SlackOutbound:
    """Posts for one workspace, through one Web API client."""

    client: AsyncWebClient
    metrics: Metrics | None = None
    credentials: Credentials | None = None
    workspace_url: str | None = None
    """The workspace's address (`auth.test`'s `url`), for permalinks in digests."""

    @property
    def start_command(self) -> str:
        """The slash command the app manifest registers."""
        return COMMAND

    async def post(
        self,
        where: IntakeRef,
        replies: Sequence[Reply],
        *,
        only_for: str | None = None,
        key: str | None = None,
        maybe_posted: bool = False,
    ) -> IntakeRef:
        """Post each message and file of the replies in order; the first `ts` names a new thread.

        A file carries no metadata, so a retry after an unknown outcome can
        share it twice; the messages around it are still posted once.
        """
        posts = to_posts(replies, where, self.workspace_url)
        present = await self._parts_present(where, key) if key and maybe_posted else set()
        first_ts: str | None = None
        for part, post in enumerate(posts):
            if part in present:
                continue
            if isinstance(post, SlackUpdate):
                await self._update_warning(where, post)
                continue
            if isinstance(post, SlackFile):
                if only_for is not None:
                    # Slack has no private file in a channel; the core never asks for one.
                    log.warning("slack.private_file_skipped", filename=post.filename)
                    continue
                await self._upload(where.in_thread(where.thread or first_ts or ""), post)
                continue
            if only_for is not None:
                kwargs = post.as_kwargs()
                kwargs.pop("metadata", None)  # ephemeral messages carry none
                # In the thread where the person acted (a refused click), not under the channel.
                await self._call(
                    self.client.chat_postEphemeral,
                    channel=where.channel,
                    user=only_for,
                    thread_ts=where.thread or None,
                    **kwargs,
                )
                continue
            keyed = post
            if key is not None and post.metadata is not None:
                keyed = SlackMessage(post.text, post.blocks, post.metadata.keyed(key, part))
            sent = await self._post_message(where, keyed)
            first_ts = first_ts or sent.get("ts")
        if where.thread or only_for is not None or first_ts is None:
            return where
        return where.in_thread(first_ts)

    async def _upload(self, where: IntakeRef, file: SlackFile) -> None:
        """Share `file` in the thread with `files_upload_v2`.

        slack_sdk asks `files.getUploadURLExternal` for an upload URL, POSTs the
        bytes there, then `files.completeUploadExternal` shares the file in the
        channel and thread; only that last step makes it appear, so a failure
        before it leaves nothing behind.
        """
        await self._call(
            self.client.files_upload_v2,
            filename=file.filename,
            title=file.title,
            content=file.content,
            channel=where.channel,
            thread_ts=where.thread or None,
        )

    async def _post_message(self, where: IntakeRef, message: SlackMessage) -> Any:
        """`chat.postMessage`; a new thread in a public channel the bot is not in joins it first.

        Someone just asked the bot for an intake there, so joining is what they
        want (with the `channels:join` scope). A reply in an existing thread
        never joins: the bot was removed from that channel on purpose.
        """
        kwargs = {"channel": where.channel, "thread_ts": where.thread or None}
        try:
            return await self._call(self.client.chat_postMessage, **kwargs, **message.as_kwargs())
        except DeliveryRefusedError as refused:
            if refused.kind is not Refusal.NOT_A_MEMBER or where.thread:
                raise
            try:
                await self._call(self.client.conversations_join, channel=where.channel)
            except DeliveryRefusedError as not_joined:
                # No join scope, or a private channel: the person must invite the bot.
                log.info("slack.join_refused", channel=where.channel, error=str(not_joined))
                raise refused from None
            # Anything else (rate limit, outage) passes: "try again", not "invite me".
            log.info("slack.joined", channel=where.channel)
        return await self._call(self.client.chat_postMessage, **kwargs, **message.as_kwargs())

    async def _update_warning(self, where: IntakeRef, update: SlackUpdate) -> None:
        """Replace a warning's card in the thread with its decided version, if it is there.

        The card is found by its metadata (the warning's number) in the thread,
        or in the conversation for an intake held in a direct message, so a
        decision typed there shows on the card as a click does. A card that is
        not found (deleted, or beyond the pages read) is left alone.
        """
        ts = await self._warning_card(where, update.warning)
        if ts is not None:
            await self._call(
                self.client.chat_update,
                channel=where.channel,
                ts=ts,
                **update.message.as_kwargs(),
            )

    async def _warning_card(self, where: IntakeRef, number: int) -> str | None:
        """The ts of warning `number`'s card, from the posts' metadata."""
        async for message in self._posts(where):
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if (
                metadata.get("event_type") == SCOPE_CHANGE_EVENT
                and payload.get("warning") == number
            ):
                return str(message.get("ts"))
        return None

    async def update(self, where: IntakeRef, ts: str, message: SlackMessage) -> None:
        """Replace one posted message (a question after a click shows who chose).

        Cosmetic: when Slack refuses, the answer is saved all the same, so the
        failure is logged and the click is still acknowledged.
        """
        try:
            await self._call(
                self.client.chat_update, channel=where.channel, ts=ts, **message.as_kwargs()
            )
        except DeliveryError as exc:
            log.info("slack.update_skipped", error=str(exc))

    async def _call(self, method: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
        """`call`, counted by method and result."""
        name = getattr(method, "__name__", "?")
        try:
            answer = await call(method, **kwargs)
        except DeliveryRefusedError as exc:
            self._count(name, type(exc).__name__)
            if self.credentials is not None and exc.reason in TOKEN_REFUSALS:
                self.credentials.refused = exc.reason
            raise
        except DeliveryError as exc:
            self._count(name, type(exc).__name__)
            raise
        self._count(name, "ok")
        if self.credentials is not None:
            self.credentials.refused = None
        return answer

    def _count(self, method: str, result: str) -> None:
        if self.metrics is not None:
            self.metrics.api_calls.labels("slack", method, result).inc()

    async def _parts_present(self, where: IntakeRef, key: str) -> set[int]:
        """Which parts of outbox entry `key` are already in the thread (or the channel)."""
        present: set[int] = set()
        async for message in self._posts(where):
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get(OUTBOX_ID) == key:
                present.add(int(payload.get(PART, 0)))
        return present

    async def _posts(self, where: IntakeRef) -> AsyncIterator[dict[str, Any]]:
        """The posts of the thread (`conversations.replies`) or, without one, of the
        conversation (`conversations.history`, newest first), with their metadata; at most
        `HISTORY_PAGES` pages, so a look never costs more than that."""
        cursor: str | None = None
        for _ in range(HISTORY_PAGES):
            listing = {
                "channel": where.channel,
                "include_all_metadata": True,
                "limit": HISTORY_PAGE,
                "cursor": cursor,
            }
            page = await (
                self._call(self.client.conversations_replies, ts=where.thread, **listing)
                if where.thread
                else self._call(self.client.conversations_history, **listing)
            )
            for message in page.get("messages") or []:
                yield message
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                break


async def call(method: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
    """Call the Web API, turning each kind of failure into the delivery error it means."""
    name = getattr(method, "__name__", "?")
    try:
        return await method(**kwargs)
    except SlackApiError as exc:
        response = exc.response
        error = slack_error(exc)
        status = response.status_code
        log.warning("slack.api_error", method=name, error=error, status=status)
        if error in REFUSALS:
            raise DeliveryRefusedError(error, REFUSAL_KINDS.get(error, Refusal.OTHER)) from None
        if status == 429 or error == "ratelimited":
            raise DeliveryDeferredError("ratelimited", _retry_after(response.headers)) from None
        if status >= 500:
            raise DeliveryUnknownError(f"HTTP {status} from {name}") from None
        raise DeliveryDeferredError(error or f"HTTP {status} from {name}") from None
    except SlackRequestError as exc:
        # slack_sdk's own failure before Slack acted, e.g. a file's upload step answered
        # with an error status: nothing was shared, so a later try is safe.
        log.warning("slack.request_failed", method=name, error=type(exc).__name__)
        raise DeliveryDeferredError(f"{name} did not complete its request") from None
    except aiohttp.ClientConnectorError as exc:
        # Never connected: Slack cannot have acted.
        log.warning("slack.unreachable", method=name, error=type(exc).__name__)
        raise DeliveryDeferredError(f"could not connect for {name}") from None
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.warning("slack.connection_lost", method=name, error=type(exc).__name__)
        raise DeliveryUnknownError(f"{type(exc).__name__} during {name}") from None


def slack_error(exc: SlackApiError) -> str | None:
    """Slack's error code (`not_in_channel`, `invalid_auth`...), when its answer was JSON."""
    response = exc.response
    error = response.get("error") if isinstance(response.data, dict) else None
    return str(error) if error else None


def _retry_after(headers: Any) -> float | None:
    """Slack's Retry-After, in seconds, when it sent one."""
    value = (headers or {}).get("Retry-After") or (headers or {}).get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
