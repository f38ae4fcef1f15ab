"""The one exception hierarchy of the runtime.

    IntakeBotError                 base of everything the bot raises on purpose
    ├── ConfigurationError         settings that cannot work (missing token, bad URL)
    └── StoreError                 anything that went wrong holding state
        ├── StoreUnavailableError  Redis could not be reached or timed out (see the class)
        └── StaleStateError        a compare-and-set write lost to a concurrent writer

Library errors (redis, slack_sdk, botbuilder) are wrapped at the boundary with
``raise ... from exc`` so callers handle one family and keep the cause.
"""

from __future__ import annotations


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
