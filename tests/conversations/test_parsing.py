"""The parsers read what people type into typed answers, or say what they expected instead."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pytest

from conversations import messages as msg
from conversations.answers import parse_answer
from conversations.parsing import (
    HIGH_THROUGHPUT_CALLS_PER_SECOND,
    MAX_ANSWER_CHARS,
    MAX_STAKEHOLDERS,
    parse_churn,
    parse_config,
    parse_customer,
    parse_decay,
    parse_frequency,
    parse_model,
    parse_sla,
    parse_stakeholders,
    parse_volume,
    too_long,
)
from conversations.values import (
    Churn,
    ChurnKind,
    Config,
    Customer,
    CustomerKind,
    Decay,
    Frequency,
    ModelFamily,
    ModelPlan,
    ParseError,
    RealTime,
    Sla,
    Stakeholders,
    Unclear,
    Value,
    Volume,
    VolumeBand,
    band_for,
)

MAX_OPTIONS = 5
MAX_LABEL_CHARS = 40

DAY_SECONDS = 86_400.0

T = TypeVar("T")


def _value(result: object, kind: type[T]) -> T:
    """The parsed value, failing the test with the parser's own words when it refused."""
    assert not isinstance(result, ParseError), f"refused: {result!r}"
    assert isinstance(result, kind)
    return result


def _error(result: object) -> ParseError:
    """The parse error, failing the test if the text was accepted."""
    assert isinstance(result, ParseError), f"accepted: {result!r}"
    return result


# --- volume ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "gb_per_day"),
    [
        pytest.param("500 MB a day", 0.5, id="megabytes-a-day"),
        pytest.param("40GB daily", 40.0, id="no-space-daily"),
        pytest.param("2 TB per week", 2000 / 7, id="terabytes-per-week"),
        pytest.param("3 TB/month", 100.0, id="slash-month"),
        pytest.param("about 200 gigs a day", 200.0, id="gigs-with-about"),
        pytest.param("10 million rows of about 1 KB per day", 10.0, id="rows-of-size"),
        pytest.param("10 million rows a day, 1 KB each", 10.0, id="rows-then-size-each"),
        pytest.param("5 billion events at 200 bytes a day", 1000.0, id="events-at-bytes"),
        pytest.param("10 million rows, 40 GB a day", 40.0, id="rows-with-total-size"),
        pytest.param("1,000 GB/day", 1000.0, id="thousands-comma"),
        pytest.param("1.5 PB per year", 1.5e6 / 365, id="petabytes-a-year"),
        pytest.param("40 GB every 2 days", 20.0, id="every-two-days"),
        pytest.param("40 GB twice a day", 80.0, id="twice-a-day"),
        pytest.param("5 megs an hour", 0.12, id="megs-an-hour"),
        pytest.param("500 MB/s", 43_200.0, id="per-second"),
    ],
)
def test_volume_is_normalised_to_gb_per_day(text: str, gb_per_day: float) -> None:
    """Each way of giving a volume becomes decimal GB per day, keeping the typed text."""
    volume = _value(parse_volume(text), Volume)
    assert volume.gb_per_day == pytest.approx(gb_per_day)
    assert volume.text == text


@pytest.mark.parametrize(
    ("gb_per_day", "band"),
    [
        pytest.param(0.0, VolumeBand.LOW, id="nothing-low"),
        pytest.param(1.999, VolumeBand.LOW, id="just-under-2-low"),
        pytest.param(2.0, VolumeBand.MODERATE, id="2-moderate"),
        pytest.param(24.999, VolumeBand.MODERATE, id="just-under-25-moderate"),
        pytest.param(25.0, VolumeBand.HIGH, id="25-high"),
        pytest.param(750.0, VolumeBand.HIGH, id="750-high"),
        pytest.param(750.001, VolumeBand.MASSIVE, id="over-750-massive"),
    ],
)
def test_volume_bands_follow_the_decision_guide(gb_per_day: float, band: VolumeBand) -> None:
    """Low < 2 GB <= moderate < 25 GB <= high <= 750 GB < massive, per day."""
    assert band_for(gb_per_day) is band
    assert Volume(gb_per_day=gb_per_day).band is band


@pytest.mark.parametrize(
    ("text", "band"),
    [
        pytest.param("500 MB a day", VolumeBand.LOW, id="low"),
        pytest.param("2 GB a day", VolumeBand.MODERATE, id="moderate"),
        pytest.param("2 TB per week", VolumeBand.HIGH, id="high"),
        pytest.param("1 TB a day", VolumeBand.MASSIVE, id="massive"),
    ],
)
def test_parsed_volume_lands_in_its_band(text: str, band: VolumeBand) -> None:
    """A parsed volume is placed in its band (docs/decision-guide.md) by its daily figure."""
    assert _value(parse_volume(text), Volume).band is band


def test_bare_number_asks_for_a_unit_and_a_period() -> None:
    """A number with no unit or period is refused with a request for both, and an example."""
    error = _error(parse_volume("40"))
    assert error.problem == msg.VOLUME_NO_UNIT
    assert "unit" in error.expected
    assert "period" in error.expected
    assert error.example == msg.VOLUME_EXAMPLE


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("40 GB", msg.VOLUME_NO_PERIOD, id="size-without-period"),
        pytest.param("lots of data", msg.VOLUME_NO_SIZE, id="no-number"),
        pytest.param("10 million rows a day", msg.VOLUME_NO_ROW_SIZE, id="rows-without-size"),
        pytest.param("1e400 GB a day", msg.VOLUME_NO_UNIT, id="exponent-is-not-read-as-400"),
        pytest.param("1,0000 GB a day", msg.VOLUME_NO_UNIT, id="misplaced-comma"),
        pytest.param("9" * 400 + " GB a day", msg.NUMBER_OUT_OF_RANGE, id="overflowing-number"),
        pytest.param("40 GB every 0 days", msg.NUMBER_OUT_OF_RANGE, id="zero-period"),
    ],
)
def test_volume_refusals_say_what_is_missing(text: str, problem: str) -> None:
    """Volumes that cannot be read name the missing part and show an example."""
    error = _error(parse_volume(text))
    assert error.problem == problem
    assert error.expected == msg.VOLUME_EXPECTED
    assert error.example == msg.VOLUME_EXAMPLE


