"""When a channel's digest is due, from APScheduler's cron trigger in the channel's time zone.

The library does the calendar: weekdays, and the hour that a daylight-saving
change skips or repeats. Nothing here does date arithmetic of its own beyond
stepping from one fire time to the next.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from conversations.digest import WEEKDAYS, Cadence, DigestSchedule

_LOOKBACK = timedelta(days=15)
"""Far enough back to find a weekly digest's two latest times."""


def trigger_for(schedule: DigestSchedule) -> CronTrigger:
    """The cron trigger of a channel's digest, in the channel's time zone."""
    weekly = schedule.cadence is Cadence.WEEKLY and schedule.weekday is not None
    day = WEEKDAYS[schedule.weekday] if weekly and schedule.weekday is not None else "*"
    return CronTrigger(
        day_of_week=day,
        hour=schedule.hour,
        minute=schedule.minute,
        timezone=ZoneInfo(schedule.timezone),
    )


def latest_period(schedule: DigestSchedule, now: datetime) -> tuple[datetime, datetime] | None:
    """The most recent period that ended at or before `now`: (previous time, latest time)."""
    trigger = trigger_for(schedule)
    times: list[datetime] = []
    fire = trigger.get_next_fire_time(None, now - _LOOKBACK)
    while fire is not None and fire <= now:
        times.append(fire)
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    if not times:
        return None
    end = times[-1]
    start = times[-2] if len(times) > 1 else end - _LOOKBACK
    return start, end


def next_time(schedule: DigestSchedule, now: datetime) -> datetime | None:
    """When the channel's next digest is due."""
    fire: datetime | None = trigger_for(schedule).get_next_fire_time(
        None, now + timedelta(seconds=1)
    )
    return fire
