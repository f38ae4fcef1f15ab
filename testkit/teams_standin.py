"""Stand-ins for Microsoft's side of a Teams bot: the Bot Framework connector and the identity servers.

botbuilder's ``CloudAdapter`` runs exactly as in production, authentication on;
only the URLs it reaches (and MSAL's trust in the login server, see below) point
here. Every wait is woken by a notification, never by polling.

:class:`BotFrameworkIdentityStandIn` plays both identity services:

- The Bot Framework channel's OpenID metadata and signing keys (plain HTTP,
  ``/v1/.well-known/openidconfiguration`` and ``/v1/.well-known/keys``): one
  RSA key made at start-up, published with its ``kid`` and ``endorsements``
  (the channel ids it may sign for, ``msteams`` by default).
  :meth:`~BotFrameworkIdentityStandIn.channel_token` signs what Teams sends the
  bot: issuer ``https://api.botframework.com``, audience the bot's app id, a
  ``serviceurl`` claim, RS256. The paths carry a prefix of this stand-in's own,
  because botbuilder caches keys per metadata URL for the whole process (a day).
- Microsoft Entra's login server (HTTPS with a self-signed certificate):
  ``/{tenant}/v2.0/.well-known/openid-configuration`` and
  ``/{tenant}/oauth2/v2.0/token``, which hands the bot an access token for
  ``https://api.botframework.com`` against its app id and password
  (client credentials). A multi-tenant bot gets it from the ``botframework.com``
  tenant; a single-tenant one only from its own tenant.

  MSAL only talks to an ``https`` authority and, for a host it does not know,
  first asks ``login.microsoftonline.com`` whether it is genuine; botbuilder
  4.17 builds MSAL with neither option exposed. :class:`StandInCredentialsFactory`
  is therefore botbuilder's ``PasswordServiceClientCredentialFactory`` with one
  change: the ``MicrosoftAppCredentials`` it makes get an MSAL app that trusts
  this stand-in's certificate and skips that check. Token requests, caching and
  the ``Authorization`` header are still botbuilder's and MSAL's own code.

  botbuilder fetches the channel keys and MSAL fetches tokens with blocking
  ``requests`` calls on the bot's event loop, so this stand-in serves from a
  thread and loop of its own.

:class:`TeamsConnectorStandIn` plays the Bot Framework connector under a
Teams-like service URL (``http://127.0.0.1:PORT/amer/``) on the caller's loop
(``ConnectorClient`` sends from a worker thread):

- ``POST /v3/conversations/{conversationId}/activities`` (send_to_conversation),
  ``POST .../activities/{activityId}`` (reply_to_activity),
  ``PUT .../activities/{activityId}`` (update_activity) and
  ``POST /v3/conversations`` (create_conversation), answered with Bot Framework
  shapes: ``{"id": ...}`` with unique, increasing, Teams-like ids. Any other
  call is recorded and answered 404, so a new call in the bot fails here until
  the stand-in learns it. Path segments are percent-decoded one by one, so a
  conversation id such as ``19:abc@thread.tacv2;messageid=1700000000000`` (which
  msrest quotes whole, ``:``, ``@``, ``;`` and ``=`` included) round-trips.
- Every call must carry a bearer token the identity stand-in issued for the
  bot (signature, audience, app id, tenant, expiry), otherwise 401.
- ``POST /v3/conversations`` opens a new reply chain in a channel (with its
  first activity), or the bot's one-to-one chat with one member: the same
  ``a:1...`` id for the same person every time, as Teams gives. A one-to-one
  request must say ``isGroup`` false (or leave it out), name the bot and the
  tenant (``tenantId``, botbuilder's ``tenantID``, or ``channelData.tenant.id``),
  else 400. Each chat is
  recorded (:meth:`~TeamsConnectorStandIn.personal_conversation`), and
  :meth:`~TeamsConnectorStandIn.refuse_personal_chat` plays a person who never
  installed the app: every request for a chat with them is refused, 403.
- Posted activities are kept per conversation id; an update replaces one. As in
  Teams, the conversation id alone places a post: the channel's own id (no
  ``;messageid=``) is a new post at the channel's top level, and
  ``<channel>;messageid=<root>`` a reply in that chain, whatever activity id a
  reply_to_activity names (botbuilder's proactive posts name their continuation
  activity's made-up id).
- Faults for the next calls, optionally to one operation or conversation:
  ``answer_next`` (any status and headers, e.g. 429 with Retry-After, 500, 503;
  nothing done), ``drop_after_acting_next`` (done, then the connection closed
  with no answer), and ``hold``/``release``.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import copy
import datetime
import hashlib
import ipaddress
import json
import ssl
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import parse_qsl, unquote

import jwt
import requests
from aiohttp import web
from botframework.connector.auth import (
    MicrosoftAppCredentials,
    PasswordServiceClientCredentialFactory,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from jwt.algorithms import RSAAlgorithm
from msal import ConfidentialClientApplication
from msrest.authentication import Authentication

from testkit.local_server import Started, serve

# The bot's Azure registration, as the tests and the bare bot use it.
APP_ID = "5e1f0c2a-7b3d-4e8f-9a6b-0c1d2e3f4a5b"
APP_PASSWORD = "intake-standin-client-secret"
BOT_NAME = "intake-bot"
BOT_ID = f"28:{APP_ID}"
# The Teams tenant the people and the single-tenant bot live in.
TENANT_ID = "72a1c0de-3b4c-4d5e-8f60-718293a4b5c6"

# Bot Framework's own values: what the channel's tokens say, and what the bot asks tokens for.
CHANNEL_TOKEN_ISSUER = "https://api.botframework.com"
BOTFRAMEWORK_SCOPE = "https://api.botframework.com"
BOTFRAMEWORK_TENANT = "botframework.com"
BOTFRAMEWORK_TENANT_ID = "d6d49420-f39b-4df7-a1dc-d59a935871db"
PUBLIC_AZURE_CALLER_ID = "urn:botframework:azure"
TEAMS_CHANNEL_ID = "msteams"

_DEFAULT_WAIT_SECONDS = 5.0
_CHANNEL_TOKEN_SECONDS = 3600
_ACCESS_TOKEN_SECONDS = 3599
_KEY_SIZE = 2048
_DENIED = {"message": "Authorization has been denied for this request."}

Operation = Literal[
    "send_to_conversation",
    "reply_to_activity",
    "update_activity",
    "create_conversation",
    "unknown",
]
IdentityEndpoint = Literal["openid_configuration", "keys", "tenant_discovery", "token"]
AppType = Literal["MultiTenant", "SingleTenant"]


class InvalidAccessTokenError(Exception):
    """A bearer token the connector refuses: not issued by the identity stand-in for this bot."""


@dataclass(frozen=True)
class BotRegistration:
    """The bot's app registration: app id, client secret, and its tenant when single-tenant."""

    app_id: str = APP_ID
    password: str = APP_PASSWORD
    tenant_id: str | None = None

    @property
    def app_type(self) -> AppType:
        """``SingleTenant`` when registered in one tenant, else ``MultiTenant``."""
        return "SingleTenant" if self.tenant_id else "MultiTenant"

    @property
    def login_tenant(self) -> str:
        """The tenant in the login URL the bot gets its tokens from."""
        return self.tenant_id or BOTFRAMEWORK_TENANT

    @property
    def token_tenant_id(self) -> str:
        """The ``tid`` of the bot's access tokens."""
        return self.tenant_id or BOTFRAMEWORK_TENANT_ID

    def accepts_tenant(self, tenant: str) -> bool:
        """Whether the login server hands this app tokens from ``tenant``."""
        if self.tenant_id:
            return tenant == self.tenant_id
        return tenant in (BOTFRAMEWORK_TENANT, BOTFRAMEWORK_TENANT_ID)


