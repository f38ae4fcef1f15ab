"""The terminal adapter: piped intakes, resuming after the process ends, and plain-text replies.

The subprocess tests run `intake-bot console` exactly as a person would, with
REDIS_URL unset so it starts the embedded Redis under INTAKE_STATE_DIR; a
second run on the same folder must carry on where the first one stopped.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.console import console_ref, run_intake
from bot.plain_text import render_reply
from bot.ports import IntakeRef
from bot.service import IntakeService
from bot.state.embedded_redis import EmbeddedRedis
from bot.state.redis_client import connect
from bot.state.store import StateStore
from conversations import messages as msg
from conversations.answers import parse_answer
from conversations.intake import IntakeStatus
from conversations.markup import strip
from conversations.questions import QUESTIONS
from conversations.readings import reading
from conversations.replies import Notice, Tone
from conversations.values import Value
from testkit.answers import HAPPY_ANSWERS

INTAKE_BOT = Path(sys.executable).with_name("intake-bot")
PROJECT = "Churn model"
RUN_TIMEOUT_SECONDS = 120
SUMMARY_TITLE = msg.SUMMARY_TITLE.format(project=PROJECT)


def lines(*answers: str) -> str:
    """What `printf` would pipe in: one answer a line."""
    return "".join(f"{answer}\n" for answer in answers)


@pytest.fixture
def service(store: StateStore) -> IntakeService:
    """A service on this test's fresh store."""
    return IntakeService(
        store=store, prefix=store.prefix, place_ttl_seconds=3600, delivery_ttl_seconds=3600
    )


async def run(service: IntakeService, piped: str, user: str = "alice") -> str:
    """Run the console adapter in-process on piped input; what it printed."""
    out = io.StringIO()
    status = await run_intake(
        service,
        project=PROJECT,
        user=user,
        source=io.StringIO(piped),
        out=out,
        interactive=False,
    )
    assert status == 0
    return out.getvalue()


# --- in-process ----------------------------------------------------------------------------------


def test_console_ref_is_one_intake_per_project_name() -> None:
    """Project names map to one channel slug, so the same name resumes the same intake."""
    assert console_ref("Churn model") == IntakeRef("console", "local", "churn-model", "")
    assert console_ref("  CHURN   Model!! ") == console_ref("Churn model")
    assert console_ref("???") == IntakeRef("console", "local", "project", "")
    assert console_ref("Churn model v2") != console_ref("Churn model")


async def test_a_piped_intake_prints_every_question_and_the_summary(
    service: IntakeService,
) -> None:
    """Piping every answer prints each question in turn and ends with the summary card."""
    printed = await run(service, lines(*HAPPY_ANSWERS.values()))
    assert printed.startswith("Intake for Churn model started by alice.")
    assert "*" not in printed
    assert "`" not in printed
    for number in range(1, len(HAPPY_ANSWERS) + 1):
        assert f"[{number}/{len(HAPPY_ANSWERS)}]" in printed
    for question_id, answer in HAPPY_ANSWERS.items():
        parsed = parse_answer(question_id, answer)
        assert isinstance(parsed, Value)
        assert f"Saved {QUESTIONS[question_id].title}: {reading(parsed)}." in printed
    assert SUMMARY_TITLE in printed
    assert "Recommended deployment: Web service (REST API)" in printed
    state = await service.load(console_ref(PROJECT), "alice")
    assert state.intake is not None
    assert state.intake.baseline is not None


async def test_a_second_run_resumes_at_the_persons_question(service: IntakeService) -> None:
    """Running again for the same project says it is open and asks the next unanswered question."""
    await run(service, lines("40 GB a day", "finance"))
    printed = await run(service, lines("nightly"))
    assert printed.startswith(strip(msg.INTAKE_ALREADY_OPEN).format(project=PROJECT))
    assert "[3/9] Data churn" in printed
    assert "Saved Data churn: every day (a schedule)." in printed
    state = await service.load(console_ref(PROJECT), "alice")
    assert state.intake is not None
    assert [r.text for r in state.intake.answers] == ["40 GB a day", "finance", "nightly"]


async def test_blank_lines_are_skipped_and_bad_answers_quoted(service: IntakeService) -> None:
    """Empty lines are not answers; a bad answer is printed back in quotes with what was wrong."""
    printed = await run(service, lines("", "   ", "lots", "40 GB a day"))
    assert f'"lots": {msg.VOLUME_NO_SIZE}' in printed
    assert "Saved Data volume: 40 GB a day (high)." in printed
    state = await service.load(console_ref(PROJECT), "alice")
    assert state.intake is not None
    assert [r.text for r in state.intake.answers] == ["40 GB a day"]


