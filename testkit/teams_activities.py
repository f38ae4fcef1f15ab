"""Activities as Microsoft Teams posts them to a bot, and the headers the Bot Framework signs them with.

Tests sign their requests instead of switching authentication off, so the path
a production request takes is the path a test takes: :func:`signed_headers`
asks :class:`~testkit.teams_standin.BotFrameworkIdentityStandIn` for the JWT the
channel would send.

Shapes follow what Teams delivers (Bot Framework activity schema, Teams
``channelData``):

- A new post in a channel that @mentions the bot starts a reply chain: its
  ``conversation.id`` is the channel id with ``;messageid=`` and the post's own
  id, ``conversationType`` is ``channel``, and ``channelData`` names the team,
  channel and tenant. Replies in the chain carry the same conversation id, and
  ``replyToId`` the root's id (Teams does not always send it).
- Personal chats (``personal``, an ``a:1...`` id) need no mention; group chats
  (``groupChat``, a ``19:...@thread.v2`` id) and channels only deliver messages
  that @mention the bot.
- A mention is ``<at>Name</at>`` in ``text`` plus a ``mention`` entity naming
  the account; Teams also sends an HTML copy of the message as an attachment
  and a ``clientInfo`` entity.
- An Adaptive Card ``Action.Submit`` arrives as a message with ``value`` and no
  text, ``replyToId`` naming the card's activity.

Every activity carries ``id`` (epoch milliseconds, as Teams' ids are),
``timestamp``, ``serviceUrl`` (the connector stand-in's), ``channelId``
``msteams``, ``from`` (a ``29:`` id, name and ``aadObjectId``), ``recipient``
(the bot, ``28:<app id>``) and ``locale``.
"""

from __future__ import annotations

import datetime
import html
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from testkit.teams_standin import BOT_ID, BOT_NAME, TENANT_ID, BotFrameworkIdentityStandIn

TEAM_ID = "19:Qd3d5Zx0cm9UeWx3a2lVZ0lGQnFvaWdQLUtOa1pf1@thread.tacv2"
TEAM_AAD_GROUP_ID = "0f4a6c2e-8b1d-4e3f-a5c7-9d2b4f6a8c1e"
TEAM_NAME = "ML Platform"
CHANNEL_ID = "19:8c2f4e6a0b1d4c3e9f5a7b2d6e8f0a1c@thread.tacv2"
CHANNEL_NAME = "ml-projects"
PERSONAL_CONVERSATION_ID = (
    "a:1yxrHKrAzWsD3G8rQx0mIqVYmeJeXtX9bWfSiHLEHy6ySJwE6d4GX7qFlqK9b3Pp0iW2Gb7cbTm1cKBMT6gG3"
)
GROUP_CHAT_ID = "19:0e3c5a7f9b2d4f6a8c1e3b5d7f9a2c4e@thread.v2"
LOCALE = "en-US"
TIMEZONE = "Europe/Berlin"
TEAMS_USER_AGENT = "Microsoft-SkypeBotApi (Microsoft-BotFramework/3.0)"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"

ConversationType = Literal["channel", "personal", "groupChat"]


@dataclass(frozen=True)
class Person:
    """A Teams user: the ``29:`` id the bot sees, display name and Entra object id."""

    id: str
    name: str
    aad_object_id: str

    def account(self) -> dict[str, str]:
        """The ``from`` (or ``mentioned``) account Teams sends."""
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad_object_id}


ALICE = Person(
    "29:1a2bC3dE4fG5hI6jK7lM8nO9pQ0rS1tU2vW3xY4zA5bC6dE7fG8hI9jK0lM1nO2pQ3rS4tU",
    "Alice Example",
    "3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b",
)
MARIA = Person(
    "29:1a2bM4r1aR0ss1xYz9wV8uT7sR6qP5oN4mL3kJ2iH1gF0eD9cB8aZ7yX6wV5uT4sR3qP2oN1",
    "Maria",
    "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
)
BOT = Person(BOT_ID, BOT_NAME, "")


@dataclass(frozen=True)
class Conversation:
    """Where a Teams message lives: a channel reply chain, a personal chat or a group chat."""

    id: str
    conversation_type: ConversationType
    tenant_id: str = TENANT_ID
    channel_id: str | None = None
    team_id: str | None = None

    def account(self) -> dict[str, Any]:
        """The ``conversation`` object of an activity."""
        account: dict[str, Any] = {
            "conversationType": self.conversation_type,
            "tenantId": self.tenant_id,
            "id": self.id,
        }
        if self.conversation_type != "personal":
            account["isGroup"] = True
        return account

    def channel_data(self) -> dict[str, Any]:
        """Teams' ``channelData``: the tenant, and in a channel the team and channel too."""
        data: dict[str, Any] = {"tenant": {"id": self.tenant_id}}
        if self.conversation_type == "channel" and self.channel_id and self.team_id:
            data.update(
                teamsChannelId=self.channel_id,
                teamsTeamId=self.team_id,
                channel={"id": self.channel_id, "name": CHANNEL_NAME},
                team={"id": self.team_id, "name": TEAM_NAME, "aadGroupId": TEAM_AAD_GROUP_ID},
            )
        return data


