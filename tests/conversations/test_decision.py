"""The decision engine recommends what the decision table says, and explains why."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping

import pytest

from conversations import messages as msg
from conversations.answers import DECISION_INPUTS, Answers, FieldProblem, read_answers
from conversations.decision import compute_for, decide, score
from conversations.strategies import (
    STRATEGIES,
    STRATEGY_BY_ID,
    StrategyId,
    simplicity_key,
)
from conversations.values import (
    Churn,
    ChurnKind,
    Config,
    Customer,
    CustomerKind,
    RealTime,
    Sla,
    Volume,
    VolumeBand,
)

# One daily volume and one SLA from inside each class, for answers built as values.
BAND_GB = {
    VolumeBand.LOW: 1.0,
    VolumeBand.MODERATE: 10.0,
    VolumeBand.HIGH: 100.0,
    VolumeBand.MASSIVE: 1000.0,
}
REALTIME_SECONDS: dict[RealTime, float | None] = {
    RealTime.YES: 0.1,
    RealTime.MAYBE: 60.0,
    RealTime.NO: None,
}


def answers_from(raw: Mapping[str, str]) -> Answers:
    """Answers read from typed text, as `intake-bot decide` reads them."""
    answers = read_answers(raw)
    assert isinstance(answers, Answers), answers
    return answers


def answers_for(
    band: VolumeBand, churn: ChurnKind, realtime: RealTime, customer: CustomerKind, stateful: bool
) -> Answers:
    """Answers built straight from one cell of each decision-table column."""
    return Answers(
        volume=Volume(gb_per_day=BAND_GB[band]),
        churn=Churn(kind=churn),
        sla=Sla(seconds=REALTIME_SECONDS[realtime]),
        customer=Customer(kind=customer),
        config=Config(stateful=stateful),
    )


# --- the decision table, row by row ----------------------------------------------------------

# Each row twice: with choice ids (and the plainest volume and SLA, which have no choices),
# and in the words a person would type.
TABLE_ROWS = [
    pytest.param(
        StrategyId.EVENT_STREAM,
        {
            "volume": "1 TB a day",
            "churn": "constant",
            "sla": "100 ms",
            "customer": "internal_high_throughput",
            "config": "no",
        },
        id="event_stream-choice-ids",
    ),
    pytest.param(
        StrategyId.EVENT_STREAM,
        {
            "volume": "about 5 TB per day of device syslogs",
            "churn": "streaming, it never stops",
            "sla": "under 50 ms",
            "customer": "our internal Kafka consumers, high throughput",
            "config": "nope, stateless",
        },
        id="event_stream-free-text",
    ),
    pytest.param(
        StrategyId.REST_API,
        {
            "volume": "40 GB a day",
            "churn": "cadence",
            "sla": "100 ms",
            "customer": "external",
            "config": "no",
        },
        id="rest_api-choice-ids",
    ),
    pytest.param(
        StrategyId.REST_API,
        {
            "volume": "about 200 gigs a day",
            "churn": "hourly",
            "sla": "under 200 milliseconds",
            "customer": "partner apps over the internet",
            "config": "no, stateless",
        },
        id="rest_api-free-text",
    ),
    pytest.param(
        StrategyId.PREPROCESS,
        {
            "volume": "40 GB a day",
            "churn": "never",
            "sla": "100 ms",
            "customer": "internal_private",
            "config": "yes",
        },
        id="preprocess-choice-ids",
    ),
    pytest.param(
        StrategyId.PREPROCESS,
        {
            "volume": "2 TB per week",
            "churn": "static, it never changes",
            "sla": "within the hour",
            "customer": "partner apps over the internet",
            "config": "no",
        },
        id="preprocess-free-text",
    ),
    pytest.param(
        StrategyId.SERVERLESS,
        {
            "volume": "1 GB a day",
            "churn": "cadence",
            "sla": "5 minutes",
            "customer": "internal_private",
            "config": "no",
        },
        id="serverless-choice-ids",
    ),
    pytest.param(
        StrategyId.SERVERLESS,
        {
            "volume": "500 MB a day",
            "churn": "every 15 minutes",
            "sla": "within 2 minutes",
            "customer": "internal dashboards in our VPC",
            "config": "none",
        },
        id="serverless-free-text",
    ),
    pytest.param(
        StrategyId.BATCH,
        {
            "volume": "40 GB a day",
            "churn": "cadence",
            "sla": "no SLA",
            "customer": "file_based",
            "config": "yes",
        },
        id="batch-choice-ids",
    ),
    pytest.param(
        StrategyId.BATCH,
        {
            "volume": "3 TB/month",
            "churn": "nightly",
            "sla": "by the next morning",
            "customer": "files dropped on SFTP",
            "config": "no",
        },
        id="batch-free-text",
    ),
    pytest.param(
        StrategyId.DATABASE,
        {
            "volume": "500 MB a day",
            "churn": "low",
            "sla": "2 seconds",
            "customer": "internal_private",
            "config": "yes",
        },
        id="database-choice-ids",
    ),
    pytest.param(
        StrategyId.DATABASE,
        {
            "volume": "about 300 megs a day",
            "churn": "rarely",
            "sla": "within 5 seconds",
            "customer": "our back-office app",
            "config": "yes - per-customer thresholds in a table",
        },
        id="database-free-text",
    ),
]


@pytest.mark.parametrize(("strategy", "raw"), TABLE_ROWS)
def test_table_row_gives_its_strategy(strategy: StrategyId, raw: dict[str, str]) -> None:
    """Each row of the decision table, typed as ids or as prose, recommends that row's strategy."""
    recommendation = decide(answers_from(raw))
    assert recommendation.strategy is strategy
    assert recommendation.scores[strategy] == 100.0
    assert recommendation.report_card == STRATEGY_BY_ID[strategy].card


