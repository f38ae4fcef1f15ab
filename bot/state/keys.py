"""Every Redis key the bot uses is derived here, and only here.

A wrong key is a silent data leak between threads, so the layout is written
once and pinned by tests. The layout, with ``e()`` the escaping below::

    <prefix>:intake:{<platform>:<workspace>:<channel>}:<thread>
    <prefix>:place:{<platform>:<workspace>:<channel>}:<thread>:<user>
    <prefix>:channel:{<platform>:<workspace>:<channel>}
    <prefix>:intake-delivery:{<platform>:<workspace>:<channel>}:<delivery id>
    <prefix>:answers:{<platform>:<workspace>:<channel>}:<thread>
    <prefix>:history:{<platform>:<workspace>:<channel>}:<thread>
    <prefix>:outbox:{<platform>:<workspace>:<channel>}
    <prefix>:outbox-lease:{<platform>:<workspace>:<channel>}
    <prefix>:delivery:{<platform>:<delivery id>}
    <prefix>:conversation:{<platform>:<workspace>:<channel>}
    <prefix>:names:{<platform>:<workspace>}
    <prefix>:digest:{<platform>:<workspace>:<channel>}
    <prefix>:digest-slot:{<platform>:<workspace>:<channel>}:<period end>
    <prefix>:digest-claim:{<platform>:<workspace>:<channel>}:<period end>
    <prefix>:reminder-slot:{<platform>:<workspace>:<channel>}:<thread>:<day>
    <prefix>:reminder-claim:{<platform>:<workspace>:<channel>}:<thread>:<day>
    <prefix>:digest-last:{<platform>:<workspace>:<channel>}
    <prefix>:digest-channels
    <prefix>:cards:{<platform>:<workspace>:<channel>}

Why the braces: Redis Cluster hashes only the text between the first ``{`` and
the next ``}``, so every key of one channel (its intakes, the places in them,
the channel's index and the deliveries that change them) lands in one slot.
That is what lets ``StateStore.save_all`` change an intake, a person's place,
the channel index, the delivery mark, the intake's answer and change logs
and the channel's outbox in one Lua script on a Cluster too. The outbox is per
channel because a channel is what Slack paces (about a message a second), so
one channel's queue never holds up another's.
The slot is per channel rather than per thread so the channel index can join
that script; intake traffic is human-paced, so one channel per slot is no hot
spot. A delivery that belongs to no intake yet (a command that opens a thread)
uses ``delivery_key``, which spreads over all slots.

Why the escaping: components come from Slack and Teams payloads, and ids are
not ours to trust. Percent-encoding ``%``, ``:``, ``{`` and ``}`` makes each
component free of the separator and of hash-tag braces, and the encoding is
reversible, so two different refs or users can never produce the same key.
"""

from __future__ import annotations

import re

from redis.crc import key_slot

from bot.ports import IntakeRef

_ESCAPES = str.maketrans({"%": "%25", ":": "%3A", "{": "%7B", "}": "%7D"})
_PREFIX = re.compile(r"[A-Za-z0-9_.-]+(?::[A-Za-z0-9_.-]+)*")


def _e(component: str) -> str:
    """Escape one component so that it cannot split a key or open a hash tag."""
    return component.translate(_ESCAPES)


def check_prefix(prefix: str) -> str:
    """The prefix, or ValueError saying what a usable one looks like (settings check it at start)."""
    return _checked(prefix)


def _checked(prefix: str) -> str:
    """Refuse prefixes that could carry braces (and so steal the hash tag) or be empty."""
    if not _PREFIX.fullmatch(prefix):
        raise ValueError(
            "key prefix must be letters, digits, '_', '.', '-' in ':'-separated parts, "
            f"for example 'intake' or 'intake:staging'; got {prefix!r}"
        )
    return prefix


def channel_tag(platform: str, workspace: str, channel: str) -> str:
    """The Cluster hash tag shared by every key of one channel, braces included."""
    return "{" + ":".join((_e(platform), _e(workspace), _e(channel))) + "}"


def _tag(ref: IntakeRef) -> str:
    return channel_tag(ref.platform, ref.workspace, ref.channel)


def intake_key(ref: IntakeRef, prefix: str) -> str:
    """The key of the intake record that everybody in the thread shares."""
    return f"{_checked(prefix)}:intake:{_tag(ref)}:{_e(ref.thread)}"


def place_key(ref: IntakeRef, user: str, prefix: str) -> str:
    """The key of one person's place in one intake's dialogue."""
    return f"{_checked(prefix)}:place:{_tag(ref)}:{_e(ref.thread)}:{_e(user)}"


def channel_index_key(platform: str, workspace: str, channel: str, prefix: str) -> str:
    """The key of the set of a channel's intakes, read by the digest."""
    return f"{_checked(prefix)}:channel:{channel_tag(platform, workspace, channel)}"


def intake_delivery_key(ref: IntakeRef, delivery_id: str, prefix: str) -> str:
    """The mark of a delivery that changes this intake, in the intake's slot.

    Pass this to ``save_all`` so the mark is written in the same script, and on
    a Cluster in the same slot, as the state the delivery produced.
    """
    return f"{_checked(prefix)}:intake-delivery:{_tag(ref)}:{_e(delivery_id)}"


