"""Say back what was understood: each value's reading in words, for a "Saved: ..." line.

A person who typed "a few seconds" should see "about 3 s, near real-time" and
correct it if that is not what they meant; a figure shown as "3e+03 GB" hides
the reading instead. So numbers are written as people write them: three
significant figures at most, thousands separators, no exponents, and a unit
that keeps the figure small (3 TB, not 3,000 GB; 200 ms, not 0.2 s). A reading
that was rounded, or that came from a range or a hedge (`Value.note`), says
"about".

The number formatters are public so that cards and risk texts can show the
same figures the confirmation showed.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from conversations import messages as msg
from conversations.values import (
    Churn,
    ChurnKind,
    Config,
    Customer,
    Decay,
    Frequency,
    ModelFamily,
    ModelPlan,
    Sla,
    Stakeholders,
    Value,
    Volume,
)

SIGNIFICANT_DIGITS = 3
MILLION = 1e6
BILLION = 1e9

# Decimal size units, largest first, in GB.
_SIZE_UNITS: tuple[tuple[float, str], ...] = (
    (1e6, "PB"),
    (1e3, "TB"),
    (1.0, "GB"),
    (1e-3, "MB"),
    (1e-6, "KB"),
)
# Duration units, largest first, in seconds, with the name for one and for many.
_DURATION_UNITS: tuple[tuple[float, str, str], ...] = (
    (86_400.0, "day", "days"),
    (3_600.0, "hour", "hours"),
    (60.0, "minute", "minutes"),
    (1.0, "s", "s"),
)
# Periods a call rate is shown over, shortest first, in seconds.
_RATE_PERIODS: tuple[tuple[float, str], ...] = (
    (1.0, "second"),
    (60.0, "minute"),
    (3_600.0, "hour"),
    (86_400.0, "day"),
    (7 * 86_400.0, "week"),
    (30 * 86_400.0, "month"),
)
# Churn periods with a name of their own, in minutes.
_NAMED_PERIODS = {
    60.0: "hour",
    24 * 60.0: "day",
    7 * 24 * 60.0: "week",
    30 * 24 * 60.0: "month",
    91 * 24 * 60.0: "quarter",
    365 * 24 * 60.0: "year",
}


def rounded(value: float) -> tuple[str, bool]:
    """A figure as people write it ("3,000", "0.5", "7.14"), and whether it had to be rounded.

    Halves round up (182.5 -> "183"), as people round, not to the even neighbour.
    """
    if not math.isfinite(value):
        return str(value), False
    if value == 0:
        return "0", False
    exact = Decimal(repr(value))
    digits = SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(abs(value)))
    short = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = format(short, ",f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text, short != exact


def _figure(value: float) -> tuple[str, bool]:
    """A count as people write it, in millions or billions when large, and whether rounded."""
    for scale, template in ((BILLION, msg.NUMBER_BILLIONS), (MILLION, msg.NUMBER_MILLIONS)):
        if abs(value) >= scale:
            shown, was_rounded = rounded(value / scale)
            return template.format(number=shown), was_rounded
    return rounded(value)


def number(value: float) -> str:
    """A figure as people write it: "3,000", "0.5", "1.2 million"."""
    return _figure(value)[0]


def _at_least_one(figure: str) -> bool:
    """Whether a shown figure is one or more: 999.5 GB shows as "1 TB", 59.97 s as "60 s"."""
    return float(figure.replace(",", "")) >= 1


def data_size(gb: float) -> str:
    """A size in the unit that keeps its figure small: "3 TB", "300 MB", "7.14 GB"."""
    for scale, unit in _SIZE_UNITS:
        figure = rounded(gb / scale)[0]
        if _at_least_one(figure):
            return f"{figure} {unit}"
    return f"{rounded(gb * 1e9)[0]} bytes"


def daily_volume(gb_per_day: float) -> str:
    """A daily volume: "3 TB a day"; what a card shows where it said "3e+03 GB a day"."""
    return msg.READING_PER_DAY.format(size=data_size(gb_per_day))


def duration(seconds: float) -> str:
    """A duration: "50 ms", "0.5 s", "2 minutes", "1 hour", "14 days"."""
    return _duration(seconds)[0]


def _duration(seconds: float) -> tuple[str, bool]:
    """A duration as shown, and whether it had to be rounded."""
    for scale, one, many in _DURATION_UNITS:
        figure, was_rounded = rounded(seconds / scale)
        # Under a second, "0.5 s" still reads better than "500 ms"; below that, milliseconds.
        if _at_least_one(figure) or (scale == 1.0 and seconds >= 0.5):
            return f"{figure} {one if figure == '1' else many}", was_rounded
    figure, was_rounded = rounded(seconds * 1000)
    return f"{figure} ms", was_rounded


def _rate(per_second: float) -> tuple[str, bool]:
    """Calls over the shortest period that holds a whole number of them, and whether rounded."""
    usable = [(seconds, name) for seconds, name in _RATE_PERIODS if per_second * seconds >= 1]
    seconds, period = next(
        ((seconds, name) for seconds, name in usable if _whole(per_second * seconds)),
        (usable or _RATE_PERIODS[-1:])[0],
    )
    count, was_rounded = _figure(per_second * seconds)
    noun = msg.READING_CALL if count == "1" else msg.READING_CALLS
    shown_period = msg.READING_RATE_PERIODS[period]
    return msg.READING_RATE.format(count=count, noun=noun, period=shown_period), was_rounded


def _whole(count: float) -> bool:
    """Whether a count is a whole number, allowing for float error (50,000.000000001)."""
    return math.isclose(count, round(count), rel_tol=1e-9)


def call_rate(per_second: float) -> str:
    """A call rate: "20 calls a second", "50,000 calls an hour", "200 calls a day".

    The period is the shortest that holds a whole number of calls, else the shortest that
    holds at least one.
    """
    return _rate(per_second)[0]


def _about(shown: str, approximate: bool) -> str:
    return msg.READING_ABOUT.format(reading=shown) if approximate else shown


def _period(minutes: float) -> tuple[str, bool]:
    """ "every 15 minutes", "every day", "every 14 days", and whether it was rounded."""
    name = _NAMED_PERIODS.get(minutes)
    if name is not None:
        return msg.READING_EVERY.format(period=name), False
    shown, was_rounded = _duration(minutes * 60)
    return msg.READING_EVERY.format(period=shown), was_rounded


def _volume(value: Volume) -> str:
    approximate = bool(value.note) or rounded(value.gb_per_day)[1]
    shown = msg.READING_VOLUME.format(volume=daily_volume(value.gb_per_day), band=value.band.value)
    return _about(shown, approximate)


def _churn(value: Churn) -> str:
    if value.period_minutes is None or value.kind in (ChurnKind.NEVER, ChurnKind.LOW):
        return msg.READING_CHURN[value.kind.value]
    period, was_rounded = _period(value.period_minutes)
    template = (
        msg.READING_CHURN_CONSTANT if value.kind is ChurnKind.CONSTANT else msg.READING_SCHEDULE
    )
    return _about(template.format(period=period), was_rounded or bool(value.note))


def _decay(value: Decay) -> str:
    if value.retrain_every_days is None:
        return msg.READING_NO_RETRAIN
    interval, was_rounded = _duration(value.retrain_every_days * 86_400)
    shown = msg.READING_RETRAIN.format(interval=interval)
    return _about(shown, was_rounded or bool(value.note))


def _frequency(value: Frequency) -> str:
    shown, was_rounded = _rate(value.calls_per_second)
    return _about(shown, was_rounded or bool(value.note))


def _config(value: Config) -> str:
    if value.stateful:
        return (
            msg.READING_STATEFUL_DETAILS.format(details=value.details)
            if value.details
            else (msg.READING_STATEFUL)
        )
    return msg.READING_STATELESS


def _sla(value: Sla) -> str:
    if value.seconds is None:
        return msg.READING_NO_SLA
    time, was_rounded = _duration(value.seconds)
    shown = msg.READING_SLA.format(time=time, realtime=msg.READING_REALTIME[value.realtime.value])
    return _about(shown, was_rounded or bool(value.note))


def _customer(value: Customer) -> str:
    return msg.CUSTOMER_NAMES[value.kind.value]


def _stakeholders(value: Stakeholders) -> str:
    return ", ".join(value.names)


def _model(value: ModelPlan) -> str:
    family = msg.READING_MODEL_FAMILY[value.family.value]
    if value.training_cost is None or value.family is ModelFamily.UNKNOWN:
        return family
    cost = msg.READING_COST.format(cost=number(value.training_cost))
    return msg.READING_MODEL_COST.format(family=family, cost=_about(cost, bool(value.note)))


def reading(value: Value) -> str:
    """The value as understood, in words: "3 TB a day (massive)", "about 3 s, near real-time".

    A value of a kind this module does not know is shown as typed.
    """
    match value:
        case Volume():
            return _volume(value)
        case Churn():
            return _churn(value)
        case Decay():
            return _decay(value)
        case Frequency():
            return _frequency(value)
        case Config():
            return _config(value)
        case Sla():
            return _sla(value)
        case Customer():
            return _customer(value)
        case Stakeholders():
            return _stakeholders(value)
        case ModelPlan():
            return _model(value)
        case _:
            return str(value.text)
