"""`intake-bot teams`: botbuilder's CloudAdapter behind `POST /api/messages`, on aiohttp.

The same settings, logging, Redis, probes, metrics and shutdown as
`intake-bot slack` (see `bot/slack/server.py`): on SIGTERM `/readyz` turns
503 and new activities get 503, turns in flight finish, the outbox drains for
up to the grace period, and the process exits.

Authentication: every activity must carry the Bot Framework's JWT, checked by
botbuilder against the bot's app id (single- or multi-tenant). It is off only
for local work with the Bot Framework Emulator, when `MICROSOFT_APP_ID` is
empty and `INTAKE_INSECURE_SKIP_AUTH=true` says so; an empty app id without
that switch refuses to start. A request that fails authentication gets 401,
never 500: botbuilder 4.17 lets a bad token escape as a PyJWT error, and
without any `Authorization` header some of its paths fail inside, so both are
answered here.
"""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import jwt
import structlog
import uvloop
from aiohttp import web
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
    ConfigurationServiceClientCredentialFactory,
)
from botbuilder.schema import Activity
from botframework.connector.auth import ServiceClientCredentialsFactory
from msrest.exceptions import DeserializationError  # type: ignore[attr-defined]
from redis.asyncio import Redis

from bot.delivery import DeliveryWorker
from bot.errors import ConfigurationError
from bot.health import Credentials, Readiness, add_health_routes
from bot.logging_setup import configure_logging
from bot.metrics import Metrics
from bot.runtime import open_runtime
from bot.settings import MicrosoftAppType, Settings, load_settings
from bot.teams.addresses import PLATFORM, Addresses
from bot.teams.app import IntakeTeamsBot, TurnFailedError
from bot.teams.outbound import TeamsOutbound

log = structlog.get_logger(__name__)

MESSAGES_PATH = "/api/messages"
# Bot Framework activities are small; a card submission is a few KB.
MAX_BODY_BYTES = 256 * 1024


def check_settings(settings: Settings) -> None:
    """Refuse to start with settings that cannot work, naming every problem in one message."""
    problems = settings.problems()
    if not settings.microsoft_app_id:
        if settings.insecure_skip_auth:
            log.warning("teams.authentication_off", setting="INTAKE_INSECURE_SKIP_AUTH")
        else:
            problems.append(
                "MICROSOFT_APP_ID is not set: copy the Microsoft App ID from the Azure Bot's "
                "Configuration page (and MICROSOFT_APP_PASSWORD, a client secret of that app), "
                "or, for the Bot Framework Emulator only, leave it empty and set "
                "INTAKE_INSECURE_SKIP_AUTH=true."
            )
    elif settings.insecure_skip_auth:
        log.warning(
            "teams.insecure_skip_auth_ignored",
            hint="MICROSOFT_APP_ID is set, so every activity is authenticated all the same",
        )
    if settings.microsoft_app_id and settings.microsoft_app_password is None:
        problems.append(
            "MICROSOFT_APP_PASSWORD is not set: create a client secret for the bot's app "
            "registration (Certificates & secrets) and set it."
        )
    single = settings.microsoft_app_type is MicrosoftAppType.SINGLE_TENANT
    if settings.microsoft_app_id and single and not settings.microsoft_app_tenant_id:
        problems.append(
            "MICROSOFT_APP_TYPE=SingleTenant needs MICROSOFT_APP_TENANT_ID, the Directory "
            "(tenant) ID of the app registration."
        )
    if settings.redis_url is None and not problems:
        log.warning(
            "teams.embedded_redis",
            hint="REDIS_URL is not set: state lives in an embedded Redis under INTAKE_STATE_DIR",
        )
    if problems:
        raise ConfigurationError("; ".join(problems))


def authenticates(settings: Settings, app_id: str) -> bool:
    """Whether activities must carry a Bot Framework token: always, but for the Emulator.

    Off only with no app id and the explicit INTAKE_INSECURE_SKIP_AUTH; an app id
    keeps it on whatever the switch says.
    """
    return bool(app_id) or not settings.insecure_skip_auth


def bot_config(settings: Settings) -> Any:
    """What botbuilder's `ConfigurationBotFrameworkAuthentication` reads, from our settings."""
    password = settings.microsoft_app_password
    return SimpleNamespace(
        APP_ID=settings.microsoft_app_id or "",
        APP_PASSWORD=password.get_secret_value() if password else "",
        APP_TYPE=settings.microsoft_app_type.value,
        APP_TENANTID=settings.microsoft_app_tenant_id,
    )


class KeptCredentialsFactory(ServiceClientCredentialsFactory):  # type: ignore[misc]  # untyped SDK
    """One set of credentials per (app, audience, login URL), kept for the process's life.

    botbuilder asks its factory for new credentials on every turn and every
    proactive post, and each new set starts with an empty token cache, so each
    post would wait for a token request to Microsoft's login server (made with
    blocking I/O on the event loop). Kept credentials reuse their token until
    it expires, as MSAL caches it.
    """

    def __init__(self, inner: ServiceClientCredentialsFactory) -> None:
        self.inner = inner
        self._made: dict[tuple[str, str, str, bool], Any] = {}

    async def is_valid_app_id(self, app_id: str) -> bool:
        return bool(await self.inner.is_valid_app_id(app_id))

    async def is_authentication_disabled(self) -> bool:
        return bool(await self.inner.is_authentication_disabled())

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> Any:
        key = (app_id, oauth_scope, login_endpoint, validate_authority)
        if key not in self._made:
            self._made[key] = await self.inner.create_credentials(
                app_id, oauth_scope, login_endpoint, validate_authority
            )
        return self._made[key]


