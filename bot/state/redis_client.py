"""The one place that opens the Redis connection, embedded or configured.

Timeouts are short on purpose: a chat request that waits on a dead Redis for
half a minute is worse than one that tells the person at once that their
answer could not be saved. Connection errors are retried once, for the pooled
connection that a Redis restart left dead; timeouts are not retried, because a
script that timed out may have run, and running it again is the caller's
decision (a delivery mark makes that retry safe).

The URL can carry a password, so it never appears in a log line or an error
message; ``redact_url`` is what may be shown.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.errors import ConfigurationError
from bot.state.embedded_redis import EmbeddedRedis

DEFAULT_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class PoolLimits:
    """How many connections one process opens, and how long a request waits for a free one.

    The pool blocks: a burst of requests queues for a connection instead of
    failing at once (a non-blocking pool raises as soon as it is exhausted).
    A wait past `wait_seconds` is a connection error like any outage.
    """

    max_connections: int = 64
    wait_seconds: float = 2.0


_HEALTH_CHECK_SECONDS = 30


@dataclass(eq=False)
class RedisHandle:
    """Owns the client and, without ``REDIS_URL``, the embedded server behind it."""

    client: Redis
    embedded: EmbeddedRedis | None
    display_url: str

    async def aclose(self) -> None:
        """Close the client first: its connections would keep the embedded server up."""
        await self.client.aclose()
        if self.embedded is not None:
            await asyncio.to_thread(self.embedded.stop)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def connect(
    url: str | None,
    state_dir: Path,
    *,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    limits: PoolLimits | None = None,
) -> RedisHandle:
    """Open a client on ``url``, or start the embedded Redis under ``state_dir`` when it is None.

    Starting the embedded server blocks for a fraction of a second, once, before
    anything is served. Responses stay bytes (``decode_responses=False``): the
    store hands JSON bytes straight to pydantic.
    """
    embedded: EmbeddedRedis | None = None
    if url is None:
        embedded = EmbeddedRedis(state_dir)
        embedded.start()
        url = embedded.url
    try:
        limits = limits or PoolLimits()
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=limits.max_connections,
            timeout=limits.wait_seconds,
            decode_responses=False,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            retry=Retry(NoBackoff(), retries=1, supported_errors=(RedisConnectionError,)),
            health_check_interval=_HEALTH_CHECK_SECONDS,
        )
        client = Redis.from_pool(pool)  # the client owns the pool and closes it
    except ValueError:
        if embedded is not None:
            embedded.stop()
        # The parser's message can quote parts of the URL, password included: leave it out.
        raise ConfigurationError(
            f"REDIS_URL is not a usable Redis URL ({redact_url(url)}); expected "
            "redis://[:password@]host[:port][/db], rediss://... or unix:///path/to/socket"
        ) from None
    return RedisHandle(client=client, embedded=embedded, display_url=redact_url(url))


def redact_url(url: str) -> str:
    """The URL without credentials or query (which can also carry a password), for logs."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<unparseable URL>"
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    if parts.username or parts.password:
        netloc = "***@" + netloc
    return f"{parts.scheme}://{netloc}{parts.path}"
