"""A stand-in for the Slack Web API: a real aiohttp server on 127.0.0.1 that records every call.

slack_sdk builds and sends its requests exactly as in production; only its
``base_url`` points here, as in bolt's own tests. Every wait is woken by a
notification, never by polling.

What it plays, answering with Slack's shapes and error codes:

- Methods: ``auth.test``; ``chat.postMessage``, ``chat.update`` and
  ``chat.postEphemeral``; ``conversations.replies``,
  ``conversations.history`` and ``conversations.join``; the three steps
  of slack_sdk's ``files_upload_v2``. Any other method answers ``unknown_method``, so a
  new call in the bot fails here until the stand-in learns it;
  ``set_response`` replaces one method's answer.
- Files: ``files.getUploadURLExternal`` hands out a file id and an upload
  URL on this server (``/upload/v1/<file id>``, no token, as Slack's is
  pre-signed); the bytes POSTed there are kept, recorded as calls to
  ``upload`` (``UPLOAD_METHOD``); ``files.completeUploadExternal`` shares
  uploaded files in ``channel_id`` (and ``thread_ts``) as a message with
  ``files``, as Slack does, and answers ``{"ok": true, "files": [...]}``.
  ``shared_files`` returns what was shared: ids, names, titles, channel,
  thread and the content.
- Messages: each post is kept per channel (ts, thread_ts, text, blocks,
  attachments, metadata, user and bot_id) and ``chat.update`` edits it. The
  ``conversations.*`` methods read that store: a thread oldest first with its
  parent first, a channel's top-level messages newest first, both bounded by
  ``oldest``/``latest`` (exclusive unless ``inclusive``), paged by ``limit``
  and ``cursor``, and carrying ``metadata`` only with ``include_all_metadata``.
  ``add_message`` seeds a person's message, such as the parent of a thread a
  person started. Every ts is unique, increasing and later than the thread it
  replies to and any message seeded before it.
- Authentication: a Bearer token (or a ``token`` form field) must match,
  otherwise ``not_authed`` or ``invalid_auth``; ``apps.connections.open``
  takes the app-level token instead.
- Membership: the bot is in every channel until ``keep_out`` says it is
  not; there, posts answer ``not_in_channel`` until ``conversations.join``
  (public channels only, ids starting with C, and only while
  ``join_allowed``: otherwise ``missing_scope``) lets it in.
- Socket Mode: ``apps.connections.open`` hands out a ``ws://`` URL to this
  server, which greets each connection with ``hello`` as Slack does.
  ``send_envelope`` pushes a request to the connected app and
  ``wait_for_ack`` returns the app's acknowledgement of it;
  ``drop_sockets`` closes every connection (and, with ``refuse_new``,
  turns reconnections away with a 503).
- Faults, each for the next calls to one method, optionally in one channel:
  ``rate_limit_next`` (HTTP 429 with Retry-After), ``fail_next`` (HTTP 200,
  ok false), ``http_error_next`` (a 5xx with a plain-text body, nothing done),
  ``drop_after_acting_next`` (done, then the connection closed with no
  answer), ``hang_next`` (answered after a delay), and ``hold``/``release``
  (calls wait until released). Each call is recorded with its outcome; a
  dropped one has ``dropped=True`` and status 0.

Bodies arrive as JSON, form-encoded or as query parameters; all are merged
into one dict, and the fields Slack takes as JSON strings in form posts
(``blocks``, ``attachments``, ``metadata``) are decoded.

Run it with ``async with SlackWebApiStandIn() as api`` on the test's loop, or
with ``with run_standin_in_thread() as api`` on a loop of its own for
synchronous code, where the waits block instead of being awaited.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import copy
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from http import HTTPStatus
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from testkit.local_server import Started, serve
from testkit.slack_signing import APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, USER_ID

STANDIN_BOT_TOKEN = "xoxb-0000000000-intake-standin"
STANDIN_APP_TOKEN = "xapp-1-A0INTAKE01-0000-intake-standin"
# Methods authenticated with the app-level token rather than the bot token.
_APP_LEVEL_METHODS = frozenset({"apps.connections.open"})
_SOCKET_PATH = "/socket-mode"
_UPLOAD_PATH = "/upload/v1/"
# The name faults, holds and recorded calls use for the upload POST, which has no Web API name.
UPLOAD_METHOD = "upload"

# Fields Slack accepts as a JSON-encoded string when the body is form-encoded.
_JSON_FIELDS = frozenset({"blocks", "attachments", "metadata", "files"})
# Fields chat.postMessage keeps on the message, and chat.update replaces.
_MESSAGE_FIELDS = ("blocks", "attachments", "metadata")
# The bot scopes deploy/slack/manifest.yaml asks for.
_SCOPES = (
    "app_mentions:read,channels:history,channels:join,chat:write,commands,files:write,"
    "groups:history,im:history,mpim:history"
)
# Slack's message ts: seconds, a dot, six digits. Counted in microseconds from here.
_TS_FORM = re.compile(r"^\d{1,10}\.\d{6}$")
_FIRST_TS_MICROS = 1_700_000_000_000_100
_FIRST_FILE_NUMBER = 1
_TS_STEP_MICROS = 100
_DEFAULT_WAIT_SECONDS = 5.0
# conversations.* page sizes: Slack's defaults, and the most it returns at once.
_HISTORY_LIMIT = 100
_REPLIES_LIMIT = 1000
_MAX_LIMIT = 1000
_CURSOR_PREFIX = "next_ts:"
_TRUE = frozenset({"1", "true"})

Answer = dict[str, Any]
Responder = Callable[[dict[str, Any]], Answer]


@dataclass(frozen=True)
class RecordedCall:
    """One request the stand-in received, with what it answered.

    ``headers`` has lower-case names. ``status`` and ``response`` tell a call that
    was answered from one that was rate limited, failed or refused. A call whose
    connection was dropped after Slack acted has ``dropped=True``, status 0, and
    as ``response`` what Slack would have answered; an HTTP 5xx has an empty one.
    """

    method: str
    body: dict[str, Any]
    headers: dict[str, str]
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    dropped: bool = False

    @property
    def ok(self) -> bool:
        """Whether Slack did what was asked (a dropped call did; its caller never heard)."""
        return (self.status == 200 or self.dropped) and bool(self.response.get("ok"))


class _SlackError(Exception):
    """Raised by an answer to reply ``{"ok": false, "error": error}``."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass(eq=False)
class _Waiter:
    ready: Callable[[], bool]  # called with the lock held
    wake: Callable[[], None]


@dataclass(eq=False)
class _Pending:
    """Something to do to the next ``times`` calls (in ``channel``, or any when None)."""

    times: int
    channel: str | None = None

    def applies_to(self, channel: str | None) -> bool:
        return self.channel is None or self.channel == channel


