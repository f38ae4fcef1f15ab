"""Requests as Slack sends them to an app's Request URL, signed as Slack signs them.

Tests sign their requests instead of switching verification off, as bolt's own
tests do, so the path a production request takes is the path a test takes.

Signing follows "Verifying requests from Slack"
(https://docs.slack.dev/authentication/verifying-requests-from-slack): the
basestring is ``v0:{timestamp}:{raw body}``, signed with HMAC-SHA256 keyed by the
app's signing secret, sent as ``X-Slack-Signature: v0=<hex>`` together with
``X-Slack-Request-Timestamp``. A repeated delivery carries ``X-Slack-Retry-Num``
and ``X-Slack-Retry-Reason`` (Events API, "Retries").

Payload shapes follow Slack's docs for slash commands (form-encoded fields),
the Events API (a JSON ``event_callback`` envelope) and interactivity
(form-encoded ``payload=<json>`` of type ``block_actions``). The workspace they
describe is the one :mod:`testkit.slack_standin` answers for: the same team,
app and bot user, so Bolt's authorization and self-event filtering behave as
they do against Slack.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

TEAM_ID = "T0INTAKE01"
TEAM_DOMAIN = "intake-test"
APP_ID = "A0INTAKE01"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
USER_ID = "U0ALICE01"
USER_NAME = "alice"
CHANNEL_ID = "C0PROJECT1"
PRIVATE_CHANNEL_ID = "G0PRIVATE1"
CHANNEL_NAME = "ml-project"
# The legacy verification token Slack still puts in payloads; Bolt ignores it.
VERIFICATION_TOKEN = "legacy-verification-token"

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
JSON_CONTENT_TYPE = "application/json"
SLACK_USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"

_sequence = itertools.count(1)


def _next_ts(now: float | None = None) -> str:
    """A message ts in Slack's ``seconds.micro`` form, unique within this test run."""
    seconds = int(time.time() if now is None else now)
    return f"{seconds}.{next(_sequence) % 1_000_000:06d}"


def _trigger_id() -> str:
    """A trigger id shaped like Slack's (``digits.digits.hex``), unique per call."""
    return f"{next(_sequence)}.{int(time.time())}.{uuid.uuid4().hex}"


