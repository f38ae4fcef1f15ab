"""The terminal adapter: an intake over standard input and output.

Interactive, it prompts; piped, it reads one answer a line and prints plain
lines, so `printf '...' | intake-bot console` runs a whole intake. It goes
through the same service and store as the chat adapters, so restarting the
command resumes the unfinished intake for the same project.
"""

from __future__ import annotations

import asyncio
import getpass
import re
import sys
from typing import TextIO

from bot.logging_setup import configure_logging
from bot.plain_text import render_reply
from bot.runtime import open_runtime
from bot.service import IntakeService, utc_now
from bot.settings import Settings
from bot.state.keys import IntakeRef
from conversations.events import Start, Text
from conversations.replies import Reply

PLATFORM = "console"
WORKSPACE = "local"
PROMPT = "> "
EXIT_OK = 0


def console_ref(project: str) -> IntakeRef:
    """One intake per project name, so a second run resumes the first."""
    slug = re.sub(r"[^a-z0-9]+", "-", project.lower()).strip("-") or "project"
    return IntakeRef(platform=PLATFORM, workspace=WORKSPACE, channel=slug, thread="")


def _show(replies: list[Reply], out: TextIO) -> None:
    for reply in replies:
        out.write(render_reply(reply) + "\n\n")
    out.flush()


async def run_intake(
    service: IntakeService,
    *,
    project: str,
    user: str,
    source: TextIO,
    out: TextIO,
    interactive: bool,
) -> int:
    """Start or resume the intake, then feed it one line at a time until input ends."""
    ref = console_ref(project)
    outcome = await service.handle(ref, Start(user=user, at=utc_now(), project=project))
    _show(outcome.replies, out)
    while True:
        if interactive:
            out.write(PROMPT)
            out.flush()
        line = await asyncio.to_thread(source.readline)
        if not line:
            break
        text = line.rstrip("\n")
        if not text.strip():
            continue
        outcome = await service.handle(ref, Text(user=user, at=utc_now(), text=text))
        _show(outcome.replies, out)
        state = outcome.state
        if state is not None and state.intake is not None and state.intake.status == "cancelled":
            break
    return EXIT_OK


def run_console(*, project: str, user: str | None) -> int:
    """Entry point of `intake-bot console`."""
    settings = Settings()
    # The terminal is the conversation: only warnings go to stderr unless LOG_LEVEL asks for more.
    level = settings.log_level if "log_level" in settings.model_fields_set else "WARNING"
    configure_logging(level, settings.log_format)
    who = user or getpass.getuser() or "you"

    async def main() -> int:
        async with open_runtime(settings) as runtime:
            return await run_intake(
                runtime.service,
                project=project,
                user=who,
                source=sys.stdin,
                out=sys.stdout,
                interactive=sys.stdin.isatty(),
            )

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        sys.stdout.write("\nStopped. Your answers are saved; run the same command to resume.\n")
        return EXIT_OK