@dataclass(eq=False)
class _Fault(_Pending):
    kind: Literal["answer", "http_error", "drop"] = "answer"
    status: int = 200
    answer: Answer = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(eq=False)
class _Hang(_Pending):
    seconds: float = 0.0


_P = TypeVar("_P", bound=_Pending)


@dataclass(eq=False)
class _Parked:
    method: str
    channel: str | None
    future: asyncio.Future[None]


@dataclass(eq=False)
class _Hold:
    method: str
    channel: str | None
    parked: list[_Parked] = field(default_factory=list)

    def applies_to(self, method: str, channel: str | None) -> bool:
        return self.method == method and (self.channel is None or self.channel == channel)


@dataclass(eq=False)
class _Stored:
    """A message in Slack's store; ``by_app`` when the app posted it with chat.postMessage."""

    channel: str
    message: dict[str, Any]
    by_app: bool

    @property
    def ts(self) -> str:
        return str(self.message["ts"])

    @property
    def key(self) -> Decimal:
        return Decimal(self.ts)

    @property
    def thread_ts(self) -> str | None:
        thread = self.message.get("thread_ts")
        return str(thread) if thread else None

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def public(self) -> dict[str, Any]:
        """A copy of the message as Slack holds it, with its channel."""
        return {**copy.deepcopy(self.message), "channel": self.channel}


@dataclass(eq=False)
class _Upload:
    """A file between files.getUploadURLExternal and its sharing; ``content`` once uploaded."""

    file_id: str
    filename: str
    length: int
    content: bytes | None = None
    shared: bool = False


@dataclass(frozen=True)
class _Listing:
    """What a conversations.* call asked for: a time window, a page size, a cursor."""

    oldest: Decimal | None
    latest: Decimal | None
    inclusive: bool
    limit: int
    after: Decimal | None  # from the cursor: where the previous page stopped
    with_metadata: bool

    @classmethod
    def of(cls, body: dict[str, Any], default_limit: int) -> _Listing:
        return cls(
            oldest=_ts_param(body, "oldest"),
            latest=_ts_param(body, "latest"),
            inclusive=_flag(body.get("inclusive")),
            limit=_limit_param(body.get("limit"), default_limit),
            after=_cursor_param(body.get("cursor")),
            with_metadata=_flag(body.get("include_all_metadata")),
        )

    def within(self, ts: Decimal) -> bool:
        if self.oldest is not None and (
            ts < self.oldest or (ts == self.oldest and not self.inclusive)
        ):
            return False
        return self.latest is None or ts < self.latest or (ts == self.latest and self.inclusive)

    def page(self, messages: list[dict[str, Any]]) -> Answer:
        shown, rest = messages[: self.limit], messages[self.limit :]
        return {
            "ok": True,
            "messages": shown,
            "has_more": bool(rest),
            "response_metadata": {"next_cursor": _cursor(rest[0]["ts"]) if rest else ""},
        }


