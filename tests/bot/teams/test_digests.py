"""Digests, reminders and channel commands on Teams, over real HTTP with authentication on.

Channel commands arrive as signed activities; scheduled passes are driven
with an explicit `now` (as in `tests/bot/test_schedule.py`), through a
`ScheduledPosts` on the server's Redis and prefix that hands what it queues
to the server's own delivery worker. The server's in-process scheduler is
off here, so no pass runs at the real time behind a test's back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from bot.ports import IntakeRef
from bot.schedule import ScheduledPosts
from bot.service import utc_now
from bot.state.keys import digest_slot_key, outbox_key
from bot.state.outbox import OutboxEntry
from bot.state.schedules import ScheduleStore
from bot.teams.cards import texts as card_texts
from conversations.digest import Cadence
from conversations.replies import Notice
from testkit.teams_activities import (
    ALICE,
    CHANNEL_ID,
    MARIA,
    TENANT_ID,
    channel_post,
    channel_reply,
    mention_text,
    thread_id,
)

from .conftest import TeamsBot
from .test_cards import assert_valid
from .test_teams_app import intake_data, start_in_channel

CHANNEL = IntakeRef("teams", TENANT_ID, CHANNEL_ID, "")
BERLIN = ZoneInfo("Europe/Berlin")
SATURDAY = 5


@pytest.fixture
def bot(teams_bot: TeamsBot) -> TeamsBot:
    """The Teams bot as every Teams test runs it: its scheduler off, passes run at a test's time."""
    return teams_bot


def scheduled_posts(bot: TeamsBot) -> ScheduledPosts:
    """Scheduled posts as the server's runtime makes them: same Redis, prefix and worker."""
    settings = bot.settings
    return ScheduledPosts(
        store=schedules(bot),
        platform="teams",
        remind_after=timedelta(hours=settings.remind_after_hours),
        claim_ms=int(settings.schedule_claim_seconds * 1000),
        deliveries=bot.running.worker,
    )


def schedules(bot: TeamsBot) -> ScheduleStore:
    return ScheduleStore(bot.running.addresses.client, bot.settings.key_prefix)


def shown(activity: dict[str, Any]) -> str:
    """Every markdown text of an activity's card, one per line."""
    (attachment,) = activity["attachments"]
    return "\n".join(card_texts(attachment["content"]["body"]))


def mentioned(activity: dict[str, Any]) -> set[str]:
    (attachment,) = activity["attachments"]
    entities = attachment["content"].get("msteams", {}).get("entities", [])
    return {entity["mentioned"]["id"] for entity in entities}


def chain_link(root: str) -> str:
    """The Teams deep link to the chain that starts with post `root` in the test channel."""
    return (
        f"https://teams.microsoft.com/l/message/{quote(CHANNEL_ID, safe='')}/{root}"
        f"?tenantId={TENANT_ID}&parentMessageId={root}"
    )


