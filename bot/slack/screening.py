"""Requests to `/slack/events` checked before anything parses them.

Slack signs every request; one that is not signed by it, is too large, or is
not the JSON or form body Slack sends is refused here with a 4xx, before Bolt
or anyone else reads it. Nothing in a refused request reaches a log line.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import structlog
from aiohttp import web
from slack_sdk.signature import SignatureVerifier

log = structlog.get_logger(__name__)

MAX_BODY_BYTES = 256 * 1024
"""Far above any Slack payload (a block action carrying a long message is tens of KB)."""


async def screen(request: web.Request, verifier: SignatureVerifier | None) -> web.Response | None:
    """A 4xx answer for a request Slack did not send, or None to let it through.

    `verifier` None means authentication is switched off (local development).
    """
    raw = await request.read()  # aiohttp answers 413 itself past client_max_size
    try:
        text: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None  # Slack sends UTF-8; checked after the signature, so no one learns which
    if verifier is not None and (text is None or not _signed(verifier, text, request)):
        log.info("slack.request_refused", reason="signature", size=len(raw))
        return web.Response(status=401, text="invalid signature")
    try:
        well_formed = text is not None and _well_formed(text, request.content_type)
    except (ValueError, RecursionError):
        well_formed = False
    if not well_formed:
        log.info("slack.request_refused", reason="malformed", size=len(raw))
        return web.Response(status=400, text="expected a Slack JSON or form payload")
    return None


def _signed(verifier: SignatureVerifier, text: str, request: web.Request) -> bool:
    timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
    signature = request.headers.get("X-Slack-Signature", "")
    if not timestamp.isdigit():
        return False
    return verifier.is_valid(text, timestamp, signature)


def _well_formed(text: str, content_type: str) -> bool:
    """A JSON object (the Events API), or a form (commands; `payload` holding a JSON object)."""
    if content_type == "application/json":
        return isinstance(json.loads(text), dict)
    fields = parse_qs(text, strict_parsing=bool(text))
    if "payload" in fields:
        return isinstance(json.loads(fields["payload"][0]), dict)
    return bool(fields)