@pytest.mark.parametrize(
    ("text", "gb_per_day"),
    [
        pytest.param("30 million rows per day at 1 KB", 30.0, id="period-then-at-size"),
        pytest.param("1 million rows per day, each row ~2 KB", 2.0, id="period-then-each-row"),
        pytest.param("3m rows/day x 500 bytes", 1.5, id="slash-day-times-bytes"),
        pytest.param("10M rows a day, 1 KB each", 10.0, id="period-then-size-each"),
        pytest.param("10 million rows per day (1 KB each)", 10.0, id="size-each-in-brackets"),
        pytest.param("1.2 billion events/day @ 300 bytes", 360.0, id="at-sign"),
        pytest.param("500k events/sec at 1 KB", 43_200.0, id="events-per-second-at-size"),
        pytest.param("1M rows/day, row size 2 KB", 2.0, id="row-size-named"),
        pytest.param("each row is about 2 KB, 5 million rows a day", 10.0, id="row-size-first"),
        pytest.param("10 million 1 KB rows a day", 10.0, id="size-before-row-noun"),
        pytest.param("a million rows a day at 1 KB", 1.0, id="count-in-words"),
        pytest.param("1 KB per request, 1000 requests per second", 86.4, id="per-request"),
        pytest.param("10 GB per file, 20 files a day", 200.0, id="per-file"),
        pytest.param("500 files a day averaging 2 MB", 1.0, id="files-averaging"),
        pytest.param("5 MB per user per day, 10k users", 50.0, id="per-user"),
        pytest.param("5k sensors, each sends 200 bytes per second", 86.4, id="each-sends"),
    ],
)
def test_row_count_times_row_size_wherever_the_period_stands(text: str, gb_per_day: float) -> None:
    """A row count and one row's size multiply, with the period before, between or after them."""
    assert _value(parse_volume(text), Volume).gb_per_day == pytest.approx(gb_per_day)


@pytest.mark.parametrize(
    ("text", "gb_per_day"),
    [
        pytest.param("10 million rows, 40 GB per day", 40.0, id="comma-then-per-day"),
        pytest.param("10 million rows 40 GB a day", 40.0, id="no-joiner-gigabytes"),
        pytest.param("250 GB per day, 1 billion events", 250.0, id="size-then-count"),
        pytest.param("50 GB a day from 2 million requests", 50.0, id="from-requests"),
        pytest.param("40 GB logs per day", 40.0, id="size-of-logs"),
        pytest.param("2 TB total, growing 10 GB a day", 10.0, id="total-then-growth"),
        pytest.param("we have 2 TB, growing 10 GB a day", 10.0, id="we-have-then-growth"),
        pytest.param("2 TB stored and 10 GB a day new", 10.0, id="stored-then-growth"),
        pytest.param("backfill of 3 TB, then 20 GB daily", 20.0, id="backfill-then-daily"),
        pytest.param("2 TB total per year", 2000 / 365, id="total-with-its-period"),
        pytest.param("a total of 40 GB a day", 40.0, id="a-total-per-day"),
    ],
)
def test_the_throughput_is_the_size_that_arrives(text: str, gb_per_day: float) -> None:
    """A size not marked per row is the total, and a stored total gives way to what arrives."""
    assert _value(parse_volume(text), Volume).gb_per_day == pytest.approx(gb_per_day)


@pytest.mark.parametrize(
    ("text", "gb_per_day"),
    [
        pytest.param("not 40 GB, more like 60 GB a day", 60.0, id="negated-size"),
        pytest.param("no more than 40 GB a day", 40.0, id="bound-is-not-negation"),
        pytest.param("not daily, weekly: 300 GB", 300 / 7, id="negated-period"),
        pytest.param("40 gigs a night", 40.0, id="a-night"),
        pytest.param("without compression 40 GB a day", 40.0, id="negation-of-another-word"),
    ],
)
def test_volume_reads_only_what_is_affirmed(text: str, gb_per_day: float) -> None:
    """A size or period the answer rules out is skipped; "no more than" still sets the size."""
    assert _value(parse_volume(text), Volume).gb_per_day == pytest.approx(gb_per_day)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("1 KB each, daily", msg.VOLUME_NO_ROW_COUNT, id="row-size-without-count"),
        pytest.param("not 40 GB a day", msg.VOLUME_NO_SIZE, id="only-a-negated-size"),
    ],
)
def test_volume_without_a_usable_size_is_refused(text: str, problem: str) -> None:
    """A row size with no count, or only a size ruled out, is refused instead of misread."""
    assert _error(parse_volume(text)).problem == problem


# --- churn -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "period_minutes"),
    [
        pytest.param("never", ChurnKind.NEVER, None, id="id-never"),
        pytest.param("low", ChurnKind.LOW, None, id="id-low"),
        pytest.param("cadence", ChurnKind.CADENCE, None, id="id-cadence"),
        pytest.param("constant", ChurnKind.CONSTANT, None, id="id-constant"),
        pytest.param("static", ChurnKind.NEVER, None, id="static"),
        pytest.param("It never changes", ChurnKind.NEVER, None, id="never-changes"),
        pytest.param("rarely", ChurnKind.LOW, None, id="rarely"),
        pytest.param("every 15 minutes", ChurnKind.CADENCE, 15.0, id="every-15-minutes"),
        pytest.param("hourly", ChurnKind.CADENCE, 60.0, id="hourly"),
        pytest.param("daily", ChurnKind.CADENCE, 1440.0, id="daily"),
        pytest.param("nightly", ChurnKind.CADENCE, 1440.0, id="nightly"),
        pytest.param("weekly", ChurnKind.CADENCE, 10_080.0, id="weekly"),
        pytest.param("every other day", ChurnKind.CADENCE, 2880.0, id="every-other-day"),
        pytest.param("twice a day", ChurnKind.CADENCE, 720.0, id="twice-a-day"),
        pytest.param("3 times a week", ChurnKind.CADENCE, 3360.0, id="three-times-a-week"),
        pytest.param("yearly", ChurnKind.CADENCE, 525_600.0, id="yearly-is-a-schedule"),
        pytest.param("every 30 seconds", ChurnKind.CONSTANT, 0.5, id="sub-minute-is-constant"),
        pytest.param("streaming", ChurnKind.CONSTANT, None, id="streaming"),
        pytest.param("continuously", ChurnKind.CONSTANT, None, id="continuously"),
    ],
)
def test_churn_kinds_and_schedules(
    text: str, kind: ChurnKind, period_minutes: float | None
) -> None:
    """Churn is never / low / a cadence that keeps its period / constant."""
    churn = _value(parse_churn(text), Churn)
    assert churn.kind is kind
    assert churn.period_minutes == (
        None if period_minutes is None else pytest.approx(period_minutes)
    )


def test_unreadable_churn_shows_the_classes() -> None:
    """A churn answer with no class or schedule is refused with the four classes as expected."""
    error = _error(parse_churn("it depends"))
    assert error.problem == msg.NOT_UNDERSTOOD
    assert error.expected == msg.CHURN_EXPECTED
    assert isinstance(parse_churn(error.example), Churn)