@dataclass(frozen=True)
class BotFrameworkConfig:
    """What ``ConfigurationBotFrameworkAuthentication`` reads, by the attribute names it reads.

    ``APP_ID``, ``APP_PASSWORD``, ``APP_TYPE`` and ``APP_TENANTID`` are all a
    production bot sets. Setting any of the URL attributes switches botbuilder
    from its public-cloud constants to these values, and then every one of them
    is used, so they come as a set (:meth:`BotFrameworkIdentityStandIn.bot_config`).
    """

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str = "MultiTenant"
    APP_TENANTID: str | None = None
    TO_CHANNEL_FROM_BOT_LOGIN_URL: str | None = None
    TO_CHANNEL_FROM_BOT_OAUTH_SCOPE: str | None = None
    TO_BOT_FROM_CHANNEL_TOKEN_ISSUER: str | None = None
    TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL: str | None = None
    TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL: str | None = None
    OAUTH_URL: str | None = None
    CALLER_ID: str | None = None
    VALIDATE_AUTHORITY: bool = True


@dataclass(frozen=True)
class IdentityCall:
    """One request the identity stand-in received; ``headers`` have lower-case names."""

    endpoint: IdentityEndpoint
    path: str
    form: dict[str, str]
    headers: dict[str, str]
    status: int
    response: dict[str, Any]


@dataclass(frozen=True)
class ConnectorCall:
    """One request the connector stand-in received, with what it answered.

    ``path`` is the path as sent (percent-encoded); ``conversation_id`` and
    ``activity_id`` are decoded. ``headers`` have lower-case names. A call whose
    connection was dropped after the connector acted has ``dropped=True``,
    status 0, and as ``response`` what the connector would have answered.
    """

    operation: Operation
    method: str
    path: str
    conversation_id: str | None
    activity_id: str | None
    body: dict[str, Any]
    headers: dict[str, str]
    status: int
    response: dict[str, Any]
    dropped: bool = False

    @property
    def ok(self) -> bool:
        """Whether the connector did what was asked (a dropped call did; its caller never heard)."""
        return self.dropped or 200 <= self.status < 300


# -- the identity stand-in ---------------------------------------------------------------


