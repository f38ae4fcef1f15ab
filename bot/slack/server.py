"""`intake-bot slack`: the Bolt app on aiohttp's production server, or over Socket Mode.

HTTP mode serves `/slack/events` (commands, events and interactivity share
the one Request URL), `/healthz` and `/readyz` through aiohttp's AppRunner,
not Bolt's development server. With `SLACK_APP_TOKEN` set, Slack's traffic
arrives over a Socket Mode WebSocket instead, and the HTTP server keeps only
the health routes for the orchestrator.

On SIGTERM, in order:
1. `/readyz` answers 503 at once, and new Slack requests get 503 (Slack
   retries events, to another replica once the load balancer has caught up).
2. Turns in flight finish.
3. The outbox drains for up to `INTAKE_SHUTDOWN_GRACE_SECONDS` (25 s by
   default; `deploy/k8s` gives the pod 30).
4. The process exits. Whatever is still queued is posted by another replica,
   or by this one when it starts again.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import structlog
import uvloop
from aiohttp import web
from pydantic import SecretStr
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.delivery import DeliveryWorker
from bot.errors import ConfigurationError
from bot.health import Credentials, Readiness, add_health_routes
from bot.logging_setup import configure_logging
from bot.metrics import Metrics
from bot.runtime import open_runtime
from bot.schedule import ScheduledPosts
from bot.settings import Settings, load_settings
from bot.slack.app import build_app
from bot.slack.outbound import SlackOutbound, slack_error
from bot.slack.screening import MAX_BODY_BYTES, screen

log = structlog.get_logger(__name__)

EVENTS_PATH = "/slack/events"
RATE_LIMIT_RETRIES = 3


def workspace_url(identity: AsyncSlackResponse | None) -> str | None:
    """The workspace's address from `auth.test`, if it gave one."""
    url = identity.get("url") if identity is not None else None
    return url if isinstance(url, str) and url.startswith("https://") else None


def make_client(settings: Settings, session: aiohttp.ClientSession) -> AsyncWebClient:
    """The Web API client: our base URL, and slack_sdk's retries for 429 (honouring Retry-After).

    No retry after a connection error: `chat.postMessage` is not idempotent,
    and a connection that dropped after Slack acted would post twice. The
    delivery worker looks in the thread before it posts again instead.
    Without a session slack_sdk opens a new connection for every call; the
    shared one keeps connections to Slack alive (Bolt hands it to the client
    it makes for each request).
    """
    if settings.slack_bot_token is None:
        raise ConfigurationError("SLACK_BOT_TOKEN is not set; the Slack app cannot post.")
    return AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        session=session,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)],
    )


def check_settings(settings: Settings) -> None:
    """Refuse to start with settings that cannot work, naming every problem in one message.

    Above all, never run with requests unauthenticated by accident.
    """
    problems = settings.problems()
    if settings.slack_bot_token is None:
        problems.append(
            "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from "
            "OAuth & Permissions."
        )
    socket_mode = settings.slack_app_token is not None
    secret = settings.slack_signing_secret
    if settings.insecure_skip_auth:
        log.warning("slack.request_verification_off", setting="INTAKE_INSECURE_SKIP_AUTH")
    elif not socket_mode and (secret is None or not secret.get_secret_value()):
        problems.append(
            "SLACK_SIGNING_SECRET is not set. Set it (Basic Information > App Credentials), "
            "use Socket Mode with SLACK_APP_TOKEN, or set INTAKE_INSECURE_SKIP_AUTH=true "
            "for local development only."
        )
    if settings.redis_url is None and not problems:
        log.warning(
            "slack.embedded_redis",
            hint="REDIS_URL is not set: state lives in an embedded Redis under INTAKE_STATE_DIR",
        )
    if problems:
        raise ConfigurationError("; ".join(problems))


async def _checked_at_start(
    call: Awaitable[AsyncSlackResponse], setting: str, fix: str
) -> AsyncSlackResponse:
    """One Web API call at start; Slack's refusal stops the server, naming the setting and the fix."""
    try:
        return await call
    except SlackApiError as exc:
        error = slack_error(exc) or exc.response.status_code
        raise ConfigurationError(f"Slack refused {setting} ({error}): {fix}") from None
    except aiohttp.ClientError as exc:
        raise ConfigurationError(
            f"Slack's Web API could not be reached at SLACK_API_URL ({type(exc).__name__})."
        ) from None


async def verify_token(client: AsyncWebClient) -> AsyncSlackResponse:
    """`auth.test` once at start: a wrong or revoked token stops the server with a clear message."""
    return await _checked_at_start(
        client.auth_test(),
        "SLACK_BOT_TOKEN",
        "copy the Bot User OAuth Token again from OAuth & Permissions, and reinstall the app "
        "if it was revoked.",
    )