@pytest.mark.parametrize(
    ("text", "kind", "period_minutes"),
    [
        pytest.param("no streaming, nightly batch", ChurnKind.CADENCE, 1440.0, id="no-streaming"),
        pytest.param("not constantly, weekly", ChurnKind.CADENCE, 10_080.0, id="not-constantly"),
        pytest.param("fixed schedule, every hour", ChurnKind.CADENCE, 60.0, id="fixed-schedule"),
        pytest.param(
            "new records arrive daily, old ones never change",
            ChurnKind.CADENCE,
            1440.0,
            id="arrivals-beat-never-change",
        ),
        pytest.param(
            "never changes, reloaded every day", ChurnKind.CADENCE, 1440.0, id="never-but-reloaded"
        ),
        pytest.param(
            "static, refreshed yearly", ChurnKind.CADENCE, 525_600.0, id="static-but-yearly"
        ),
        pytest.param(
            "real time is not needed, hourly", ChurnKind.CADENCE, 60.0, id="real-time-not-needed"
        ),
        pytest.param("not static, changes hourly", ChurnKind.CADENCE, 60.0, id="not-static"),
        pytest.param("not daily, more like weekly", ChurnKind.CADENCE, 10_080.0, id="not-daily"),
        pytest.param("a few times a day", ChurnKind.CADENCE, 480.0, id="a-few-times"),
        pytest.param(
            "immutable events, streamed in real time", ChurnKind.CONSTANT, None, id="streamed"
        ),
        pytest.param("never stops", ChurnKind.CONSTANT, None, id="never-stops"),
        pytest.param("almost never", ChurnKind.LOW, None, id="almost-never"),
        pytest.param("not very often", ChurnKind.LOW, None, id="not-very-often"),
    ],
)
def test_negated_churn_words_give_way_to_the_schedule(
    text: str, kind: ChurnKind, period_minutes: float | None
) -> None:
    """Ruled-out words do not count, and a named schedule beats a partial "never changes"."""
    churn = _value(parse_churn(text), Churn)
    assert churn.kind is kind
    assert churn.period_minutes == (
        None if period_minutes is None else pytest.approx(period_minutes)
    )


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("never", id="never"),
        pytest.param("static", id="static"),
        pytest.param("it never changes", id="it-never-changes"),
        pytest.param("doesn't change", id="doesnt-change"),
        pytest.param("it doesn\u2019t change", id="curly-apostrophe"),
        pytest.param("nothing changes", id="nothing-changes"),
        pytest.param("fixed dataset", id="fixed-dataset"),
        pytest.param("loaded once, never changes", id="loaded-once"),
    ],
)
def test_whole_answer_never_stays_never(text: str) -> None:
    """An answer that only says the data never changes is still never."""
    assert _value(parse_churn(text), Churn).kind is ChurnKind.NEVER


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("no streaming", id="no-streaming"),
        pytest.param("not in real time", id="not-in-real-time"),
        pytest.param("the data is fixed", id="bare-fixed"),
    ],
)
def test_churn_that_only_rules_out_is_refused(text: str) -> None:
    """An answer that only says what the churn is not is re-asked, not read as its opposite."""
    assert _error(parse_churn(text)).problem == msg.NOT_UNDERSTOOD


# --- decay -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days"),
    [
        pytest.param("every 30 days", 30.0, id="every-30-days"),
        pytest.param("30 days", 30.0, id="plain-duration"),
        pytest.param("weekly", 7.0, id="weekly"),
        pytest.param("every 2 weeks", 14.0, id="every-2-weeks"),
        pytest.param("monthly", 30.0, id="monthly"),
        pytest.param("quarterly", 91.0, id="quarterly"),
        pytest.param("twice a year", 182.5, id="twice-a-year"),
        pytest.param("once in 6 months", 180.0, id="once-in-6-months"),
        pytest.param("every 12 hours", 0.5, id="every-12-hours"),
        pytest.param("never", None, id="never"),
        pytest.param("no need to retrain", None, id="no-need"),
        pytest.param("once and for all", None, id="once-and-for-all"),
    ],
)
def test_decay_gives_days_between_retrains(text: str, days: float | None) -> None:
    """Decay becomes days between retrains, or None when the model need not be retrained."""
    decay = _value(parse_decay(text), Decay)
    assert decay.retrain_every_days == (None if days is None else pytest.approx(days))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("soon", id="no-period"),
        pytest.param("every 0 days", id="zero-days"),
    ],
)
def test_unreadable_decay_is_refused(text: str) -> None:
    """A decay with no readable, positive period is refused with an example that parses."""
    error = _error(parse_decay(text))
    assert error.expected == msg.DECAY_EXPECTED
    assert isinstance(parse_decay(error.example), Decay)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        pytest.param("no, monthly", 30.0, id="no-then-schedule"),
        pytest.param("no more than once a quarter", 91.0, id="no-more-than"),
        pytest.param("not needed often, every 6 months", 180.0, id="not-needed-often"),
        pytest.param("doesn't decay much, retrain yearly", 365.0, id="decays-little"),
        pytest.param("retrain weekly, not daily", 7.0, id="negated-period"),
        pytest.param("not monthly, quarterly", 91.0, id="not-monthly"),
        pytest.param("a few times a year", 365 / 3, id="a-few-times"),
        pytest.param("the model doesn't need retraining", None, id="doesnt-need-retraining"),
        pytest.param("one-time training", None, id="one-time"),
        pytest.param("once, at launch", None, id="once-at-launch"),
    ],
)
def test_decay_schedule_outweighs_a_partial_no(text: str, days: float | None) -> None:
    """A retraining schedule beats a "no" that is not the whole answer; ruled-out periods skip."""
    decay = _value(parse_decay(text), Decay)
    assert decay.retrain_every_days == (None if days is None else pytest.approx(days))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("no idea", id="no-idea"),
        pytest.param("once the drift exceeds 5%", id="once-as-when"),
    ],
)
def test_decay_that_is_not_never_is_not_read_as_never(text: str) -> None:
    """ "No idea" and "once the drift ..." are refused, not read as "never retrain"."""
    assert _error(parse_decay(text)).problem == msg.NOT_UNDERSTOOD


