"""`intake-bot slack --port N` as a real process: probes, a signed request, a clean stop."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis

from testkit.slack_signing import CHANNEL_ID, signed_headers, slash_command_body
from testkit.slack_standin import SlackWebApiStandIn
from tests.bot.slack.conftest import SIGNING_SECRET, metadata_of

START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 15.0
# Variables the command reads; the test's own environment must not leak into the child.
_OURS = ("REDIS_URL", "SLACK_", "INTAKE_", "MICROSOFT_APP_", "LOG_")


def _intake_bot() -> str:
    found = shutil.which("intake-bot", path=str(Path(sys.executable).parent))
    assert found is not None, "the intake-bot console script is not installed in this venv"
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    return {**env, "LOG_FORMAT": "json", "LOG_LEVEL": "INFO", **extra}


class ServerProcess:
    """The child process and its JSON log lines, read as they arrive."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._started = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for raw in self.process.stderr:
            line = raw.decode(errors="replace").rstrip("\n")
            self.lines.append(line)
            if self.event_of(line).get("event") == "slack.started":
                self._started.set()

    @staticmethod
    def event_of(line: str) -> dict[str, Any]:
        try:
            parsed = json.loads(line)
        except json.JSONDecodeError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    def events(self) -> list[dict[str, Any]]:
        return [self.event_of(line) for line in self.lines]

    async def wait_started(self) -> dict[str, Any]:
        """Wait for the `slack.started` log line (or the process ending first)."""
        exited = asyncio.ensure_future(self.process.wait())
        started = asyncio.ensure_future(self._started.wait())
        try:
            await asyncio.wait(
                [exited, started],
                timeout=START_TIMEOUT_SECONDS,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            exited.cancel()
            started.cancel()
        assert self._started.is_set(), "\n".join(self.lines)
        return next(e for e in self.events() if e.get("event") == "slack.started")

    async def stop(self) -> int:
        """SIGTERM, as an orchestrator stops a pod; returns the exit status."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT_SECONDS)
        await self._reader
        return status

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        await self._reader


@asynccontextmanager
async def intake_bot_slack(
    port: int, env: dict[str, str], cwd: Path
) -> AsyncIterator[ServerProcess]:
    """Run `intake-bot slack --port N`; killed on the way out if the test did not stop it."""
    process = await asyncio.create_subprocess_exec(
        _intake_bot(),
        "slack",
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
        env=_child_env(env),
        cwd=cwd,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    server = ServerProcess(process)
    try:
        yield server
    finally:
        await server.kill()


async def test_slack_command_serves_probes_and_signed_requests(
    redis_url: str,
    key_prefix: str,
    redis_client: Redis,
    tmp_path: Path,
) -> None:
    """The installed command, configured by environment, answers probes and a signed /intake."""
    del redis_client  # asked for its clean-up of this test's keys
    port = _free_port()
    async with SlackWebApiStandIn() as api:
        env = {
            "REDIS_URL": redis_url,
            "SLACK_BOT_TOKEN": api.token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": api.base_url,
            "INTAKE_KEY_PREFIX": key_prefix,
            "INTAKE_STATE_DIR": str(tmp_path / "state"),
        }
        async with (
            intake_bot_slack(port, env, tmp_path) as server,
            aiohttp.ClientSession(base_url=f"http://127.0.0.1:{port}") as http,
        ):
            started = await server.wait_started()
            assert started["port"] == port

            async with http.get("/healthz") as response:
                assert (response.status, await response.json()) == (200, {"status": "ok"})
            async with http.get("/readyz") as response:
                assert response.status == 200
                assert await response.json() == {"status": "ready", "redis": "ok"}

            body = slash_command_body("/intake", "Fraud scoring")
            async with http.post(
                "/slack/events", data=body.encode(), headers=signed_headers(SIGNING_SECRET, body)
            ) as response:
                assert response.status == 200
            posts = await api.wait_for("chat.postMessage", 2)
            async with http.post(
                "/slack/events",
                data=body.encode(),
                headers=signed_headers("not-the-secret", body),
            ) as response:
                assert response.status == 401

            assert await server.stop() == 0

    root, question = (call.body for call in posts)
    assert (root["channel"], "Fraud scoring" in root["text"]) == (CHANNEL_ID, True)
    assert metadata_of(question)["event_payload"]["question_id"] == "volume"
    assert [call.method for call in api.calls()].count("chat.postMessage") == 2
    assert "auth.test" in [call.method for call in api.calls()]
    events = [event.get("event") for event in server.events()]
    assert "slack.stopped" in events
    logged = "\n".join(server.lines)
    assert api.token not in logged
    assert SIGNING_SECRET not in logged


@pytest.mark.parametrize(
    "extra",
    [{}, {"SLACK_SIGNING_SECRET": ""}, {"INSECURE_SKIP_AUTH": "true"}],
    ids=["unset", "empty", "look-alike switch"],
)
async def test_slack_command_refuses_to_start_without_a_signing_secret(
    tmp_path: Path, extra: dict[str, str]
) -> None:
    """Without a signing secret (unset or empty; only the exact switch turns checks off) it exits 2."""
    env = {
        "SLACK_BOT_TOKEN": "xoxb-0000000000-not-used",
        "INTAKE_STATE_DIR": str(tmp_path / "state"),
        **extra,
    }
    async with intake_bot_slack(_free_port(), env, tmp_path) as server:
        status = await asyncio.wait_for(server.process.wait(), START_TIMEOUT_SECONDS)
        await server.kill()
    assert status == 2
    problems = [e for e in server.events() if e.get("event") == "slack.bad_configuration"]
    assert len(problems) == 1
    assert "SLACK_SIGNING_SECRET" in problems[0]["error"]
    assert "xoxb-0000000000-not-used" not in "\n".join(server.lines)


def test_the_web_api_client_never_re_sends_after_a_dropped_connection() -> None:
    """Only 429s are retried by the client: a post whose connection dropped is looked for first."""
    from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler

    from bot.settings import Settings
    from bot.slack.server import make_client

    settings = Settings(_env_file=None, **{"SLACK_BOT_TOKEN": "xoxb-0000000000-not-used"})
    client = make_client(settings, session=None)  # type: ignore[arg-type]
    kinds = [type(handler) for handler in client.retry_handlers]
    assert AsyncConnectionErrorRetryHandler not in kinds
    assert [kind.__name__ for kind in kinds] == ["AsyncRateLimitErrorRetryHandler"]
