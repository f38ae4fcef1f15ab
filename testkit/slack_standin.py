"""A stand-in for the Slack Web API: a real aiohttp server on 127.0.0.1 that records every call.

The adapter is tested over real HTTP, as bolt's own tests do
(``tests/mock_web_api_server/`` in slackapi/bolt-python): slack_sdk builds and
sends its requests exactly as in production, only ``base_url`` points here.
Unlike bolt's stand-in, waiting for calls uses notifications, never polling.

What it plays, as Slack answers (HTTP 200 and ``{"ok": ...}``):

- The four methods the bot calls: ``auth.test`` (Bolt, at start), and
  ``chat.postMessage``, ``chat.update`` and ``chat.postEphemeral``, with the
  fields an app reads. Any other method answers
  ``{"ok": false, "error": "unknown_method"}``, as Slack does, so a new call in
  the bot fails here until the stand-in learns it. ``set_response`` replaces
  the answer for one method.
- Authentication: the ``Authorization: Bearer`` header (or, as Slack also
  accepts, a ``token`` form field) must carry the expected token; otherwise
  ``not_authed`` (no token) or ``invalid_auth`` (wrong token).
- Faults: ``rate_limit_next`` answers HTTP 429 with ``Retry-After`` and
  ``{"ok": false, "error": "ratelimited"}`` (Slack's "Rate limits" page);
  ``fail_next`` answers ``{"ok": false, "error": ...}`` with HTTP 200.

Bodies arrive as JSON (slack_sdk sends JSON for chat.*), form-encoded, or as
query parameters (``auth.test``); all are merged into one dict, and the fields
Slack takes as JSON strings in form posts (``blocks``, ``attachments``,
``metadata``) are decoded.

Two ways to run it: ``async with SlackWebApiStandIn() as api`` on the test's
event loop, or ``with run_standin_in_thread() as api`` on a loop of its own for
synchronous code; there ``api.wait_for`` blocks instead of awaiting.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl

from aiohttp import web

from testkit.slack_signing import APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID

STANDIN_BOT_TOKEN = "xoxb-0000000000-intake-standin"

# Fields Slack accepts as a JSON-encoded string when the body is form-encoded.
_JSON_FIELDS = frozenset({"blocks", "attachments", "metadata"})
# The bot scopes deploy/slack/manifest.yaml asks for.
_SCOPES = (
    "app_mentions:read,channels:history,chat:write,commands,groups:history,im:history,mpim:history"
)
# Slack's message ts: seconds, a dot, six digits. Counted in microseconds from here.
_FIRST_TS_MICROS = 1_700_000_000_000_100
_TS_STEP_MICROS = 100
_DEFAULT_WAIT_SECONDS = 5.0

Answer = dict[str, Any]
Responder = Callable[[dict[str, Any]], Answer]


@dataclass(frozen=True)
class RecordedCall:
    """One request the stand-in received, with what it answered.

    ``headers`` has lower-case names. ``status`` and ``response`` tell a call that
    was answered from one that was rate limited, failed or refused.
    """

    method: str
    body: dict[str, Any]
    headers: dict[str, str]
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether Slack would have done what was asked."""
        return self.status == 200 and bool(self.response.get("ok"))


@dataclass
class _Waiter:
    method: str
    count: int
    wake: Callable[[], None]


@dataclass
class _Fault:
    times: int
    status: int
    answer: Answer
    headers: dict[str, str]


