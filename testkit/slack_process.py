"""One `intake-bot slack` process, for crash tests and the kill benchmark.

It listens on a port of its own choosing (`--port 0`). The port comes from
its `slack.started` log line (`LOG_FORMAT=json`), so a restarted process never
waits for the old port. Its log is read to the end by a thread, so the
process never blocks on a full pipe, and each line is handed to `on_line`.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import aiohttp

from testkit.slack_signing import signed_headers

INTAKE_BOT = str(Path(sys.executable).with_name("intake-bot"))
START_SECONDS = 60.0
EXIT_SECONDS = 30.0
REQUEST_SECONDS = 10.0


def _ignore(line: str) -> None:
    del line


@dataclass
class SlackProcess:
    """A started `intake-bot slack`: signal it, wait for it, send it signed requests."""

    env: dict[str, str]
    secret: str
    cwd: Path | None = None
    on_line: Callable[[str], None] = _ignore
    process: subprocess.Popen[bytes] | None = None
    port: int = 0
    lines: list[str] = field(default_factory=list)

    async def start(self) -> int:
        """Start the process and wait (bounded) until it listens; its port (0 if it died first)."""
        loop = asyncio.get_running_loop()
        started: asyncio.Future[int] = loop.create_future()
        self.process = subprocess.Popen(  # noqa: ASYNC220 - started once, its log read by a thread
            [INTAKE_BOT, "slack", "--host", "127.0.0.1", "--port", "0"],
            env=self.env,
            cwd=self.cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        assert self.process.stderr is not None
        threading.Thread(
            target=self._read, args=(self.process.stderr, loop, started), daemon=True
        ).start()
        self.port = await asyncio.wait_for(started, START_SECONDS)
        return self.port

    def _read(
        self, stream: IO[bytes], loop: asyncio.AbstractEventLoop, started: asyncio.Future[int]
    ) -> None:
        with stream:
            for raw in stream:
                line = raw.decode(errors="replace")
                self.lines.append(line)
                if '"slack.started"' in line:
                    loop.call_soon_threadsafe(_settle, started, int(json.loads(line)["port"]))
                self.on_line(line)
        if not loop.is_closed():
            loop.call_soon_threadsafe(_settle, started, 0)

    def signal(self, sig: int) -> None:
        """Send `sig` (SIGKILL as a crash, SIGTERM as a deploy)."""
        assert self.process is not None
        self.process.send_signal(sig)

    async def exited(self) -> int:
        """Wait (bounded) for the process to end; its exit code."""
        assert self.process is not None
        return await asyncio.wait_for(asyncio.to_thread(self.process.wait), EXIT_SECONDS)

    def gone(self) -> None:
        """Make sure the process does not outlive its test or run."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=EXIT_SECONDS)

    async def send(
        self, session: aiohttp.ClientSession, body: str, retry_num: int | None = None
    ) -> int | None:
        """Deliver one signed request: its HTTP status, or None when the connection failed."""
        headers = signed_headers(self.secret, body, retry_num=retry_num)
        try:
            async with session.post(
                f"http://127.0.0.1:{self.port}/slack/events",
                data=body.encode(),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=REQUEST_SECONDS),
            ) as response:
                await response.read()
                return response.status
        except (aiohttp.ClientError, TimeoutError):
            return None


def _settle(future: asyncio.Future[int], port: int) -> None:
    if not future.done():
        future.set_result(port)
