"""Block Kit blocks as plain dicts, cut to Slack's limits as they are built.

slack_sdk's block models validate as they serialise, which costs more per
message than everything else the bot does in a turn; the shapes here are the
few we use, and the test suite parses and validates every posted list with
`slack_sdk.models.blocks` instead.
"""

from __future__ import annotations

from typing import Any

from bot.slack.limits import (
    BUTTON_TEXT_MAX,
    HEADER_TEXT_MAX,
    SECTION_FIELD_TEXT_MAX,
    SECTION_FIELDS_MAX_ITEMS,
    SECTION_TEXT_MAX,
    truncate,
)

Block = dict[str, Any]


def mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, str]:
    """A mrkdwn text object; callers escape what people typed before this."""
    return {"type": "mrkdwn", "text": truncate(text, limit)}


def plain(text: str, limit: int) -> dict[str, Any]:
    """A plain_text object (emoji shortcodes rendered)."""
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def section(text: str | None = None, fields: list[str] | None = None) -> Block:
    """A section with mrkdwn text and/or up to ten mrkdwn fields."""
    block: Block = {"type": "section"}
    if text is not None:
        block["text"] = mrkdwn(text)
    if fields:
        block["fields"] = [
            mrkdwn(field, SECTION_FIELD_TEXT_MAX) for field in fields[:SECTION_FIELDS_MAX_ITEMS]
        ]
    return block


def context(text: str) -> Block:
    """A context block with one mrkdwn element: small, grey, for secondary lines."""
    return {"type": "context", "elements": [mrkdwn(text)]}


def header(text: str) -> Block:
    """A header block (plain text only)."""
    return {"type": "header", "text": plain(text, HEADER_TEXT_MAX)}


def divider() -> Block:
    """A divider."""
    return {"type": "divider"}


def button(label: str, action_id: str, value: str) -> Block:
    """A button; `value` comes back in the block_actions payload."""
    return {
        "type": "button",
        "text": plain(label, BUTTON_TEXT_MAX),
        "action_id": action_id,
        "value": value,
    }


def actions(block_id: str, elements: list[Block]) -> Block:
    """An actions block holding buttons."""
    return {"type": "actions", "block_id": block_id, "elements": elements}
