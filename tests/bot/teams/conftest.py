"""The Teams bot on 127.0.0.1 with authentication on, against stand-ins for Microsoft's servers.

Activities are posted to `/api/messages` as Teams posts them, signed by the
identity stand-in; the bot's replies go to the connector stand-in, which
checks the bot's own token on every call.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis

from bot.settings import Settings
from bot.teams.server import RunningTeams, teams_server
from testkit.teams_activities import signed_headers
from testkit.teams_standin import (
    APP_ID,
    APP_PASSWORD,
    BotFrameworkIdentityStandIn,
    TeamsConnectorStandIn,
)


def teams_settings(redis_url: str, key_prefix: str, state_dir: Path, **extra: str) -> Settings:
    """Settings as a test needs them, by their variable names, never from the environment."""
    return Settings(
        _env_file=None,
        **{
            "REDIS_URL": redis_url,
            "MICROSOFT_APP_ID": APP_ID,
            "MICROSOFT_APP_PASSWORD": APP_PASSWORD,
            "MICROSOFT_APP_TYPE": "MultiTenant",
            "INTAKE_KEY_PREFIX": key_prefix,
            "INTAKE_STATE_DIR": str(state_dir),
            "INTAKE_OUTBOX_RATE_PER_SECOND": "10000",
            "INTAKE_OUTBOX_BURST": "10000",
            "INTAKE_SHUTDOWN_GRACE_SECONDS": "5",
            # Digests and reminders run when a test says so, at its time (test_digests.py).
            "INTAKE_SCHEDULE_ENABLED": "false",
            **extra,
        },
    )


@dataclass
class TeamsBot:
    """The running bot, and signed activities posted to it as Teams sends them."""

    running: RunningTeams
    identity: BotFrameworkIdentityStandIn
    connector: TeamsConnectorStandIn
    http: aiohttp.ClientSession
    settings: Settings

    @property
    def messages_url(self) -> str:
        return f"http://127.0.0.1:{self.running.port}/api/messages"

    async def deliver(self, activity: dict[str, Any], headers: dict[str, str] | None = None) -> int:
        """POST one activity (signed unless `headers` are given); the HTTP status."""
        sent = headers if headers is not None else signed_headers(self.identity, activity)
        async with self.http.post(
            self.messages_url, data=json.dumps(activity), headers=sent
        ) as response:
            await response.read()
            return response.status

    async def send(self, activity: dict[str, Any]) -> list[dict[str, Any]]:
        """Deliver a signed activity, wait until its replies are posted; return them."""
        conversation = activity["conversation"]["id"]
        before = len(self.connector.activities(conversation))
        status = await self.deliver(activity)
        assert status in (200, 201), status
        await self.running.worker.idle()
        return self.connector.activities(conversation)[before:]

    async def get(self, path: str) -> tuple[int, dict[str, Any]]:
        async with self.http.get(f"http://127.0.0.1:{self.running.port}{path}") as response:
            return response.status, await response.json()


@asynccontextmanager
async def running_teams(
    settings: Settings,
    identity: BotFrameworkIdentityStandIn,
    connector: TeamsConnectorStandIn,
) -> AsyncIterator[TeamsBot]:
    config = identity.bot_config()
    async with (
        teams_server(
            settings,
            "127.0.0.1",
            0,
            config=config,
            credentials_factory=identity.credentials_factory(config),
        ) as running,
        aiohttp.ClientSession() as http,
    ):
        yield TeamsBot(running, identity, connector, http, settings)


@pytest.fixture
async def identity() -> AsyncIterator[BotFrameworkIdentityStandIn]:
    async with BotFrameworkIdentityStandIn() as standin:
        yield standin


@pytest.fixture
async def connector(identity: BotFrameworkIdentityStandIn) -> AsyncIterator[TeamsConnectorStandIn]:
    async with TeamsConnectorStandIn(identity) as standin:
        yield standin


@pytest.fixture
async def teams_bot(
    redis_url: str,
    key_prefix: str,
    redis_client: Redis,
    tmp_path: Path,
    connector: TeamsConnectorStandIn,
) -> AsyncIterator[TeamsBot]:
    """The Teams bot serving on 127.0.0.1, authentication on, on the test's Redis prefix."""
    del redis_client  # asked for its clean-up of this test's keys
    settings = teams_settings(redis_url, key_prefix, tmp_path)
    async with running_teams(settings, connector.identity, connector) as bot:
        yield bot