def signature(secret: str, body: bytes | str, timestamp: int) -> str:
    """The ``X-Slack-Signature`` value for ``body`` sent at ``timestamp``."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    basestring = b"v0:" + str(timestamp).encode("ascii") + b":" + raw
    digest = hmac.new(secret.encode("utf-8"), basestring, hashlib.sha256).hexdigest()
    return f"v0={digest}"


def signed_headers(
    secret: str,
    body: bytes | str,
    timestamp: int | None = None,
    content_type: str | None = None,
    *,
    retry_num: int | None = None,
    retry_reason: str = "http_timeout",
) -> dict[str, str]:
    """Headers Slack sends with ``body``: content type, timestamp and v0 signature.

    ``timestamp`` defaults to now, since verifiers reject anything older than
    five minutes. ``content_type`` defaults to JSON for a body that starts with
    ``{`` (the Events API) and to form encoding otherwise (slash commands and
    interactivity). Pass ``retry_num`` to play a repeated delivery; Slack then
    adds ``X-Slack-Retry-Num`` and ``X-Slack-Retry-Reason``.
    """
    sent_at = int(time.time()) if timestamp is None else timestamp
    if content_type is None:
        text = body if isinstance(body, str) else body.decode("utf-8", errors="replace")
        content_type = JSON_CONTENT_TYPE if text.lstrip().startswith("{") else FORM_CONTENT_TYPE
    headers = {
        "Content-Type": content_type,
        "User-Agent": SLACK_USER_AGENT,
        "X-Slack-Request-Timestamp": str(sent_at),
        "X-Slack-Signature": signature(secret, body, sent_at),
    }
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
        headers["X-Slack-Retry-Reason"] = retry_reason
    return headers


def slash_command_body(
    command: str = "/intake",
    text: str = "",
    *,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    channel_id: str = CHANNEL_ID,
    channel_name: str = CHANNEL_NAME,
    user_id: str = USER_ID,
    user_name: str = USER_NAME,
    api_app_id: str = APP_ID,
    trigger_id: str | None = None,
    response_url: str | None = None,
) -> str:
    """The form-encoded body Slack posts when someone runs a slash command.

    ``response_url`` defaults to a hooks.slack.com URL; point it at a local
    server when the code under test is expected to use it.
    """
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url
        or f"https://hooks.slack.com/commands/{team_id}/{next(_sequence)}/{uuid.uuid4().hex}",
        "trigger_id": trigger_id or _trigger_id(),
    }
    return urlencode(fields)


def message_event(
    text: str,
    *,
    user_id: str = USER_ID,
    channel_id: str = CHANNEL_ID,
    ts: str | None = None,
    thread_ts: str | None = None,
    parent_user_id: str | None = None,
    channel_type: str = "channel",
    team_id: str = TEAM_ID,
    bot_id: str | None = None,
) -> dict[str, Any]:
    """A ``message`` event as the Events API delivers it.

    ``channel_type`` is ``channel``, ``group``, ``im`` or ``mpim``. A reply in a
    thread carries ``thread_ts`` (the parent's ts) and ``parent_user_id``. Pass
    ``bot_id`` to play a message posted by a bot, e.g. ``BOT_ID`` for the bot's own
    posts, which Bolt must ignore.
    """
    message_ts = ts or _next_ts()
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel_id,
        "user": user_id,
        "text": text,
        "ts": message_ts,
        "event_ts": message_ts,
        "team": team_id,
        "channel_type": channel_type,
    }
    if bot_id is None:
        event["client_msg_id"] = str(uuid.uuid4())
    else:
        event["bot_id"] = bot_id
        event["app_id"] = APP_ID if bot_id == BOT_ID else f"A{bot_id[1:]}"
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = parent_user_id or user_id
    return event


def app_mention_event(
    text: str,
    *,
    user_id: str = USER_ID,
    channel_id: str = CHANNEL_ID,
    ts: str | None = None,
    thread_ts: str | None = None,
    team_id: str = TEAM_ID,
    bot_user_id: str = BOT_USER_ID,
) -> dict[str, Any]:
    """An ``app_mention`` event; the text starts with the bot's mention as Slack sends it.

    ``<@UBOT> `` is put in front of ``text`` unless ``text`` already mentions the
    bot. Slack's app_mention events carry no ``channel_type``; a mention in a
    thread carries ``thread_ts``.
    """
    mention = f"<@{bot_user_id}>"
    message_ts = ts or _next_ts()
    event: dict[str, Any] = {
        "type": "app_mention",
        "client_msg_id": str(uuid.uuid4()),
        "user": user_id,
        "text": text if mention in text else f"{mention} {text}",
        "ts": message_ts,
        "event_ts": message_ts,
        "team": team_id,
        "channel": channel_id,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def event_callback_body(
    event: dict[str, Any],
    *,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    event_id: str | None = None,
    event_time: int | None = None,
    bot_user_id: str = BOT_USER_ID,
) -> str:
    """The JSON envelope Slack posts for one event (``type: event_callback``).

    ``event_id`` is what a repeated delivery shares with the first one, so pass
    the same value (and ``retry_num`` to :func:`signed_headers`) to play a retry.
    ``authorizations`` names the bot user the event is delivered to.
    """
    envelope = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_sequence):08d}{uuid.uuid4().hex[:4].upper()}",
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }
    return json.dumps(envelope)


def block_actions_body(
    action_id: str,
    value: str,
    *,
    block_id: str = "intake",
    action_type: str = "button",
    action_text: str = "Button",
    user_id: str = USER_ID,
    user_name: str = USER_NAME,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    channel_id: str = CHANNEL_ID,
    channel_name: str = CHANNEL_NAME,
    message_ts: str | None = None,
    thread_ts: str | None = None,
    message_text: str = "",
    message_blocks: list[dict[str, Any]] | None = None,
    api_app_id: str = APP_ID,
    trigger_id: str | None = None,
    response_url: str | None = None,
) -> str:
    """The form-encoded ``payload=<json>`` Slack posts when someone clicks in a message.

    The clicked message is the bot's own (``message_ts``); when it sits in a
    thread, both ``container.thread_ts`` and ``message.thread_ts`` carry the
    thread, as Slack sends them. ``action_type`` is ``button`` (the value is the
    button's ``value``) or ``static_select`` (the value is the selected option's).
    """
    clicked_ts = message_ts or _next_ts()
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": action_type,
        "action_ts": f"{time.time():.6f}",
    }
    label = {"type": "plain_text", "text": action_text, "emoji": True}
    if action_type == "static_select":
        action["selected_option"] = {"text": label, "value": value}
    else:
        action["text"] = label
        action["value"] = value
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": clicked_ts,
        "channel_id": channel_id,
        "is_ephemeral": False,
    }
    message: dict[str, Any] = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": api_app_id,
        "ts": clicked_ts,
        "text": message_text,
        "team": team_id,
        "blocks": message_blocks or [],
    }
    if thread_ts is not None:
        container["thread_ts"] = thread_ts
        message["thread_ts"] = thread_ts
    payload = {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id or _trigger_id(),
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_name},
        "message": message,
        "state": {"values": {}},
        "response_url": response_url
        or f"https://hooks.slack.com/actions/{team_id}/{next(_sequence)}/{uuid.uuid4().hex}",
        "actions": [action],
    }
    return urlencode({"payload": json.dumps(payload)})


def url_verification_body(challenge: str | None = None) -> str:
    """The JSON Slack posts once to check a new Request URL; the app echoes ``challenge``."""
    return json.dumps(
        {
            "token": VERIFICATION_TOKEN,
            "challenge": challenge or uuid.uuid4().hex,
            "type": "url_verification",
        }
    )