def _row_cells() -> Iterator[object]:
    """Every combination of cells that a row of the decision table allows ("Any" expanded)."""
    every_band, every_realtime = tuple(VolumeBand), tuple(RealTime)
    every_customer = tuple(CustomerKind)
    changing = (ChurnKind.LOW, ChurnKind.CADENCE, ChurnKind.CONSTANT)
    rows: tuple[
        tuple[
            StrategyId,
            tuple[VolumeBand, ...],
            tuple[ChurnKind, ...],
            tuple[RealTime, ...],
            tuple[CustomerKind, ...],
            tuple[bool, ...],
        ],
        ...,
    ] = (
        # Massive | constantly | yes | internal & high throughput | ideally no
        (StrategyId.EVENT_STREAM, (VolumeBand.MASSIVE,), (ChurnKind.CONSTANT,), (RealTime.YES,),
         (CustomerKind.INTERNAL_HIGH_THROUGHPUT,), (False,)),
        # Moderate to high | any (data that never changes is the pre-process row) | yes |
        # external | ideally no
        (StrategyId.REST_API, (VolumeBand.MODERATE, VolumeBand.HIGH), changing, (RealTime.YES,),
         (CustomerKind.EXTERNAL,), (False,)),
        # Any | never changes | any | any | any
        (StrategyId.PREPROCESS, every_band, (ChurnKind.NEVER,), every_realtime, every_customer,
         (False, True)),
        # Low to moderate | timed cadence | maybe | internal, private networks | no
        (StrategyId.SERVERLESS, (VolumeBand.LOW, VolumeBand.MODERATE), (ChurnKind.CADENCE,),
         (RealTime.MAYBE,), (CustomerKind.INTERNAL_PRIVATE,), (False,)),
        # Moderate to high | timed cadence | no | file based | yes or no
        (StrategyId.BATCH, (VolumeBand.MODERATE, VolumeBand.HIGH), (ChurnKind.CADENCE,),
         (RealTime.NO,), (CustomerKind.FILE_BASED,), (False, True)),
        # Low | low | maybe | (blank) | yes
        (StrategyId.DATABASE, (VolumeBand.LOW,), (ChurnKind.LOW,), (RealTime.MAYBE,),
         every_customer, (True,)),
    )  # fmt: skip
    for strategy, bands, churns, realtimes, customers, states in rows:
        cells = itertools.product(bands, churns, realtimes, customers, states)
        for band, churn, realtime, customer, stateful in cells:
            state = "stateful" if stateful else "stateless"
            yield pytest.param(
                strategy,
                answers_for(band, churn, realtime, customer, stateful),
                id=f"{strategy}-{band}-{churn}-{realtime}-{customer}-{state}",
            )


@pytest.mark.parametrize(("strategy", "answers"), list(_row_cells()))
def test_every_cell_combination_of_a_row_gives_its_strategy(
    strategy: StrategyId, answers: Answers
) -> None:
    """Ranges ("moderate to high") and "Any" cells of a row all recommend the row's strategy."""
    assert decide(answers).strategy is strategy


# --- ties and near misses between rows -------------------------------------------------------


def _all_answers() -> Iterator[Answers]:
    for cells in itertools.product(VolumeBand, ChurnKind, RealTime, CustomerKind, (False, True)):
        yield answers_for(*cells)


