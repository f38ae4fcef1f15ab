"""Slack's Block Kit and message limits, and the two helpers that keep us inside them.

Slack rejects a whole message (``invalid_blocks``) when one field is too long, so
every renderer cuts text to these numbers before posting. Where slack_sdk's block
models publish a limit we take its number, so the two cannot drift apart; the few
limits slack_sdk does not publish are stated here. ``escape_mrkdwn`` turns the three
characters Slack treats as markup (``&``, ``<``, ``>``) into the only entities it
decodes.
"""

from __future__ import annotations

from slack_sdk.models.blocks import ActionsBlock, ButtonElement, HeaderBlock, SectionBlock

# slack_sdk models one block at a time, so it has no per-message block count.
MAX_BLOCKS_PER_MESSAGE = 50

SECTION_TEXT_MAX = SectionBlock.text_max_length
SECTION_FIELDS_MAX_ITEMS = SectionBlock.fields_max_length
# slack_sdk checks how many fields a section has, not how long each one is.
SECTION_FIELD_TEXT_MAX = 2000

HEADER_TEXT_MAX = HeaderBlock.text_max_length
ACTIONS_ELEMENTS_MAX = ActionsBlock.elements_max_length

BUTTON_TEXT_MAX = ButtonElement.text_max_length
BUTTON_VALUE_MAX = ButtonElement.value_max_length

# Slack's advice for message text (it truncates only past 40,000); slack_sdk has no constant for it.
MESSAGE_TEXT_RECOMMENDED_MAX = 4000

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