def make_web_app(
    adapter: CloudAdapter, bot: IntakeTeamsBot, readiness: Readiness, *, authenticate: bool
) -> web.Application:
    """The aiohttp application: the Bot Framework's messaging endpoint and the probes."""

    async def messages(request: web.Request) -> web.StreamResponse:
        if readiness.stopping:
            return web.Response(status=503, text="shutting down; retry")
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.Response(status=415, text="expected a JSON Bot Framework activity")
        auth_header = request.headers.get("Authorization", "")
        scheme, _, token = auth_header.partition(" ")
        if authenticate and (scheme != "Bearer" or not token.strip()):
            return web.Response(status=401, text="a Bot Framework bearer token is required")
        # The activity is read here, not by botbuilder, which would turn a malformed body
        # into a 500 and log what it could not read.
        activity = _activity(await request.read())
        if activity is None:
            return web.Response(
                status=400, text="expected one JSON object: a Bot Framework activity with a type"
            )
        try:
            await adapter.process_activity(auth_header, activity, bot.on_turn)
        except TurnFailedError:
            return web.Response(status=500, text="the turn failed; it was logged")
        except (jwt.PyJWTError, PermissionError, IndexError):
            # A token botbuilder could not verify (IndexError: a key id it does not know).
            # The bot's own failures arrive as TurnFailedError, so these are authentication's.
            return web.Response(status=401, text="the bearer token was refused")
        return web.Response(status=201)

    web_app = web.Application(client_max_size=MAX_BODY_BYTES)
    web_app.router.add_post(MESSAGES_PATH, messages)
    add_health_routes(web_app, readiness)
    return web_app


def _activity(body: bytes) -> Activity | None:
    """The activity a request body holds; None for anything that is not one JSON activity."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        return None
    try:
        activity = Activity().deserialize(data)
    except (DeserializationError, ValueError, TypeError, AttributeError):
        return None
    return activity if isinstance(activity, Activity) else None


@dataclass(frozen=True, slots=True)
class RunningTeams:
    """A started server, for tests and benchmarks."""

    port: int
    readiness: Readiness
    worker: DeliveryWorker
    addresses: Addresses


def teams_adapter(
    settings: Settings,
    config: Any | None = None,
    credentials_factory: ServiceClientCredentialsFactory | None = None,
) -> tuple[CloudAdapter, str]:
    """botbuilder's adapter with our kept credentials, and the bot's app id."""
    configuration = config or bot_config(settings)
    factory = KeptCredentialsFactory(
        credentials_factory or ConfigurationServiceClientCredentialFactory(configuration)
    )
    authentication = ConfigurationBotFrameworkAuthentication(
        configuration, credentials_factory=factory
    )
    app_id = (config.APP_ID if config is not None else settings.microsoft_app_id) or ""
    return CloudAdapter(authentication), app_id


def teams_outbound(
    adapter: CloudAdapter,
    app_id: str,
    addresses: Addresses,
    metrics: Metrics,
    credentials: Credentials,
) -> TeamsOutbound:
    """The outbound port that posts proactively through `adapter`."""
    return TeamsOutbound(adapter.continue_conversation, app_id, addresses, metrics, credentials)


@asynccontextmanager
async def teams_server(
    settings: Settings,
    host: str,
    port: int,
    *,
    config: Any | None = None,
    credentials_factory: ServiceClientCredentialsFactory | None = None,
) -> AsyncIterator[RunningTeams]:
    """Run the Teams bot until the context exits, then shut down as the module says.

    `config` and `credentials_factory` replace what is built from settings:
    tests point botbuilder at local stand-ins for Microsoft's servers with them.
    """
    check_settings(settings)
    adapter, app_id = teams_adapter(settings, config, credentials_factory)
    metrics, credentials = Metrics(), Credentials()
    # open_runtime makes the Redis client the outbound reads addresses with; keep what it made.
    holder: dict[str, TeamsOutbound] = {}

    def outbound_on(client: Redis) -> TeamsOutbound:
        holder["outbound"] = teams_outbound(
            adapter, app_id, Addresses(client, settings.key_prefix), metrics, credentials
        )
        return holder["outbound"]

    async with open_runtime(settings, outbound_on, metrics, platform=PLATFORM) as runtime:
        outbound = holder["outbound"]
        bot = IntakeTeamsBot(runtime.service, outbound, outbound.addresses)
        readiness = Readiness(runtime.store, runtime.metrics, credentials)
        authenticate = authenticates(settings, app_id)
        web_app = make_web_app(adapter, bot, readiness, authenticate=authenticate)
        runner = web.AppRunner(web_app, keepalive_timeout=settings.http_idle_timeout_seconds)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1] if runner.addresses else port
        log.info("teams.started", port=bound, authentication=authenticate)
        try:
            assert runtime.worker is not None  # open_runtime made one for the outbound
            yield RunningTeams(bound, readiness, runtime.worker, outbound.addresses)
        finally:
            readiness.stopping = True
            runtime.service.stop_taking_turns()
            await runtime.service.turns_finished()
            log.info("teams.stopping", grace_seconds=settings.shutdown_grace_seconds)
    await runner.cleanup()
    log.info("teams.stopped")


async def _serve_forever(settings: Settings, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with teams_server(settings, host, port):
        await stop.wait()


def run_teams(*, host: str, port: int) -> int:
    """Entry point of `intake-bot teams`."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        uvloop.run(_serve_forever(settings, host, port))
    except ConfigurationError as exc:
        log.error("teams.bad_configuration", error=str(exc))
        return 2
    return 0