def test_winner_has_the_top_score_and_ties_go_to_the_simpler_strategy() -> None:
    """Over every combination of table cells, the winner scores highest and is the simplest of equals."""
    checked = 0
    for answers in _all_answers():
        recommendation = decide(answers)
        top = max(recommendation.scores.values())
        tied = [s for s in STRATEGIES if recommendation.scores[s.id] == top]
        assert recommendation.strategy is min(tied, key=simplicity_key).id
        checked += 1
    assert checked == 4 * 4 * 3 * 4 * 2


@pytest.mark.parametrize(
    ("raw", "tied", "winner"),
    [
        pytest.param(
            {"volume": "40 GB a day", "churn": "never", "sla": "100 ms",
             "customer": "external", "config": "no"},
            {StrategyId.REST_API, StrategyId.PREPROCESS},
            StrategyId.PREPROCESS,
            id="rest-row-with-static-data-preprocesses",
        ),
        pytest.param(
            {"volume": "100 GB a day", "churn": "constant", "sla": "5 minutes",
             "customer": "internal_private", "config": "yes"},
            {StrategyId.EVENT_STREAM, StrategyId.SERVERLESS},
            StrategyId.SERVERLESS,
            id="stream-or-serverless-goes-serverless",
        ),
        pytest.param(
            {"volume": "1 TB a day", "churn": "low", "sla": "no SLA",
             "customer": "internal_private", "config": "no"},
            {StrategyId.SERVERLESS, StrategyId.BATCH},
            StrategyId.BATCH,
            id="serverless-or-batch-goes-batch",
        ),
    ],
)  # fmt: skip
def test_ties_between_rows_go_to_the_simpler_strategy(
    raw: dict[str, str], tied: set[StrategyId], winner: StrategyId
) -> None:
    """When two rows score the same, the one easier to deploy wins ("simpler is better")."""
    recommendation = decide(answers_from(raw))
    top = max(recommendation.scores.values())
    assert {s for s, value in recommendation.scores.items() if value == top} == tied
    assert recommendation.strategy is winner


def test_data_that_changes_rarely_is_no_near_miss_for_preprocessing() -> None:
    """Pre-processing needs data that never changes; "rarely" scores nothing, not a partial."""
    raw = {"volume": "1 TB a day", "churn": "rarely", "sla": "no SLA",
           "customer": "internal_private", "config": "no"}  # fmt: skip
    recommendation = decide(answers_from(raw))
    assert recommendation.scores[StrategyId.PREPROCESS] == 0.0
    assert recommendation.strategy is not StrategyId.PREPROCESS


@pytest.mark.parametrize(
    ("raw", "winner", "top", "partial"),
    [
        pytest.param(
            {"volume": "100 GB a day", "churn": "constant", "sla": "100 ms",
             "customer": "internal_high_throughput", "config": "no"},
            StrategyId.EVENT_STREAM, 86.4, "volume", id="stream-row-at-high-volume",
        ),
        pytest.param(
            {"volume": "1 TB a day", "churn": "constant", "sla": "100 ms",
             "customer": "internal_high_throughput", "config": "yes"},
            StrategyId.EVENT_STREAM, 95.5, "config", id="stream-row-with-state",
        ),
        pytest.param(
            {"volume": "1 TB a day", "churn": "hourly", "sla": "100 ms",
             "customer": "external", "config": "no"},
            StrategyId.REST_API, 81.2, "volume", id="rest-row-at-massive-volume",
        ),
        pytest.param(
            {"volume": "1 GB a day", "churn": "hourly", "sla": "100 ms",
             "customer": "external", "config": "no"},
            StrategyId.REST_API, 81.2, "volume", id="rest-row-at-low-volume",
        ),
        pytest.param(
            {"volume": "40 GB a day", "churn": "hourly", "sla": "100 ms",
             "customer": "external", "config": "yes"},
            StrategyId.REST_API, 93.8, "config", id="rest-row-with-state",
        ),
        pytest.param(
            {"volume": "10 GB a day", "churn": "hourly", "sla": "100 ms",
             "customer": "internal_private", "config": "no"},
            StrategyId.SERVERLESS, 90.9, "sla", id="serverless-row-in-real-time",
        ),
        pytest.param(
            {"volume": "100 GB a day", "churn": "hourly", "sla": "5 minutes",
             "customer": "internal_private", "config": "no"},
            StrategyId.SERVERLESS, 86.4, "volume", id="serverless-row-at-high-volume",
        ),
        pytest.param(
            {"volume": "10 GB a day", "churn": "nightly", "sla": "5 minutes",
             "customer": "file_based", "config": "no"},
            StrategyId.BATCH, 90.0, "sla", id="batch-row-within-minutes",
        ),
        pytest.param(
            {"volume": "10 GB a day", "churn": "rarely", "sla": "2 seconds",
             "customer": "file_based", "config": "yes"},
            StrategyId.DATABASE, 83.3, "volume", id="database-row-at-moderate-volume",
        ),
    ],
)  # fmt: skip
def test_near_miss_keeps_the_row_and_says_which_answer_missed(
    raw: dict[str, str], winner: StrategyId, top: float, partial: str
) -> None:
    """One answer next to a row's cell still gives the row, with a lower score and a partial reason."""
    recommendation = decide(answers_from(raw))
    assert recommendation.strategy is winner
    assert recommendation.scores[winner] == top
    matches = {reason.question_id: reason.match for reason in recommendation.reasons}
    assert matches.pop(partial) == "partial"
    assert set(matches.values()) == {"full"}


