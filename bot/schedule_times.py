"""When a channel's digest is due, from APScheduler's cron trigger in the channel's time zone.

The library does the calendar: weekdays, and the hour that a daylight-saving
change skips or repeats. Nothing here does date arithmetic of its own beyond
stepping from one fire time to the next.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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


_MAX_FIRES = 64
"""More fire times than any lookback holds (a daily digest has 16): a bound, not a limit."""


def fire_times(trigger: CronTrigger, begin: datetime, end: datetime) -> list[datetime]:
    """The trigger's fire times in `begin`..`end`, each wall-clock time once, always moving on.

    On the night clocks go back, a time in the repeated hour happens twice,
    and APScheduler 3 gives the second one again for every later `now`; so
    each step asks from a minute after the last fire in UTC, a fire that does
    not move forward ends the walk, and the repeated wall-clock time is kept
    once (its first occurrence).
    """
    fires: list[datetime] = []
    probe = begin.astimezone(UTC)
    for _ in range(_MAX_FIRES):
        fire: datetime | None = trigger.get_next_fire_time(None, probe)
        if fire is None or fire > end:
            break
        utc = fire.astimezone(UTC)
        if fires and utc <= fires[-1].astimezone(UTC):
            break  # no progress: the library repeats itself
        if not fires or fire.replace(tzinfo=None) != fires[-1].replace(tzinfo=None):
            fires.append(fire)
        probe = utc + timedelta(minutes=1)
    return fires


def latest_period(
    schedule: DigestSchedule, now: datetime, *, since: datetime | None = None
) -> tuple[datetime, datetime] | None:
    """The most recent period that ended at or before `now`: (its start, its end).

    None when that time came before the schedule was set: a new or changed
    setting posts at its next time, not at once. A digest covers the time
    since the last one: from `since` (where the channel's last digest ended,
    under whatever setting), so a changed setting neither repeats nor skips an
    hour; without one, from the time before (at most the lookback back).
    """
    times = fire_times(trigger_for(schedule), now - _LOOKBACK, now)
    if not times or times[-1] <= schedule.set_at:
        return None
    end = times[-1]
    start = times[-2] if len(times) > 1 else end - _LOOKBACK
    if since is not None and since < end:
        start = max(since, end - _LOOKBACK)
    return start, end


def next_time(schedule: DigestSchedule, now: datetime) -> datetime | None:
    """When the channel's next digest is due."""
    fire: datetime | None = trigger_for(schedule).get_next_fire_time(
        None, now + timedelta(seconds=1)
    )
    return fire
