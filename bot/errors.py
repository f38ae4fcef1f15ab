"""The one exception hierarchy of the runtime.

    IntakeBotError                 base of everything the bot raises on purpose
    ├── ConfigurationError         settings that cannot work (missing token, bad URL)
    ├── StoreError                 anything that went wrong holding state
    │   ├── StoreUnavailableError  Redis could not be reached or timed out (see the class)
    │   └── StaleStateError        a compare-and-set write lost to a concurrent writer
    └── DeliveryError              a post that did not certainly happen
        ├── DeliveryRefusedError        the platform refused it for good: drop it, never retry
        ├── DeliveryDeferredError       the platform did not act and asks to come back later
        └── DeliveryUnknownError        the platform may have acted: look before posting again

Library errors (redis, slack_sdk, botbuilder) are wrapped at the boundary with
``raise ... from exc`` so callers handle one family and keep the cause.
"""

from __future__ import annotations

from enum import StrEnum


class IntakeBotError(Exception):
    """Base class, so a caller can tell our deliberate failures from bugs."""


class ConfigurationError(IntakeBotError):
    """Settings that cannot work; raised at start-up rather than on the first request."""


class StoreError(IntakeBotError):
    """Holding state failed; the message never includes credentials."""


class StoreUnavailableError(StoreError):
    """Redis could not be reached, or did not answer in time.

    A refused connection wrote nothing. After a timeout the write may have run;
    repeating it with the same delivery mark is safe, since the store then
    reports the delivery as a duplicate instead of applying it twice.
    """


class StaleStateError(StoreError):
    """A versioned write found a newer version than the one it read.

    The service reloads, steps again and retries; it is never a bare KeyError so
    that a lost race cannot be mistaken for missing data.
    """

    def __init__(self, key: str, expected: int | None, found: int | None) -> None:
        super().__init__(f"stale write to {key}: expected version {expected}, found {found}")
        self.key = key
        self.expected = expected
        self.found = found


class DeliveryError(IntakeBotError):
    """A post to a platform did not certainly happen; the subclass says what to do next."""


class Refusal(StrEnum):
    """Why a platform refuses posts for good, in words every front end shares."""

    NOT_A_MEMBER = "not_a_member"
    """The bot was never added to the channel (Slack's `not_in_channel`)."""
    CHANNEL_GONE = "channel_gone"
    """The channel is archived, deleted, or hidden from the bot."""
    RESTRICTED = "restricted"
    """The channel does not let apps post."""
    OTHER = "other"
    """Anything else: a bad token, a message the platform cannot take."""


class DeliveryRefusedError(DeliveryError):
    """The platform refused the post and will refuse it again (channel gone, token revoked).

    `reason` is the platform's own code, for logs; `kind` what it means.
    """

    def __init__(self, reason: str, kind: Refusal = Refusal.OTHER) -> None:
        super().__init__(f"the platform refused the post: {reason}")
        self.reason = reason
        self.kind = kind


class DeliveryDeferredError(DeliveryError):
    """The platform did not act (rate limited, or an error before acting); try again later.

    `retry_after` is the platform's own wait in seconds, when it said one.
    """

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(f"the platform deferred the post: {reason}")
        self.reason = reason
        self.retry_after = retry_after


class DeliveryUnknownError(DeliveryError):
    """The request may have been acted on (the connection dropped, a 5xx after sending).

    Posting again blindly could post twice: the next attempt must first look
    for the post on the platform.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"the post's outcome is unknown: {reason}")
        self.reason = reason