@pytest.mark.parametrize(
    ("raw", "winner", "runner_up"),
    [
        pytest.param(
            {"volume": "10 GB a day", "churn": "hourly", "sla": "no SLA",
             "customer": "files dropped on SFTP", "config": "no"},
            StrategyId.BATCH, StrategyId.SERVERLESS, id="serverless-row-with-files-is-batch",
        ),
        pytest.param(
            {"volume": "10 GB a day", "churn": "nightly", "sla": "5 minutes",
             "customer": "internal dashboards", "config": "no"},
            StrategyId.SERVERLESS, StrategyId.BATCH, id="batch-row-for-dashboards-is-serverless",
        ),
        pytest.param(
            {"volume": "40 GB a day", "churn": "hourly", "sla": "within the hour",
             "customer": "external", "config": "no"},
            StrategyId.BATCH, StrategyId.REST_API, id="rest-row-without-real-time-is-batch",
        ),
        pytest.param(
            {"volume": "1 TB a day", "churn": "constant", "sla": "100 ms",
             "customer": "external", "config": "no"},
            StrategyId.EVENT_STREAM, StrategyId.REST_API, id="massive-stream-outweighs-external",
        ),
        pytest.param(
            {"volume": "500 MB a day", "churn": "hourly", "sla": "2 seconds",
             "customer": "internal_private", "config": "yes"},
            StrategyId.SERVERLESS, StrategyId.DATABASE, id="database-row-on-a-schedule-is-serverless",
        ),
    ],
)  # fmt: skip
def test_changing_the_deciding_answers_moves_to_the_neighbouring_row(
    raw: dict[str, str], winner: StrategyId, runner_up: StrategyId
) -> None:
    """Answers between two rows go to the closer row, with the other as the first alternative."""
    recommendation = decide(answers_from(raw))
    assert recommendation.strategy is winner
    assert recommendation.alternatives[0].strategy is runner_up
    assert recommendation.scores[winner] > recommendation.scores[runner_up]


# --- what the recommendation says ------------------------------------------------------------

EXAMPLE = {"volume": "40 GB a day", "churn": "hourly", "sla": "100 ms",
           "customer": "external", "config": "no"}  # fmt: skip


def test_issue_example_recommends_a_rest_api() -> None:
    """The issue's example (40 GB a day, hourly, 100 ms, external, stateless) is a REST API."""
    recommendation = decide(answers_from(EXAMPLE))
    assert recommendation.strategy is StrategyId.REST_API
    assert recommendation.label == STRATEGY_BY_ID[StrategyId.REST_API].label


def test_every_strategy_is_scored_between_0_and_100() -> None:
    """The scores name every strategy id, each a share from 0 to 100."""
    scores = decide(answers_from(EXAMPLE)).scores
    assert set(scores) == set(StrategyId)
    assert all(0.0 <= value <= 100.0 for value in scores.values())


def test_reasons_cover_the_columns_the_winning_row_names() -> None:
    """The reasons compare each answered column that the winner's row constrains ("Any" is left out)."""
    recommendation = decide(answers_from(EXAMPLE))
    assert [reason.question_id for reason in recommendation.reasons] == [
        "volume",
        "sla",
        "customer",
        "config",
    ]
    volume = recommendation.reasons[0]
    assert volume.match == "full"
    assert volume.answer == "40 GB a day (high)"
    assert volume.text == msg.REASON_TEXT["full"].format(
        title="Data volume", answer=volume.answer, needed=volume.needed
    )