# --- frequency -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "per_second"),
    [
        pytest.param("1000 requests per second", 1000.0, id="per-second"),
        pytest.param("50k calls an hour", 50_000 / 3600, id="thousands-an-hour"),
        pytest.param("once a day", 1 / DAY_SECONDS, id="once-a-day"),
        pytest.param("twice a day", 2 / DAY_SECONDS, id="twice-a-day"),
        pytest.param("10 rps", 10.0, id="rps"),
        pytest.param("about 3 million calls a day", 3e6 / DAY_SECONDS, id="millions-a-day"),
        pytest.param("1,000 per minute", 1000 / 60, id="comma-per-minute"),
        pytest.param("every 5 minutes", 1 / 300, id="every-5-minutes"),
        pytest.param("2 calls every 10 minutes", 2 / 600, id="count-every-10-minutes"),
        pytest.param("once every 2 hours", 1 / 7200, id="once-every-2-hours"),
        pytest.param("5 times an hour", 5 / 3600, id="times-an-hour"),
    ],
)
def test_frequency_gives_calls_per_second(text: str, per_second: float) -> None:
    """Invocation rates become calls per second, whatever period they were given over."""
    assert _value(parse_frequency(text), Frequency).calls_per_second == pytest.approx(per_second)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("1000", msg.FREQUENCY_NO_PERIOD, id="number-without-period"),
        pytest.param("quite often", msg.NOT_UNDERSTOOD, id="words-only"),
        pytest.param("every 0 seconds", msg.NUMBER_OUT_OF_RANGE, id="zero-period"),
        pytest.param("9" * 400 + " calls a day", msg.NUMBER_OUT_OF_RANGE, id="overflowing-number"),
    ],
)
def test_unreadable_frequency_is_refused(text: str, problem: str) -> None:
    """Frequencies without a period, or with impossible numbers, are refused with an example."""
    error = _error(parse_frequency(text))
    assert error.problem == problem
    assert error.example == msg.FREQUENCY_EXAMPLE


@pytest.mark.parametrize(
    ("text", "per_second"),
    [
        pytest.param("24/7, ~50 rps", 50.0, id="availability-then-rps"),
        pytest.param("24/7 at 50 requests per second", 50.0, id="availability-then-requests"),
        pytest.param("not 1000 rps, more like 50 rps", 50.0, id="negated-rate"),
        pytest.param(
            "during business hours, 9 to 5, around 10 calls per minute",
            10 / 60,
            id="count-tied-to-calls",
        ),
        pytest.param("5-10 requests per minute", 10 / 60, id="range-tied-to-requests"),
        pytest.param("every day at 2am", 1 / DAY_SECONDS, id="clock-time-am"),
        pytest.param("once a day at 6:00", 1 / DAY_SECONDS, id="clock-time-colon"),
        pytest.param("not hourly, daily", 1 / DAY_SECONDS, id="negated-period"),
        pytest.param("a few times a day", 3 / DAY_SECONDS, id="a-few-times"),
        pytest.param("a couple of times an hour", 2 / 3600, id="a-couple-of-times"),
        pytest.param("a million calls a day", 1e6 / DAY_SECONDS, id="a-million"),
        pytest.param("two million calls a day", 2e6 / DAY_SECONDS, id="two-million"),
        pytest.param("not even 10 requests a day", 10 / DAY_SECONDS, id="not-even"),
        pytest.param("we don't need 1000 rps, 50 rps is enough", 50.0, id="negated-across-a-verb"),
    ],
)
def test_frequency_counts_the_number_that_counts_calls(text: str, per_second: float) -> None:
    """The count is the number tied to a rate unit, to calls or to the period, never a clock time."""
    assert _value(parse_frequency(text), Frequency).calls_per_second == pytest.approx(per_second)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("hundreds of requests per second", id="hundreds-of"),
        pytest.param("many times a day", id="many-times"),
        pytest.param("requests every second", id="requests-without-count"),
    ],
)
def test_frequency_with_a_vague_count_is_refused(text: str) -> None:
    """Calls over a period with no number are refused instead of read as one call."""
    error = _error(parse_frequency(text))
    assert error.problem == msg.FREQUENCY_NO_COUNT
    assert error.example == msg.FREQUENCY_EXAMPLE


# --- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stateful", "details"),
    [
        pytest.param("yes", True, "", id="id-yes"),
        pytest.param("no", False, "", id="id-no"),
        pytest.param(
            "yes - per-customer thresholds in a table",
            True,
            "per-customer thresholds in a table",
            id="yes-with-details",
        ),
        pytest.param("Yep: settings per tenant", True, "settings per tenant", id="yep-colon"),
        pytest.param("no, stateless", False, "stateless", id="no-with-details"),
        pytest.param("Nope.", False, "", id="nope"),
        pytest.param(
            "there is a lookup table of customers",
            True,
            "there is a lookup table of customers",
            id="hint-without-yes",
        ),
    ],
)
def test_config_is_yes_or_no_with_details(text: str, stateful: bool, details: str) -> None:
    """Configuration is a yes / no, and the details after it are kept as typed."""
    config = _value(parse_config(text), Config)
    assert config.stateful is stateful
    assert config.details == details


def test_undecided_config_is_refused() -> None:
    """A config answer that is neither yes nor no nor names state is refused."""
    error = _error(parse_config("maybe"))
    assert error.expected == msg.CONFIG_EXPECTED
    assert _value(parse_config(error.example), Config).stateful is True


def test_config_details_do_not_make_a_conflict() -> None:
    """Two people who both say "no" agree, however differently they explain it."""
    first = _value(parse_config("no"), Config)
    second = _value(parse_config("no, everything is in the request"), Config)
    assert first.same_as(second)
    assert not first.same_as(_value(parse_config("yes"), Config))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("there are no tables", id="there-are-no-tables"),
        pytest.param("there is no state", id="there-is-no-state"),
        pytest.param("we don't have any configuration", id="dont-have-configuration"),
        pytest.param("not stateful", id="not-stateful"),
        pytest.param("without any state", id="without-state"),
    ],
)
def test_ruled_out_state_is_stateless(text: str) -> None:
    """Naming state only to rule it out is a no, not a yes."""
    assert _value(parse_config(text), Config).stateful is False


def test_no_idea_is_not_a_config_no() -> None:
    """ "No idea" is refused rather than read as "no configuration"."""
    assert _error(parse_config("no idea")).problem == msg.NOT_UNDERSTOOD