def answer_log_key(ref: IntakeRef, prefix: str) -> str:
    """The key of the intake's answer log: every answer ever given, oldest first."""
    return f"{_checked(prefix)}:answers:{_tag(ref)}:{_e(ref.thread)}"


def history_log_key(ref: IntakeRef, prefix: str) -> str:
    """The intake's change history after its baseline (a list, oldest first), beside its record."""
    return f"{_checked(prefix)}:history:{_tag(ref)}:{_e(ref.thread)}"


def outbox_key(ref: IntakeRef, prefix: str) -> str:
    """The key of the stream of replies waiting to be posted in `ref`'s channel."""
    return f"{_checked(prefix)}:outbox:{_tag(ref)}"


def outbox_lease_key(outbox: str) -> str:
    """The lease one worker holds while it posts from an outbox, in the outbox's slot."""
    prefix, kind, tag = outbox.partition(":outbox:")
    if not kind:
        raise ValueError(f"{outbox!r} is not an outbox key")
    return f"{prefix}:outbox-lease:{tag}"


def outbox_pattern(prefix: str) -> str:
    """A SCAN pattern matching every outbox key under `prefix`."""
    return f"{_checked(prefix)}:outbox:*"


def delivery_key(platform: str, delivery_id: str, prefix: str) -> str:
    """The mark of a delivery that is deduplicated on its own (``remember_delivery``)."""
    return f"{_checked(prefix)}:delivery:{{{_e(platform)}:{_e(delivery_id)}}}"


def cluster_slot(key: str) -> int:
    """The Redis Cluster slot of ``key``; the store uses it to refuse cross-slot scripts."""
    return key_slot(key.encode())


def conversation_key(platform: str, workspace: str, channel: str, prefix: str) -> str:
    """Where the platform's address of a channel or chat is kept, for posting there later.

    In the channel's slot, beside its intakes and outbox (Teams keeps its
    ConversationReference here).
    """
    return f"{_checked(prefix)}:conversation:{channel_tag(platform, workspace, channel)}"


def names_key(platform: str, workspace: str, prefix: str) -> str:
    """The display names a platform gave people (user id -> name), to mention them by name."""
    return f"{_checked(prefix)}:names:{{{_e(platform)}:{_e(workspace)}}}"


def digest_schedule_key(platform: str, workspace: str, channel: str, prefix: str) -> str:
    """A channel's digest setting (JSON), in the channel's slot."""
    return f"{_checked(prefix)}:digest:{channel_tag(platform, workspace, channel)}"


def digest_channels_key(prefix: str) -> str:
    """The set of channels that have a digest setting, as `platform:workspace:channel` tags."""
    return f"{_checked(prefix)}:digest-channels"


def channel_member(platform: str, workspace: str, channel: str) -> str:
    """A channel as a member of `digest_channels_key`, reversible with `channel_of_member`."""
    return ":".join(_e(part) for part in (platform, workspace, channel))


def channel_of_member(member: str) -> tuple[str, str, str]:
    """The (platform, workspace, channel) a `channel_member` names."""
    platform, workspace, channel = member.split(":")
    return _u(platform), _u(workspace), _u(channel)


_UNESCAPES = {"%25": "%", "%3A": ":", "%7B": "{", "%7D": "}"}
_ESCAPED = re.compile("|".join(_UNESCAPES))


def _u(component: str) -> str:
    """Undo `_e` in one pass, so an escaped `%` is never read as the start of another escape."""
    return _ESCAPED.sub(lambda match: _UNESCAPES[match.group(0)], component)


def digest_slot_key(ref: IntakeRef, period_end: str, prefix: str) -> str:
    """Set, with the digest's outbox entry, once the channel's digest for a period is queued."""
    return f"{_checked(prefix)}:digest-slot:{_tag(ref)}:{_e(period_end)}"


def digest_claim_key(ref: IntakeRef, period_end: str, prefix: str) -> str:
    """Held by the one replica working out a channel's digest for a period; it expires."""
    return f"{_checked(prefix)}:digest-claim:{_tag(ref)}:{_e(period_end)}"


def reminder_slot_key(ref: IntakeRef, day: str, prefix: str) -> str:
    """Set, with the reminder's outbox entry, once an intake is reminded on a day."""
    return f"{_checked(prefix)}:reminder-slot:{_tag(ref)}:{_e(ref.thread)}:{_e(day)}"


def reminder_claim_key(ref: IntakeRef, day: str, prefix: str) -> str:
    """Held by the one replica reminding an intake on a day; it expires."""
    return f"{_checked(prefix)}:reminder-claim:{_tag(ref)}:{_e(ref.thread)}:{_e(day)}"


def thread_of_intake_key(key: str) -> str:
    """The thread an `intake_key` names (the part after the channel's hash tag)."""
    return _u(key[key.rindex("}:") + 2 :])


def cards_key(platform: str, workspace: str, channel: str, prefix: str) -> str:
    """The platform's message ids of warning cards (`<thread>:<warning>` -> id), to update them
    where the platform cannot look them up (Teams)."""
    return f"{_checked(prefix)}:cards:{channel_tag(platform, workspace, channel)}"


def digest_last_key(ref: IntakeRef, prefix: str) -> str:
    """When the channel's last digest period ended (a UTC timestamp): the next one starts there."""
    return f"{_checked(prefix)}:digest-last:{_tag(ref)}"