def test_alternatives_are_ranked_and_say_what_would_have_to_change() -> None:
    """Every other strategy is an alternative, best first, listing the answers it would need."""
    recommendation = decide(answers_from(EXAMPLE))
    alternatives = recommendation.alternatives
    assert {a.strategy for a in alternatives} == set(StrategyId) - {StrategyId.REST_API}
    assert [a.score for a in alternatives] == sorted((a.score for a in alternatives), reverse=True)
    batch = next(a for a in alternatives if a.strategy is StrategyId.BATCH)
    assert batch.would_need == (
        msg.WOULD_NEED.format(
            title="SLA", needed=msg.REALTIME_NAMES["no"], answer=msg.REALTIME_NAMES["yes"]
        ),
        msg.WOULD_NEED.format(
            title="Customer system",
            needed=msg.CUSTOMER_NAMES["file_based"],
            answer=msg.CUSTOMER_NAMES["external"],
        ),
    )


def test_same_answers_always_give_the_same_recommendation() -> None:
    """The engine has no clock or randomness: deciding twice gives equal recommendations."""
    assert decide(answers_from(EXAMPLE)) == decide(answers_from(EXAMPLE))


def test_unanswered_columns_carry_no_evidence() -> None:
    """A column nobody answered is left out of the score rather than counted as a miss."""
    partial = Answers(volume=Volume(gb_per_day=40.0), sla=Sla(seconds=0.1))
    rest = STRATEGY_BY_ID[StrategyId.REST_API]
    assert score(rest, partial) == 100.0
    assert score(STRATEGY_BY_ID[StrategyId.PREPROCESS], partial) == 0.0


@pytest.mark.parametrize(
    ("gb_per_day", "tool", "workload"),
    [
        pytest.param(1.9, "Pandas", "small (0-2 GB)", id="small"),
        pytest.param(2.0, "Pandas", "medium (2-15 GB)", id="medium-from-2"),
        pytest.param(15.0, msg.COMPUTE_BANDS[2][2], "large (15-25 GB)", id="large-from-15"),
        pytest.param(25.0, "Dask or PySpark / Spark", "XL (25-750 GB)", id="xl-from-25"),
        pytest.param(750.0, "Dask or PySpark / Spark", "XL (25-750 GB)", id="xl-up-to-750"),
        pytest.param(750.5, "Dask or PySpark / Spark", "massive (over 750 GB)", id="massive"),
    ],
)
def test_compute_sizing_follows_the_workload_bands(
    gb_per_day: float, tool: str, workload: str
) -> None:
    """The daily volume picks the workload size and tool, matching the volume band."""
    compute = compute_for(gb_per_day)
    assert compute.tool == tool
    assert compute.workload == workload
    massive_compute = workload.startswith("massive")
    assert massive_compute == (Volume(gb_per_day=gb_per_day).band is VolumeBand.MASSIVE)


# --- reading the answers a decision needs ----------------------------------------------------


def test_every_problem_in_a_set_of_answers_is_reported_at_once() -> None:
    """Missing, unreadable, non-text and unknown answers each give one problem naming the field."""
    problems = read_answers({"volume": "40", "churn": 3, "colour": "blue", "sla": "100 ms"})
    assert isinstance(problems, list)
    by_field = {problem.field: problem for problem in problems}
    assert set(by_field) == {"volume", "churn", "colour", "customer", "config"}
    assert by_field["volume"].value == "40"
    assert by_field["volume"].problem == msg.VOLUME_NO_UNIT
    assert by_field["colour"].value == "blue"
    assert by_field["customer"].problem == "is missing."
    assert all(isinstance(problem, FieldProblem) for problem in problems)


def test_problem_line_names_field_value_expectation_and_example() -> None:
    """A problem prints as one line with the field, the value, what was expected and an example."""
    problems = read_answers({**EXAMPLE, "sla": "soon-ish"})
    assert isinstance(problems, list)
    (problem,) = problems
    assert problem.line() == (
        f"sla 'soon-ish': {msg.NOT_UNDERSTOOD} Expected {msg.SLA_EXPECTED}; "
        f"for example: {msg.SLA_EXAMPLE!r}."
    )
    assert "\n" not in problem.line()


def test_only_the_decision_columns_are_required() -> None:
    """Stakeholders, decay, frequency and model may be left out; the five table columns may not."""
    assert DECISION_INPUTS == ("volume", "churn", "sla", "customer", "config")
    answers = answers_from(EXAMPLE)
    assert answers.missing_for_decision() == ()
    assert Answers(volume=answers.volume).missing_for_decision() == DECISION_INPUTS[1:]
