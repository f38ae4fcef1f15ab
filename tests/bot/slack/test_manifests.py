"""The two app manifests ask Slack for what the code handles, and agree with each other."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.slack.outbound import COMMAND
from bot.slack.server import EVENTS_PATH

ROOT = Path(__file__).parents[3]
MANIFESTS = ROOT / "deploy" / "slack"
HTTP, SOCKET = "manifest.yaml", "manifest-socket-mode.yaml"
# `message` events arrive per kind of conversation, each with its own subscription.
HANDLED_EVENTS = {"app_mention", "message.channels", "message.groups", "message.im", "message.mpim"}
# What the Web API calls and the handled events need.
NEEDED_SCOPES = {
    "commands",
    "chat:write",
    "app_mentions:read",
    "channels:history",
    "channels:join",
    "groups:history",
    "im:history",
    "mpim:history",
    "files:write",
}
# Each Web API method the Slack adapter calls, and the bot scopes it needs (none: any token).
HISTORY_SCOPES = frozenset({"channels:history", "groups:history", "im:history", "mpim:history"})
METHOD_SCOPES: dict[str, frozenset[str]] = {
    "auth_test": frozenset(),
    "apps_connections_open": frozenset(),  # the app-level token's connections:write
    "chat_postMessage": frozenset({"chat:write"}),
    "chat_postEphemeral": frozenset({"chat:write"}),
    "chat_update": frozenset({"chat:write"}),
    "conversations_join": frozenset({"channels:join"}),
    "conversations_history": HISTORY_SCOPES,
    "conversations_replies": HISTORY_SCOPES,
    # files.getUploadURLExternal and files.completeUploadExternal
    "files_upload_v2": frozenset({"files:write"}),
}
# Attributes of the client the adapter reads that are not Web API methods.
NOT_METHODS = frozenset({"is_connected", "token"})
_CLIENT_CALL = re.compile(r"\bclient\.([A-Za-z_][A-Za-z0-9_]*)")


def manifest(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((MANIFESTS / name).read_text())
    assert isinstance(loaded, dict)
    return loaded


@pytest.mark.parametrize("name", [HTTP, SOCKET])
def test_a_manifest_subscribes_to_every_event_and_scope_the_code_uses(name: str) -> None:
    """A missing event or scope would make Slack drop what the code waits for."""
    app = manifest(name)
    assert set(app["settings"]["event_subscriptions"]["bot_events"]) == HANDLED_EVENTS
    assert set(app["oauth_config"]["scopes"]["bot"]) >= NEEDED_SCOPES
    assert [command["command"] for command in app["features"]["slash_commands"]] == [COMMAND]
    assert app["settings"]["interactivity"]["is_enabled"] is True


@pytest.mark.parametrize("name", [HTTP, SOCKET])
def test_a_manifest_opens_the_messages_tab_so_people_can_write_to_the_bot(name: str) -> None:
    """Without the messages tab, Slack shows no box to write a direct message in."""
    home = manifest(name)["features"]["app_home"]
    assert home["messages_tab_enabled"] is True
    assert home["messages_tab_read_only_enabled"] is False


def test_the_two_manifests_differ_only_in_how_slack_reaches_the_app() -> None:
    """Same scopes; HTTP mode names the public HTTPS Request URL, Socket Mode none."""
    http, socket = manifest(HTTP), manifest(SOCKET)
    assert http["oauth_config"] == socket["oauth_config"]
    assert http["settings"]["socket_mode_enabled"] is False
    assert socket["settings"]["socket_mode_enabled"] is True
    urls = [
        http["settings"]["event_subscriptions"]["request_url"],
        http["settings"]["interactivity"]["request_url"],
        *(command["url"] for command in http["features"]["slash_commands"]),
    ]
    assert all(url.startswith("https://") and url.endswith(EVENTS_PATH) for url in urls)
    assert "request_url" not in socket["settings"]["event_subscriptions"]


def _methods_the_code_calls() -> set[str]:
    found: set[str] = set()
    for source in (ROOT / "bot" / "slack").glob("*.py"):
        found.update(_CLIENT_CALL.findall(source.read_text()))
    return found - NOT_METHODS


def test_every_web_api_method_the_code_calls_has_its_scopes_in_both_manifests() -> None:
    """A new call (like files_upload_v2) fails here until its scope is in the manifests."""
    called = _methods_the_code_calls()
    assert "files_upload_v2" in called
    assert called <= METHOD_SCOPES.keys(), called - METHOD_SCOPES.keys()
    needed = set().union(*(METHOD_SCOPES[method] for method in called))
    for name in (HTTP, SOCKET):
        scopes = set(manifest(name)["oauth_config"]["scopes"]["bot"])
        assert needed <= scopes, (name, needed - scopes)
