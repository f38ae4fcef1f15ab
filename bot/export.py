"""`intake-bot export`: one intake's requirements and decision record, as Markdown.

The same record the Export button and `export` post in a thread, for a
ticket, a wiki page or an audit trail. It reads the intake and the two logs
beside it straight from Redis, posts nothing, and changes nothing.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TextIO

from bot.console import console_ref
from bot.ports import IntakeRef
from bot.runtime import open_runtime
from bot.service import utc_now
from bot.settings import load_settings
from bot.state.keys import intake_key
from conversations.intake import Intake

EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_BAD_INPUT = 2


def export_ref(
    *,
    platform: str | None,
    workspace: str | None,
    channel: str | None,
    thread: str | None,
    project: str | None,
) -> IntakeRef | str:
    """The intake the options name, or the sentence saying what is missing."""
    if project is not None:
        if platform not in (None, "console"):
            return "--project names a console intake; for Slack or Teams give --workspace, --channel and --thread"
        return console_ref(project)
    if not (platform and workspace and channel):
        missing = [
            option
            for option, value in (
                ("--platform", platform),
                ("--workspace", workspace),
                ("--channel", channel),
            )
            if not value
        ]
        return (
            f"missing {', '.join(missing)}: name the intake by --platform slack|teams, "
            "--workspace, --channel and --thread (for example --platform slack --workspace "
            "T0123 --channel C0123 --thread 1700000000.000100), or a console intake by --project"
        )
    return IntakeRef(platform, workspace, channel, thread or "")


async def write_record(ref: IntakeRef, out: TextIO, err: TextIO) -> int:
    """Write the record of the intake at `ref` to `out`; exit status 1 if there is none."""
    settings = load_settings()
    async with open_runtime(settings) as runtime:
        loaded = await runtime.store.load(intake_key(ref, settings.key_prefix), Intake)
        if loaded is None:
            err.write(
                f"no intake at {ref.platform} workspace {ref.workspace!r}, channel "
                f"{ref.channel!r}, thread {ref.thread!r} (key prefix {settings.key_prefix!r}); "
                "check the ids, and that REDIS_URL and INTAKE_KEY_PREFIX are the bot's\n"
            )
            return EXIT_NOT_FOUND
        record = await runtime.service.record(ref, loaded.value, utc_now())
    out.write(record.markdown)
    return EXIT_OK


def run_export(ref: IntakeRef, out_path: Path | None) -> int:
    """Entry point of `intake-bot export`: stdout, or `--out FILE` written whole or not at all."""
    if out_path is None:
        return asyncio.run(write_record(ref, sys.stdout, sys.stderr))
    partial = out_path.with_name(out_path.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8") as out:
            status = asyncio.run(write_record(ref, out, sys.stderr))
        if status == EXIT_OK:
            partial.replace(out_path)
    except OSError as exc:
        sys.stderr.write(f"--out: cannot write {out_path}: {exc.strerror}\n")
        return EXIT_BAD_INPUT
    finally:
        partial.unlink(missing_ok=True)
    return status
