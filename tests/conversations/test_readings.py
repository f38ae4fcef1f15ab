"""Readings say back what was understood, with numbers as people write them."""

from __future__ import annotations

import pytest

from conversations.answers import parse_answer
from conversations.readings import call_rate, daily_volume, data_size, duration, number, reading
from conversations.values import (
    AnyValue,
    Churn,
    ChurnKind,
    Config,
    Customer,
    CustomerKind,
    Decay,
    Frequency,
    ModelFamily,
    ModelPlan,
    Sla,
    Stakeholders,
    Volume,
)
from tests.conversations.corpus import CORPUS

DAY_SECONDS = 86_400.0


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param(3000.0, "3,000", id="thousands-separator"),
        pytest.param(0.5, "0.5", id="half"),
        pytest.param(50 / 7, "7.14", id="three-significant-figures"),
        pytest.param(1_234_567.0, "1.23 million", id="millions"),
        pytest.param(2.5e9, "2.5 billion", id="billions"),
        pytest.param(0.0, "0", id="zero"),
    ],
)
def test_numbers_are_written_as_people_write_them(value: float, shown: str) -> None:
    """Three significant figures, thousands separators, millions in words, never an exponent."""
    assert number(value) == shown


@pytest.mark.parametrize(
    ("gb", "shown"),
    [
        pytest.param(3000.0, "3 TB", id="terabytes-not-3e+03-gb"),
        pytest.param(0.3, "300 MB", id="megabytes"),
        pytest.param(50 / 7, "7.14 GB", id="gigabytes"),
        pytest.param(5e6, "5 PB", id="petabytes"),
        pytest.param(2e-7, "200 bytes", id="bytes"),
        pytest.param(1.5e3, "1.5 TB", id="fractional-terabytes"),
    ],
)
def test_sizes_use_the_unit_that_keeps_the_figure_small(gb: float, shown: str) -> None:
    """A size is shown in KB, MB, GB, TB or PB, whichever keeps it under a thousand."""
    assert data_size(gb) == shown


def test_a_daily_volume_is_a_size_a_day() -> None:
    """The figure a card shows for 3 TB a day reads "3 TB a day", not "3e+03 GB a day"."""
    assert daily_volume(3000.0) == "3 TB a day"


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        pytest.param(0.05, "50 ms", id="milliseconds"),
        pytest.param(0.5, "0.5 s", id="half-a-second"),
        pytest.param(3.0, "3 s", id="seconds"),
        pytest.param(120.0, "2 minutes", id="minutes"),
        pytest.param(3600.0, "1 hour", id="one-hour"),
        pytest.param(DAY_SECONDS, "1 day", id="one-day"),
        pytest.param(14 * DAY_SECONDS, "14 days", id="days"),
    ],
)
def test_durations_use_the_largest_unit_that_fits(seconds: float, shown: str) -> None:
    """Durations below half a second are in ms, then seconds, minutes, hours and days."""
    assert duration(seconds) == shown


@pytest.mark.parametrize(
    ("per_second", "shown"),
    [
        pytest.param(20.0, "20 calls a second", id="per-second"),
        pytest.param(20.5, "1,230 calls a minute", id="whole-count-a-minute"),
        pytest.param(50_000 / 3600, "50,000 calls an hour", id="whole-count-an-hour"),
        pytest.param(200 / DAY_SECONDS, "200 calls a day", id="a-day"),
        pytest.param(1 / DAY_SECONDS, "1 call a day", id="one-call"),
        pytest.param(1e6 / DAY_SECONDS, "1 million calls a day", id="a-million-a-day"),
    ],
)
def test_call_rates_use_the_shortest_period_with_a_whole_count(
    per_second: float, shown: str
) -> None:
    """A rate is shown over the shortest period that holds a whole number of calls."""
    assert call_rate(per_second) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param(Volume(gb_per_day=3000), "3 TB a day (massive)", id="volume"),
        pytest.param(
            Volume(gb_per_day=20, note="10-20 GB a day: planning for 20 GB"),
            "about 20 GB a day (moderate)",
            id="volume-from-a-range",
        ),
        pytest.param(Churn(kind=ChurnKind.NEVER), "never changes", id="never"),
        pytest.param(Churn(kind=ChurnKind.LOW), "changes rarely, with no schedule", id="low"),
        pytest.param(
            Churn(kind=ChurnKind.CADENCE, period_minutes=15),
            "every 15 minutes (a schedule)",
            id="every-15-minutes",
        ),
        pytest.param(
            Churn(kind=ChurnKind.CADENCE, period_minutes=91 * 1440),
            "every quarter (a schedule)",
            id="quarterly",
        ),
        pytest.param(
            Churn(kind=ChurnKind.CONSTANT, period_minutes=0.5),
            "changes constantly (every 30 s)",
            id="constant-with-period",
        ),
        pytest.param(
            Churn(kind=ChurnKind.CADENCE), "changes on a schedule", id="schedule-by-button"
        ),
        pytest.param(Decay(retrain_every_days=14), "14 days between retrains", id="fortnightly"),
        pytest.param(
            Decay(retrain_every_days=182.5), "about 183 days between retrains", id="rounded"
        ),
        pytest.param(Decay(retrain_every_days=None), "no retraining needed", id="never-retrain"),
        pytest.param(Frequency(calls_per_second=20.5), "1,230 calls a minute", id="frequency"),
        pytest.param(
            Config(stateful=True, details="per-customer thresholds"),
            "stateful: per-customer thresholds",
            id="stateful",
        ),
        pytest.param(Config(stateful=True), "stateful", id="stateful-no-details"),
        pytest.param(Config(stateful=False), "stateless: no configuration state", id="stateless"),
        pytest.param(
            Sla(seconds=3, note='"a few seconds" read as 3 seconds'),
            "about 3 s, near real-time",
            id="sla-approximate",
        ),
        pytest.param(Sla(seconds=0.05), "50 ms, real-time", id="sla-real-time"),
        pytest.param(Sla(seconds=DAY_SECONDS), "1 day, not real-time", id="sla-a-day"),
        pytest.param(Sla(seconds=None), "no SLA", id="no-sla"),
        pytest.param(
            Customer(kind=CustomerKind.INTERNAL_HIGH_THROUGHPUT),
            "internal, high throughput",
            id="customer",
        ),
        pytest.param(
            Stakeholders(names=("@maria", "finance")), "@maria, finance", id="stakeholders"
        ),
        pytest.param(
            ModelPlan(family=ModelFamily.SIMPLE, training_cost=50),
            "a simple model, $50 to train",
            id="model-with-cost",
        ),
        pytest.param(ModelPlan(family=ModelFamily.DEEP), "deep learning", id="model"),
        pytest.param(
            ModelPlan(family=ModelFamily.UNKNOWN), "model not decided yet", id="model-unknown"
        ),
    ],
)
def test_each_value_reads_back_in_words(value: AnyValue, shown: str) -> None:
    """Every kind of answer has a reading for the "Saved" confirmation."""
    assert reading(value) == shown


CORPUS_VALUES = [
    parsed
    for case in CORPUS
    if isinstance(parsed := parse_answer(case.question, case.text), AnyValue)
]


def test_no_reading_of_the_corpus_shows_an_exponent() -> None:
    """Whatever was typed, the reading said back has no "e+03" or "e-05" in it."""
    readings = [reading(value) for value in CORPUS_VALUES]
    assert readings
    assert [shown for shown in readings if "e+" in shown or "e-" in shown] == []
