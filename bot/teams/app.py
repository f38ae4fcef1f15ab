"""The Teams front end's inbound side: Bot Framework activities -> `IntakeService.receive`.

Translation only. Where an activity was written decides its `IntakeRef` and
`Where`:

- a channel: the intake lives in the reply chain of the post that started it
  (`19:...@thread.tacv2;messageid=<root id>`, the root id being the thread).
  A message that mentions the bot is addressed to it (`Where.DIRECT`: `start
  <project>` starts an intake in that chain, anything else acts on the
  chain's intake); a reply that does not mention the bot (the app reads the
  channel's messages with its resource-specific consent) acts on the chain's
  intake, and is ignored where there is none (`Where.THREAD`).
- a personal chat is private, and a group chat is one intake without
  threads: both `Where.DIRECT`.

The tenant, the conversation and the reply chain are all part of the ref, so
every key holds them. The activity id is the delivery id: a repeated
activity counts once. The Bot Framework does not redeliver on a refusal the
way Slack retries, so every activity is its last try: a turn that could not
be saved tells the person at once.

A card button submits either a choice (`intake_choice`, a `Choose` event) or
the words of a command (`intake_command`: only `approve N`, `reject N` and
`export`), which become a `Text` event as if typed in the card's chain.
A decision (clicked or typed) replaces the warning's card through the
outbox (`TeamsOutbound` keeps each warning card's id for that).

Mentions: the bot's own `<at>intake-bot</at>` is removed; anyone else's
becomes `@Name` in the text with a `Person` in `Text.mentions`, the core's one
mention form. The names Teams sends are kept (`bot.teams.addresses`) so the
bot can mention people by name later.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from botbuilder.core import ActivityHandler, TurnContext
from botbuilder.schema import Activity

from bot.choice_codec import decode_choice
from bot.errors import StoreError
from bot.ports import Inbound, IntakeRef, Where
from bot.service import IntakeService, utc_now
from bot.teams.addresses import CHAIN_MARK, PLATFORM, Address, Addresses
from bot.teams.cards import (
    APPROVE_COMMAND,
    CHOICE_FIELD,
    COMMAND_FIELD,
    EXPORT_COMMAND,
    REJECT_COMMAND,
    answered_card,
    to_activities,
)
from bot.teams.outbound import TeamsOutbound
from conversations import messages as msg
from conversations.events import Choose, Event, Text
from conversations.people import Person
from conversations.questions import QUESTIONS
from conversations.replies import Notice, Reply, Tone

log = structlog.get_logger(__name__)

_AT = re.compile(r"<at>(?P<name>.*?)</at>", re.IGNORECASE | re.DOTALL)
_COMMAND = re.compile(
    rf"(?:(?P<verb>{APPROVE_COMMAND}|{REJECT_COMMAND}) (?P<number>[1-9][0-9]{{0,5}})"
    rf"|{EXPORT_COMMAND})"
)


@dataclass(frozen=True, slots=True)
class Located:
    """Where an activity belongs: the intake's ref, what the words can do, the chat's address."""

    ref: IntakeRef
    where: Where
    address: Address


def locate(activity: Activity, *, addressed: bool) -> Located | None:
    """The ref and `Where` of a message; None for one without a conversation."""
    conversation = activity.conversation
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant_data = channel_data.get("tenant")
    tenant = (conversation.tenant_id if conversation else None) or (
        tenant_data.get("id") if isinstance(tenant_data, dict) else None
    )
    if conversation is None or not conversation.id:
        return None
    # Teams always names the tenant; the Bot Framework Emulator does not.
    tenant = tenant or activity.channel_id or "local"
    kind = conversation.conversation_type or "personal"
    chat, _, root = conversation.id.partition(CHAIN_MARK)
    if kind == "channel":
        thread = root or activity.reply_to_id or activity.id or ""
        where = Where.DIRECT if addressed else Where.THREAD
    else:
        chat, thread, where = conversation.id, "", Where.DIRECT
    recipient = activity.recipient
    address = Address(
        service_url=activity.service_url or "",
        conversation_id=chat,
        conversation_type=kind,
        tenant_id=tenant,
        bot_id=recipient.id if recipient else "",
        bot_name=(recipient.name if recipient else "") or "",
        channel_id=activity.channel_id or "msteams",
    )
    return Located(IntakeRef(PLATFORM, tenant, chat, thread), where, address)


def read_text(activity: Activity) -> tuple[str, tuple[Person, ...], bool]:
    """The text as the core reads it, the people mentioned, and whether the bot was.

    Teams writes a mention as `<at>Name</at>` in the text and lists it as an
    entity with the person's id; the entity is what says who it is.
    """
    bot_id = activity.recipient.id if activity.recipient else None
    mentioned: dict[str, Person] = {}
    bot_tags: set[str] = set()
    for entity in activity.entities or []:
        # botbuilder keeps a mention's fields beside the entity's type, not in its model.
        data = {"type": entity.type, **(entity.additional_properties or {})}
        who, tag = data.get("mentioned"), data.get("text")
        if data.get("type") != "mention" or not isinstance(who, dict) or not isinstance(tag, str):
            continue  # not a mention, or not one in the shape Teams sends
        user = who.get("id")
        if not isinstance(user, str) or not user:
            continue
        if user == bot_id:
            bot_tags.add(tag)
        else:
            typed = html.unescape(_AT.sub(lambda m: m.group("name"), tag)).strip()
            listed = who.get("name") if isinstance(who.get("name"), str) else None
            mentioned[tag] = Person(id=user, name=typed or listed or user)
    text = activity.text or ""
    for tag in bot_tags:
        text = text.replace(tag, " ")
    people: list[Person] = []
    for tag, person in mentioned.items():
        if tag in text:
            text = text.replace(tag, f"@{person.label}")
            people.append(person)
    # What is left of other markup is Teams' HTML escaping of what was typed.
    text = html.unescape(_AT.sub(lambda m: m.group("name"), text))
    return " ".join(text.split()), tuple(people), bool(bot_tags)


def names_in(activity: Activity, people: tuple[Person, ...]) -> dict[str, str]:
    """The display names an activity tells: its sender's and those of the people mentioned."""
    names = {person.id: person.name for person in people if person.name}
    sender = activity.from_property
    if sender is not None and sender.id and sender.name:
        names[sender.id] = sender.name
    return names