def thread_id(root_id: str, channel_id: str = CHANNEL_ID) -> str:
    """The conversation id of the reply chain that starts with post ``root_id`` in a channel."""
    return f"{channel_id};messageid={root_id}"


def channel_thread(
    root_id: str,
    *,
    channel_id: str = CHANNEL_ID,
    team_id: str = TEAM_ID,
    tenant_id: str = TENANT_ID,
) -> Conversation:
    """The reply chain that starts with post ``root_id``."""
    return Conversation(thread_id(root_id, channel_id), "channel", tenant_id, channel_id, team_id)


PERSONAL_CHAT = Conversation(PERSONAL_CONVERSATION_ID, "personal")
GROUP_CHAT = Conversation(GROUP_CHAT_ID, "groupChat")

_ids_lock = threading.Lock()
_last_id = 0


def next_message_id() -> str:
    """A Teams message id: epoch milliseconds, unique and increasing in this process."""
    global _last_id  # noqa: PLW0603 - one counter for every builder, as Teams has one clock
    with _ids_lock:
        _last_id = max(_last_id + 1, int(time.time() * 1000))
        return str(_last_id)


def mention_text(person: Person) -> str:
    """How a mention of ``person`` reads in ``text``: ``<at>Name</at>``."""
    return f"<at>{person.name}</at>"


def mention_entity(person: Person) -> dict[str, Any]:
    """The ``mention`` entity Teams sends for ``<at>Name</at>``."""
    return {
        "type": "mention",
        "text": mention_text(person),
        "mentioned": {"id": person.id, "name": person.name},
    }


def message_activity(
    text: str | None,
    conversation: Conversation,
    *,
    service_url: str,
    sender: Person = ALICE,
    mentions: Sequence[Person] = (),
    mention_bot: bool = False,
    reply_to_id: str | None = None,
    activity_id: str | None = None,
    value: Mapping[str, Any] | None = None,
    locale: str = LOCALE,
) -> dict[str, Any]:
    """A ``message`` activity as Teams posts it; the builders below fill this in.

    With ``mention_bot`` the text starts with ``<at>intake-bot</at>`` unless it
    already mentions the bot. Every person in ``mentions`` must be mentioned in
    the text as ``<at>Name</at>`` (ValueError otherwise); each gets an entity.
    """
    mentioned = [BOT, *mentions] if mention_bot else list(mentions)
    if text is not None and mention_bot and mention_text(BOT) not in text:
        text = f"{mention_text(BOT)} {text}"
    for person in mentions:
        if text is None or mention_text(person) not in text:
            raise ValueError(f"{mention_text(person)} is not in the text {text!r}")
    now = datetime.datetime.now(datetime.UTC)
    local = now.astimezone(datetime.timezone(datetime.timedelta(hours=1)))
    activity: dict[str, Any] = {
        "type": "message",
        "id": activity_id or next_message_id(),
        "timestamp": _iso(now),
        "localTimestamp": _iso(local),
        "localTimezone": TIMEZONE,
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": sender.account(),
        "conversation": conversation.account(),
        "recipient": {"id": BOT_ID, "name": BOT_NAME},
        "entities": [
            *(mention_entity(p) for p in mentioned),
            {
                "type": "clientInfo",
                "locale": locale,
                "country": locale.rpartition("-")[2],
                "platform": "Web",
                "timezone": TIMEZONE,
            },
        ],
        "channelData": conversation.channel_data(),
        "locale": locale,
    }
    if text is not None:
        activity.update(
            text=text,
            textFormat="plain",
            attachments=[{"contentType": "text/html", "content": _html(text, mentioned)}],
        )
    if reply_to_id is not None:
        activity["replyToId"] = reply_to_id
    if value is not None:
        activity["value"] = dict(value)
    return activity


def channel_post(
    text: str,
    *,
    service_url: str,
    sender: Person = ALICE,
    mentions: Sequence[Person] = (),
    activity_id: str | None = None,
    channel_id: str = CHANNEL_ID,
    team_id: str = TEAM_ID,
    tenant_id: str = TENANT_ID,
) -> dict[str, Any]:
    """A new post in a channel that @mentions the bot, starting a reply chain of its own."""
    root_id = activity_id or next_message_id()
    conversation = channel_thread(
        root_id, channel_id=channel_id, team_id=team_id, tenant_id=tenant_id
    )
    return message_activity(
        text,
        conversation,
        service_url=service_url,
        sender=sender,
        mentions=mentions,
        mention_bot=True,
        activity_id=root_id,
    )


