"""The terminal adapter: an intake over standard input and output.

Interactive, it prompts; piped, it reads one answer a line and prints plain
lines, so `printf '...' | intake-bot console` runs a whole intake. Like the
chat adapters it hands each line to `IntakeService.receive` as a direct
conversation and implements the outbound port by printing (`ConsoleOutbound`),
so restarting the command resumes the unfinished intake for the same project.
A typed `@name` is a mention of the person logged in as `name`.
"""

from __future__ import annotations

import asyncio
import getpass
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from bot.delivery import DeliveryPolicy, DeliveryWorker
from bot.logging_setup import configure_logging
from bot.plain_text import render_replies
from bot.ports import Inbound, IntakeRef, Where
from bot.runtime import open_runtime
from bot.service import IntakeService, utc_now
from bot.settings import load_settings
from bot.state.outbox import OutboxStore
from conversations.events import Event, Start, Text
from conversations.intake import IntakeStatus
from conversations.people import Person
from conversations.replies import Reply

PLATFORM = "console"
WORKSPACE = "local"
PROMPT = "> "
EXIT_OK = 0
UNPACED = 1_000_000.0
CLOSE_GRACE_SECONDS = 5.0
_MENTION = re.compile(r"(?<![\w@])@(?P<id>[A-Za-z0-9_][A-Za-z0-9_.-]*)")


def console_ref(project: str) -> IntakeRef:
    """One intake per project name, so a second run resumes the first."""
    slug = re.sub(r"[^a-z0-9]+", "-", project.lower()).strip("-") or "project"
    return IntakeRef(platform=PLATFORM, workspace=WORKSPACE, channel=slug, thread="")


@dataclass(frozen=True, slots=True)
class ConsoleOutbound:
    """The outbound port on a terminal: every reply is printed, in order."""

    out: TextIO
    start_command: str | None = None

    async def post(
        self,
        where: IntakeRef,
        replies: Sequence[Reply],
        *,
        only_for: str | None = None,
        key: str | None = None,
        maybe_posted: bool = False,
    ) -> IntakeRef:
        """Print the replies; one reader, so `only_for` changes nothing, and a key is not shown.

        A reprint after a crash (`maybe_posted`) is the terminal's one honest option:
        it cannot look back at what it printed.
        """
        del only_for, key, maybe_posted
        self.out.write(render_replies(replies) + "\n\n")
        self.out.flush()
        return where


def typed_event(user: str, text: str) -> Text:
    """A typed line, each `@login` in it a mention of that person."""
    mentions = tuple(Person(id=match.group("id")) for match in _MENTION.finditer(text))
    return Text(user=user, at=utc_now(), text=text, mentions=mentions)


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
    outbound = ConsoleOutbound(out)
    # The terminal is read by one person at their own pace: no platform rate to keep to.
    policy = DeliveryPolicy(rate_per_second=UNPACED, burst=1)
    worker = DeliveryWorker(OutboxStore(service.store.client, service.prefix), outbound, policy)
    service.deliveries = worker
    try:
        event: Event | None = Start(user=user, at=utc_now(), project=project)
        while event is not None:
            outcome = await service.receive(Inbound(ref, event, Where.DIRECT), outbound)
            await worker.settled(ref)  # this turn's replies are printed before the next prompt
            state = outcome.state
            if state and state.intake and state.intake.status is IntakeStatus.CANCELLED:
                break
            event = await _next_line(user, source, out, interactive=interactive)
    finally:
        await worker.close(grace_seconds=CLOSE_GRACE_SECONDS)
    return EXIT_OK


async def _next_line(user: str, source: TextIO, out: TextIO, *, interactive: bool) -> Text | None:
    """The next non-blank line as an event; None at the end of the input."""
    while True:
        if interactive:
            out.write(PROMPT)
            out.flush()
        line = await asyncio.to_thread(source.readline)
        if not line:
            return None
        text = line.rstrip("\n")
        if text.strip():
            return typed_event(user, text)


def run_console(*, project: str, user: str | None) -> int:
    """Entry point of `intake-bot console`."""
    settings = load_settings()
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
