"""Properties of the parsers over generated text: they never raise, and units convert both ways."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conversations.answers import parse_answer
from conversations.parsing import (
    parse_decay,
    parse_frequency,
    parse_sla,
    parse_volume,
)
from conversations.questions import CATALOG, QUESTION_IDS, Question
from conversations.values import (
    Decay,
    Frequency,
    ParseError,
    RealTime,
    Sla,
    Value,
    Volume,
    band_for,
)

EXAMPLES = settings(max_examples=200, deadline=None)
REL = 1e-9

# Words the parsers look for, so generated text reaches past the first "not understood".
FRAGMENTS = (
    "0", "1", "2.5", ".5", "40", "1,000", "9" * 40, "1e400", "-3", "k", "m", "million", "bn",
    "GB", "gigs", "TB", "kb", "b", "bytes", "ms", "s", "sec", "minutes", "hours", "h", "days",
    "rows", "records", "of", "each", "about", "x", "a", "an", "per", "every", "other", "few",
    "once", "twice", "times", "day", "week", "month", "year", "quarter", "daily", "nightly",
    "hourly", "/", "/s", "/day", "rps", "no", "none", "never", "yes", "static", "streaming",
    "within", "the", "hour", "next morning", "real-time", "$", "$5,000", "usd", "dollars",
    "tensorflow", "xgboost", "unknown", "internal", "external", "sftp", "kafka", "and", ",",
    ";", "&", "\n", "<@U123>", "@here", "\udcff", "é", "🚀",
)  # fmt: skip
token_soup = st.lists(st.sampled_from(FRAGMENTS), max_size=12).map(" ".join)
any_text = st.one_of(st.text(max_size=200), token_soup)

# Size units in GB, and periods with their length in days.
SIZE_UNITS = {
    "bytes": 1e-9, "KB": 1e-6, "kilobytes": 1e-6, "MB": 1e-3, "megs": 1e-3, "GB": 1.0,
    "gigs": 1.0, "gigabytes": 1.0, "TB": 1e3, "terabytes": 1e3, "PB": 1e6,
}  # fmt: skip
VOLUME_PERIODS = {
    "a second": 1 / 86_400, "per minute": 1 / 1440, "an hour": 1 / 24, "per hour": 1 / 24,
    "a day": 1.0, "daily": 1.0, "per day": 1.0, "/day": 1.0, "every 3 days": 3.0,
    "a week": 7.0, "per week": 7.0, "weekly": 7.0, "a month": 30.0, "/month": 30.0,
    "per quarter": 91.0, "a year": 365.0,
}  # fmt: skip
TIME_UNITS_SECONDS = {
    "ms": 1e-3, "milliseconds": 1e-3, "s": 1.0, "seconds": 1.0, "secs": 1.0, "min": 60.0,
    "minutes": 60.0, "hours": 3600.0, "hrs": 3600.0, "days": 86_400.0,
}  # fmt: skip
CALL_PERIODS_SECONDS = {
    "per second": 1.0, "a second": 1.0, "per minute": 60.0, "an hour": 3600.0,
    "per hour": 3600.0, "a day": 86_400.0, "per week": 604_800.0,
}  # fmt: skip
EVERY_UNITS_DAYS = {"hours": 1 / 24, "days": 1.0, "weeks": 7.0, "months": 30.0, "years": 365.0}


def plain(number: float) -> str:
    """A float written out as people type it: positional, never in exponent form."""
    return format(Decimal(repr(number)), "f")


def positive(low: float, high: float) -> st.SearchStrategy[float]:
    """Finite positive floats in a range wide enough to cross every unit."""
    return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize("question", CATALOG, ids=QUESTION_IDS)
@EXAMPLES
@given(text=any_text)
@example(text="every 0 minutes")
@example(text="1e400 GB every 0.0 days")
@example(text="9" * 400 + " calls, rows of 9" + "9" * 400 + " kb, twice a day, $" + "9" * 400)
@example(text="x" * 5000)
def test_any_text_gives_a_value_or_a_parse_error(question: Question, text: str) -> None:
    """Every question's parser turns any text into a value or a parse error, never an exception."""
    result = parse_answer(question.id, text)
    assert isinstance(result, Value | ParseError)
    if isinstance(result, ParseError):
        assert result.problem
        assert result.expected
        assert result.example


@EXAMPLES
@given(text=any_text)
def test_parsed_numbers_are_finite_and_not_negative(text: str) -> None:
    """Whatever is typed, a parsed volume, rate, SLA or decay is a finite, non-negative number."""
    numbers: list[float | None] = []
    if isinstance(volume := parse_volume(text), Volume):
        numbers.append(volume.gb_per_day)
    if isinstance(frequency := parse_frequency(text), Frequency):
        numbers.append(frequency.calls_per_second)
    if isinstance(sla := parse_sla(text), Sla):
        numbers.append(sla.seconds)
    if isinstance(decay := parse_decay(text), Decay):
        numbers.append(decay.retrain_every_days)
    for number in numbers:
        assert number is None or 0 <= number < float("inf")