class TurnFailedError(Exception):
    """The bot failed on an authenticated activity (logged with its trace); the server says 500.

    A distinct type, so the server never mistakes the bot's own failure for
    botbuilder's authentication errors, which it answers 401.
    """


class IntakeTeamsBot(ActivityHandler):  # type: ignore[misc]  # botbuilder ships no types
    """Hands each message and card submission to the service, and updates a clicked card."""

    def __init__(
        self, service: IntakeService, outbound: TeamsOutbound, addresses: Addresses
    ) -> None:
        self.service = service
        self.outbound = outbound
        self.addresses = addresses

    async def on_turn(self, turn_context: TurnContext) -> None:
        try:
            await super().on_turn(turn_context)
        except Exception as error:
            log.error("teams.turn_failed", error=type(error).__name__, exc_info=error)
            raise TurnFailedError(type(error).__name__) from error

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        sender = activity.from_property
        if (
            sender is None
            or not sender.id
            or sender.id == (activity.recipient.id if activity.recipient else None)
        ):
            return
        text, people, addressed = read_text(activity)
        choice = _submitted_choice(activity.value)
        command = _submitted_command(activity.value) if choice is None else None
        if command is not None:
            text, people = command, ()
        clicked = choice is not None or command is not None
        if not clicked and not (text or addressed):
            return  # an image, a file or someone else's card: nothing to read
        located = locate(activity, addressed=addressed or clicked)
        if located is None:
            log.info("teams.unplaced_activity", activity_type=activity.type)
            return
        try:
            await self.addresses.remember(located.address, names_in(activity, people))
        except StoreError as exc:
            # Without its address no reply could be posted later: the turn is not taken.
            log.warning("teams.address_not_saved", error=str(exc))
            await _say(turn_context, located.ref, [_problem(msg.COULD_NOT_SAVE)])
            return
        event: Event
        if choice is not None:
            question_id, value = choice
            event = Choose(user=sender.id, at=utc_now(), question_id=question_id, value=value)
        else:
            event = Text(user=sender.id, at=utc_now(), text=text, mentions=people)
        inbound = Inbound(located.ref, event, located.where, activity.id, last_try=True)
        outcome = await self.service.receive(inbound, self.outbound)
        if outcome.replies and not outcome.told:
            # Nothing reached the conversation (Redis or the connector failed): answer in
            # this turn, which needs neither.
            await _say(turn_context, located.ref, outcome.replies)
        answered = outcome.applied and choice is not None and outcome.answered == choice[0]
        if answered and choice is not None and activity.reply_to_id:
            who = Person(id=sender.id, name=sender.name)
            card = answered_card(choice[0], who, _label(*choice))
            await self.outbound.update(outcome.ref or located.ref, activity.reply_to_id, card)


def _submitted_choice(value: Any) -> tuple[str, str] | None:
    """The (question id, value) an Adaptive Card button submitted, if this is one of ours."""
    if not isinstance(value, dict):
        return None
    raw = value.get(CHOICE_FIELD)
    return decode_choice(raw) if isinstance(raw, str) else None


def _submitted_command(value: Any) -> str | None:
    """The words a command button submitted (`approve 3`, `reject 3`, `export`), if this is
    one of ours; anything else a client sends in that field is ignored."""
    if not isinstance(value, dict):
        return None
    raw = value.get(COMMAND_FIELD)
    if not isinstance(raw, str) or _COMMAND.fullmatch(raw) is None:
        return None
    return raw


def _label(question_id: str, chosen: str) -> str:
    """The chosen option's label from the catalog, not from the card's data (which a client
    could change); a clarification's option is its whole answer, shown as is."""
    question = QUESTIONS.get(question_id)
    choices = question.choices if question is not None else ()
    return next((choice.label for choice in choices if choice.id == chosen), chosen)


def _problem(template: str) -> Notice:
    return Notice(template=template, tone=Tone.PROBLEM)


async def _say(turn_context: TurnContext, ref: IntakeRef, replies: Sequence[Reply]) -> None:
    """Answer in the turn itself, for replies that could be neither posted nor queued."""
    names: dict[str, str] = {}
    sender = turn_context.activity.from_property
    if sender is not None and sender.id and sender.name:
        names[sender.id] = sender.name
    for activity in to_activities(replies, ref, names.get):
        await turn_context.send_activity(Activity().deserialize(activity))
