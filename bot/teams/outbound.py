"""The outbound port on Teams: neutral replies -> Adaptive Card activities, sent proactively.

Implements `bot.ports.Outbound`. Posts go out through the CloudAdapter's
`continue_conversation` with the conversation's address kept in Redis
(`bot.teams.addresses`), so the delivery worker can post a turn's replies
after the turn, from any replica. A post into a channel's reply chain
addresses `<channel>;messageid=<root>`.

The connector's answers map onto the delivery errors:
- 429 is `DeliveryDeferredError`, with the connector's Retry-After;
- a 5xx, or a connection lost after the request went out, is
  `DeliveryUnknownError` (the post may have landed);
- 401, 403 (the bot was removed from the team or chat) and 404 (the
  conversation is gone) are `DeliveryRefusedError`: asking again won't help.

Teams has no message shown to one person in a channel, so `only_for`
replies (a refusal nobody else needs) go to a one-to-one chat with that
person: the connector creates it (`POST /v3/conversations` with the user as
the one member; the same chat each time) and the replies are posted there. A
user who never installed the app cannot be reached that way and the
connector refuses (403 or 404): the replies are then posted in the intake's
conversation, starting with a mention of that person, and the fallback is
logged.

The Bot Framework connector cannot list a conversation's messages, so when
an earlier attempt may have gone through (`maybe_posted`) the parts are
posted again: a rare double rather than a lost question. Slack, which can
look, posts only what is missing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import structlog
from botbuilder.core import TurnContext
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
    ErrorResponseException,
)
from msrest.exceptions import ClientRequestError

from bot.errors import (
    DeliveryDeferredError,
    DeliveryError,
    DeliveryRefusedError,
    DeliveryUnknownError,
    Refusal,
    StoreError,
)
from bot.health import Credentials
from bot.metrics import Metrics
from bot.ports import IntakeRef
from bot.post_metadata import SCOPE_CHANGE_EVENT
from bot.teams.addresses import Address, Addresses
from bot.teams.cards import decided_card, to_activities
from conversations.replies import Reply, WarningReply

log = structlog.get_logger(__name__)

START_COMMAND = None  # Teams has no slash command: people write `start <project>` to the bot.
PERSONAL_CONVERSATION = "personal"
REFUSED_STATUSES = {
    401: Refusal.OTHER,
    403: Refusal.NOT_A_MEMBER,
    404: Refusal.CHANNEL_GONE,
}

Continue = Callable[
    [ConversationReference, Callable[[TurnContext], Awaitable[None]], str], Awaitable[Any]
]


def reference_for(address: Address, thread: str) -> ConversationReference:
    """The ConversationReference that posts into `thread` of the addressed channel or chat."""
    return ConversationReference(
        channel_id=address.channel_id,
        service_url=address.service_url,
        bot=ChannelAccount(id=address.bot_id, name=address.bot_name),
        conversation=ConversationAccount(
            id=address.in_chain(thread),
            conversation_type=address.conversation_type,
            tenant_id=address.tenant_id,
            is_group=address.conversation_type != "personal",
        ),
    )


@dataclass(frozen=True, slots=True)
class TeamsOutbound:
    """Posts for one bot registration, through the adapter's proactive path."""

    continue_conversation: Continue
    app_id: str
    addresses: Addresses
    metrics: Metrics | None = None
    credentials: Credentials | None = None

    @property
    def start_command(self) -> str | None:
        """Teams has no command of its own to name in the help."""
        return START_COMMAND

    async def post(
        self,
        where: IntakeRef,
        replies: Sequence[Reply],
        *,
        only_for: str | None = None,
        key: str | None = None,
        maybe_posted: bool = False,
    ) -> IntakeRef:
        """Send each activity of the replies into the conversation, in order.

        `only_for` replies go to a one-to-one chat with that user, or, where
        the connector will not open one, to the conversation with a mention of
        them (see the module docstring).
        """
        del maybe_posted  # see the module docstring
        address = await self._address(where)
        if only_for is not None:
            chat = await self._personal_chat(address, only_for)
            if chat is not None:
                activities = await self._activities(where, replies, key=key)
                await self._send(chat, "", activities)
                return where
        run: list[Reply] = []
        for reply in replies:
            if isinstance(reply, WarningReply) and reply.in_place:
                await self._send_run(address, where, run, key, only_for)
                run = []
                await self._replace_card(where, reply)
            else:
                run.append(reply)
        await self._send_run(address, where, run, key, only_for)
        return where

    async def _send_run(
        self,
        address: Address,
        where: IntakeRef,
        replies: Sequence[Reply],
        key: str | None,
        addressed_to: str | None,
    ) -> None:
        if replies:
            activities = await self._activities(where, replies, key=key, addressed_to=addressed_to)
            await self._send(address, where.thread, activities, where)

    async def _replace_card(self, where: IntakeRef, reply: WarningReply) -> None:
        """Replace the warning's earlier card with its decided version, if it was posted from here.

        The connector cannot list messages, so the card's id was kept when it
        was posted. A card with no id kept is left alone.
        """
        try:
            card = await self.addresses.card(
                where.workspace, where.channel, where.thread, reply.warning.number
            )
        except StoreError as exc:
            raise DeliveryDeferredError(f"the card's id is unreadable: {exc}") from None
        if card is None:
            log.info("teams.card_not_found", warning=reply.warning.number)
            return
        wanted: set[str] = set()
        decided_card(reply, where, wanted.add)
        names = await self.addresses.names(where.workspace, wanted) if wanted else {}
        await self.update(where, card, decided_card(reply, where, names.get))

    async def _activities(
        self,
        where: IntakeRef,
        replies: Sequence[Reply],
        *,
        key: str | None,
        addressed_to: str | None = None,
    ) -> list[dict[str, Any]]:
        """The replies' activities, with the display names of the people they mention."""
        # A first rendering finds whose names the cards need; Redis knows them (Teams sent them).
        wanted: set[str] = set()
        to_activities(replies, where, wanted.add, key=key, addressed_to=addressed_to)
        names = await self.addresses.names(where.workspace, wanted) if wanted else {}
        return to_activities(replies, where, names.get, key=key, addressed_to=addressed_to)

    async def _send(
        self,
        address: Address,
        thread: str,
        activities: list[dict[str, Any]],
        where: IntakeRef | None = None,
    ) -> None:
        """Send the activities in order; the id of each warning card sent is kept (see
        `_replace_card`)."""
        sent: list[tuple[int, str]] = []

        async def send(turn_context: TurnContext) -> None:
            for activity in activities:
                response = await turn_context.send_activity(Activity().deserialize(activity))
                number = _warning_number(activity)
                if number is not None and response is not None and response.id:
                    sent.append((number, str(response.id)))

        await self._call("send_activities", send, reference_for(address, thread))
        if where is not None:
            for number, activity_id in sent:
                try:
                    await self.addresses.remember_card(
                        where.workspace, where.channel, where.thread, number, activity_id
                    )
                except StoreError as exc:
                    # The card is posted; only a later in-place update will not find it.
                    log.warning("teams.card_id_not_kept", error=str(exc))

    async def _personal_chat(self, address: Address, user: str) -> Address | None:
        """The address of the bot's one-to-one chat with `user`, created through the connector
        (which gives the same chat every time); None when the connector refuses to open it.

        The request names the tenant of the intake's conversation, as Teams requires, and
        goes to that conversation's service URL.
        """
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=address.bot_id, name=address.bot_name),
            members=[ChannelAccount(id=user)],
            tenant_id=address.tenant_id,
            channel_data={"tenant": {"id": address.tenant_id}},
        )
        created: list[str] = []

        async def create(turn_context: TurnContext) -> None:
            async def opened(chat_context: TurnContext) -> None:
                created.append(chat_context.activity.conversation.id)

            await turn_context.adapter.create_conversation(
                self.app_id, opened, parameters, address.channel_id, address.service_url
            )

        try:
            await self._call("create_conversation", create, reference_for(address, ""))
        except DeliveryRefusedError as exc:
            if exc.kind not in (Refusal.NOT_A_MEMBER, Refusal.CHANNEL_GONE):
                raise
            log.warning("teams.private_chat_refused", reason=exc.reason, fallback="conversation")
            return None
        if not created:
            raise DeliveryUnknownError("the connector named no conversation")
        return replace(address, conversation_id=created[0], conversation_type=PERSONAL_CONVERSATION)

    async def update(self, where: IntakeRef, activity_id: str, activity: dict[str, Any]) -> None:
        """Replace one posted activity (a question card after a click shows who chose).

        Cosmetic: when the connector refuses, the answer is saved all the same.
        """
        try:
            address = await self._address(where)

            async def replace(turn_context: TurnContext) -> None:
                updated = Activity().deserialize({**activity, "id": activity_id})
                await turn_context.update_activity(updated)

            await self._call("update_activity", replace, reference_for(address, where.thread))
        except DeliveryError as exc:
            log.info("teams.update_skipped", error=str(exc))

    async def _address(self, where: IntakeRef) -> Address:
        try:
            address = await self.addresses.address(where.workspace, where.channel)
        except StoreError as exc:
            raise DeliveryDeferredError(
                f"the conversation's address is unreadable: {exc}"
            ) from None
        except ValueError:
            raise DeliveryRefusedError("unreadable_conversation_address", Refusal.OTHER) from None
        if address is None:
            # Nothing was ever heard from there: nobody can be told, and retrying won't help.
            raise DeliveryRefusedError("no_conversation_address", Refusal.CHANNEL_GONE)
        return address

    async def _call(
        self,
        method: str,
        logic: Callable[[TurnContext], Awaitable[None]],
        reference: ConversationReference,
    ) -> None:
        """Run `logic` in a proactive turn, turning the connector's failures into delivery errors."""
        try:
            await self.continue_conversation(reference, logic, self.app_id)
        except PermissionError:
            # Microsoft's login server refused the app id and password (a revoked or expired
            # client secret): no post can go out until it is fixed. /readyz says so.
            self._count(method, "token_refused")
            log.error("teams.token_refused", method=method, conversation=reference.conversation.id)
            if self.credentials is not None:
                self.credentials.refused = "token_refused"
            raise DeliveryRefusedError("token_refused", Refusal.OTHER) from None
        except ErrorResponseException as exc:
            status = exc.response.status_code if exc.response is not None else 0
            self._count(method, str(status))
            log.warning(
                "teams.api_error",
                method=method,
                status=status,
                conversation=reference.conversation.id,
            )
            if status == 429:
                raise DeliveryDeferredError("throttled", _retry_after(exc)) from None
            if status >= 500:
                raise DeliveryUnknownError(f"HTTP {status} from {method}") from None
            raise DeliveryRefusedError(
                f"http_{status}", REFUSED_STATUSES.get(status, Refusal.OTHER)
            ) from None
        except ClientRequestError as exc:
            self._count(method, "connection_lost")
            log.warning("teams.connection_lost", method=method, error=type(exc).__name__)
            raise DeliveryUnknownError(f"{type(exc).__name__} during {method}") from None
        self._count(method, "ok")
        if self.credentials is not None:
            self.credentials.refused = None

    def _count(self, method: str, result: str) -> None:
        if self.metrics is not None:
            self.metrics.api_calls.labels("teams", method, result).inc()


def _warning_number(activity: dict[str, Any]) -> int | None:
    """The number of the warning an activity's card shows, from its `channelData.intake`."""
    intake = (activity.get("channelData") or {}).get("intake") or {}
    payload = intake.get("event_payload") or {}
    if intake.get("event_type") != SCOPE_CHANGE_EVENT:
        return None
    number = payload.get("warning")
    return number if isinstance(number, int) else None


def _retry_after(exc: ErrorResponseException) -> float | None:
    headers = exc.response.headers if exc.response is not None else {}
    value = (headers or {}).get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