# --- SLA -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds", "realtime"),
    [
        pytest.param("under 50 ms", 0.05, RealTime.YES, id="under-50-ms"),
        pytest.param("100ms", 0.1, RealTime.YES, id="no-space-ms"),
        pytest.param("in under 200 milliseconds", 0.2, RealTime.YES, id="milliseconds"),
        pytest.param("no more than 200 ms", 0.2, RealTime.YES, id="no-more-than"),
        pytest.param("1 second", 1.0, RealTime.YES, id="one-second-boundary"),
        pytest.param("real-time", 1.0, RealTime.YES, id="real-time-words"),
        pytest.param("sub-second", 1.0, RealTime.YES, id="sub-second"),
        pytest.param("2 seconds", 2.0, RealTime.MAYBE, id="two-seconds"),
        pytest.param("15 minutes", 900.0, RealTime.MAYBE, id="fifteen-minutes-boundary"),
        pytest.param("16 minutes", 960.0, RealTime.NO, id="sixteen-minutes"),
        pytest.param("within the hour", 3600.0, RealTime.NO, id="within-the-hour"),
        pytest.param("by the next morning", DAY_SECONDS, RealTime.NO, id="next-morning"),
        pytest.param("no later than 3 days", 3 * DAY_SECONDS, RealTime.NO, id="no-later-than"),
        pytest.param("no SLA", None, RealTime.NO, id="no-sla"),
        pytest.param("none", None, RealTime.NO, id="none"),
    ],
)
def test_sla_gives_seconds_and_realtime_class(
    text: str, seconds: float | None, realtime: RealTime
) -> None:
    """SLAs become seconds and a real-time class: yes at <= 1 s, maybe to 15 minutes, no beyond."""
    sla = _value(parse_sla(text), Sla)
    assert sla.seconds == (None if seconds is None else pytest.approx(seconds))
    assert sla.realtime is realtime


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("50", msg.SLA_NO_UNIT, id="number-without-unit"),
        pytest.param("fast please", msg.NOT_UNDERSTOOD, id="words-only"),
        pytest.param("9" * 400 + " seconds", msg.NUMBER_OUT_OF_RANGE, id="overflowing-number"),
    ],
)
def test_unreadable_sla_is_refused(text: str, problem: str) -> None:
    """An SLA without a time unit is refused, and the example it shows parses."""
    error = _error(parse_sla(text))
    assert error.problem == problem
    assert _value(parse_sla(error.example), Sla).realtime is RealTime.YES


@pytest.mark.parametrize(
    ("text", "seconds", "realtime"),
    [
        pytest.param(
            "not real-time, next morning is fine", DAY_SECONDS, RealTime.NO, id="not-real-time"
        ),
        pytest.param(
            "real-time is not required, within the hour",
            3600.0,
            RealTime.NO,
            id="real-time-not-required",
        ),
        pytest.param("non-real-time, within a day", DAY_SECONDS, RealTime.NO, id="non-real-time"),
        pytest.param("not instant, but within a minute", 60.0, RealTime.MAYBE, id="not-instant"),
        pytest.param(
            "not immediately, tomorrow is ok", DAY_SECONDS, RealTime.NO, id="not-immediately"
        ),
        pytest.param("not 24h, more like 1h", 3600.0, RealTime.NO, id="negated-duration"),
        pytest.param("not slower than 200 ms", 0.2, RealTime.YES, id="not-slower-than"),
        pytest.param(
            "not needed before the next morning", DAY_SECONDS, RealTime.NO, id="not-before"
        ),
        pytest.param("no, under 100 ms", 0.1, RealTime.YES, id="no-then-figure"),
        pytest.param("no hard SLA, under 5 minutes would be nice", None, RealTime.NO, id="no-hard"),
        pytest.param("within a week", 7 * DAY_SECONDS, RealTime.NO, id="within-a-week"),
        pytest.param("same day", DAY_SECONDS, RealTime.NO, id="same-day"),
        pytest.param("under a second", 1.0, RealTime.YES, id="under-a-second"),
        pytest.param(
            "we don't need 100 ms, 1 second is fine", 1.0, RealTime.YES, id="dont-need-figure"
        ),
    ],
)
def test_negated_real_time_words_do_not_count(
    text: str, seconds: float | None, realtime: RealTime
) -> None:
    """Ruled-out real-time words and durations are skipped; bounds like "not slower than" count."""
    sla = _value(parse_sla(text), Sla)
    assert sla.seconds == (None if seconds is None else pytest.approx(seconds))
    assert sla.realtime is realtime


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("doesn't need to be real-time", id="only-rules-out-real-time"),
        pytest.param("no idea", id="no-idea"),
    ],
)
def test_sla_that_only_rules_out_is_refused(text: str) -> None:
    """An SLA answer that gives no time is refused, not read as real-time or as no SLA."""
    assert _error(parse_sla(text)).problem == msg.NOT_UNDERSTOOD


# --- customer --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        pytest.param(
            "internal_high_throughput", CustomerKind.INTERNAL_HIGH_THROUGHPUT, id="id-iht"
        ),
        pytest.param("external", CustomerKind.EXTERNAL, id="id-external"),
        pytest.param("internal_private", CustomerKind.INTERNAL_PRIVATE, id="id-private"),
        pytest.param("file_based", CustomerKind.FILE_BASED, id="id-file"),
        pytest.param("File-based", CustomerKind.FILE_BASED, id="id-with-hyphen"),
        pytest.param(
            "partner apps over the internet", CustomerKind.EXTERNAL, id="partners-internet"
        ),
        pytest.param("files dropped on SFTP", CustomerKind.FILE_BASED, id="sftp-files"),
        pytest.param("internal dashboards", CustomerKind.INTERNAL_PRIVATE, id="dashboards"),
        pytest.param("internal customers", CustomerKind.INTERNAL_PRIVATE, id="internal-customers"),
        pytest.param("our mobile app", CustomerKind.EXTERNAL, id="mobile-app"),
        pytest.param(
            "Kafka consumers in the data centre",
            CustomerKind.INTERNAL_HIGH_THROUGHPUT,
            id="kafka",
        ),
    ],
)
def test_customer_from_choice_id_or_description(text: str, kind: CustomerKind) -> None:
    """The customer system is read from a choice id or from a description."""
    assert _value(parse_customer(text), Customer).kind is kind


def test_unknown_customer_lists_the_choices() -> None:
    """A customer that matches nothing is refused, naming the four choice ids."""
    error = _error(parse_customer("nobody knows yet"))
    assert all(kind.value in error.expected for kind in CustomerKind)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        pytest.param(
            "internal only, not external", CustomerKind.INTERNAL_PRIVATE, id="not-external"
        ),
        pytest.param(
            "no partners, internal dashboards", CustomerKind.INTERNAL_PRIVATE, id="no-partners"
        ),
        pytest.param(
            "non-public API for the backoffice", CustomerKind.INTERNAL_PRIVATE, id="non-public"
        ),
        pytest.param(
            "without a public endpoint, internal tools",
            CustomerKind.INTERNAL_PRIVATE,
            id="without-public",
        ),
        pytest.param(
            "our own backend, no third parties", CustomerKind.INTERNAL_PRIVATE, id="no-third-party"
        ),
        pytest.param(
            "not the internet, VPC only", CustomerKind.INTERNAL_PRIVATE, id="not-internet"
        ),
        pytest.param(
            "internal, but not high-throughput",
            CustomerKind.INTERNAL_PRIVATE,
            id="not-high-throughput",
        ),
        pytest.param(
            "no kafka, internal REST service", CustomerKind.INTERNAL_PRIVATE, id="no-kafka"
        ),
        pytest.param("internal teams, no files", CustomerKind.INTERNAL_PRIVATE, id="no-files"),
        pytest.param("not files, a REST API for partners", CustomerKind.EXTERNAL, id="not-files"),
        pytest.param("mobile app, not internal", CustomerKind.EXTERNAL, id="not-internal"),
    ],
)
def test_negated_customer_keywords_do_not_count(text: str, kind: CustomerKind) -> None:
    """ "Not X", "no X", "non-X" and "without X" rule a system out instead of choosing it."""
    assert _value(parse_customer(text), Customer).kind is kind