class BotFrameworkIdentityStandIn(Started):
    """The channel's signing keys and the bot's login server; start it with ``async with``.

    It serves from a thread of its own, because the bot reaches it with
    blocking calls from its event loop.
    """

    def __init__(
        self,
        registration: BotRegistration | None = None,
        *,
        endorsements: Iterable[str] = (TEAMS_CHANNEL_ID,),
        host: str = "127.0.0.1",
    ) -> None:
        self.registration = registration or BotRegistration()
        self.endorsements = tuple(endorsements)
        self._host = host
        self._signing_key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_SIZE)
        self.key_id = _key_id(self._signing_key.public_key())
        # botbuilder keeps OpenID metadata per URL for the whole process: a prefix of
        # our own keeps a later stand-in on a reused port from meeting our keys.
        self._prefix = f"/bf-{uuid.uuid4().hex[:12]}"
        self._lock = threading.Lock()
        self._calls: list[IdentityCall] = []
        self._issued: set[str] = set()
        # Connections MSAL's sessions keep open (botbuilder never closes them), cut at stop:
        # a TLS close would wait for the peer beyond the life of this server's loop.
        self._transports: set[asyncio.Transport] = set()
        self._http_url: str | None = None
        self._https_url: str | None = None
        self._files: tempfile.TemporaryDirectory[str] | None = None
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._served: asyncio.Future[None] | None = None
        self._stop: Callable[[], object] | None = None

    # -- lifecycle -----------------------------------------------------------------

    async def start(self) -> None:
        """Make the TLS certificate, bind two free ports on a thread of its own, start answering."""
        self._files = tempfile.TemporaryDirectory(prefix="botframework-identity-")
        ssl_context = _self_signed_tls(Path(self._files.name), self._host)
        ready: concurrent.futures.Future[tuple[str, str, Callable[[], object]]] = (
            concurrent.futures.Future()
        )
        self._pool = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="botframework-identity"
        )
        self._served = asyncio.wrap_future(
            self._pool.submit(asyncio.run, self._serve(ssl_context, ready))
        )
        started = asyncio.wrap_future(ready)
        first: list[asyncio.Future[Any]] = [started, self._served]
        await asyncio.wait(first, return_when=asyncio.FIRST_COMPLETED)
        if not started.done():
            started.cancel()
            await self.stop()  # re-raises why the server could not start
            raise RuntimeError("the identity stand-in stopped before it started")
        self._http_url, self._https_url, self._stop = started.result()

    async def stop(self) -> None:
        """Stop the server, join its thread and delete the certificate files."""
        if self._stop is not None:
            self._stop()
            self._stop = None
        try:
            if self._served is not None:
                await self._served
        finally:
            self._served = None
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
            if self._files is not None:
                self._files.cleanup()
                self._files = None
            self._http_url = self._https_url = None

    async def _serve(
        self,
        ssl_context: ssl.SSLContext,
        ready: concurrent.futures.Future[tuple[str, str, Callable[[], object]]],
    ) -> None:
        loop = asyncio.get_running_loop()
        stop_requested = asyncio.Event()
        app = web.Application()
        app.router.add_get(
            f"{self._prefix}/v1/.well-known/openidconfiguration", self._openid_configuration
        )
        app.router.add_get(f"{self._prefix}/v1/.well-known/keys", self._keys)
        app.router.add_get(
            "/{tenant}/v2.0/.well-known/openid-configuration", self._tenant_discovery
        )
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            http_site = web.TCPSite(runner, self._host, 0)
            await http_site.start()
            https_site = web.TCPSite(runner, self._host, 0, ssl_context=ssl_context)
            await https_site.start()
            (http_host, http_port), (https_host, https_port) = (
                address[:2] for address in runner.addresses
            )
            ready.set_result(
                (
                    f"http://{http_host}:{http_port}",
                    f"https://{https_host}:{https_port}",
                    lambda: loop.call_soon_threadsafe(stop_requested.set),
                )
            )
            await stop_requested.wait()
        finally:
            for transport in self._transports:
                transport.abort()
            self._transports.clear()
            await runner.cleanup()

    # -- where the bot is pointed --------------------------------------------------

    @property
    def openid_metadata_url(self) -> str:
        """The channel's OpenID metadata (``TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL``)."""
        return f"{self._http}{self._prefix}/v1/.well-known/openidconfiguration"

    @property
    def keys_url(self) -> str:
        """The JWKS the metadata names as ``jwks_uri``."""
        return f"{self._http}{self._prefix}/v1/.well-known/keys"

    def login_url(self, tenant: str | None = None) -> str:
        """The MSAL authority (``TO_CHANNEL_FROM_BOT_LOGIN_URL``): the https base and a tenant.

        The tenant defaults to the registration's: its own when single-tenant,
        ``botframework.com`` otherwise.
        """
        return f"{self._https}/{tenant or self.registration.login_tenant}"

    def token_url(self, tenant: str | None = None) -> str:
        """Where the client-credentials token is requested."""
        return f"{self.login_url(tenant)}/oauth2/v2.0/token"

    @property
    def ca_file(self) -> str:
        """The PEM of the self-signed certificate the https listener presents."""
        if self._files is None:
            raise RuntimeError("the identity stand-in is not running; use `async with` first")
        return str(Path(self._files.name) / "cert.pem")

    def bot_config(self, *, app_type: AppType | None = None) -> BotFrameworkConfig:
        """The bot's configuration pointed at this stand-in: the registration and every URL.

        ``app_type`` defaults to the registration's; passing the other one plays a
        misconfigured bot.
        """
        registration = self.registration
        kind = app_type or registration.app_type
        return BotFrameworkConfig(
            APP_ID=registration.app_id,
            APP_PASSWORD=registration.password,
            APP_TYPE=kind,
            APP_TENANTID=registration.tenant_id,
            TO_CHANNEL_FROM_BOT_LOGIN_URL=self.login_url(
                registration.tenant_id if kind == "SingleTenant" else BOTFRAMEWORK_TENANT
            ),
            TO_CHANNEL_FROM_BOT_OAUTH_SCOPE=BOTFRAMEWORK_SCOPE,
            TO_BOT_FROM_CHANNEL_TOKEN_ISSUER=CHANNEL_TOKEN_ISSUER,
            TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL=self.openid_metadata_url,
            # Neither is reached for Teams traffic; both point here rather than at Microsoft.
            TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL=f"{self._http}{self._prefix}/emulator",
            OAUTH_URL=f"{self._http}{self._prefix}/oauth",
            CALLER_ID=PUBLIC_AZURE_CALLER_ID,
            VALIDATE_AUTHORITY=False,
        )

    def credentials_factory(
        self, config: BotFrameworkConfig | None = None
    ) -> StandInCredentialsFactory:
        """botbuilder's password credentials factory for ``config``, with MSAL trusting this stand-in.

        Reads ``APP_ID``, ``APP_PASSWORD``, ``APP_TYPE`` and ``APP_TENANTID`` as
        ``ConfigurationServiceClientCredentialFactory`` does.
        """
        config = config or self.bot_config()
        single = config.APP_TYPE.lower() == "singletenant"
        if single and not config.APP_TENANTID:
            raise ValueError("a SingleTenant bot needs APP_TENANTID")
        return StandInCredentialsFactory(
            config.APP_ID,
            config.APP_PASSWORD,
            config.APP_TENANTID if single else None,
            ca_file=self.ca_file,
        )

    # -- tokens --------------------------------------------------------------------

    def channel_token(
        self,
        service_url: str,
        *,
        audience: str | None = None,
        issuer: str = CHANNEL_TOKEN_ISSUER,
        lifetime: int = _CHANNEL_TOKEN_SECONDS,
        issued_at: int | None = None,
        signing_key: rsa.RSAPrivateKey | None = None,
        key_id: str | None = None,
    ) -> str:
        """The JWT the Bot Framework channel signs for one activity sent to the bot.

        Claims as the channel sends them: ``serviceurl``, ``nbf``, ``exp``, ``iss``
        and ``aud`` (the bot's app id). The other arguments play a bad token: a
        different audience or issuer, an expired one (``lifetime`` negative), one
        signed by another key (``signing_key``) or naming an unknown ``key_id``.
        """
        now = int(time.time()) if issued_at is None else issued_at
        claims = {
            "serviceurl": service_url,
            "nbf": now - 300,
            "exp": now + lifetime,
            "iss": issuer,
            "aud": audience or self.registration.app_id,
        }
        return jwt.encode(
            claims,
            signing_key or self._signing_key,
            algorithm="RS256",
            headers={"kid": key_id or self.key_id, "x5t": key_id or self.key_id},
        )

    def forged_channel_token(self, service_url: str, **claims: Any) -> str:
        """A channel token right in every claim and naming the real key, but signed by another key."""
        other = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_SIZE)
        return self.channel_token(service_url, signing_key=other, **claims)

    def verify_access_token(self, token: str) -> dict[str, Any]:
        """The claims of a bot access token this stand-in issued; InvalidAccessTokenError otherwise."""
        registration = self.registration
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._signing_key.public_key(),
                algorithms=["RS256"],
                audience=BOTFRAMEWORK_SCOPE,
                issuer=_sts_issuer(registration.token_tenant_id),
                options={"require": ["exp", "iat", "aud", "iss", "appid", "uti"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidAccessTokenError(str(exc)) from exc
        if claims["appid"] != registration.app_id:
            raise InvalidAccessTokenError(f"token for app {claims['appid']}, not the bot's")
        with self._lock:
            if claims["uti"] not in self._issued:
                raise InvalidAccessTokenError("token was not issued by this stand-in")
        return claims

    # -- what tests read -----------------------------------------------------------

    def calls(self, endpoint: IdentityEndpoint | None = None) -> list[IdentityCall]:
        """Every request received so far, or those to ``endpoint``, oldest first."""
        with self._lock:
            return [c for c in self._calls if endpoint is None or c.endpoint == endpoint]

    def reset(self) -> None:
        """Forget recorded calls (issued tokens stay valid)."""
        with self._lock:
            self._calls.clear()

    # -- the server ----------------------------------------------------------------

    @property
    def _http(self) -> str:
        if self._http_url is None:
            raise RuntimeError("the identity stand-in is not running; use `async with` first")
        return self._http_url

    @property
    def _https(self) -> str:
        if self._https_url is None:
            raise RuntimeError("the identity stand-in is not running; use `async with` first")
        return self._https_url

    def _answer(
        self,
        request: web.Request,
        endpoint: IdentityEndpoint,
        answer: dict[str, Any],
        status: int = 200,
        form: dict[str, str] | None = None,
    ) -> web.Response:
        if isinstance(request.transport, asyncio.Transport):
            self._transports.add(request.transport)
        headers = {name.lower(): value for name, value in request.headers.items()}
        call = IdentityCall(endpoint, request.path, form or {}, headers, status, answer)
        with self._lock:
            self._calls.append(call)
        return web.json_response(answer, status=status)

    async def _openid_configuration(self, request: web.Request) -> web.Response:
        return self._answer(
            request,
            "openid_configuration",
            {
                "issuer": CHANNEL_TOKEN_ISSUER,
                "authorization_endpoint": "https://invalid.botframework.com",
                "jwks_uri": self.keys_url,
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            },
        )

    async def _keys(self, request: web.Request) -> web.Response:
        jwk = RSAAlgorithm.to_jwk(self._signing_key.public_key(), as_dict=True)
        key = {
            **jwk,
            "use": "sig",
            "kid": self.key_id,
            "x5t": self.key_id,
            "endorsements": list(self.endorsements),
        }
        return self._answer(request, "keys", {"keys": [key]})

    async def _tenant_discovery(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        base = f"{self._https}/{tenant}"
        return self._answer(
            request,
            "tenant_discovery",
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "issuer": f"{self._https}/{_tenant_guid(tenant)}/v2.0",
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "token_endpoint_auth_methods_supported": ["client_secret_post"],
                "response_types_supported": ["code", "id_token", "token"],
                "tenant_region_scope": "EU",
            },
        )

    async def _token(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        form = dict(parse_qsl(await request.text(), keep_blank_values=True))
        status, answer = self._client_credentials(tenant, form)
        return self._answer(request, "token", answer, status, form)

    def _client_credentials(self, tenant: str, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        """What Entra answers a client-credentials request, with its error codes."""
        registration = self.registration
        if form.get("grant_type") != "client_credentials":
            return 400, _aad_error("unsupported_grant_type", "AADSTS70003")
        if form.get("client_id") != registration.app_id or not registration.accepts_tenant(tenant):
            return 400, _aad_error("unauthorized_client", "AADSTS700016")
        if form.get("client_secret") != registration.password:
            return 401, _aad_error("invalid_client", "AADSTS7000215")
        if form.get("scope") != f"{BOTFRAMEWORK_SCOPE}/.default":
            return 400, _aad_error("invalid_scope", "AADSTS70011")
        now = int(time.time())
        token_id = uuid.uuid4().hex
        tid = registration.token_tenant_id
        claims = {
            "aud": BOTFRAMEWORK_SCOPE,
            "iss": _sts_issuer(tid),
            "iat": now,
            "nbf": now,
            "exp": now + _ACCESS_TOKEN_SECONDS,
            "appid": registration.app_id,
            "appidacr": "1",
            "idp": _sts_issuer(tid),
            "tid": tid,
            "uti": token_id,
            "ver": "1.0",
        }
        token = jwt.encode(
            claims, self._signing_key, algorithm="RS256", headers={"kid": self.key_id}
        )
        with self._lock:
            self._issued.add(token_id)
        return 200, {
            "token_type": "Bearer",
            "expires_in": _ACCESS_TOKEN_SECONDS,
            "ext_expires_in": _ACCESS_TOKEN_SECONDS,
            "access_token": token,
        }


class StandInCredentialsFactory(PasswordServiceClientCredentialFactory):
    """``PasswordServiceClientCredentialFactory`` whose MSAL trusts the identity stand-in.

    As botbuilder's factory does, it makes new credentials for every connector
    (that is, every turn), and each builds its MSAL app on first use, so each
    turn that sends asks the login server for discovery and a token. The one
    difference: MSAL gets an HTTP session that trusts the stand-in's certificate
    (ignoring ``REQUESTS_CA_BUNDLE`` and proxies) and skips instance discovery.
    ``login_endpoint`` (``TO_CHANNEL_FROM_BOT_LOGIN_URL``) is the authority, as
    for botbuilder's private-cloud credentials, so it carries the tenant.
    """

    def __init__(
        self, app_id: str, password: str, tenant_id: str | None = None, *, ca_file: str
    ) -> None:
        super().__init__(app_id, password, tenant_id)
        self.ca_file = ca_file

    async def create_credentials(
        self,
        app_id: str,
        oauth_scope: str,
        login_endpoint: str,
        validate_authority: bool,
    ) -> Authentication:
        if await self.is_authentication_disabled():
            return MicrosoftAppCredentials.empty()
        if not await self.is_valid_app_id(app_id):
            raise PermissionError(f"Invalid app_id {app_id!r}")
        return _StandInAppCredentials(
            app_id,
            self.password,
            self.tenant_id,
            oauth_scope,
            authority=login_endpoint,
            ca_file=self.ca_file,
        )


class _StandInAppCredentials(MicrosoftAppCredentials):
    """botbuilder's credentials with their MSAL app built to reach the stand-in."""

    def __init__(
        self,
        app_id: str,
        password: str,
        tenant_id: str | None,
        oauth_scope: str,
        *,
        authority: str,
        ca_file: str,
    ) -> None:
        super().__init__(app_id, password, channel_auth_tenant=tenant_id, oauth_scope=oauth_scope)
        self.oauth_endpoint = authority
        self._ca_file = ca_file

    def get_access_token(self, force_refresh: bool = False) -> str:
        if self.app is None:
            session = requests.Session()
            session.trust_env = False  # else REQUESTS_CA_BUNDLE overrides `verify`
            session.verify = self._ca_file
            self.app = ConfidentialClientApplication(
                client_id=self.microsoft_app_id,
                client_credential=self.microsoft_app_password,
                authority=self.oauth_endpoint,
                http_client=session,
                instance_discovery=False,
            )
        return str(super().get_access_token(force_refresh))


def _aad_error(error: str, code: str) -> dict[str, Any]:
    return {
        "error": error,
        "error_description": f"{code}: refused by the identity stand-in.",
        "error_codes": [int(code.removeprefix("AADSTS"))],
        "timestamp": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
        "trace_id": str(uuid.uuid4()),
        "correlation_id": str(uuid.uuid4()),
    }


def _sts_issuer(tenant_id: str) -> str:
    """The issuer of a v1 Entra access token from ``tenant_id``."""
    return f"https://sts.windows.net/{tenant_id}/"


def _tenant_guid(tenant: str) -> str:
    return BOTFRAMEWORK_TENANT_ID if tenant == BOTFRAMEWORK_TENANT else tenant


def _key_id(public_key: rsa.RSAPublicKey) -> str:
    """A kid shaped like Microsoft's: the base64url SHA-1 of the key, unpadded."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashlib.sha1(der, usedforsecurity=False).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _self_signed_tls(directory: Path, host: str) -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate for ``host``, written to ``directory``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "botframework identity stand-in")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([_san(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


# -- the connector stand-in --------------------------------------------------------------


@dataclass(eq=False)
class _Waiter:
    ready: Callable[[], bool]
    future: asyncio.Future[None]


@dataclass(eq=False)
class _Fault:
    """Something to do to the next ``times`` calls matching ``operation`` and ``conversation_id``."""

    times: int
    operation: Operation | None
    conversation_id: str | None
    kind: Literal["answer", "drop"]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)

    def applies_to(self, operation: Operation, conversation_id: str | None) -> bool:
        return (self.operation is None or self.operation == operation) and (
            self.conversation_id is None or self.conversation_id == conversation_id
        )


@dataclass(eq=False)
class _Parked:
    operation: Operation
    conversation_id: str | None
    future: asyncio.Future[None]


@dataclass(eq=False)
class _Hold:
    operation: Operation | None
    conversation_id: str | None
    parked: list[_Parked] = field(default_factory=list)

    def applies_to(self, operation: Operation, conversation_id: str | None) -> bool:
        return (self.operation is None or self.operation == operation) and (
            self.conversation_id is None or self.conversation_id == conversation_id
        )


@dataclass(frozen=True)
class _Route:
    operation: Operation
    conversation_id: str | None = None
    activity_id: str | None = None


class TeamsConnectorStandIn(Started):
    """The Bot Framework connector as Teams serves it, on 127.0.0.1; start it with ``async with``."""

    def __init__(
        self,
        identity: BotFrameworkIdentityStandIn,
        *,
        region: str = "amer",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.identity = identity
        self._region = region
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._service_url: str | None = None
        self._calls: list[ConnectorCall] = []
        self._activities: dict[str, list[dict[str, Any]]] = {}
        self._faults: list[_Fault] = []
        self._holds: list[_Hold] = []
        self._waiters: list[_Waiter] = []
        self._last_id = 0
        self._personal: dict[str, str] = {}
        self._refused_chats: dict[str, int] = {}

    # -- lifecycle -----------------------------------------------------------------

    async def start(self) -> None:
        """Bind a free port and start answering."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner, host, port = await serve(app, self._host, self._port)
        self._service_url = f"http://{host}:{port}/{self._region}/"

    async def stop(self) -> None:
        """Let held calls go, then close the listening socket and connections."""
        self._release_matching(lambda _hold: True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def service_url(self) -> str:
        """The activities' ``serviceUrl``: ``http://127.0.0.1:PORT/amer/``, shaped like Teams'."""
        if self._service_url is None:
            raise RuntimeError("the connector stand-in is not running; use `async with` first")
        return self._service_url

    # -- what tests read -----------------------------------------------------------

    def calls(self, operation: Operation | None = None) -> list[ConnectorCall]:
        """Every call received so far, or those of ``operation``, oldest first."""
        return [c for c in self._calls if operation is None or c.operation == operation]

    def activities(self, conversation_id: str) -> list[dict[str, Any]]:
        """Copies of the activities the bot posted in ``conversation_id``, oldest first, as updated."""
        return copy.deepcopy(self._activities.get(conversation_id, []))

    def personal_conversation(self, user_id: str) -> str | None:
        """The id of the one-to-one chat the bot opened with ``user_id``, if it opened one."""
        return self._personal.get(user_id)

    def conversation_ids(self) -> list[str]:
        """The conversations the bot has posted in, in the order of their first post."""
        return [cid for cid, posted in self._activities.items() if posted]

    def held_calls(
        self, operation: Operation | None = None, conversation_id: str | None = None
    ) -> int:
        """How many calls (of ``operation``, in ``conversation_id``, when given) wait on a hold now."""
        return sum(
            1
            for hold in self._holds
            for p in hold.parked
            if (operation is None or p.operation == operation)
            and (conversation_id is None or p.conversation_id == conversation_id)
        )

    async def wait_for_activities(
        self,
        conversation_id: str,
        count: int = 1,
        timeout: float = _DEFAULT_WAIT_SECONDS,  # noqa: ASYNC109 - a deadline per call reads best in tests
    ) -> list[dict[str, Any]]:
        """Wait until ``conversation_id`` holds at least ``count`` posted activities; return them."""
        await self._wait_until(
            lambda: len(self._activities.get(conversation_id, [])) >= count,
            timeout,
            lambda: (
                f"connector stand-in: waited {timeout}s for {count} activities in "
                f"{conversation_id!r}, got {len(self._activities.get(conversation_id, []))}; "
                f"calls: {self._summary()}"
            ),
        )
        return self.activities(conversation_id)

    async def wait_for_calls(
        self,
        operation: Operation | None = None,
        count: int = 1,
        timeout: float = _DEFAULT_WAIT_SECONDS,  # noqa: ASYNC109 - a deadline per call reads best in tests
    ) -> list[ConnectorCall]:
        """Wait until at least ``count`` calls (of ``operation``) arrived, answered or not; return them."""
        await self._wait_until(
            lambda: len(self.calls(operation)) >= count,
            timeout,
            lambda: (
                f"connector stand-in: waited {timeout}s for {count} call(s) "
                f"of {operation or 'any operation'}; calls: {self._summary()}"
            ),
        )
        return self.calls(operation)

    async def wait_for_held(
        self,
        count: int = 1,
        operation: Operation | None = None,
        conversation_id: str | None = None,
        timeout: float = _DEFAULT_WAIT_SECONDS,  # noqa: ASYNC109 - a deadline per call reads best in tests
    ) -> int:
        """Wait until at least ``count`` matching calls wait on a hold; return how many do."""
        await self._wait_until(
            lambda: self.held_calls(operation, conversation_id) >= count,
            timeout,
            lambda: (
                f"connector stand-in: waited {timeout}s for {count} held call(s), "
                f"got {self.held_calls(operation, conversation_id)}"
            ),
        )
        return self.held_calls(operation, conversation_id)

    # -- what tests arrange --------------------------------------------------------

    def answer_next(
        self,
        status: int,
        headers: dict[str, str] | None = None,
        *,
        body: dict[str, Any] | None = None,
        times: int = 1,
        operation: Operation | None = None,
        conversation_id: str | None = None,
    ) -> None:
        """Answer the next ``times`` matching calls with ``status`` and ``headers``, doing nothing.

        For example ``answer_next(429, {"Retry-After": "2"})``, ``answer_next(503)``.
        The body defaults to a Bot Framework ``ErrorResponse`` for the status.
        """
        if not 400 <= status <= 599:
            raise ValueError(f"a fault answers with an HTTP error, 400-599, got {status}")
        self._add_fault(
            _Fault(
                times,
                operation,
                conversation_id,
                "answer",
                status,
                dict(headers or {}),
                body if body is not None else _error_body(status),
            )
        )

    def drop_after_acting_next(
        self,
        times: int = 1,
        *,
        operation: Operation | None = None,
        conversation_id: str | None = None,
    ) -> None:
        """Do what the next ``times`` matching calls ask, then close the connection unanswered.

        The activity is stored and waiters are woken; the bot's HTTP client sees
        the server disconnect.
        """
        self._add_fault(_Fault(times, operation, conversation_id, "drop"))

    def hold(self, operation: Operation | None = None, conversation_id: str | None = None) -> None:
        """Park every later matching call (all calls when both are None) until released."""
        if not any(
            h.operation == operation and h.conversation_id == conversation_id for h in self._holds
        ):
            self._holds.append(_Hold(operation, conversation_id))

    def release(
        self, operation: Operation | None = None, conversation_id: str | None = None
    ) -> int:
        """End the hold :meth:`hold` put with the same arguments; return how many calls go on.

        A call another hold still covers keeps waiting.
        """
        return self._release_matching(
            lambda h: h.operation == operation and h.conversation_id == conversation_id
        )

    def refuse_personal_chat(self, user_id: str, status: int = 403) -> None:
        """Refuse, from now on, every request to open a one-to-one chat with ``user_id``.

        Teams answers 403 when the app is not installed for that person (it may
        not message someone who never added it); pass 404 for a person the
        tenant does not know.
        """
        if status not in (403, 404):
            raise ValueError(f"Teams refuses a chat with 403 or 404, got {status}")
        self._refused_chats[user_id] = status

    def reset(self, *, activities: bool = False) -> None:
        """Forget recorded calls and pending faults, lift every hold; stored activities too when asked."""
        self._release_matching(lambda _hold: True)
        self._calls.clear()
        self._faults.clear()
        if activities:
            self._activities.clear()

    # -- the server ----------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        route = self._route(request)
        headers = {name.lower(): value for name, value in request.headers.items()}
        path = request.raw_path.partition("?")[0]
        try:
            payload = await request.json() if request.can_read_body else {}
        except json.JSONDecodeError:
            payload = None
        body: dict[str, Any] = payload if isinstance(payload, dict) else {}

        def answer(
            status: int,
            response: dict[str, Any],
            response_headers: dict[str, str] | None = None,
            *,
            dropped: bool = False,
        ) -> web.Response:
            call = ConnectorCall(
                route.operation,
                request.method,
                path,
                route.conversation_id,
                route.activity_id,
                body,
                headers,
                0 if dropped else status,
                response,
                dropped,
            )
            self._record(call)
            return web.json_response(response, status=status, headers=response_headers)

        if not isinstance(payload, dict):
            return answer(400, _error_body(400, "the body is not a JSON object"))
        await self._wait_while_held(route)
        if not self._authorized(headers):
            return answer(401, _DENIED)
        if route.operation == "unknown":
            return answer(404, _error_body(404, "the connector stand-in does not play this call"))

        fault = self._take_fault(route)
        if fault is not None and fault.kind == "answer":
            return answer(fault.status, fault.body, fault.headers)
        status, response = self._act(route, body)
        if fault is None:
            return answer(status, response)
        # drop: done, then the connection closed unanswered. The answer is written to a
        # closed transport, so never sent; aiohttp lets it go quietly.
        if request.transport is not None:
            request.transport.close()
        return answer(status, response, dropped=True)

    def _route(self, request: web.Request) -> _Route:
        """Which connector call a request is, from its raw path, each segment decoded once."""
        raw = request.raw_path.partition("?")[0]
        segments = [unquote(s) for s in raw.split("/")[1:]]
        if segments[:3] != [self._region, "v3", "conversations"]:
            return _Route("unknown")
        rest = segments[3:]
        method = request.method
        if method == "POST" and rest in ([], [""]):
            return _Route("create_conversation")
        if len(rest) == 2 and rest[1] == "activities" and method == "POST":
            return _Route("send_to_conversation", rest[0])
        if len(rest) == 3 and rest[1] == "activities":
            if method == "POST":
                return _Route("reply_to_activity", rest[0], rest[2])
            if method == "PUT":
                return _Route("update_activity", rest[0], rest[2])
        return _Route("unknown", rest[0] if rest else None)

    def _authorized(self, headers: dict[str, str]) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        try:
            self.identity.verify_access_token(token.strip())
        except InvalidAccessTokenError:
            return False
        return True

    def _act(self, route: _Route, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if route.operation == "create_conversation":
            return self._create_conversation(body)
        conversation_id = route.conversation_id or ""
        if route.operation == "update_activity":
            return self._update(conversation_id, route.activity_id or "", body)
        activity = {**copy.deepcopy(body), "id": self._next_id()}
        self._activities.setdefault(conversation_id, []).append(activity)
        return 201, {"id": activity["id"]}

    def _update(
        self, conversation_id: str, activity_id: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        posted = self._activities.get(conversation_id, [])
        index = next((i for i, a in enumerate(posted) if a.get("id") == activity_id), None)
        if index is None:
            return 404, _error_body(404, f"activity {activity_id} not found in the conversation")
        posted[index] = {**copy.deepcopy(body), "id": activity_id}
        return 200, {"id": activity_id}

    def _create_conversation(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """A new reply chain in a channel (an activity and ``channelData.channel``), or a 1:1 chat."""
        first = body.get("activity")
        channel = ((body.get("channelData") or {}).get("channel") or {}).get("id")
        members = body.get("members") or []
        if channel:
            if not isinstance(first, dict):
                return 400, _error_body(400, "a new reply chain needs its first activity")
            activity_id = self._next_id()
            conversation_id = f"{channel};messageid={activity_id}"
        elif len(members) == 1 and isinstance(members[0], dict) and members[0].get("id"):
            user = str(members[0]["id"])
            problem = _personal_chat_problem(body)
            if problem is not None:
                return 400, _error_body(400, problem)
            refused = self._refused_chats.get(user)
            if refused is not None:
                return refused, _error_body(
                    refused, "The bot is not installed in the user's personal scope."
                )
            activity_id = None
            digest = hashlib.sha256(user.encode()).hexdigest()[:40]
            conversation_id = f"a:1{digest}"
            self._personal[user] = conversation_id
        else:
            return 400, _error_body(400, "name channelData.channel or exactly one member")
        answer: dict[str, Any] = {"id": conversation_id}
        if isinstance(first, dict):
            activity_id = activity_id or self._next_id()
            stored = {**copy.deepcopy(first), "id": activity_id}
            self._activities.setdefault(conversation_id, []).append(stored)
            answer["activityId"] = activity_id
        return 201, answer

    def _next_id(self) -> str:
        """A Teams message id: epoch milliseconds, unique and increasing."""
        self._last_id = max(self._last_id + 1, int(time.time() * 1000))
        return str(self._last_id)

    def _add_fault(self, fault: _Fault) -> None:
        if fault.times < 1:
            raise ValueError(f"times must be at least 1, got {fault.times}")
        if fault.operation is not None and fault.operation not in get_args(Operation):
            raise ValueError(f"unknown operation {fault.operation!r}")
        self._faults.append(fault)

    def _take_fault(self, route: _Route) -> _Fault | None:
        fault = next(
            (f for f in self._faults if f.applies_to(route.operation, route.conversation_id)), None
        )
        if fault is not None:
            fault.times -= 1
            if fault.times == 0:
                self._faults.remove(fault)
        return fault

    async def _wait_while_held(self, route: _Route) -> None:
        """Park the call until every hold on it when it arrived is released."""
        holding = [h for h in self._holds if h.applies_to(route.operation, route.conversation_id)]
        loop = asyncio.get_running_loop()
        while (hold := next((h for h in holding if h in self._holds), None)) is not None:
            parked = _Parked(route.operation, route.conversation_id, loop.create_future())
            hold.parked.append(parked)
            self._notify()
            try:
                await parked.future
            finally:
                if parked in hold.parked:
                    hold.parked.remove(parked)

    def _release_matching(self, ends: Callable[[_Hold], bool]) -> int:
        ended = [h for h in self._holds if ends(h)]
        self._holds = [h for h in self._holds if h not in ended]
        parked = [p for h in ended for p in h.parked]
        for hold in ended:
            hold.parked.clear()
        for p in parked:
            _resolve(p.future)
        return len(parked)

    def _record(self, call: ConnectorCall) -> None:
        self._calls.append(call)
        self._notify()

    def _summary(self) -> list[tuple[str, str | None, int]]:
        return [(c.operation, c.conversation_id, c.status) for c in self._calls]

    # -- waiting -------------------------------------------------------------------

    def _notify(self) -> None:
        """Wake every waiter whose condition now holds."""
        ready = [w for w in self._waiters if w.ready()]
        self._waiters = [w for w in self._waiters if w not in ready]
        for waiter in ready:
            _resolve(waiter.future)

    async def _wait_until(
        self,
        ready: Callable[[], bool],
        timeout: float,  # noqa: ASYNC109 - the public waits pass their deadline on
        describe: Callable[[], str],
    ) -> None:
        if ready():
            return
        waiter = _Waiter(ready, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter.future, timeout)
        except TimeoutError:
            raise TimeoutError(describe()) from None
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)


def _personal_chat_problem(body: dict[str, Any]) -> str | None:
    """Why Teams would refuse a request for a one-to-one chat, or None when it is well formed."""
    if body.get("isGroup") is True:
        return "a conversation with one member and no channel is not a group"
    bot = body.get("bot")
    if not isinstance(bot, dict) or not bot.get("id"):
        return "name the bot"
    tenant = ((body.get("channelData") or {}).get("tenant") or {}).get("id")
    # botbuilder-python writes `tenantID`; the REST reference says `tenantId`.
    if not (body.get("tenantId") or body.get("tenantID") or tenant):
        return "a one-to-one chat in Teams needs the tenant id"
    return None


def _error_body(status: int, message: str | None = None) -> dict[str, Any]:
    """A Bot Framework ``ErrorResponse``."""
    codes = {
        400: "BadArgument",
        401: "Unauthorized",
        403: "Forbidden",
        404: "NotFound",
        429: "TooManyRequests",
        500: "InternalServerError",
        502: "BadGateway",
        503: "ServiceUnavailable",
        504: "GatewayTimeout",
    }
    code = codes.get(status, "ServiceError")
    return {"error": {"code": code, "message": message or f"{status} {code} from the stand-in"}}


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