class SlackWebApiStandIn(Started):
    """The Slack Web API on 127.0.0.1, recording every call; start it with ``async with``."""

    def __init__(
        self,
        *,
        token: str = STANDIN_BOT_TOKEN,
        app_token: str = STANDIN_APP_TOKEN,
        team_id: str = TEAM_ID,
        team_domain: str = TEAM_DOMAIN,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.app_token = app_token
        self.team_id = team_id
        self.team_domain = team_domain
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._base_url: str | None = None
        # Reentrant: waiters' conditions run with it held and use the locked helpers.
        self._lock = threading.RLock()
        self._calls: list[RecordedCall] = []
        self._waiters: list[_Waiter] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._hangs: dict[str, list[_Hang]] = {}
        self._holds: list[_Hold] = []
        self._sleeping: set[asyncio.Future[None]] = set()
        self._messages: dict[str, dict[str, _Stored]] = {}
        self._overrides: dict[str, Responder] = {}
        self._last_ts = _FIRST_TS_MICROS - _TS_STEP_MICROS
        self._outside: set[str] = set()
        self.join_allowed = True
        self._sockets: set[web.WebSocketResponse] = set()
        self._sockets_refused = False
        self._socket_acks: list[dict[str, Any]] = []
        self._envelopes = 0
        self._uploads: dict[str, _Upload] = {}
        self._shared_files: list[dict[str, Any]] = []
        self._last_file = _FIRST_FILE_NUMBER - 1
        self._answers: dict[str, Responder] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "conversations.replies": self._conversations_replies,
            "conversations.history": self._conversations_history,
            "conversations.join": self._conversations_join,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }

    # -- lifecycle -----------------------------------------------------------------

    async def start(self) -> None:
        """Bind a free port and start answering."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_get(_SOCKET_PATH, self._socket)
        app.router.add_post(_UPLOAD_PATH + "{file_id}", self._upload)
        self._runner, host, port = await serve(app, self._host, self._port)
        self._loop = asyncio.get_running_loop()
        self._base_url = f"http://{host}:{port}/api/"

    async def stop(self) -> None:
        """Let held and hanging calls go, then close the listening socket and connections."""
        self._release_all()
        await self.drop_sockets()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._loop = None

    @property
    def base_url(self) -> str:
        """What slack_sdk's ``base_url`` takes: ``http://127.0.0.1:PORT/api/``."""
        if self._base_url is None:
            raise RuntimeError("the Slack stand-in is not running; use `async with` first")
        return self._base_url

    # -- what tests read -----------------------------------------------------------

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        """Every call received so far, or those to ``method``, oldest first."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def posted_messages(self) -> list[dict[str, Any]]:
        """The bodies of the ``chat.postMessage`` calls that posted, in the order they came.

        A call refused by a rate limit or an injected failure posted nothing in
        Slack, so it is left out (a dropped one did post, so it is in);
        ``calls("chat.postMessage")`` has them all.
        """
        return [c.body for c in self.calls("chat.postMessage") if c.ok]

    def stored_messages(
        self, channel: str | None = None, thread_ts: str | None = None
    ) -> list[dict[str, Any]]:
        """Copies of the stored messages (posts and seeded ones), oldest first, each with its channel.

        Only ``channel``'s when given; only the thread's parent and replies when
        ``thread_ts`` is given too.
        """
        with self._lock:
            return [
                s.public()
                for s in self._stored_locked(channel)
                if thread_ts is None or thread_ts in (s.ts, s.thread_ts)
            ]

    def stored_posts(self, channel: str, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """The app's posts in ``channel``: top-level ones, or the replies in ``thread_ts``; oldest first."""
        with self._lock:
            return [s.public() for s in self._posts_locked(channel, thread_ts)]

    def held_calls(self, method: str | None = None, channel: str | None = None) -> int:
        """How many calls (to ``method``, in ``channel``, when given) wait on a hold now."""
        with self._lock:
            return self._held_locked(method, channel)

    def shared_files(
        self, channel: str | None = None, thread_ts: str | None = None
    ) -> list[dict[str, Any]]:
        """The files shared by files.completeUploadExternal, oldest first (only there, when given).

        Each is a dict with ``id``, ``filename``, ``title``, ``channel``,
        ``thread_ts``, ``initial_comment`` and the uploaded ``content`` as text.
        """
        with self._lock:
            return [
                dict(f)
                for f in self._shared_files
                if (channel is None or f["channel"] == channel)
                and (thread_ts is None or f["thread_ts"] == thread_ts)
            ]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = _DEFAULT_WAIT_SECONDS,  # noqa: ASYNC109 - a deadline per call reads best in tests
    ) -> list[RecordedCall]:
        """Wait until at least ``count`` calls to ``method`` arrived; return all calls to it.

        Raises TimeoutError, naming what did arrive, when they do not come in time.
        """
        await self._wait_until(
            lambda: self._count_locked(method) >= count,
            timeout,
            lambda: self._timeout_message(method, count, timeout),
        )
        return self.calls(method)

    def wait_for_blocking(
        self, method: str, count: int = 1, timeout: float = _DEFAULT_WAIT_SECONDS
    ) -> list[RecordedCall]:
        """:meth:`wait_for` for synchronous code, while the server runs on another thread."""
        self._wait_until_blocking(
            lambda: self._count_locked(method) >= count,
            timeout,
            lambda: self._timeout_message(method, count, timeout),
        )
        return self.calls(method)

    async def wait_for_posts(
        self,
        channel: str,
        thread_ts: str | None = None,
        count: int = 1,
        timeout: float = _DEFAULT_WAIT_SECONDS,  # noqa: ASYNC109 - a deadline per call reads best in tests
    ) -> list[dict[str, Any]]:
        """Wait until the app has ``count`` posts where :meth:`stored_posts` looks; return them."""
        await self._wait_until(
            lambda: len(self._posts_locked(channel, thread_ts)) >= count,
            timeout,
            lambda: self._posts_timeout_message(channel, thread_ts, count, timeout),
        )
        return self.stored_posts(channel, thread_ts)

    def wait_for_posts_blocking(
        self,
        channel: str,
        thread_ts: str | None = None,
        count: int = 1,
        timeout: float = _DEFAULT_WAIT_SECONDS,
    ) -> list[dict[str, Any]]:
        """:meth:`wait_for_posts` for synchronous code, while the server runs on another thread."""
        self._wait_until_blocking(
            lambda: len(self._posts_locked(channel, thread_ts)) >= count,
            timeout,
            lambda: self._posts_timeout_message(channel, thread_ts, count, timeout),
        )
        return self.stored_posts(channel, thread_ts)

    async def wait_for_held(
        self,
        method: str,
        count: int = 1,
        channel: str | None = None,
        timeout: float = _DEFAULT_WAIT_SECONDS,  # noqa: ASYNC109 - a deadline per call reads best in tests
    ) -> int:
        """Wait until at least ``count`` calls to ``method`` wait on a hold; return how many do."""
        await self._wait_until(
            lambda: self._held_locked(method, channel) >= count,
            timeout,
            lambda: self._held_timeout_message(method, channel, count, timeout),
        )
        return self.held_calls(method, channel)

    def wait_for_held_blocking(
        self,
        method: str,
        count: int = 1,
        channel: str | None = None,
        timeout: float = _DEFAULT_WAIT_SECONDS,
    ) -> int:
        """:meth:`wait_for_held` for synchronous code, while the server runs on another thread."""
        self._wait_until_blocking(
            lambda: self._held_locked(method, channel) >= count,
            timeout,
            lambda: self._held_timeout_message(method, channel, count, timeout),
        )
        return self.held_calls(method, channel)

    # -- what tests arrange --------------------------------------------------------

    def add_message(
        self,
        channel: str,
        ts: str | None = None,
        text: str = "",
        thread_ts: str | None = None,
        user: str = USER_ID,
        *,
        blocks: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store a person's message, as if ``user`` had written it; return it.

        ``ts`` defaults to a fresh one; later posts get later ts. Raises
        ValueError for a ts not in Slack's form or already taken in the channel.
        """
        for value in (ts, thread_ts):
            if value is not None and not _TS_FORM.match(value):
                raise ValueError(f"not a Slack ts (seconds.micro): {value!r}")
            if value is not None:
                self._advance_past(value)
        message: dict[str, Any] = {
            "type": "message",
            "user": user,
            "text": text,
            "ts": ts or self._next_ts(),
            "team": self.team_id,
        }
        optional = {"thread_ts": thread_ts, "blocks": blocks, "metadata": metadata}
        message.update({k: copy.deepcopy(v) for k, v in optional.items() if v is not None})
        stored = self._store(channel, message, by_app=False)
        self._notify()
        return stored.public()

    def rate_limit_next(
        self, method: str, times: int = 1, retry_after: int = 1, channel: str | None = None
    ) -> None:
        """Answer the next ``times`` calls to ``method`` (in ``channel``) with HTTP 429, as Slack does."""
        self._add_pending(
            self._faults,
            method,
            _Fault(
                times=times,
                channel=channel,
                status=429,
                answer={"ok": False, "error": "ratelimited"},
                headers={"Retry-After": str(retry_after)},
            ),
        )

    def fail_next(
        self,
        method: str,
        error: str = "channel_not_found",
        times: int = 1,
        channel: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls to ``method`` with ``{"ok": false, "error": error}``."""
        self._add_pending(
            self._faults,
            method,
            _Fault(times=times, channel=channel, answer={"ok": False, "error": error}),
        )

    def http_error_next(
        self, method: str, status: int = 500, times: int = 1, channel: str | None = None
    ) -> None:
        """Answer the next ``times`` calls to ``method`` with HTTP ``status`` (5xx) and a text body.

        Nothing is done: no message is stored or edited.
        """
        if not 500 <= status <= 599:
            raise ValueError(f"an HTTP server error is 500-599, got {status}")
        self._add_pending(
            self._faults,
            method,
            _Fault(times=times, channel=channel, kind="http_error", status=status),
        )

    def drop_after_acting_next(
        self, method: str, times: int = 1, channel: str | None = None
    ) -> None:
        """Do what the next ``times`` calls to ``method`` ask, then close the connection unanswered.

        The client sees the server disconnect (aiohttp's ServerDisconnectedError),
        while the message is stored and waiters are woken as for an answered call.
        """
        self._add_pending(self._faults, method, _Fault(times=times, channel=channel, kind="drop"))

    def hang_next(
        self, method: str, seconds: float, channel: str | None = None, times: int = 1
    ) -> None:
        """Wait ``seconds`` before handling the next ``times`` calls to ``method`` (in ``channel``)."""
        if seconds < 0:
            raise ValueError(f"seconds must not be negative, got {seconds}")
        self._add_pending(self._hangs, method, _Hang(times=times, channel=channel, seconds=seconds))

    def hold(self, method: str, channel: str | None = None) -> None:
        """Park every later call to ``method`` (in ``channel``, or any when None) until released."""
        with self._lock:
            if not any(h.method == method and h.channel == channel for h in self._holds):
                self._holds.append(_Hold(method, channel))

    def release(self, method: str, channel: str | None = None) -> int:
        """End the hold :meth:`hold` put on ``method`` and ``channel``; return how many calls go on.

        A call another hold still covers keeps waiting.
        """
        with self._lock:
            ended = [h for h in self._holds if h.method == method and h.channel == channel]
            self._holds = [h for h in self._holds if h not in ended]
            parked = [p for h in ended for p in h.parked]
            for hold in ended:
                hold.parked.clear()
        _wake_all(p.future for p in parked)
        return len(parked)

    def keep_out(self, channel: str) -> None:
        """The bot is not a member of ``channel``: posts there answer ``not_in_channel``."""
        with self._lock:
            self._outside.add(channel)

    # -- Socket Mode ---------------------------------------------------------------

    @property
    def connected_sockets(self) -> int:
        """How many Socket Mode connections are open now (counted from the app's first ping)."""
        return len(self._sockets)

    async def wait_for_socket(self, timeout: float = _DEFAULT_WAIT_SECONDS) -> None:  # noqa: ASYNC109 - a deadline per call reads best in tests
        """Wait until an app holds a Socket Mode connection."""
        await self._wait_until(
            lambda: bool(self._sockets), timeout, lambda: f"no Socket Mode connection in {timeout}s"
        )

    async def send_envelope(
        self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool = False
    ) -> str:
        """Push one request (``events_api``, ``slash_commands``, ``interactive``) to the app."""
        if not self._sockets:
            raise RuntimeError("no app is connected over Socket Mode")
        self._envelopes += 1
        envelope_id = f"envelope-{self._envelopes:06d}"
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
            "retry_attempt": 0,
            "retry_reason": "",
        }
        await next(iter(self._sockets)).send_json(envelope)
        return envelope_id

    async def wait_for_ack(
        self,
        envelope_id: str,
        timeout: float = _DEFAULT_WAIT_SECONDS,  # noqa: ASYNC109 - a deadline per call reads best in tests
    ) -> dict[str, Any]:
        """Wait for the app's acknowledgement of one envelope, and return it."""

        def acked() -> dict[str, Any] | None:
            with self._lock:
                return next(
                    (a for a in self._socket_acks if a.get("envelope_id") == envelope_id), None
                )

        await self._wait_until(
            lambda: acked() is not None,
            timeout,
            lambda: f"no acknowledgement of {envelope_id} in {timeout}s",
        )
        ack = acked()
        assert ack is not None
        return ack

    async def drop_sockets(self, *, refuse_new: bool = False) -> None:
        """Close every Socket Mode connection, as Slack does when it moves an app elsewhere."""
        self._sockets_refused = refuse_new
        for socket in list(self._sockets):
            await socket.close()

    def accept_sockets(self) -> None:
        """Let Socket Mode connections in again after ``drop_sockets(refuse_new=True)``."""
        self._sockets_refused = False

    def set_response(self, method: str, answer: Answer | Responder) -> None:
        """Answer every later call to ``method`` with ``answer`` (or ``answer(body)``)."""
        responder = answer if callable(answer) else (lambda _body: dict(answer))
        with self._lock:
            self._overrides[method] = responder

    def reset(self, *, messages: bool = False) -> None:
        """Forget recorded calls, pending faults and hangs, replaced answers, and lift every hold.

        Stored messages stay, as in Slack, unless ``messages`` is true.
        """
        self._release_all(sleeping=False)
        with self._lock:
            self._calls.clear()
            self._faults.clear()
            self._hangs.clear()
            self._overrides.clear()
            if messages:
                self._messages.clear()
                self._uploads.clear()
                self._shared_files.clear()

    # -- the server ----------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        headers = {name.lower(): value for name, value in request.headers.items()}
        body = await _read_body(request)
        token = _bearer_token(headers) or body.pop("token", None)
        named = body.get("channel") or body.get("channel_id")  # files.* name it channel_id
        channel = str(named) if named else None
        await self._wait_while_held(method, channel)
        await self._wait_if_hung(method, channel)

        extra_headers: dict[str, str] = {}
        expected = self.app_token if method in _APP_LEVEL_METHODS else self.token
        if not token:
            status, answer = 200, {"ok": False, "error": "not_authed"}
        elif token != expected:
            status, answer = 200, {"ok": False, "error": "invalid_auth"}
        elif (fault := self._take(self._faults, method, channel)) is None:
            status, answer = 200, self._act(method, body)
            extra_headers = {"X-OAuth-Scopes": _SCOPES}
        elif fault.kind == "http_error":
            self._record(RecordedCall(method, body, headers, fault.status, {}))
            return web.Response(status=fault.status, text=_http_error_text(fault.status))
        elif fault.kind == "drop":
            answer = self._act(method, body)
            self._record(RecordedCall(method, body, headers, 0, answer, dropped=True))
            if request.transport is not None:
                request.transport.close()
            # Written to a closed transport, so never sent; aiohttp lets it go quietly.
            return web.Response()
        else:
            status, answer, extra_headers = fault.status, dict(fault.answer), dict(fault.headers)

        self._record(RecordedCall(method, body, headers, status, answer))
        return web.json_response(answer, status=status, headers=extra_headers)

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        """The upload URL files.getUploadURLExternal handed out: keep the bytes POSTed to it.

        Slack's URL is pre-signed, so no token is asked for; an id it never
        handed out is a 404. Faults, holds and hangs for ``UPLOAD_METHOD`` apply.
        Slack answers a good upload with a plain ``OK - <bytes>``.
        """
        file_id = request.match_info["file_id"]
        headers = {name.lower(): value for name, value in request.headers.items()}
        data = await request.read()
        body = {"file_id": file_id, "content": data.decode("utf-8", "replace"), "length": len(data)}
        await self._wait_while_held(UPLOAD_METHOD, None)
        await self._wait_if_hung(UPLOAD_METHOD, None)
        with self._lock:
            upload = self._uploads.get(file_id)
        if upload is None:
            self._record(RecordedCall(UPLOAD_METHOD, body, headers, 404, {}))
            return web.Response(status=404, text=_http_error_text(404))
        fault = self._take(self._faults, UPLOAD_METHOD, None)
        if fault is not None and fault.kind == "http_error":
            self._record(RecordedCall(UPLOAD_METHOD, body, headers, fault.status, {}))
            return web.Response(status=fault.status, text=_http_error_text(fault.status))
        if fault is not None and fault.kind == "answer":
            self._record(
                RecordedCall(UPLOAD_METHOD, body, headers, fault.status, dict(fault.answer))
            )
            return web.Response(
                status=fault.status, text=json.dumps(fault.answer), headers=dict(fault.headers)
            )
        with self._lock:
            upload.content = data
        if fault is not None:  # a drop: kept, then the connection closed unanswered
            self._record(RecordedCall(UPLOAD_METHOD, body, headers, 0, {"ok": True}, dropped=True))
            if request.transport is not None:
                request.transport.close()
            return web.Response()
        self._record(RecordedCall(UPLOAD_METHOD, body, headers, 200, {"ok": True}))
        return web.Response(text=f"OK - {len(data)}")

    def _act(self, method: str, body: dict[str, Any]) -> Answer:
        with self._lock:
            responder = self._overrides.get(method) or self._answers.get(method, _unknown_method)
        try:
            return responder(body)
        except _SlackError as refused:
            return {"ok": False, "error": refused.error}

    async def _wait_while_held(self, method: str, channel: str | None) -> None:
        """Park the call until every hold on it when it arrived is released."""
        loop = asyncio.get_running_loop()
        with self._lock:
            holding = [h for h in self._holds if h.applies_to(method, channel)]
        while True:
            with self._lock:
                hold = next((h for h in holding if h in self._holds), None)
                if hold is None:
                    return
                parked = _Parked(method, channel, loop.create_future())
                hold.parked.append(parked)
            self._notify()
            try:
                await parked.future
            finally:
                with self._lock:
                    if parked in hold.parked:
                        hold.parked.remove(parked)

    async def _wait_if_hung(self, method: str, channel: str | None) -> None:
        hang = self._take(self._hangs, method, channel)
        if hang is None:
            return
        loop = asyncio.get_running_loop()
        woken: asyncio.Future[None] = loop.create_future()
        timer = loop.call_later(hang.seconds, _resolve, woken)
        with self._lock:
            self._sleeping.add(woken)
        try:
            await woken
        finally:
            timer.cancel()
            with self._lock:
                self._sleeping.discard(woken)

    def _release_all(self, *, sleeping: bool = True) -> None:
        """Lift every hold (and, on stop, cut every hang short)."""
        with self._lock:
            futures = [p.future for h in self._holds for p in h.parked]
            self._holds.clear()
            if sleeping:
                futures.extend(self._sleeping)
        _wake_all(futures)

    def _record(self, call: RecordedCall) -> None:
        with self._lock:
            self._calls.append(call)
        self._notify()

    # -- waiting -------------------------------------------------------------------

    def _notify(self) -> None:
        """Wake every waiter whose condition now holds."""
        with self._lock:
            ready = [w for w in self._waiters if w.ready()]
            self._waiters = [w for w in self._waiters if w not in ready]
        for waiter in ready:
            waiter.wake()

    def _add_waiter(self, ready: Callable[[], bool], wake: Callable[[], None]) -> _Waiter | None:
        """Register ``wake``; None when ``ready`` already holds and nobody need wait."""
        with self._lock:
            if ready():
                return None
            waiter = _Waiter(ready, wake)
            self._waiters.append(waiter)
            return waiter

    def _remove_waiter(self, waiter: _Waiter) -> None:
        with self._lock:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    async def _wait_until(
        self,
        ready: Callable[[], bool],
        timeout: float,  # noqa: ASYNC109 - the public waits pass their deadline on
        describe: Callable[[], str],
    ) -> None:
        loop = asyncio.get_running_loop()
        arrived: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            loop.call_soon_threadsafe(_resolve, arrived)

        waiter = self._add_waiter(ready, wake)
        if waiter is not None:
            try:
                await asyncio.wait_for(arrived, timeout)
            except TimeoutError:
                self._remove_waiter(waiter)
                raise TimeoutError(describe()) from None

    def _wait_until_blocking(
        self, ready: Callable[[], bool], timeout: float, describe: Callable[[], str]
    ) -> None:
        if self._loop is not None and _running_loop() is self._loop:
            raise RuntimeError("a blocking wait would block the stand-in's own event loop")
        arrived = threading.Event()
        waiter = self._add_waiter(ready, arrived.set)
        if waiter is not None and not arrived.wait(timeout):
            self._remove_waiter(waiter)
            raise TimeoutError(describe())

    def _count_locked(self, method: str) -> int:
        return sum(1 for c in self._calls if c.method == method)

    def _held_locked(self, method: str | None, channel: str | None) -> int:
        return sum(
            1
            for h in self._holds
            for p in h.parked
            if (method is None or p.method == method) and (channel is None or p.channel == channel)
        )

    def _timeout_message(self, method: str, count: int, timeout: float) -> str:
        received = [c.method for c in self.calls()]
        got = received.count(method)
        return (
            f"Slack stand-in: waited {timeout}s for {count} call(s) to {method}, got {got}; "
            f"calls received: {received or 'none'}"
        )

    def _posts_timeout_message(
        self, channel: str, thread_ts: str | None, count: int, timeout: float
    ) -> str:
        where = f"thread {thread_ts} of {channel}" if thread_ts else f"{channel} (top level)"
        with self._lock:
            got = len(self._posts_locked(channel, thread_ts))
            posted = [(s.channel, s.thread_ts, s.ts) for s in self._stored_locked(None) if s.by_app]
        return (
            f"Slack stand-in: waited {timeout}s for {count} post(s) in {where}, got {got}; "
            f"posts stored (channel, thread_ts, ts): {posted or 'none'}"
        )

    def _held_timeout_message(
        self, method: str, channel: str | None, count: int, timeout: float
    ) -> str:
        where = f" in {channel}" if channel else ""
        with self._lock:
            holds = [(h.method, h.channel) for h in self._holds]
        return (
            f"Slack stand-in: waited {timeout}s for {count} held call(s) to {method}{where}, "
            f"got {self.held_calls(method, channel)}; holds: {holds or 'none'}"
        )

    # -- faults --------------------------------------------------------------------

    def _add_pending(self, table: dict[str, list[_P]], method: str, item: _P) -> None:
        if item.times < 1:
            raise ValueError(f"times must be at least 1, got {item.times}")
        with self._lock:
            table.setdefault(method, []).append(item)

    def _take(self, table: dict[str, list[_P]], method: str, channel: str | None) -> _P | None:
        """Count one call against the first pending item that applies to it, and return that."""
        with self._lock:
            pending = table.get(method, [])
            item = next((p for p in pending if p.applies_to(channel)), None)
            if item is None:
                return None
            item.times -= 1
            if item.times == 0:
                pending.remove(item)
            return item

    # -- the message store ---------------------------------------------------------

    def _next_ts(self) -> str:
        with self._lock:
            self._last_ts += _TS_STEP_MICROS
            micros = self._last_ts
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _advance_past(self, ts: str) -> None:
        """Make every later ts the stand-in gives out later than ``ts``."""
        parsed = _parse_ts(ts)
        if parsed is None:
            return
        micros = int(parsed * 1_000_000)
        with self._lock:
            self._last_ts = max(self._last_ts, micros)

    def _store(self, channel: str, message: dict[str, Any], *, by_app: bool) -> _Stored:
        stored = _Stored(channel, copy.deepcopy(message), by_app)
        with self._lock:
            in_channel = self._messages.setdefault(channel, {})
            if stored.ts in in_channel:
                raise ValueError(f"{channel} already has a message at ts {stored.ts}")
            in_channel[stored.ts] = stored
        return stored

    def _stored_locked(self, channel: str | None) -> list[_Stored]:
        """Stored messages, oldest first."""
        if channel is None:
            found = [s for in_channel in self._messages.values() for s in in_channel.values()]
        else:
            found = list(self._messages.get(channel, {}).values())
        return sorted(found, key=lambda s: s.key)

    def _posts_locked(self, channel: str, thread_ts: str | None) -> list[_Stored]:
        return [
            s
            for s in self._stored_locked(channel)
            if s.by_app
            and (s.is_reply and s.thread_ts == thread_ts if thread_ts else not s.is_reply)
        ]

    def _shown(
        self, stored: _Stored, replies: list[_Stored], listing: _Listing, parent_user: str | None
    ) -> dict[str, Any]:
        """A message as conversations.* shows it: thread fields added, metadata only when asked."""
        message = copy.deepcopy(stored.message)
        if not listing.with_metadata:
            message.pop("metadata", None)
        if replies:
            users = list(dict.fromkeys(str(r.message.get("user", "")) for r in replies))
            message.update(
                thread_ts=stored.ts,
                reply_count=len(replies),
                reply_users_count=len(users),
                latest_reply=replies[-1].ts,
                reply_users=users,
                is_locked=False,
                subscribed=False,
            )
        elif stored.is_reply and parent_user:
            message["parent_user_id"] = parent_user
        return message

    def _threads_locked(self, channel: str) -> dict[str, list[_Stored]]:
        """Each thread's replies in ``channel``, oldest first, by the parent's ts."""
        threads: dict[str, list[_Stored]] = {}
        for stored in self._stored_locked(channel):
            if stored.is_reply and stored.thread_ts is not None:
                threads.setdefault(stored.thread_ts, []).append(stored)
        return threads

    # -- the answers ---------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        """One Socket Mode connection: hello, then record every acknowledgement the app sends."""
        if self._sockets_refused:
            return web.Response(status=HTTPStatus.SERVICE_UNAVAILABLE, text="try again later")
        # Pings are answered here, not by aiohttp: the app's first ping says it holds the
        # connection (slack_sdk pings as soon as it has it), so a connection counts from then.
        socket = web.WebSocketResponse(autoping=False)
        await socket.prepare(request)
        try:
            await socket.send_json(
                {
                    "type": "hello",
                    "num_connections": len(self._sockets),
                    "connection_info": {"app_id": APP_ID},
                }
            )
            async for message in socket:
                if message.type is WSMsgType.PING:
                    await socket.pong(message.data)
                    if socket not in self._sockets:
                        self._sockets.add(socket)
                        self._notify()
                elif message.type is WSMsgType.CLOSE:
                    await socket.close()
                elif message.type is WSMsgType.TEXT:
                    with self._lock:
                        self._socket_acks.append(json.loads(message.data))
                    self._notify()
        finally:
            self._sockets.discard(socket)
            self._notify()
        return socket

    def _apps_connections_open(self, _body: dict[str, Any]) -> Answer:
        assert self._base_url is not None
        root = self._base_url.removesuffix("/api/").replace("http://", "ws://", 1)
        return {"ok": True, "url": f"{root}{_SOCKET_PATH}"}

    def _auth_test(self, _body: dict[str, Any]) -> Answer:
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": "Intake Test Workspace",
            "user": "intake-bot",
            "team_id": self.team_id,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _message(self, body: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": self.team_id,
            "ts": ts,
            "text": body.get("text", ""),
        }
        for key in _MESSAGE_FIELDS:
            if key in body:
                message[key] = copy.deepcopy(body[key])
        if body.get("thread_ts"):
            message["thread_ts"] = str(body["thread_ts"])
        return message

    def _chat_post_message(self, body: dict[str, Any]) -> Answer:
        channel = str(body.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        self._require_member(channel)
        if body.get("thread_ts"):
            self._advance_past(str(body["thread_ts"]))
        ts = self._next_ts()
        message = self._message(body, ts)
        self._store(channel, message, by_app=True)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_update(self, body: dict[str, Any]) -> Answer:
        channel, ts = str(body.get("channel", "")), str(body.get("ts", ""))
        with self._lock:
            stored = self._messages.get(channel, {}).get(ts)
            if stored is None:
                raise _SlackError("message_not_found")
            if not stored.by_app:
                raise _SlackError("cant_update_message")
            message = stored.message
            if "text" in body:
                message["text"] = body["text"]
            for key in _MESSAGE_FIELDS:
                if key in body:
                    message[key] = copy.deepcopy(body[key])
            message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
            shown = copy.deepcopy(message)
        return {"ok": True, "channel": channel, "ts": ts, "text": shown["text"], "message": shown}

    def _chat_post_ephemeral(self, body: dict[str, Any]) -> Answer:
        self._require_member(str(body.get("channel") or ""))
        return {"ok": True, "message_ts": self._next_ts()}

    def _files_get_upload_url_external(self, body: dict[str, Any]) -> Answer:
        """A file id and the URL to POST its bytes to; ``filename`` and ``length`` are required."""
        filename = str(body.get("filename") or "")
        try:
            length = int(str(body.get("length", "")))
        except ValueError:
            raise _SlackError("invalid_arguments") from None
        if not filename or length < 0:
            raise _SlackError("invalid_arguments")
        assert self._base_url is not None
        with self._lock:
            self._last_file += 1
            file_id = f"F0INTAKE{self._last_file:04d}"
            self._uploads[file_id] = _Upload(file_id, filename, length)
        root = self._base_url.removesuffix("/api/")
        return {"ok": True, "upload_url": f"{root}{_UPLOAD_PATH}{file_id}", "file_id": file_id}

    def _files_complete_upload_external(self, body: dict[str, Any]) -> Answer:
        """Share uploaded files in ``channel_id`` (a reply when ``thread_ts``), as one message."""
        wanted = body.get("files")
        if (
            not isinstance(wanted, list)
            or not wanted
            or not all(isinstance(f, dict) for f in wanted)
        ):
            raise _SlackError("invalid_arguments")
        channel = str(body.get("channel_id") or "")
        thread_ts = str(body.get("thread_ts") or "") or None
        if channel:
            self._require_member(channel)
        with self._lock:
            found = [(item, self._uploads.get(str(item.get("id")))) for item in wanted]
            ready = [
                (item, upload, upload.content)
                for item, upload in found
                if upload is not None and upload.content is not None and not upload.shared
            ]
            if len(ready) != len(found):
                raise _SlackError("file_not_found")
            if channel and thread_ts and thread_ts not in self._messages.get(channel, {}):
                raise _SlackError("thread_not_found")
            files = []
            for item, upload, content in ready:
                upload.shared = True
                title = str(item.get("title") or upload.filename)
                files.append(self._file_object(upload, title, channel, len(content)))
                self._shared_files.append(
                    {
                        "id": upload.file_id,
                        "filename": upload.filename,
                        "title": title,
                        "channel": channel or None,
                        "thread_ts": thread_ts,
                        "initial_comment": body.get("initial_comment"),
                        "content": content.decode("utf-8", "replace"),
                    }
                )
        if channel:
            if thread_ts:
                self._advance_past(thread_ts)
            shared = self._message({"text": body.get("initial_comment") or ""}, self._next_ts())
            shared.update(files=copy.deepcopy(files), upload=True, display_as_bot=False)
            if thread_ts:
                shared["thread_ts"] = thread_ts
            self._store(channel, shared, by_app=True)
        return {"ok": True, "files": files}

    def _file_object(self, upload: _Upload, title: str, channel: str, size: int) -> dict[str, Any]:
        """The file as Slack describes it in an answer and on the message that shares it."""
        return {
            "id": upload.file_id,
            "name": upload.filename,
            "title": title,
            "mimetype": "text/plain",
            "filetype": upload.filename.rpartition(".")[2] if "." in upload.filename else "text",
            "size": size,
            "user": BOT_USER_ID,
            "channels": [channel] if channel.startswith("C") else [],
            "groups": [channel] if channel.startswith("G") else [],
            "ims": [channel] if channel.startswith("D") else [],
            "permalink": f"https://{self.team_domain}.slack.com/files/{BOT_USER_ID}/"
            f"{upload.file_id}/{upload.filename}",
        }

    def _require_member(self, channel: str) -> None:
        with self._lock:
            if channel in self._outside:
                raise _SlackError("not_in_channel")

    def _conversations_join(self, body: dict[str, Any]) -> Answer:
        channel = str(body.get("channel") or "")
        if not channel:
            raise _SlackError("channel_not_found")
        if not self.join_allowed:
            raise _SlackError("missing_scope")
        if not channel.startswith("C"):
            raise _SlackError("method_not_supported_for_channel_type")
        with self._lock:
            self._outside.discard(channel)
        return {"ok": True, "channel": {"id": channel, "is_channel": True, "is_member": True}}

    def _conversations_replies(self, body: dict[str, Any]) -> Answer:
        """The thread ``ts`` belongs to: its parent (on the first page), then replies, oldest first."""
        channel = str(body.get("channel") or "")
        if not channel:
            raise _SlackError("channel_not_found")
        listing = _Listing.of(body, _REPLIES_LIMIT)
        with self._lock:
            in_channel = self._messages.get(channel, {})
            asked = in_channel.get(str(body.get("ts") or ""))
            parent = in_channel.get(asked.thread_ts or asked.ts) if asked is not None else None
            if parent is None:
                raise _SlackError("thread_not_found")
            replies = self._threads_locked(channel).get(parent.ts, [])
            parent_user = str(parent.message.get("user", "")) or None
            shown = [
                self._shown(r, [], listing, parent_user)
                for r in replies
                if listing.within(r.key) and (listing.after is None or r.key >= listing.after)
            ]
            if listing.after is None:
                shown.insert(0, self._shown(parent, replies, listing, None))
        return listing.page(shown)

    def _conversations_history(self, body: dict[str, Any]) -> Answer:
        """The channel's top-level messages, thread parents included, newest first."""
        channel = str(body.get("channel") or "")
        if not channel:
            raise _SlackError("channel_not_found")
        listing = _Listing.of(body, _HISTORY_LIMIT)
        with self._lock:
            threads = self._threads_locked(channel)
            shown = [
                self._shown(s, threads.get(s.ts, []), listing, None)
                for s in reversed(self._stored_locked(channel))
                if not s.is_reply
                and listing.within(s.key)
                and (listing.after is None or s.key <= listing.after)
            ]
        return listing.page(shown)


def _unknown_method(_body: dict[str, Any]) -> Answer:
    return {"ok": False, "error": "unknown_method"}


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _wake_all(futures: Iterable[asyncio.Future[None]]) -> None:
    """Resolve futures of the server's loop from any thread."""
    for future in futures:
        loop = future.get_loop()
        if not loop.is_closed():
            loop.call_soon_threadsafe(_resolve, future)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _http_error_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Server Error"


def _parse_ts(value: object) -> Decimal | None:
    try:
        parsed = Decimal(str(value))
    except InvalidOperation:
        return None
    return parsed if parsed.is_finite() and parsed >= 0 else None


def _ts_param(body: dict[str, Any], name: str) -> Decimal | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    parsed = _parse_ts(value)
    if parsed is None:
        raise _SlackError(f"invalid_ts_{name}")
    return parsed


def _flag(value: object) -> bool:
    return value is True or str(value).strip().lower() in _TRUE


def _limit_param(value: object, default: int) -> int:
    try:
        limit = int(str(value))
    except ValueError:
        return default
    return min(limit, _MAX_LIMIT) if limit > 0 else default


def _cursor(ts: str) -> str:
    return base64.b64encode(f"{_CURSOR_PREFIX}{ts}".encode()).decode()


def _cursor_param(value: object) -> Decimal | None:
    if not value:
        return None
    try:
        decoded = base64.b64decode(str(value), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise _SlackError("invalid_cursor") from None
    parsed = _parse_ts(decoded.removeprefix(_CURSOR_PREFIX))
    if not decoded.startswith(_CURSOR_PREFIX) or parsed is None:
        raise _SlackError("invalid_cursor")
    return parsed


def _bearer_token(headers: dict[str, str]) -> str | None:
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


async def _read_body(request: web.Request) -> dict[str, Any]:
    """Query parameters, then the form or JSON body, merged; JSON-string fields decoded."""
    body: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            payload = await request.json()
            if isinstance(payload, dict):
                body.update(payload)
        elif request.content_type == "application/x-www-form-urlencoded":
            body.update(parse_qsl(await request.text(), keep_blank_values=True))
    for key in _JSON_FIELDS & body.keys():
        value = body[key]
        if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
            body[key] = json.loads(value)
    return body


class ThreadedSlackWebApiStandIn:
    """The stand-in running on its own thread and loop, for synchronous code.

    Every helper matches :class:`SlackWebApiStandIn`, except that the waits
    (``wait_for``, ``wait_for_posts``, ``wait_for_held``) block the calling
    thread instead of being awaited.
    """

    def __init__(self, standin: SlackWebApiStandIn) -> None:
        self.standin = standin

    @property
    def base_url(self) -> str:
        """What slack_sdk's ``base_url`` takes: ``http://127.0.0.1:PORT/api/``."""
        return self.standin.base_url

    @property
    def token(self) -> str:
        """The bot token the stand-in accepts."""
        return self.standin.token

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        """Every call received so far, or those to ``method``, oldest first."""
        return self.standin.calls(method)

    def posted_messages(self) -> list[dict[str, Any]]:
        """The bodies of the ``chat.postMessage`` calls that posted."""
        return self.standin.posted_messages()

    def stored_messages(
        self, channel: str | None = None, thread_ts: str | None = None
    ) -> list[dict[str, Any]]:
        """Copies of the stored messages, oldest first, each with its channel."""
        return self.standin.stored_messages(channel, thread_ts)

    def stored_posts(self, channel: str, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """The app's top-level posts in ``channel``, or its replies in ``thread_ts``."""
        return self.standin.stored_posts(channel, thread_ts)

    def held_calls(self, method: str | None = None, channel: str | None = None) -> int:
        """How many calls wait on a hold now."""
        return self.standin.held_calls(method, channel)

    def shared_files(
        self, channel: str | None = None, thread_ts: str | None = None
    ) -> list[dict[str, Any]]:
        """The files shared by files.completeUploadExternal, with their content."""
        return self.standin.shared_files(channel, thread_ts)

    def wait_for(
        self, method: str, count: int = 1, timeout: float = _DEFAULT_WAIT_SECONDS
    ) -> list[RecordedCall]:
        """Block until at least ``count`` calls to ``method`` arrived; TimeoutError otherwise."""
        return self.standin.wait_for_blocking(method, count, timeout)

    def wait_for_posts(
        self,
        channel: str,
        thread_ts: str | None = None,
        count: int = 1,
        timeout: float = _DEFAULT_WAIT_SECONDS,
    ) -> list[dict[str, Any]]:
        """Block until the app has ``count`` posts there; return them, or raise TimeoutError."""
        return self.standin.wait_for_posts_blocking(channel, thread_ts, count, timeout)

    def wait_for_held(
        self,
        method: str,
        count: int = 1,
        channel: str | None = None,
        timeout: float = _DEFAULT_WAIT_SECONDS,
    ) -> int:
        """Block until at least ``count`` calls to ``method`` wait on a hold."""
        return self.standin.wait_for_held_blocking(method, count, channel, timeout)

    def add_message(
        self,
        channel: str,
        ts: str | None = None,
        text: str = "",
        thread_ts: str | None = None,
        user: str = USER_ID,
        *,
        blocks: list[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Store a person's message; return it."""
        return self.standin.add_message(
            channel, ts, text, thread_ts, user, blocks=blocks, metadata=metadata
        )

    def rate_limit_next(
        self, method: str, times: int = 1, retry_after: int = 1, channel: str | None = None
    ) -> None:
        """Answer the next ``times`` calls to ``method`` with HTTP 429 and ``Retry-After``."""
        self.standin.rate_limit_next(method, times, retry_after, channel)

    def fail_next(
        self,
        method: str,
        error: str = "channel_not_found",
        times: int = 1,
        channel: str | None = None,
    ) -> None:
        """Answer the next ``times`` calls to ``method`` with ``{"ok": false, "error": error}``."""
        self.standin.fail_next(method, error, times, channel)

    def http_error_next(
        self, method: str, status: int = 500, times: int = 1, channel: str | None = None
    ) -> None:
        """Answer the next ``times`` calls to ``method`` with an HTTP 5xx, doing nothing."""
        self.standin.http_error_next(method, status, times, channel)

    def drop_after_acting_next(
        self, method: str, times: int = 1, channel: str | None = None
    ) -> None:
        """Do what the next ``times`` calls ask, then close the connection unanswered."""
        self.standin.drop_after_acting_next(method, times, channel)

    def hang_next(
        self, method: str, seconds: float, channel: str | None = None, times: int = 1
    ) -> None:
        """Wait ``seconds`` before handling the next ``times`` calls to ``method``."""
        self.standin.hang_next(method, seconds, channel, times)

    def hold(self, method: str, channel: str | None = None) -> None:
        """Park later calls to ``method`` (in ``channel``) until released."""
        self.standin.hold(method, channel)

    def release(self, method: str, channel: str | None = None) -> int:
        """End that hold; return how many parked calls go on."""
        return self.standin.release(method, channel)

    def keep_out(self, channel: str) -> None:
        """The bot is not a member of ``channel``: posts there answer ``not_in_channel``."""
        self.standin.keep_out(channel)

    def set_response(self, method: str, answer: Answer | Responder) -> None:
        """Answer every later call to ``method`` with ``answer`` (or ``answer(body)``)."""
        self.standin.set_response(method, answer)

    def reset(self, *, messages: bool = False) -> None:
        """Forget calls, faults and replaced answers, lift holds; messages too when asked."""
        self.standin.reset(messages=messages)


@contextmanager
def run_standin_in_thread(
    *, token: str = STANDIN_BOT_TOKEN, start_timeout: float = 10.0
) -> Iterator[ThreadedSlackWebApiStandIn]:
    """Run the stand-in on a background thread with its own event loop, for sync code.

    Returns once the port is bound; on leaving, stops the server and joins the
    thread, so nothing outlives the test. A failure to start or to stop is
    raised here rather than lost on the background thread.
    """
    standin = SlackWebApiStandIn(token=token)
    started: concurrent.futures.Future[Callable[[], object]] = concurrent.futures.Future()

    async def run_until_stopped() -> None:
        loop = asyncio.get_running_loop()
        stop_requested = asyncio.Event()
        await standin.start()
        try:
            started.set_result(lambda: loop.call_soon_threadsafe(stop_requested.set))
            await stop_requested.wait()
        finally:
            await standin.stop()

    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="slack-standin") as pool:
        served = pool.submit(asyncio.run, run_until_stopped())
        first: list[concurrent.futures.Future[Any]] = [started, served]
        concurrent.futures.wait(
            first, timeout=start_timeout, return_when=concurrent.futures.FIRST_COMPLETED
        )
        if served.done():
            served.result()  # raises why the server could not start
        if not started.done():
            # Stop it the moment it does start, so leaving the pool does not hang.
            started.add_done_callback(lambda ready: ready.result()())
            raise TimeoutError(f"Slack stand-in did not start within {start_timeout}s")
        request_stop = started.result()
        try:
            yield ThreadedSlackWebApiStandIn(standin)
        finally:
            request_stop()
            served.result(timeout=start_timeout)