async def test_cancel_ends_the_session_and_ignores_the_rest_of_the_input(
    service: IntakeService,
) -> None:
    """After `cancel` the console stops reading: later lines are never answered."""
    printed = await run(service, lines("cancel", "40 GB a day"))
    assert "The intake for Churn model was cancelled by alice." in printed
    assert "Saved" not in printed
    state = await service.load(console_ref(PROJECT), "alice")
    assert state.intake is not None
    assert state.intake.status is IntakeStatus.CANCELLED
    assert state.intake.answers == ()


def test_overlong_refusal_renders_with_its_numbers() -> None:
    """The too-long notice renders as text with the length and the limit (no format error)."""
    notice = Notice(
        template=msg.TOO_LONG, params={"length": 2001, "limit": 2000}, tone=Tone.PROBLEM
    )
    assert render_reply(notice) == "That answer is 2,001 characters long; I take at most 2,000."


async def test_an_overlong_line_is_refused_in_the_console(service: IntakeService) -> None:
    """A 2001-character line gets the length refusal and the session carries on."""
    printed = await run(service, lines("9" * 2001, "40 GB a day"))
    assert "That answer is 2,001 characters long; I take at most 2,000." in printed
    assert "Saved Data volume: 40 GB a day (high)." in printed


# --- as a separate process -------------------------------------------------------------------------


def embedded_env(state_dir: Path) -> dict[str, str]:
    """The environment without the bot's own settings, on the embedded Redis under `state_dir`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name != "REDIS_URL" and not name.startswith(("INTAKE_", "LOG_"))
    }
    env["INTAKE_STATE_DIR"] = str(state_dir)
    return env


def console(state_dir: Path, piped: str, user: str = "alice") -> subprocess.CompletedProcess[str]:
    """Run `intake-bot console` on the embedded Redis under `state_dir`, input piped in."""
    result = subprocess.run(
        [str(INTAKE_BOT), "console", "--project", PROJECT, "--user", user],
        input=piped,
        capture_output=True,
        text=True,
        env=embedded_env(state_dir),
        cwd=state_dir.parent,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


async def saved_answers(state_dir: Path) -> list[str]:
    """The answers the embedded Redis under `state_dir` holds for the console intake."""
    with EmbeddedRedis(state_dir) as server:
        async with connect(server.url, state_dir) as handle:
            service = IntakeService(
                store=StateStore(handle.client, "intake"),
                prefix="intake",
                place_ttl_seconds=3600,
                delivery_ttl_seconds=3600,
            )
            state = await service.load(console_ref(PROJECT), "alice")
    assert state.intake is not None
    return [record.text for record in state.intake.answers]


async def test_the_console_resumes_after_the_process_ends(tmp_path: Path) -> None:
    """A second `intake-bot console` run on the same state folder continues where the first stopped."""
    state_dir = tmp_path / "state"
    answers = list(HAPPY_ANSWERS.values())

    first = console(state_dir, lines(*answers[:3]))
    assert "[4/9] Model decay" in first.stdout
    assert SUMMARY_TITLE not in first.stdout

    second = console(state_dir, lines(*answers[3:]))
    assert second.stdout.startswith(strip(msg.INTAKE_ALREADY_OPEN).format(project=PROJECT))
    assert "[4/9] Model decay" in second.stdout.split("\n\n")[1]
    assert "[1/9]" not in second.stdout
    assert SUMMARY_TITLE in second.stdout
    assert await saved_answers(state_dir) == answers


async def test_a_whole_intake_piped_through_the_console_prints_the_summary(
    tmp_path: Path,
) -> None:
    """`printf '...' | intake-bot console` runs the whole intake and prints the summary card."""
    state_dir = tmp_path / "state"
    result = console(state_dir, lines(*HAPPY_ANSWERS.values()))
    out = result.stdout
    assert out.startswith("Intake for Churn model started by alice.")
    assert out.index("[1/9] Data volume") < out.index("[9/9] Model type") < out.index(SUMMARY_TITLE)
    assert "Recommended deployment: Web service (REST API)" in out
    assert "Project owner: No project owner named" in out
    assert result.stderr == ""
    assert await saved_answers(state_dir) == list(HAPPY_ANSWERS.values())