def channel_reply(
    text: str,
    *,
    root_id: str,
    service_url: str,
    sender: Person = ALICE,
    mentions: Sequence[Person] = (),
    mention_bot: bool = True,
    with_reply_to_id: bool = True,
    channel_id: str = CHANNEL_ID,
    team_id: str = TEAM_ID,
    tenant_id: str = TENANT_ID,
) -> dict[str, Any]:
    """A reply in the chain started by post ``root_id``.

    ``replyToId`` is the root's id; ``with_reply_to_id=False`` plays the
    clients that leave it out. Without ``mention_bot`` the bot only gets it with the
    ``ChannelMessage.Read.Group`` permission.
    """
    return message_activity(
        text,
        channel_thread(root_id, channel_id=channel_id, team_id=team_id, tenant_id=tenant_id),
        service_url=service_url,
        sender=sender,
        mentions=mentions,
        mention_bot=mention_bot,
        reply_to_id=root_id if with_reply_to_id else None,
    )


def personal_message(
    text: str,
    *,
    service_url: str,
    sender: Person = ALICE,
    mentions: Sequence[Person] = (),
    conversation: Conversation = PERSONAL_CHAT,
) -> dict[str, Any]:
    """A message in the bot's one-to-one chat with ``sender``; no mention needed."""
    return message_activity(
        text, conversation, service_url=service_url, sender=sender, mentions=mentions
    )


def group_chat_message(
    text: str,
    *,
    service_url: str,
    sender: Person = ALICE,
    mentions: Sequence[Person] = (),
    conversation: Conversation = GROUP_CHAT,
) -> dict[str, Any]:
    """A message in a group chat, which reaches the bot because it @mentions it."""
    return message_activity(
        text,
        conversation,
        service_url=service_url,
        sender=sender,
        mentions=mentions,
        mention_bot=True,
    )


def card_submit(
    value: Mapping[str, Any],
    *,
    card_activity_id: str,
    conversation: Conversation,
    service_url: str,
    sender: Person = ALICE,
) -> dict[str, Any]:
    """What an Adaptive Card ``Action.Submit`` posts: a message with ``value`` and no text.

    ``card_activity_id`` is the id the connector gave the bot's card, and
    ``conversation`` where the card was posted.
    """
    activity = message_activity(
        None,
        conversation,
        service_url=service_url,
        sender=sender,
        reply_to_id=card_activity_id,
        value=value,
    )
    activity["channelData"] = {
        **activity["channelData"],
        "source": {"name": "message"},
        "legacy": {"replyToId": card_activity_id},
    }
    return activity


def command_submit(
    command: str,
    *,
    card_activity_id: str,
    conversation: Conversation,
    service_url: str,
    sender: Person = ALICE,
) -> dict[str, Any]:
    """A click on one of the bot's command buttons (Approve, Reject, Export record).

    The button's data is ``{"intake_command": command}``, the words it stands
    for (``approve 3``); Teams posts it back as :func:`card_submit` does.
    """
    return card_submit(
        {"intake_command": command},
        card_activity_id=card_activity_id,
        conversation=conversation,
        service_url=service_url,
        sender=sender,
    )


def signed_headers(
    identity: BotFrameworkIdentityStandIn,
    activity: Mapping[str, Any],
    *,
    token: str | None = None,
) -> dict[str, str]:
    """The headers the Bot Framework sends with ``activity``, signed by the identity stand-in.

    ``Authorization: Bearer <jwt>`` for the activity's ``serviceUrl``; pass
    ``token`` to send another one (e.g. ``identity.forged_channel_token(...)``),
    or drop the header to send none. Teams adds the conversation and tenant ids.
    """
    bearer = token if token is not None else identity.channel_token(str(activity["serviceUrl"]))
    conversation = activity.get("conversation") or {}
    return {
        "Content-Type": JSON_CONTENT_TYPE,
        "User-Agent": TEAMS_USER_AGENT,
        "Authorization": f"Bearer {bearer}",
        "x-ms-conversation-id": str(conversation.get("id", "")),
        "x-ms-tenant-id": str(conversation.get("tenantId", "")),
    }


def _iso(moment: datetime.datetime) -> str:
    """Teams' timestamp form: milliseconds, ``Z`` for UTC, an offset otherwise."""
    text = moment.isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def _html(text: str, mentioned: Sequence[Person]) -> str:
    """The HTML copy of a message Teams attaches, mentions rendered as spans."""
    rendered = html.escape(text)
    for index, person in enumerate(mentioned):
        rendered = rendered.replace(
            html.escape(mention_text(person)),
            f'<span itemscope="" itemtype="http://schema.skype.com/Mention" '
            f'itemid="{index}">{html.escape(person.name)}</span>',
        )
    return f"<p>{rendered}</p>"
