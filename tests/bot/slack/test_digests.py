"""Digests, reminders and `/intake list` in Slack, over HTTP against the Web API stand-in.

Commands are signed as Slack signs them. Digest and reminder passes are run
by the test at a time of its choosing (`SlackBot.posts`), on the server's own
scheduled posts and delivery worker, so what is posted is what a replica would post.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from bot.service import utc_now
from bot.state.keys import digest_schedule_key
from conversations import messages as msg
from conversations.digest import DigestSchedule
from testkit.slack_signing import CHANNEL_ID, TEAM_DOMAIN, TEAM_ID, USER_ID
from tests.bot.slack.conftest import SlackBot, metadata_of, posts_of

BOB = "U0BOB0001"


def ephemerals(bot: SlackBot, before: int = 0) -> list[str]:
    return [call.body.get("text", "") for call in bot.api.calls("chat.postEphemeral")[before:]]


def next_midnight(after: datetime) -> datetime:
    return datetime(after.year, after.month, after.day, tzinfo=UTC) + timedelta(days=1)


async def stored_schedule(bot: SlackBot) -> DigestSchedule | None:
    key = digest_schedule_key("slack", TEAM_ID, CHANNEL_ID, bot.settings.key_prefix)
    client = Redis.from_url(bot.settings.redis_url_value())
    try:
        raw = await client.get(key)
    finally:
        await client.aclose()
    return DigestSchedule.model_validate_json(raw) if raw else None


async def test_a_channel_sets_shows_and_turns_off_its_digest(slack_bot: SlackBot) -> None:
    """`/intake digest daily 09:00 Europe/Berlin` is stored and said to all; `digest` shows it privately."""
    before = len(slack_bot.api.calls("chat.postMessage"))
    await slack_bot.command("digest daily 09:00 Europe/Berlin")
    [confirmation] = slack_bot.api.calls("chat.postMessage")[before:]
    assert confirmation.body["channel"] == CHANNEL_ID
    assert "daily 09:00 Europe/Berlin" in confirmation.body["text"]
    assert f"<@{USER_ID}>" in confirmation.body["text"]
    stored = await stored_schedule(slack_bot)
    assert stored is not None
    assert (stored.hour, stored.timezone, stored.set_by) == (9, "Europe/Berlin", USER_ID)

    seen = len(slack_bot.api.calls("chat.postEphemeral"))
    await slack_bot.command("digest", user_id=BOB)
    [shown] = ephemerals(slack_bot, seen)
    assert "daily 09:00 Europe/Berlin" in shown
    assert "Europe/Berlin" in shown.split("next one comes")[1]
    assert slack_bot.api.calls("chat.postEphemeral")[-1].body["user"] == BOB

    await slack_bot.command("digest off")
    assert await stored_schedule(slack_bot) is None
    assert (
        "Digests for this channel are off"
        in slack_bot.api.calls("chat.postMessage")[-1].body["text"]
    )


async def test_schedule_words_that_name_no_schedule_are_answered_privately(
    slack_bot: SlackBot,
) -> None:
    """`/intake digest hourly 9` says what it expected, to the person only, and stores nothing."""
    posted = len(slack_bot.api.calls("chat.postMessage"))
    await slack_bot.command("digest hourly 9")
    [answer] = ephemerals(slack_bot)
    assert "'hourly' is not a digest schedule." in answer
    assert "weekly &lt;day&gt; HH:MM" in answer  # mrkdwn-escaped, as Slack needs
    assert len(slack_bot.api.calls("chat.postMessage")) == posted
    assert await stored_schedule(slack_bot) is None


async def test_list_shows_the_channels_intakes_to_the_asker(slack_bot: SlackBot) -> None:
    """`/intake list` answers with each intake and its state, privately."""
    thread = await slack_bot.start_intake("Fraud scoring")
    await slack_bot.reply(thread, "40 GB a day")
    await slack_bot.command("list", user_id=BOB)
    [listing] = ephemerals(slack_bot)
    assert "Intakes in this channel: 1." in listing
    assert "Fraud scoring: open, 1 of 9 answered" in listing
    assert slack_bot.api.calls("chat.postEphemeral")[-1].body["user"] == BOB


async def test_a_due_digest_is_posted_once_with_links_and_mentions(slack_bot: SlackBot) -> None:
    """The pass at the digest's time posts one message with intake_digest metadata; again, nothing."""
    thread = await slack_bot.start_intake("Fraud scoring")
    await slack_bot.reply(thread, "40 GB a day")
    await slack_bot.command("digest daily 00:00")
    fire = next_midnight(utc_now())
    report = await slack_bot.posts.run_due(fire + timedelta(minutes=1), reminders=False)
    assert len(report.digests) == 1
    await slack_bot.worker.idle()
    [digest] = posts_of(slack_bot.api, "intake_digest")
    assert "thread_ts" not in digest.body  # a post of its own in the channel
    payload = metadata_of(digest.body)["event_payload"]
    assert payload["period_end"] == fire.isoformat()
    assert (payload["started"], payload["owing"]) == (1, 1)
    text = digest.body["text"]
    stamp = thread.replace(".", "")
    link = f"<https://{TEAM_DOMAIN}.slack.com/archives/{CHANNEL_ID}/p{stamp}|Fraud scoring>"
    assert link in text
    assert f"<@{USER_ID}> still owe" in text
    again = await slack_bot.posts.run_due(fire + timedelta(minutes=2), reminders=False)
    assert again.digests == ()
    await slack_bot.worker.idle()
    assert len(posts_of(slack_bot.api, "intake_digest")) == 1


async def test_a_period_with_nothing_to_report_posts_nothing(slack_bot: SlackBot) -> None:
    """A digest set in a channel without intakes posts nothing at its time."""
    await slack_bot.command("digest daily 00:00")
    fire = next_midnight(utc_now())
    report = await slack_bot.posts.run_due(fire, reminders=False)
    assert (report.digests, report.empty) == ((), 1)
    assert posts_of(slack_bot.api, "intake_digest") == []


async def test_an_idle_intake_gets_one_reminder_in_its_thread_until_turned_off(
    slack_bot: SlackBot,
) -> None:
    """A day later on a weekday: one reminder mentioning who owes; `remind off` stops the next."""
    thread = await slack_bot.start_intake("Fraud scoring")
    await slack_bot.reply(thread, "40 GB a day")
    later = utc_now() + timedelta(hours=25)
    while later.weekday() >= 5:  # Saturday and Sunday have no reminders
        later += timedelta(days=1)
    report = await slack_bot.posts.run_due(later, reminders=True)
    assert [ref.thread for ref in report.reminders] == [thread]
    await slack_bot.worker.idle()
    [reminder] = posts_of(slack_bot.api, "intake_reminder")
    assert reminder.body["thread_ts"] == thread
    assert f"<@{USER_ID}>" in reminder.body["text"]
    assert "remind off" in reminder.body["text"]
    same_day = await slack_bot.posts.run_due(later + timedelta(hours=1), reminders=True)
    assert same_day.reminders == ()

    await slack_bot.reply(thread, "remind off")
    next_day = later + timedelta(days=1)
    while next_day.weekday() >= 5:
        next_day += timedelta(days=1)
    assert (await slack_bot.posts.run_due(next_day, reminders=True)).reminders == ()
    assert msg.REMIND_OFF.split(";")[0] in slack_bot.api.calls("chat.postMessage")[-1].body["text"]
