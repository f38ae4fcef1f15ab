"""The owner's guard in the terminal, and `intake-bot export`, run as separate processes."""

from __future__ import annotations

import subprocess
from pathlib import Path

from conversations import messages as msg
from conversations.markup import strip
from tests.bot.test_console import (
    INTAKE_BOT,
    PROJECT,
    RUN_TIMEOUT_SECONDS,
    console,
    embedded_env,
    lines,
)

BATCH = (
    "40 GB a day",
    "@maria, the fraud team",
    "nightly",
    "every 30 days",
    "once a day",
    "no",
    "by the next morning",
    "file based",
    "xgboost",
)


def export(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `intake-bot export` on the embedded Redis under `state_dir`."""
    return subprocess.run(
        [str(INTAKE_BOT), "export", *args],
        capture_output=True,
        text=True,
        env=embedded_env(state_dir),
        cwd=state_dir.parent,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )


def test_the_console_warns_refuses_approves_and_exports(tmp_path: Path) -> None:
    """In the terminal: a warning, a refusal while Maria owns it, then approve as the owner."""
    state_dir = tmp_path / "state"
    out = console(
        state_dir,
        lines(*BATCH, "owner @maria", "edit 1", "4 TB a day", "approve 1", "history"),
        user="alice",
    ).stdout
    assert f"Scope change 1 on {PROJECT}" in out
    assert "Volume band: high → massive" in out
    assert strip(msg.SCOPE_ONLY_OWNER).format(owner="maria", number=1) in out
    handed = console(state_dir, lines("approve 1", "history"), user="maria").stdout
    assert strip(msg.SCOPE_APPROVED).format(user="maria", number=1) in handed
    assert "maria approved scope change 1." in handed

    written = tmp_path / "record.md"
    result = export(state_dir, "--project", PROJECT, "--out", str(written))
    assert result.returncode == 0, result.stderr
    record = written.read_text(encoding="utf-8")
    assert record.startswith(f"# Requirements and decision record: {PROJECT}\n")
    assert "alice: 4 TB a day" in record
    assert "maria approved scope change 1." in record


def test_export_without_an_intake_or_its_ids_says_what_is_expected(tmp_path: Path) -> None:
    """Missing ids exit 2 naming the options; an unknown intake exits 1 and writes no file."""
    state_dir = tmp_path / "state"
    missing = export(state_dir, "--platform", "slack", "--workspace", "T0123")
    assert missing.returncode == 2
    assert "missing --channel" in missing.stderr
    assert "--thread" in missing.stderr
    written = tmp_path / "none.md"
    unknown = export(state_dir, "--project", "No such project", "--out", str(written))
    assert unknown.returncode == 1
    assert "no intake at console" in unknown.stderr
    assert not written.exists()
    assert not written.with_name("none.md.partial").exists()