async def command(bot: TeamsBot, words: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """`@intake-bot <words>` as a new channel post: what the bot posted in its chain, and
    what it sent Alice privately (her one-to-one chat) in answer."""
    chat = bot.connector.personal_conversation(ALICE.id)
    before = len(bot.connector.activities(chat)) if chat else 0
    public = await bot.send(channel_post(words, service_url=bot.connector.service_url))
    chat = bot.connector.personal_conversation(ALICE.id)
    private = bot.connector.activities(chat)[before:] if chat else []
    for activity in [*public, *private]:
        assert_valid(activity)
    return public, private


async def intake_owed_by_maria(bot: TeamsBot, project: str = "Fraud scoring") -> str:
    """An open intake: Alice started it and answered two questions, naming Maria a
    stakeholder by mention; the root id of its chain."""
    root = await start_in_channel(bot, project)
    url = bot.connector.service_url
    await bot.send(channel_reply("40 GB a day", root_id=root, service_url=url, mention_bot=False))
    await bot.send(
        channel_reply(
            f"{mention_text(MARIA)}, the fraud team",
            root_id=root,
            service_url=url,
            mentions=[MARIA],
            mention_bot=False,
        )
    )
    return root


def next_nine_in_berlin(after: datetime) -> datetime:
    """The first 09:00 in Berlin after `after`, a minute past: a daily 09:00 digest is due."""
    local = after.astimezone(BERLIN)
    nine = local.replace(hour=9, minute=0, second=0, microsecond=0)
    if nine <= local:
        nine = (nine + timedelta(days=1)).replace(hour=9)
    return nine.astimezone(UTC) + timedelta(minutes=1)


def weekday_from(at: datetime) -> datetime:
    """`at`, or the Monday after it if it falls on a weekend (reminders skip weekends, UTC)."""
    while at.weekday() >= SATURDAY:
        at += timedelta(days=1)
    return at


# --- channel commands ---------------------------------------------------------------------


async def test_a_digest_is_set_shown_and_turned_off_from_the_channel(bot: TeamsBot) -> None:
    """Set: confirmed in the channel for all and stored for the channel; show: privately;
    off: confirmed for all and gone."""
    public, private = await command(bot, "digest daily 09:00 Europe/Berlin")
    assert private == []
    (confirmation,) = public
    assert "daily 09:00 Europe/Berlin" in shown(confirmation)
    assert ALICE.id in mentioned(confirmation)  # "set by Alice", as a mention
    stored = await schedules(bot).schedule(CHANNEL)
    assert stored is not None
    assert (stored.cadence, stored.hour, stored.minute) == (Cadence.DAILY, 9, 0)
    assert (stored.timezone, stored.set_by) == ("Europe/Berlin", ALICE.id)

    public, private = await command(bot, "digest")
    assert public == []
    (setting,) = private
    assert "daily 09:00 Europe/Berlin" in shown(setting)

    public, private = await command(bot, "digest off")
    assert private == []
    (off,) = public
    assert ALICE.id in mentioned(off)
    assert await schedules(bot).schedule(CHANNEL) is None


async def test_schedule_words_that_name_nothing_get_a_private_reply(bot: TeamsBot) -> None:
    """`digest hourly 9`: only Alice is told what was wrong and what is expected; nothing stored."""
    public, private = await command(bot, "digest hourly 9")
    assert public == []
    (problem,) = private
    text = shown(problem)
    assert "hourly" in text
    assert "daily HH:MM" in text
    # The example is what works on Teams: a mention of the bot, not Slack's slash command.
    assert "@intake-bot digest weekly mon 09:00 Europe/Berlin" in text
    assert await schedules(bot).schedule(CHANNEL) is None


async def test_list_answers_privately_with_the_channels_intakes(bot: TeamsBot) -> None:
    """`@intake-bot list` names every intake of the channel, in Alice's personal chat only."""
    await start_in_channel(bot, "Fraud scoring")
    await start_in_channel(bot, "Churn model")
    public, private = await command(bot, "list")
    assert public == []
    (listing,) = private
    text = shown(listing)
    assert "Fraud scoring" in text
    assert "Churn model" in text
    assert text.index("Churn model") < text.index("Fraud scoring")  # newest first


# --- where scheduled posts land -----------------------------------------------------------


async def test_a_post_without_a_thread_is_a_new_top_level_post_in_the_channel(
    bot: TeamsBot,
) -> None:
    """Queued for the channel (thread "") a post goes to the channel's own conversation id;
    queued for a chain, into that chain: the two places scheduled posts go."""
    root = await start_in_channel(bot)
    store = schedules(bot)
    for ref, note in ((CHANNEL, "top"), (CHANNEL.in_thread(root), "chain")):
        entry = OutboxEntry.to(ref, (Notice(template=note),))
        slot = digest_slot_key(ref, note, store.prefix)
        assert await store.queue_once(slot, outbox_key(ref, store.prefix), entry)
        bot.running.worker.poke(ref)
    await bot.running.worker.idle()
    # botbuilder's proactive path posts as a reply to its continuation activity; Teams, like
    # the stand-in, places the post by the conversation id alone.
    posted = {
        call.conversation_id: call.body
        for call in bot.connector.calls()
        if call.operation in ("send_to_conversation", "reply_to_activity")
        and call.body.get("attachments")
    }
    assert shown(posted[CHANNEL_ID]) == "top"
    assert [shown(a) for a in bot.connector.activities(CHANNEL_ID)] == ["top"]
    assert shown(bot.connector.activities(thread_id(root))[-1]) == "chain"


# --- digests ------------------------------------------------------------------------------


async def test_a_due_digest_is_one_card_at_the_channels_top_level(bot: TeamsBot) -> None:
    """A pass at 09:01 Berlin posts one valid card in the channel itself, carrying the digest
    object and its counts, linking the intake's chain and mentioning who owes answers; a
    second pass posts nothing."""
    root = await intake_owed_by_maria(bot)
    await command(bot, "digest daily 09:00 Europe/Berlin")
    now = next_nine_in_berlin(utc_now())
    posts = scheduled_posts(bot)

    report = await posts.run_due(now, reminders=False)
    await bot.running.worker.idle()
    assert report.digests == (CHANNEL,)
    (digest,) = bot.connector.activities(CHANNEL_ID)
    assert_valid(digest)
    data = intake_data(digest)
    assert data["event_type"] == "intake_digest"
    payload = data["event_payload"]
    assert payload["channel"] == f"{TENANT_ID}/{CHANNEL_ID}"
    assert (payload["started"], payload["owing"], payload["finished"]) == (1, 1, 0)
    assert datetime.fromisoformat(str(payload["period_end"])) == now - timedelta(minutes=1)
    text = shown(digest)
    assert f"[Fraud scoring]({chain_link(root)})" in text
    assert {ALICE.id, MARIA.id} <= mentioned(digest)
    assert "<at>Maria</at>" in text
    assert "<at>Alice Example</at>" in text  # the name Teams sent, kept in Redis

    again = await posts.run_due(now + timedelta(minutes=5), reminders=False)
    await bot.running.worker.idle()
    assert again.digests == ()
    assert len(bot.connector.activities(CHANNEL_ID)) == 1


# --- reminders ----------------------------------------------------------------------------


async def test_an_idle_intake_is_reminded_in_its_chain_until_reminders_are_off(
    bot: TeamsBot,
) -> None:
    """Past `INTAKE_REMIND_AFTER_HOURS` one reminder card goes into the chain, mentioning
    who owes answers, once a day; after `remind off` in the chain, none until `remind on`."""
    root = await intake_owed_by_maria(bot)
    chain = thread_id(root)
    posts = scheduled_posts(bot)
    idle = timedelta(hours=bot.settings.remind_after_hours + 1)
    # Noon UTC a day later than needed, so an hour later is still the same day.
    day = weekday_from((utc_now() + idle + timedelta(days=1)).replace(hour=12, minute=0))
    before = len(bot.connector.activities(chain))

    report = await posts.run_due(day, reminders=True)
    await bot.running.worker.idle()
    assert report.reminders == (CHANNEL.in_thread(root),)
    (reminder,) = bot.connector.activities(chain)[before:]
    assert_valid(reminder)
    assert intake_data(reminder)["event_type"] == "intake_reminder"
    assert intake_data(reminder)["event_payload"]["people"] == 2
    assert {ALICE.id, MARIA.id} <= mentioned(reminder)
    assert bot.connector.activities(CHANNEL_ID) == []  # nothing at the top level

    later = await posts.run_due(day + timedelta(hours=1), reminders=True)
    assert later.reminders == ()  # once a day

    url = bot.connector.service_url
    await bot.send(channel_reply("remind off", root_id=root, service_url=url, mention_bot=False))
    before = len(bot.connector.activities(chain))
    next_day = weekday_from(day + timedelta(days=1))
    quiet = await posts.run_due(next_day, reminders=True)
    await bot.running.worker.idle()
    assert quiet.reminders == ()
    assert len(bot.connector.activities(chain)) == before

    # `remind on` brings them back the same day: it was `remind off` that kept this one quiet.
    await bot.send(channel_reply("remind on", root_id=root, service_url=url, mention_bot=False))
    again = await posts.run_due(next_day, reminders=True)
    await bot.running.worker.idle()
    assert again.reminders == (CHANNEL.in_thread(root),)
    assert intake_data(bot.connector.activities(chain)[-1])["event_type"] == "intake_reminder"