def test_customer_that_only_rules_out_is_refused() -> None:
    """An answer naming only what the customer is not is refused."""
    assert _error(parse_customer("nothing external")).problem == msg.NOT_UNDERSTOOD


# --- stakeholders ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "names"),
    [
        pytest.param(
            "<@U123>, <@U456> and finance", ("<@U123>", "<@U456>", "finance"), id="mentions"
        ),
        pytest.param(
            "@maria, the fraud team, finance",
            ("@maria", "the fraud team", "finance"),
            id="names-and-teams",
        ),
        pytest.param("R&D and Sales & Marketing", ("R&D", "Sales", "Marketing"), id="ampersands"),
        pytest.param("Risk AND Finance", ("Risk", "Finance"), id="upper-case-and"),
        pytest.param("ops; ops\nlegal.", ("ops", "legal"), id="duplicates-and-newlines"),
    ],
)
def test_stakeholders_are_split_into_names(text: str, names: tuple[str, ...]) -> None:
    """Stakeholders split on commas, "and", semicolons and lines; mentions are kept as typed."""
    assert _value(parse_stakeholders(text), Stakeholders).names == names


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param(" , ; ", msg.NOT_UNDERSTOOD, id="only-separators"),
        pytest.param(
            ", ".join(f"person{i}" for i in range(MAX_STAKEHOLDERS + 1)),
            msg.TOO_MANY_STAKEHOLDERS.format(count=MAX_STAKEHOLDERS + 1, limit=MAX_STAKEHOLDERS),
            id="too-many",
        ),
    ],
)
def test_stakeholder_refusals(text: str, problem: str) -> None:
    """No names, or more names than a card can show, is refused."""
    assert _error(parse_stakeholders(text)).problem == problem


# --- model -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "family", "cost"),
    [
        pytest.param("TensorFlow CNN, $5,000 to train", ModelFamily.DEEP, 5000.0, id="deep-cnn"),
        pytest.param("xgboost, about $300 to train", ModelFamily.SIMPLE, 300.0, id="simple-xgb"),
        pytest.param(
            "PyTorch transformer, 12k dollars", ModelFamily.DEEP, 12_000.0, id="k-dollars"
        ),
        pytest.param("random forest, $1.2m", ModelFamily.SIMPLE, 1.2e6, id="millions"),
        pytest.param("linear model for 300 USD", ModelFamily.SIMPLE, 300.0, id="usd"),
        pytest.param("logistic regression", ModelFamily.SIMPLE, None, id="no-cost"),
        pytest.param("simple", ModelFamily.SIMPLE, None, id="id-simple"),
        pytest.param("deep", ModelFamily.DEEP, None, id="id-deep"),
        pytest.param("unknown", ModelFamily.UNKNOWN, None, id="id-unknown"),
        pytest.param("not sure yet", ModelFamily.UNKNOWN, None, id="not-sure"),
    ],
)
def test_model_family_and_training_cost(text: str, family: ModelFamily, cost: float | None) -> None:
    """The model plan is simple / deep / unknown, with the training cost in dollars when given."""
    plan = _value(parse_model(text), ModelPlan)
    assert plan.family is family
    assert plan.training_cost == cost


def test_unknown_model_family_is_refused() -> None:
    """A model answer naming no family is refused with an example that parses."""
    error = _error(parse_model("banana"))
    assert error.expected == msg.MODEL_EXPECTED
    assert _value(parse_model(error.example), ModelPlan).family is ModelFamily.SIMPLE


@pytest.mark.parametrize(
    ("text", "family"),
    [
        pytest.param("no deep learning, just xgboost", ModelFamily.SIMPLE, id="no-deep-learning"),
        pytest.param(
            "without deep learning, a linear model", ModelFamily.SIMPLE, id="without-deep"
        ),
        pytest.param("no neural nets, gradient boosting", ModelFamily.SIMPLE, id="no-neural"),
        pytest.param("xgboost, not a neural network", ModelFamily.SIMPLE, id="not-neural-after"),
        pytest.param("LLM-based, not rules", ModelFamily.DEEP, id="not-rules"),
        pytest.param(
            "not sure if deep learning is needed", ModelFamily.UNKNOWN, id="unsure-about-deep"
        ),
        pytest.param("not decided", ModelFamily.UNKNOWN, id="not-decided"),
        pytest.param("Not decided", ModelFamily.UNKNOWN, id="choice-label"),
        pytest.param("not sure yet", ModelFamily.UNKNOWN, id="not-sure-yet"),
        pytest.param("haven't decided", ModelFamily.UNKNOWN, id="havent-decided"),
        pytest.param("to be decided", ModelFamily.UNKNOWN, id="to-be-decided"),
        pytest.param("I don\u2019t know", ModelFamily.UNKNOWN, id="curly-apostrophe"),
    ],
)
def test_negated_model_families_do_not_count(text: str, family: ModelFamily) -> None:
    """A family the answer rules out is not chosen, and "not decided" is unknown."""
    assert _value(parse_model(text), ModelPlan).family is family


def test_model_that_only_rules_out_is_refused() -> None:
    """ "Not deep learning" names no family, so it is refused rather than read as deep."""
    assert _error(parse_model("not deep learning")).problem == msg.NOT_UNDERSTOOD


# --- shared guards ---------------------------------------------------------------------------


def test_same_answer_in_other_words_is_the_same_value() -> None:
    """Two wordings of one volume agree; a different volume does not."""
    first = _value(parse_volume("40 GB a day"), Volume)
    assert first.same_as(_value(parse_volume("40GB daily"), Volume))
    assert not first.same_as(_value(parse_volume("41 GB a day"), Volume))


