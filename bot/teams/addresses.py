"""Where a Teams conversation can be reached later, and what people are called: kept in Redis.

A bot can post into a Teams conversation only with the address the Bot
Framework gave it there (a ConversationReference: service URL, conversation,
tenant). The outbox posts after the turn that queued the post, possibly from
another replica or after a restart, so the address of every channel and chat
the bot has heard from is kept in Redis, in the channel's own key slot. Later
work (digests, reminders) posts through the same addresses.

Teams mentions need a display name (`<at>Maria</at>`), while the core knows
people by id. The names Teams sends with each activity are kept per tenant.

Both are written only when they change, so a busy conversation costs no
extra writes. A write that fails raises `StoreError`: the turn is then not
taken, since its replies could not be posted without the address.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import structlog
from redis.asyncio import Redis

from bot.state.keys import cards_key, conversation_key, names_key
from bot.state.store import translated

log = structlog.get_logger(__name__)

PLATFORM = "teams"
# How a channel's conversation id names one reply chain: `<channel>;messageid=<root id>`.
CHAIN_MARK = ";messageid="
# Entries this process remembers having written, before it forgets them all and writes again.
NAMES_KEPT = 10_000


@dataclass(frozen=True, slots=True)
class Address:
    """A channel's or chat's ConversationReference fields, as JSON-ready values.

    `conversation_id` is the channel's or chat's own id, without a reply
    chain (`;messageid=`): a post into a chain adds it.
    """

    service_url: str
    conversation_id: str
    conversation_type: str
    tenant_id: str
    bot_id: str
    bot_name: str
    channel_id: str = "msteams"

    def in_chain(self, thread: str) -> str:
        """The conversation id of the reply chain that starts with post `thread`, or the chat's."""
        return f"{self.conversation_id}{CHAIN_MARK}{thread}" if thread else self.conversation_id


@dataclass(eq=False)
class Addresses:
    """Addresses and names in Redis; what this process last wrote is remembered, to skip rewrites."""

    client: Redis
    prefix: str
    _addresses: dict[tuple[str, str], Address] = field(default_factory=dict, init=False)
    _names: dict[tuple[str, str], str] = field(default_factory=dict, init=False)

    async def remember(self, address: Address, names: Mapping[str, str]) -> None:
        """Keep a conversation's address and the names an activity carried, if either changed."""
        slot = (address.tenant_id, address.conversation_id)
        new_names = {
            user: name
            for user, name in names.items()
            if name and self._names.get((address.tenant_id, user)) != name
        }
        if self._addresses.get(slot) == address and not new_names:
            return
        with translated("remember a Teams address"):
            async with self.client.pipeline(transaction=False) as pipe:
                if self._addresses.get(slot) != address:
                    key = conversation_key(PLATFORM, *slot, self.prefix)
                    pipe.set(key, json.dumps(asdict(address), sort_keys=True))
                if new_names:
                    mapping: Mapping[Any, Any] = new_names  # redis-py's types want bytes keys
                    pipe.hset(names_key(PLATFORM, address.tenant_id, self.prefix), mapping=mapping)
                await pipe.execute()
        if len(self._names) > NAMES_KEPT or len(self._addresses) > NAMES_KEPT:
            self._names.clear()
            self._addresses.clear()
        self._addresses[slot] = address
        self._names.update({(address.tenant_id, user): name for user, name in new_names.items()})

    async def address(self, tenant_id: str, conversation_id: str) -> Address | None:
        """The address kept for a channel or chat; None when the bot never heard from it.

        Read from Redis every time: another replica may have heard of a new service URL.
        Raises ValueError for a stored address that no longer reads.
        """
        with translated("read a Teams address"):
            raw = await self.client.get(
                conversation_key(PLATFORM, tenant_id, conversation_id, self.prefix)
            )
        if raw is None:
            return None
        try:
            return Address(**_fields(json.loads(raw)))
        except (TypeError, AttributeError) as exc:
            raise ValueError(f"unreadable Teams address: {type(exc).__name__}") from None

    async def names(self, tenant_id: str, users: Iterable[str]) -> dict[str, str]:
        """The display names known for `users` (those never seen are left out)."""
        wanted = list(dict.fromkeys(users))
        found = {u: self._names[(tenant_id, u)] for u in wanted if (tenant_id, u) in self._names}
        missing = [user for user in wanted if user not in found]
        if missing:
            with translated("read Teams names"):
                values = await self.client.hmget(
                    names_key(PLATFORM, tenant_id, self.prefix), missing
                )
            for user, value in zip(missing, values, strict=True):
                if value is not None:
                    name = value.decode() if isinstance(value, bytes) else str(value)
                    found[user] = self._names[(tenant_id, user)] = name
        return found

    async def remember_card(
        self, tenant_id: str, conversation_id: str, thread: str, warning: int, activity_id: str
    ) -> None:
        """Keep the activity id of a warning's card, so its decision can replace it later."""
        key = cards_key(PLATFORM, tenant_id, conversation_id, self.prefix)
        with translated("remember a Teams card"):
            await self.client.hset(key, f"{thread}:{warning}", activity_id)

    async def card(
        self, tenant_id: str, conversation_id: str, thread: str, warning: int
    ) -> str | None:
        """The activity id of a warning's card, if it was posted from here."""
        key = cards_key(PLATFORM, tenant_id, conversation_id, self.prefix)
        with translated("read a Teams card"):
            raw = await self.client.hget(key, f"{thread}:{warning}")
        return raw.decode() if isinstance(raw, bytes) else raw


def _fields(data: Any) -> dict[str, str]:
    """The stored address's fields that `Address` takes (a later version may store more)."""
    names = Address.__dataclass_fields__
    return {key: str(value) for key, value in dict(data).items() if key in names}
