"""Block Kit and message limits that Slack enforces, and the two helpers that keep us inside them.

Slack rejects a whole message (``invalid_blocks``) when one field is too long, so
every renderer cuts text to these numbers before posting rather than discovering
them in production. Sources, as published by Slack:

- Blocks reference (https://docs.slack.dev/reference/block-kit/blocks): up to
  50 blocks in a message, 100 in a modal or Home tab.
- Section block (https://docs.slack.dev/reference/block-kit/blocks/section-block):
  ``text`` 1-3000 characters; ``fields`` at most 10 items of at most 2000
  characters each; ``block_id`` at most 255 characters (the same for every block).
- Header block (https://docs.slack.dev/reference/block-kit/blocks/header-block):
  ``plain_text`` only, at most 150 characters.
- Context block (https://docs.slack.dev/reference/block-kit/blocks/context-block):
  at most 10 elements.
- Actions block (https://docs.slack.dev/reference/block-kit/blocks/actions-block):
  at most 25 elements (raised from 5; see python-slack-sdk PR #1253).
- Button element (https://docs.slack.dev/reference/block-kit/block-elements/button-element):
  ``text`` at most 75 characters, ``value`` at most 2000, ``url`` at most 3000,
  ``action_id`` at most 255 (the same for every interactive element).
- Message ``text`` (chat.postMessage, and the changelog "Truncating really long
  messages", https://api.slack.com/changelog/2018-04-truncating-really-long-messages):
  Slack truncates above 40,000 characters and returns a ``message_truncated``
  warning; it asks apps to keep messages to about 4,000, and longer text may be
  split into several messages, so 4,000 is the limit we design to.
- Message metadata (https://docs.slack.dev/messaging/message-metadata): Slack
  documents the shape (``event_type`` a short alphanumeric name,
  ``event_payload`` a flat-ish JSON object) but publishes no size limit, so we
  name none here; keep the payload to ids and short values.
- Escaping (https://docs.slack.dev/messaging/formatting-message-text#escaping):
  ``&``, ``<`` and ``>`` are control characters and must be sent as ``&amp;``,
  ``&lt;`` and ``&gt;``; nothing else may be entity-encoded, because Slack only
  decodes those three.
"""

from __future__ import annotations

MAX_BLOCKS_PER_MESSAGE = 50
MAX_BLOCKS_PER_VIEW = 100

SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX_ITEMS = 10
SECTION_FIELD_TEXT_MAX = 2000
BLOCK_ID_MAX = 255

HEADER_TEXT_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_ELEMENTS_MAX = 25

BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
BUTTON_URL_MAX = 3000
ACTION_ID_MAX = 255

MESSAGE_TEXT_RECOMMENDED_MAX = 4000
MESSAGE_TEXT_HARD_MAX = 40000

ELLIPSIS = "…"

# Longest entity escape_mrkdwn produces ("&amp;"), so truncate can tell a cut entity.
_LONGEST_ENTITY = len("&amp;")


def escape_mrkdwn(text: str) -> str:
    """Escape Slack's three control characters so typed text stays literal.

    ``&`` goes first so the entities produced for ``<`` and ``>`` are not escaped
    twice. After this, ``<!channel>`` or ``<@U123>`` typed by a person pings
    nobody and ``<https://evil|bank>`` cannot forge a link. Other characters
    (``*``, ``_``, ``~``, quotes) are left alone: Slack would show an entity for
    them verbatim.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """Cut ``text`` to at most ``limit`` characters, marking the cut with ``ellipsis``.

    Text within the limit comes back unchanged. The cut never lands inside an
    entity made by :func:`escape_mrkdwn` (``&am…`` would show as garbage) nor
    inside an unclosed ``<...>`` mention or link (Slack would show the raw
    markup); it backs off to just before it instead. When ``limit`` leaves no
    room for the ellipsis, the text is cut bare so the result still fits.
    """
    if limit < 0:
        raise ValueError(f"limit must be zero or more, got {limit}")
    if len(text) <= limit:
        return text
    if len(ellipsis) >= limit:
        return text[:limit]
    kept = text[: limit - len(ellipsis)]
    open_tag = kept.rfind("<")
    if open_tag > kept.rfind(">"):
        kept = kept[:open_tag]
    amp = kept.rfind("&", max(0, len(kept) - _LONGEST_ENTITY + 1))
    if amp != -1 and ";" not in kept[amp:]:
        kept = kept[:amp]
    return kept.rstrip() + ellipsis