def test_overlong_answer_is_refused_before_parsing() -> None:
    """An answer over the length limit is refused with its length, whatever the question."""
    text = "40 GB a day " + "x" * MAX_ANSWER_CHARS
    assert too_long("x" * MAX_ANSWER_CHARS) is None
    error = _error(parse_answer("volume", text))
    assert error.problem == msg.TOO_LONG.format(length=len(text), limit=MAX_ANSWER_CHARS)


def test_broken_escape_is_refused_with_the_questions_example() -> None:
    """A lone surrogate (a broken JSON escape) is refused, showing what the question expects."""
    error = _error(parse_answer("sla", "100 ms \udcff"))
    assert error.problem == msg.NOT_TEXT
    assert error.expected == msg.SLA_EXPECTED
    assert error.example == msg.SLA_EXAMPLE


# --- clarifying questions --------------------------------------------------------------------


def _unclear(result: object) -> Unclear:
    """The clarifying question, failing the test if the text was read or plainly refused."""
    assert isinstance(result, Unclear), f"not asked about: {result!r}"
    return result


def test_a_size_without_a_period_asks_per_day_week_or_month() -> None:
    """ "200 GB" is asked about, keeping the refusal a re-ask would show."""
    unclear = _unclear(parse_volume("200 GB"))
    assert unclear.ask == msg.ASK_VOLUME_PERIOD.format(size="200 GB")
    assert [option.label for option in unclear.options] == list(msg.OPTIONS_VOLUME_PERIOD)
    assert [option.answer for option in unclear.options] == [
        "200 GB per day",
        "200 GB per week",
        "200 GB per month",
    ]
    assert (unclear.problem, unclear.expected) == (msg.VOLUME_NO_PERIOD, msg.VOLUME_EXPECTED)


def test_a_typed_follow_up_reads_alone_or_after_the_answer() -> None:
    """ "200 GB per week" and "200 GB" + " " + "per week" read the same, as the dialogue sends them."""
    alone = _value(parse_volume("200 GB per week"), Volume)
    followed = _value(parse_volume("200 GB" + " " + "per week"), Volume)
    assert alone.gb_per_day == pytest.approx(200 / 7)
    assert followed.same_as(alone)


@pytest.mark.parametrize(
    ("parser", "text", "label", "expected"),
    [
        pytest.param(parse_customer, "internal", "high-throughput services",
                     Customer(kind=CustomerKind.INTERNAL_HIGH_THROUGHPUT), id="internal-busy"),
        pytest.param(parse_customer, "internal", "private, low traffic",
                     Customer(kind=CustomerKind.INTERNAL_PRIVATE), id="internal-private"),
        pytest.param(parse_churn, "biweekly", "every two weeks",
                     Churn(kind=ChurnKind.CADENCE, period_minutes=14 * 1440.0), id="biweekly-2w"),
        pytest.param(parse_churn, "biweekly", "twice a week",
                     Churn(kind=ChurnKind.CADENCE, period_minutes=3.5 * 1440.0), id="biweekly-2x"),
        pytest.param(parse_decay, "biannually", "every two years",
                     Decay(retrain_every_days=730.0), id="biannually-2y"),
        pytest.param(parse_decay, "bi-monthly", "twice a month",
                     Decay(retrain_every_days=15.0), id="bimonthly-2x"),
        pytest.param(parse_sla, "asap", "under a second", Sla(seconds=1.0), id="asap-second"),
        pytest.param(parse_sla, "asap", "within minutes", Sla(seconds=180.0), id="asap-minutes"),
        pytest.param(parse_sla, "asap", "by the next day", Sla(seconds=DAY_SECONDS),
                     id="asap-next-day"),
        pytest.param(parse_sla, "near real-time", "within a minute", Sla(seconds=60.0),
                     id="near-real-time"),
        pytest.param(parse_sla, "50", "ms", Sla(seconds=0.05), id="number-without-unit"),
        pytest.param(parse_frequency, "1000", "per minute",
                     Frequency(calls_per_second=1000 / 60), id="count-without-period"),
        pytest.param(parse_churn, "rarely, maybe once a year", "on a schedule",
                     Churn(kind=ChurnKind.CADENCE, period_minutes=525_600.0), id="rare-schedule"),
        pytest.param(parse_churn, "rarely, maybe once a year", "irregularly",
                     Churn(kind=ChurnKind.LOW), id="rare-irregular"),
    ],
)  # fmt: skip
def test_each_option_finishes_the_answer(
    parser: Callable[[str], object], text: str, label: str, expected: Value
) -> None:
    """Picking an option, by button or by typing its label after the answer, gives one reading."""
    unclear = _unclear(parser(text))
    assert len(unclear.options) <= MAX_OPTIONS
    assert all(len(option.label) <= MAX_LABEL_CHARS for option in unclear.options)
    (option,) = [option for option in unclear.options if option.label == label]
    by_button = parser(option.answer)
    by_typing = parser(f"{text} {label}")
    assert isinstance(by_button, Value)
    assert isinstance(by_typing, Value)
    assert by_button.same_as(expected), by_button
    assert by_typing.same_as(expected), by_typing


def test_an_answer_unclear_in_two_ways_is_refused() -> None:
    """ "rarely, biweekly" would need two questions, so it is re-asked instead."""
    refused = _error(parse_churn("rarely, biweekly"))
    assert not isinstance(refused, Unclear)


# --- ranges, approximations and several figures ---------------------------------------------


@pytest.mark.parametrize(
    ("parser", "text", "figure", "note"),
    [
        pytest.param(parse_volume, "10-20 GB a day", 20.0, "10-20 GB a day: planning for 20 GB",
                     id="volume-larger"),
        pytest.param(parse_sla, "100-200 ms", 0.1, "100-200 ms: planning for 100 ms",
                     id="sla-shorter"),
        pytest.param(parse_decay, "every 2-4 weeks", 14.0, "2-4 weeks: planning for 2 weeks",
                     id="decay-more-often"),
        pytest.param(parse_frequency, "between 1k and 2k rps", 2000.0,
                     "1k-2k rps: planning for 2k rps", id="frequency-more-calls"),
        pytest.param(parse_sla, "a few seconds", 3.0, '"a few seconds" read as 3 seconds',
                     id="a-few-is-three"),
        pytest.param(parse_frequency, "couple hundred requests a day", 200 / DAY_SECONDS,
                     '"couple hundred requests" read as 200 requests', id="couple-is-two"),
        pytest.param(parse_volume, "10GB/day but it spikes to 50GB", 50.0,
                     "2 figures given: planning for the largest, 50 GB a day", id="largest"),
    ],
)  # fmt: skip
def test_ranges_and_hedges_take_the_stricter_reading_and_say_so(
    parser: Callable[[str], object], text: str, figure: float, note: str
) -> None:
    """The stricter end is read (more data, more calls, sooner, more often), with a note."""
    value = parser(text)
    assert isinstance(value, Volume | Sla | Decay | Frequency), value
    shown = {
        Volume: lambda v: v.gb_per_day,
        Sla: lambda v: v.seconds,
        Decay: lambda v: v.retrain_every_days,
        Frequency: lambda v: v.calls_per_second,
    }[type(value)](value)
    assert shown == pytest.approx(figure)
    assert value.note == note


