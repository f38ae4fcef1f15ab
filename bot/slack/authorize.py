"""Bolt's authorization for the app's one bot token.

Single-workspace for now (one `SLACK_BOT_TOKEN`), though the workspace id is
in every Redis key; an OAuth install flow for many workspaces replaces this
function and nothing else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse


def one_workspace(
    client: AsyncWebClient, identity: AsyncSlackResponse | None = None
) -> Callable[..., Awaitable[AuthorizeResult]]:
    """Bolt's authorization for our one bot token: `auth.test` once, however many requests wait.

    Bolt's own single-workspace check calls `auth.test` on the first request,
    and so once per request that arrives before the first answer; a burst at
    start-up would call it dozens of times. `identity` is the answer of the
    `auth.test` the server made at start, when it made one.
    """
    lock = asyncio.Lock()
    known: list[AuthorizeResult] = []
    if identity is not None:
        known.append(
            AuthorizeResult.from_auth_test_response(
                auth_test_response=identity, bot_token=client.token
            )
        )

    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        del enterprise_id, team_id  # one token serves the one workspace it was issued for
        async with lock:
            if not known:
                answer = await client.auth_test()
                known.append(
                    AuthorizeResult.from_auth_test_response(
                        auth_test_response=answer, bot_token=client.token
                    )
                )
        return known[0]

    return authorize
