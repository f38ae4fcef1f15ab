"""A bare botbuilder Teams bot: ``CloudAdapter`` behind ``POST /api/messages``, replying once per message.

The baseline the intake bot's Teams front end is measured against, and the
proof that the stand-ins in :mod:`testkit.teams_standin` play Microsoft's side
well enough for botbuilder with authentication on. It is configured the way a
production bot is, through ``ConfigurationBotFrameworkAuthentication``; tests
pass the stand-ins' URLs in the configuration and their credentials factory.

One thing is added to what botbuilder does, so that a request that fails
authentication is answered 401 as the Bot Framework expects, never 500:

- botbuilder lets a bad JWT (forged signature, expired, malformed) escape as a
  ``jwt.PyJWTError``, which aiohttp turns into a 500; here it is a 401.
- With the URLs configured (``_ParameterizedBotFrameworkAuthentication``), a
  request without ``Authorization`` fails inside botbuilder with an
  ``AttributeError`` (a 500), where the public-cloud path raises
  ``PermissionError`` (a 401). A missing bearer token is refused here first,
  so both configurations answer the same.
"""

from __future__ import annotations

from typing import Any

import jwt
from aiohttp import web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botframework.connector.auth import ServiceClientCredentialsFactory

from testkit.local_server import Started, serve

MESSAGES_PATH = "/api/messages"


def reply_text(text: str | None, value: object | None) -> str:
    """What the bare bot answers: the text it got, or the submitted card value."""
    return f"received: {text}" if text else f"received a card submission: {value}"


class ReplyOnceBot(ActivityHandler):
    """Answers every message with one reply, in the same conversation and reply chain."""

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        await turn_context.send_activity(
            MessageFactory.text(reply_text(activity.text, activity.value))
        )


class BareTeamsBot(Started):
    """The bare bot served on 127.0.0.1 (a free port by default); start it with ``async with``."""

    def __init__(
        self,
        config: Any,
        *,
        credentials_factory: ServiceClientCredentialsFactory | None = None,
        bot: ActivityHandler | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.authentication = ConfigurationBotFrameworkAuthentication(
            config, credentials_factory=credentials_factory
        )
        self.adapter = CloudAdapter(self.authentication)
        self.bot = bot or ReplyOnceBot()
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    def app(self) -> web.Application:
        """The aiohttp application: ``POST /api/messages`` into the adapter."""
        app = web.Application()
        app.router.add_post(MESSAGES_PATH, self._messages)
        return app

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token.strip():
            raise web.HTTPUnauthorized
        try:
            response = await self.adapter.process(request, self.bot)
        except jwt.PyJWTError as exc:
            raise web.HTTPUnauthorized from exc
        return response or web.Response(status=201)

    async def start(self) -> None:
        """Bind the port and start answering."""
        self._runner, host, port = await serve(self.app(), self._host, self._port)
        self._url = f"http://{host}:{port}{MESSAGES_PATH}"

    async def stop(self) -> None:
        """Close the listening socket and connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def messages_url(self) -> str:
        """Where the Bot Framework posts activities: ``http://127.0.0.1:PORT/api/messages``."""
        if self._url is None:
            raise RuntimeError("the bare bot is not running; use `async with` first")
        return self._url
