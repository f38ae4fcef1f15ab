"""Socket Mode end to end: the app connects to the stand-in's WebSocket, takes requests, acks them.

The stand-in plays Slack's side: `apps.connections.open` with the app-level
token, then a WebSocket that pushes envelopes and records acknowledgements.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import parse_qsl

import aiohttp
import pytest
from pydantic import SecretStr

from bot.errors import ConfigurationError
from bot.settings import Settings
from bot.slack.server import slack_server
from testkit.slack_signing import CHANNEL_ID, slash_command_body
from testkit.slack_standin import SlackWebApiStandIn

from .conftest import make_settings


def socket_settings(settings: Settings, app_token: str) -> Settings:
    """The test's settings in Socket Mode: an app-level token and no signing secret."""
    return settings.model_copy(
        update={"slack_app_token": SecretStr(app_token), "slack_signing_secret": None}
    )


async def readyz(session: aiohttp.ClientSession, port: int) -> tuple[int, dict[str, str]]:
    async with session.get(f"http://127.0.0.1:{port}/readyz") as answer:
        return answer.status, await answer.json()


async def test_socket_mode_takes_a_command_acks_it_and_reports_a_dropped_connection(
    slack_settings: Settings, slack_api: SlackWebApiStandIn
) -> None:
    """A command over the WebSocket starts an intake; with the socket gone, /readyz says so."""
    settings = socket_settings(slack_settings, slack_api.app_token)
    async with (
        slack_server(settings, "127.0.0.1", 0) as running,
        aiohttp.ClientSession() as session,
    ):
        await slack_api.wait_for_socket()
        assert await readyz(session, running.port) == (200, {"status": "ready", "redis": "ok"})
        # No Request URL in Socket Mode: the HTTP server keeps only the probes.
        async with session.post(f"http://127.0.0.1:{running.port}/slack/events") as answer:
            assert answer.status == 404

        command = dict(parse_qsl(slash_command_body("/intake", "start Fraud scoring")))
        envelope = await slack_api.send_envelope(
            "slash_commands", command, accepts_response_payload=True
        )
        ack = await slack_api.wait_for_ack(envelope)
        assert ack["envelope_id"] == envelope
        root, question = await slack_api.wait_for_posts(CHANNEL_ID, count=1), None
        thread = root[0]["ts"]
        question = await slack_api.wait_for_posts(CHANNEL_ID, thread, count=1)
        assert "Fraud scoring" in root[0]["text"]
        assert question[0]["metadata"]["event_payload"]["question_id"] == "volume"

        await slack_api.drop_sockets(refuse_new=True)
        status, body = await readyz(session, running.port)
        assert (status, body) == (503, {"status": "not ready", "events": "disconnected"})


async def test_a_refused_app_token_stops_the_start_with_a_clear_message(
    slack_api: SlackWebApiStandIn, redis_url: str, key_prefix: str, tmp_path: Path
) -> None:
    """A wrong app-level token fails at start, naming the setting, instead of retrying for ever."""
    settings = socket_settings(
        make_settings(redis_url, slack_api, key_prefix, tmp_path), "xapp-1-wrong"
    )
    with pytest.raises(ConfigurationError, match="SLACK_APP_TOKEN") as refused:
        async with slack_server(settings, "127.0.0.1", 0):
            pass
    assert "invalid_auth" in str(refused.value)
    assert slack_api.connected_sockets == 0


async def test_a_shutdown_acknowledges_a_command_in_flight_before_closing_the_socket(
    slack_settings: Settings, slack_api: SlackWebApiStandIn
) -> None:
    """SIGTERM mid-command: the turn finishes and its ack goes out before the WebSocket closes."""
    settings = socket_settings(slack_settings, slack_api.app_token)
    server = slack_server(settings, "127.0.0.1", 0)
    running = await server.__aenter__()
    stopping: asyncio.Task[bool | None] | None = None
    try:
        await slack_api.wait_for_socket()
        slack_api.hold("chat.postMessage")
        command = dict(parse_qsl(slash_command_body("/intake", "start Fraud scoring")))
        envelope = await slack_api.send_envelope(
            "slash_commands", command, accepts_response_payload=True
        )
        await slack_api.wait_for_held("chat.postMessage", 1)  # the turn is in flight
        stopping = asyncio.create_task(server.__aexit__(None, None, None))
        async with aiohttp.ClientSession() as session:
            assert (await readyz(session, running.port))[0] == 503  # the stop has begun
        slack_api.release("chat.postMessage")
        ack = await slack_api.wait_for_ack(envelope)
        assert ack["envelope_id"] == envelope
        await stopping
    finally:
        if stopping is None:
            await server.__aexit__(None, None, None)