def test_the_note_is_wording_not_the_answer() -> None:
    """ "10-20 GB a day" and "20 GB a day" agree: the note, like the text, is not compared."""
    ranged = _value(parse_volume("10-20 GB a day"), Volume)
    plain = _value(parse_volume("20 GB a day"), Volume)
    assert ranged.note
    assert not plain.note
    assert ranged.same_as(plain)


# --- refusals that say why -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parser", "text", "expected"),
    [
        pytest.param(parse_volume, "-5 GB per day", msg.VOLUME_EXPECTED, id="volume"),
        pytest.param(parse_sla, "-100 ms", msg.SLA_EXPECTED, id="sla"),
        pytest.param(parse_frequency, "-3 calls a day", msg.FREQUENCY_EXPECTED, id="frequency"),
        pytest.param(parse_decay, "every -2 weeks", msg.DECAY_EXPECTED, id="decay"),
        pytest.param(parse_model, "xgboost, $-300", msg.MODEL_EXPECTED, id="cost"),
    ],
)
def test_negative_figures_are_refused(
    parser: Callable[[str], object], text: str, expected: str
) -> None:
    """A figure below zero is refused with its own message, not read without its sign."""
    error = _error(parser(text))
    assert error.problem == msg.NEGATIVE_NUMBER
    assert error.expected == expected


def test_a_range_dash_is_not_a_minus_sign() -> None:
    """ "10-20 GB" and "10 - 20 GB" are ranges, not a negative 20."""
    assert _value(parse_volume("10 - 20 GB a day"), Volume).gb_per_day == pytest.approx(20.0)


@pytest.mark.parametrize(
    ("parser", "wants"),
    [
        pytest.param(parse_churn, msg.WANTS_CHURN, id="churn"),
        pytest.param(parse_decay, msg.WANTS_DECAY, id="decay"),
        pytest.param(parse_frequency, msg.WANTS_FREQUENCY, id="frequency"),
        pytest.param(parse_sla, msg.WANTS_SLA, id="sla"),
    ],
)
def test_a_data_volume_given_to_another_question_is_refused_with_a_hint(
    parser: Callable[[str], object], wants: str
) -> None:
    """ "300 GB per day" answers the volume question; elsewhere it is refused, saying what is asked."""
    error = _error(parser("300 GB per day"))
    assert error.problem == msg.LOOKS_LIKE_VOLUME.format(wants=wants)


def test_a_volume_beside_the_answer_is_left_out_of_it() -> None:
    """ "300 GB a day, fully replaced every week" answers churn with the week."""
    churn = _value(parse_churn("300 GB a day, fully replaced every week"), Churn)
    assert churn.period_minutes == pytest.approx(10_080.0)


@pytest.mark.parametrize("text", ["5k rps", "1000 requests per second", "~200 TPS"])
def test_a_call_rate_given_to_the_volume_question_is_refused_with_a_hint(text: str) -> None:
    """A rate of calls with no size is not a data volume, and the refusal says so."""
    assert _error(parse_volume(text)).problem == msg.LOOKS_LIKE_CALL_RATE


def test_a_stored_size_alone_is_not_a_volume() -> None:
    """ "We store 2 TB" says what is kept, not what arrives, and is refused saying so."""
    assert _error(parse_volume("we store 2 TB")).problem == msg.VOLUME_ONLY_STORED


@pytest.mark.parametrize("text", ["idk", "n/a", "N/A", "tbd", "dunno", "nobody", "?"])
def test_non_answers_are_not_stakeholders(text: str) -> None:
    """ "idk" or "n/a" names nobody, so it is refused rather than saved as a name."""
    assert _error(parse_stakeholders(text)).problem == msg.STAKEHOLDERS_NOBODY


def test_a_team_called_na_is_kept() -> None:
    """Only "n/a" is a non-answer: a region team named "NA" is a stakeholder."""
    assert _value(parse_stakeholders("EMEA, NA, APAC"), Stakeholders).names == (
        "EMEA",
        "NA",
        "APAC",
    )


# --- schedules, high throughput --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days"),
    [
        pytest.param("quarterly", 91.0, id="quarterly"),
        pytest.param("once a year", 365.0, id="once-a-year"),
        pytest.param("when the quarter closes", 91.0, id="quarter-close"),
        pytest.param("fortnightly", 14.0, id="fortnightly"),
        pytest.param("semi-annually", 182.5, id="semi-annually"),
    ],
)
def test_a_stated_period_is_a_schedule_however_long(text: str, days: float) -> None:
    """Churn with a period is a timed cadence, even a long one; "rarely" stays low."""
    churn = _value(parse_churn(text), Churn)
    assert churn.kind is ChurnKind.CADENCE
    assert churn.period_minutes == pytest.approx(days * 1440)
    assert _value(parse_churn("rarely"), Churn).kind is ChurnKind.LOW


@pytest.mark.parametrize(
    ("text", "days"),
    [
        pytest.param("fortnightly", 14.0, id="fortnightly-is-14-days"),
        pytest.param("semi-annually", 182.5, id="semi-annually-is-half-a-year"),
    ],
)
def test_named_periods_have_their_length(text: str, days: float) -> None:
    """Fortnightly is 14 days and semi-annually half a year, not a day or a year."""
    assert _value(parse_decay(text), Decay).retrain_every_days == pytest.approx(days)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        pytest.param("internal services, 1000 rps", CustomerKind.INTERNAL_HIGH_THROUGHPUT,
                     id="at-the-threshold"),
        pytest.param("internal services, 999 rps", CustomerKind.INTERNAL_PRIVATE,
                     id="below-the-threshold"),
        pytest.param("internal microservices, ~5k rps", CustomerKind.INTERNAL_HIGH_THROUGHPUT,
                     id="microservices"),
        pytest.param("partner API, 5k rps", CustomerKind.EXTERNAL, id="external-stays-external"),
    ],
)  # fmt: skip
def test_an_internal_system_is_high_throughput_from_1000_calls_a_second(
    text: str, kind: CustomerKind
) -> None:
    """A call rate decides between internal high throughput and a private system."""
    assert HIGH_THROUGHPUT_CALLS_PER_SECOND == 1000
    assert _value(parse_customer(text), Customer).kind is kind