async def open_socket_mode(
    bolt: AsyncApp, client: AsyncWebClient, app_token: SecretStr
) -> AsyncSocketModeHandler:
    """A Socket Mode handler, once Slack has taken the app-level token: a wrong one stops the start.

    slack_sdk's own connect retries a refused token for ever, every few
    seconds, so the token is tried here once, with `apps.connections.open`.
    The URL that call hands out goes unused: the handler asks for its own
    each time it connects, and a URL kept from here could have expired by
    the time a failed first connection is tried again.
    """
    token = app_token.get_secret_value()
    await _checked_at_start(
        client.apps_connections_open(app_token=token),
        "SLACK_APP_TOKEN",
        "create an app-level token with the connections:write scope under Basic Information > "
        "App-Level Tokens, and turn Socket Mode on.",
    )
    return AsyncSocketModeHandler(bolt, token, web_client=client)


def make_web_app(
    bolt: AsyncApp,
    readiness: Readiness,
    *,
    verifier: SignatureVerifier | None,
    events: bool = True,
) -> web.Application:
    """The aiohttp application: Slack's Request URL and the health probes."""

    async def slack_events(request: web.Request) -> web.Response:
        if readiness.stopping:
            return web.Response(status=503, text="shutting down; retry")
        refused = await screen(request, verifier)
        if refused is not None:
            return refused
        bolt_request = await to_bolt_request(request)
        bolt_response = await bolt.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    web_app = web.Application(client_max_size=MAX_BODY_BYTES)
    if events:
        web_app.router.add_post(EVENTS_PATH, slack_events)
    add_health_routes(web_app, readiness)
    return web_app


@dataclass(frozen=True, slots=True)
class RunningSlack:
    """A started server, for tests and benchmarks: where it listens and its Bolt app."""

    port: int
    bolt: AsyncApp
    readiness: Readiness
    worker: DeliveryWorker
    posts: ScheduledPosts | None = None


@asynccontextmanager
async def slack_server(settings: Settings, host: str, port: int) -> AsyncIterator[RunningSlack]:
    """Run the Slack app until the context exits, then shut down as the module says."""
    check_settings(settings)
    async with aiohttp.ClientSession() as session:
        client = make_client(settings, session)
        identity = await verify_token(client)
        metrics, credentials = Metrics(), Credentials()
        outbound = SlackOutbound(
            client, metrics, credentials, workspace_url=workspace_url(identity)
        )
        async with open_runtime(settings, outbound, metrics, platform="slack") as runtime:
            bolt = build_app(
                settings,
                runtime.service,
                client,
                identity=identity,
                metrics=metrics,
                credentials=credentials,
            )
            readiness = Readiness(runtime.store, runtime.metrics, credentials)
            socket_handler = None
            if settings.slack_app_token is not None:
                socket_handler = await open_socket_mode(bolt, client, settings.slack_app_token)
                readiness.connected = socket_handler.client.is_connected
            socket_mode = socket_handler is not None
            secret = settings.slack_signing_secret
            verifier = (
                None
                if settings.insecure_skip_auth or secret is None
                else SignatureVerifier(secret.get_secret_value())
            )
            web_app = make_web_app(bolt, readiness, verifier=verifier, events=not socket_mode)
            # aiohttp's keep-alive timer runs from the moment a connection opens until a
            # whole request has arrived, so it also closes clients that never finish their
            # headers (and idle keep-alive connections, after the load balancer's own timeout).
            runner = web.AppRunner(web_app, keepalive_timeout=settings.http_idle_timeout_seconds)
            await runner.setup()
            site = web.TCPSite(runner, host, port)
            await site.start()
            bound = runner.addresses[0][1] if runner.addresses else port
            connecting = None
            if socket_handler is not None:
                # Connecting retries until Slack lets it in; /readyz says so meanwhile.
                connecting = asyncio.create_task(socket_handler.connect_async())  # type: ignore[no-untyped-call]
            log.info("slack.started", port=bound, mode="socket" if socket_mode else "http")
            try:
                assert runtime.worker is not None  # open_runtime made one for the outbound
                yield RunningSlack(
                    port=bound,
                    bolt=bolt,
                    readiness=readiness,
                    worker=runtime.worker,
                    posts=runtime.posts,
                )
            finally:
                readiness.stopping = True
                runtime.service.stop_taking_turns()
                # Turns in flight finish first: over Socket Mode their acknowledgement
                # goes back on the WebSocket, so it closes only after them.
                await runtime.service.turns_finished()
                if socket_handler is not None and connecting is not None:
                    await socket_handler.close_async()  # type: ignore[no-untyped-call]
                    connecting.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await connecting
                log.info("slack.stopping", grace_seconds=settings.shutdown_grace_seconds)
                # Leaving open_runtime drains the outbox for up to the grace period.
        await runner.cleanup()
        log.info("slack.stopped")


async def _serve_forever(settings: Settings, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with slack_server(settings, host, port):
        await stop.wait()


def run_slack(*, host: str, port: int) -> int:
    """Entry point of `intake-bot slack`."""
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        uvloop.run(_serve_forever(settings, host, port))
    except ConfigurationError as exc:
        log.error("slack.bad_configuration", error=str(exc))
        return 2
    return 0