@EXAMPLES
@given(
    amount=positive(1e-3, 1e9),
    unit=st.sampled_from(sorted(SIZE_UNITS)),
    period=st.sampled_from(sorted(VOLUME_PERIODS)),
)
def test_volume_text_to_gb_per_day(amount: float, unit: str, period: str) -> None:
    """Any size in any unit over any period reads as the matching GB per day."""
    volume = parse_volume(f"{plain(amount)} {unit} {period}")
    assert isinstance(volume, Volume)
    expected = amount * SIZE_UNITS[unit] / VOLUME_PERIODS[period]
    assert volume.gb_per_day == pytest.approx(expected, rel=REL)


@EXAMPLES
@given(
    gb_per_day=positive(1e-6, 1e7),
    unit=st.sampled_from(sorted(SIZE_UNITS)),
    period=st.sampled_from(sorted(VOLUME_PERIODS)),
)
def test_gb_per_day_written_in_any_unit_reads_back(
    gb_per_day: float, unit: str, period: str
) -> None:
    """A daily volume written out in any unit and period parses back to the same volume and band."""
    amount = gb_per_day / SIZE_UNITS[unit] * VOLUME_PERIODS[period]
    volume = parse_volume(f"{plain(amount)} {unit} {period}")
    assert isinstance(volume, Volume)
    assert volume.gb_per_day == pytest.approx(gb_per_day, rel=REL)
    assert volume.band is band_for(volume.gb_per_day)


@EXAMPLES
@given(count=st.integers(min_value=1, max_value=10**12))
def test_thousands_separators_and_multipliers_agree(count: int) -> None:
    """Thousands separators ("1,234,567") and a "k" multiplier give the same rate as plain digits."""
    grouped = parse_frequency(f"{count:,} calls a day")
    bare = parse_frequency(f"{count} calls a day")
    thousands = parse_frequency(f"{plain(count / 1000)}k calls a day")
    assert isinstance(grouped, Frequency)
    assert isinstance(bare, Frequency)
    assert isinstance(thousands, Frequency)
    assert grouped.calls_per_second == pytest.approx(count / 86_400, rel=REL)
    assert bare.calls_per_second == pytest.approx(grouped.calls_per_second, rel=REL)
    assert thousands.calls_per_second == pytest.approx(grouped.calls_per_second, rel=REL)


@EXAMPLES
@given(seconds=positive(1e-4, 1e7), unit=st.sampled_from(sorted(TIME_UNITS_SECONDS)))
def test_sla_written_in_any_unit_reads_back(seconds: float, unit: str) -> None:
    """An SLA written in any time unit parses back to the same seconds and real-time class."""
    sla = parse_sla(f"under {plain(seconds / TIME_UNITS_SECONDS[unit])} {unit}")
    assert isinstance(sla, Sla)
    assert sla.seconds == pytest.approx(seconds, rel=REL)
    assert sla.realtime is Sla(seconds=sla.seconds).realtime


@EXAMPLES
@given(
    per_second=positive(1e-6, 1e6),
    period=st.sampled_from(sorted(CALL_PERIODS_SECONDS)),
)
def test_call_rate_written_over_any_period_reads_back(per_second: float, period: str) -> None:
    """A call rate written over any period parses back to the same calls per second."""
    calls = per_second * CALL_PERIODS_SECONDS[period]
    frequency = parse_frequency(f"{plain(calls)} calls {period}")
    assert isinstance(frequency, Frequency)
    assert frequency.calls_per_second == pytest.approx(per_second, rel=REL)


@EXAMPLES
@given(days=positive(1e-2, 1e4), unit=st.sampled_from(sorted(EVERY_UNITS_DAYS)))
def test_retraining_interval_in_any_unit_reads_back(days: float, unit: str) -> None:
    """A retraining interval written as "every N units" parses back to the same days."""
    decay = parse_decay(f"every {plain(days / EVERY_UNITS_DAYS[unit])} {unit}")
    assert isinstance(decay, Decay)
    assert decay.retrain_every_days == pytest.approx(days, rel=REL)


@EXAMPLES
@given(low=positive(0, 1e7), high=positive(0, 1e7))
def test_volume_bands_never_go_down_as_volume_goes_up(low: float, high: float) -> None:
    """More data per day never lands in a smaller band."""
    low, high = sorted((low, high))
    order = ["low", "moderate", "high", "massive"]
    assert order.index(band_for(low)) <= order.index(band_for(high))


@EXAMPLES
@given(fast=positive(0, 1e7), slow=positive(0, 1e7))
def test_slower_slas_are_never_more_real_time(fast: float, slow: float) -> None:
    """A longer SLA never gets a more real-time class than a shorter one."""
    fast, slow = sorted((fast, slow))
    order = [RealTime.YES, RealTime.MAYBE, RealTime.NO]
    assert order.index(Sla(seconds=fast).realtime) <= order.index(Sla(seconds=slow).realtime)