class SlackWebApiStandIn:
    """The Slack Web API on 127.0.0.1, recording every call; start it with ``async with``."""

    def __init__(
        self,
        *,
        token: str = STANDIN_BOT_TOKEN,
        team_id: str = TEAM_ID,
        team_domain: str = TEAM_DOMAIN,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.team_id = team_id
        self.team_domain = team_domain
        self._host = host
        self._port = port
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._base_url: str | None = None
        self._lock = threading.Lock()
        self._calls: list[RecordedCall] = []
        self._waiters: list[_Waiter] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._overrides: dict[str, Responder] = {}
        self._last_ts = _FIRST_TS_MICROS - _TS_STEP_MICROS
        self._answers: dict[str, Responder] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
        }

    # -- lifecycle -----------------------------------------------------------------

    async def start(self) -> None:
        """Bind a free port and start answering."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._port)
        await site.start()
        self._runner = runner
        self._loop = asyncio.get_running_loop()
        host, port = runner.addresses[0][:2]
        self._base_url = f"http://{host}:{port}/api/"

    async def stop(self) -> None:
        """Close the listening socket and any open connection."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._loop = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

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
        """The bodies of the ``chat.postMessage`` calls that were answered ok.

        A call refused by a rate limit or an injected failure posted nothing in
        Slack, so it is left out; ``calls("chat.postMessage")`` has them all.
        """
        return [c.body for c in self.calls("chat.postMessage") if c.ok]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = _DEFAULT_WAIT_SECONDS,  # noqa: ASYNC109 - a deadline per call reads best in tests
    ) -> list[RecordedCall]:
        """Wait until at least ``count`` calls to ``method`` arrived; return all calls to it.

        Raises TimeoutError, naming what did arrive, when they do not come in time.
        """
        loop = asyncio.get_running_loop()
        arrived: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            loop.call_soon_threadsafe(_resolve, arrived)

        waiter = self._add_waiter(method, count, wake)
        if waiter is not None:
            try:
                await asyncio.wait_for(arrived, timeout)
            except TimeoutError:
                self._remove_waiter(waiter)
                raise TimeoutError(self._timeout_message(method, count, timeout)) from None
        return self.calls(method)

    def wait_for_blocking(
        self, method: str, count: int = 1, timeout: float = _DEFAULT_WAIT_SECONDS
    ) -> list[RecordedCall]:
        """:meth:`wait_for` for synchronous code, while the server runs on another thread."""
        if self._loop is not None and _running_loop() is self._loop:
            raise RuntimeError("wait_for_blocking would block the stand-in's own event loop")
        arrived = threading.Event()
        waiter = self._add_waiter(method, count, arrived.set)
        if waiter is not None and not arrived.wait(timeout):
            self._remove_waiter(waiter)
            raise TimeoutError(self._timeout_message(method, count, timeout))
        return self.calls(method)

    # -- what tests arrange --------------------------------------------------------

    def rate_limit_next(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` calls to ``method`` with HTTP 429, as Slack does."""
        self._add_fault(
            method,
            _Fault(
                times=times,
                status=429,
                answer={"ok": False, "error": "ratelimited"},
                headers={"Retry-After": str(retry_after)},
            ),
        )

    def fail_next(self, method: str, error: str = "channel_not_found", times: int = 1) -> None:
        """Answer the next ``times`` calls to ``method`` with ``{"ok": false, "error": error}``."""
        self._add_fault(
            method,
            _Fault(times=times, status=200, answer={"ok": False, "error": error}, headers={}),
        )

    def set_response(self, method: str, answer: Answer | Responder) -> None:
        """Answer every later call to ``method`` with ``answer`` (or ``answer(body)``)."""
        responder = answer if callable(answer) else (lambda _body: dict(answer))
        with self._lock:
            self._overrides[method] = responder

    def reset(self) -> None:
        """Forget recorded calls, pending faults and replaced answers."""
        with self._lock:
            self._calls.clear()
            self._faults.clear()
            self._overrides.clear()

    # -- the server ----------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        headers = {name.lower(): value for name, value in request.headers.items()}
        body = await _read_body(request)
        token = _bearer_token(headers) or body.pop("token", None)

        extra_headers: dict[str, str] = {}
        if not token:
            status, answer = 200, {"ok": False, "error": "not_authed"}
        elif token != self.token:
            status, answer = 200, {"ok": False, "error": "invalid_auth"}
        elif (fault := self._take_fault(method)) is not None:
            status, answer, extra_headers = fault.status, dict(fault.answer), dict(fault.headers)
        else:
            with self._lock:
                responder = self._overrides.get(method) or self._answers.get(
                    method, _unknown_method
                )
            status, answer = 200, responder(body)
            extra_headers = {"X-OAuth-Scopes": _SCOPES}

        self._record(RecordedCall(method, body, headers, status, answer))
        return web.json_response(answer, status=status, headers=extra_headers)

    def _record(self, call: RecordedCall) -> None:
        with self._lock:
            self._calls.append(call)
            ready = [w for w in self._waiters if self._count_locked(w.method) >= w.count]
            self._waiters = [w for w in self._waiters if w not in ready]
        for waiter in ready:
            waiter.wake()

    def _count_locked(self, method: str) -> int:
        return sum(1 for c in self._calls if c.method == method)

    def _add_waiter(self, method: str, count: int, wake: Callable[[], None]) -> _Waiter | None:
        """Register ``wake``; None when the calls are already there and nobody need wait."""
        with self._lock:
            if self._count_locked(method) >= count:
                return None
            waiter = _Waiter(method, count, wake)
            self._waiters.append(waiter)
            return waiter

    def _remove_waiter(self, waiter: _Waiter) -> None:
        with self._lock:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def _timeout_message(self, method: str, count: int, timeout: float) -> str:
        received = [c.method for c in self.calls()]
        got = received.count(method)
        return (
            f"Slack stand-in: waited {timeout}s for {count} call(s) to {method}, got {got}; "
            f"calls received: {received or 'none'}"
        )

    def _add_fault(self, method: str, fault: _Fault) -> None:
        if fault.times < 1:
            raise ValueError(f"times must be at least 1, got {fault.times}")
        with self._lock:
            self._faults.setdefault(method, []).append(fault)

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            pending = self._faults.get(method)
            if not pending:
                return None
            fault = pending[0]
            fault.times -= 1
            if fault.times == 0:
                pending.pop(0)
            return fault

    def _next_ts(self) -> str:
        with self._lock:
            self._last_ts += _TS_STEP_MICROS
            micros = self._last_ts
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    # -- the answers ---------------------------------------------------------------

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
        for key in ("blocks", "attachments", "metadata", "thread_ts"):
            if key in body:
                message[key] = body[key]
        return message

    def _chat_post_message(self, body: dict[str, Any]) -> Answer:
        ts = self._next_ts()
        return {
            "ok": True,
            "channel": body.get("channel", ""),
            "ts": ts,
            "message": self._message(body, ts),
        }

    def _chat_update(self, body: dict[str, Any]) -> Answer:
        ts = str(body.get("ts", ""))
        return {
            "ok": True,
            "channel": body.get("channel", ""),
            "ts": ts,
            "text": body.get("text", ""),
            "message": self._message(body, ts),
        }

    def _chat_post_ephemeral(self, _body: dict[str, Any]) -> Answer:
        return {"ok": True, "message_ts": self._next_ts()}


def _unknown_method(_body: dict[str, Any]) -> Answer:
    return {"ok": False, "error": "unknown_method"}


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


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

    Every helper matches :class:`SlackWebApiStandIn`, except that ``wait_for``
    blocks the calling thread instead of being awaited.
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
        """The bodies of the ``chat.postMessage`` calls that were answered ok."""
        return self.standin.posted_messages()

    def wait_for(
        self, method: str, count: int = 1, timeout: float = _DEFAULT_WAIT_SECONDS
    ) -> list[RecordedCall]:
        """Block until at least ``count`` calls to ``method`` arrived; TimeoutError otherwise."""
        return self.standin.wait_for_blocking(method, count, timeout)

    def rate_limit_next(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` calls to ``method`` with HTTP 429 and ``Retry-After``."""
        self.standin.rate_limit_next(method, times, retry_after)

    def fail_next(self, method: str, error: str = "channel_not_found", times: int = 1) -> None:
        """Answer the next ``times`` calls to ``method`` with ``{"ok": false, "error": error}``."""
        self.standin.fail_next(method, error, times)

    def set_response(self, method: str, answer: Answer | Responder) -> None:
        """Answer every later call to ``method`` with ``answer`` (or ``answer(body)``)."""
        self.standin.set_response(method, answer)

    def reset(self) -> None:
        """Forget recorded calls, pending faults and replaced answers."""
        self.standin.reset()


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
    started: concurrent.futures.Future[Callable[[], None]] = concurrent.futures.Future()

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        stop_requested = asyncio.Event()
        await standin.start()
        try:
            started.set_result(lambda: loop.call_soon_threadsafe(stop_requested.set))
            await stop_requested.wait()
        finally:
            await standin.stop()

    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="slack-standin") as pool:
        served = pool.submit(asyncio.run, serve())
        concurrent.futures.wait(
            [started, served], timeout=start_timeout, return_when=concurrent.futures.FIRST_COMPLETED
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
