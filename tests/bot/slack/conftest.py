"""Fixtures for the Slack adapter's tests: the app on a real port, the Web API stand-in, signed requests.

The app runs as in production (``slack_server``: aiohttp's AppRunner, Bolt, the
service and a real Redis); only the Web API base URL points at the stand-in.
Requests are signed exactly as Slack signs them. Bolt acknowledges first and
runs a listener afterwards, so a helper that sends a request waits for Bolt's
listener-completion hook before it returns: a test can then assert that
something was *not* posted without sleeping.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis
from slack_bolt.listener.async_listener_completion_handler import AsyncListenerCompletionHandler
from slack_bolt.listener.async_listener_error_handler import AsyncListenerErrorHandler
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.models.blocks import Block

from bot.delivery import DeliveryWorker
from bot.ports import IntakeRef
from bot.runtime import open_runtime
from bot.schedule import ScheduledPosts
from bot.settings import Settings
from bot.slack.app import TurnNotSavedError
from bot.slack.server import slack_server
from conversations.intake import Intake
from testkit.slack_signing import (
    CHANNEL_ID,
    TEAM_ID,
    USER_ID,
    block_actions_body,
    event_callback_body,
    message_event,
    signed_headers,
    slash_command_body,
)
from testkit.slack_standin import RecordedCall, SlackWebApiStandIn

SIGNING_SECRET = "intake-test-signing-secret-8f1c2d"
BOB_ID = "U0BOB0002"
LISTENER_TIMEOUT_SECONDS = 10.0


# -- Bolt's listener hooks: know when the work after the ack is done ---------------------------


@dataclass
class ListenerWatch:
    """Counts finished listener runs and keeps any error a listener raised."""

    completed: int = 0
    errors: list[BaseException] = field(default_factory=list)
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def mark_completed(self) -> None:
        async with self._changed:
            self.completed += 1
            self._changed.notify_all()

    async def wait_until(self, count: int, timeout: float = LISTENER_TIMEOUT_SECONDS) -> None:  # noqa: ASYNC109 - a deadline per call reads best in tests
        """Wait until ``count`` listener runs have finished in total."""
        try:
            async with asyncio.timeout(timeout), self._changed:
                await self._changed.wait_for(lambda: self.completed >= count)
        except TimeoutError:
            raise TimeoutError(
                f"waited {timeout}s for {count} finished listener run(s), got {self.completed}"
            ) from None


class _CountingCompletion(AsyncListenerCompletionHandler):
    def __init__(self, inner: AsyncListenerCompletionHandler, watch: ListenerWatch) -> None:
        self.inner = inner
        self.watch = watch

    async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        await self.inner.handle(request=request, response=response)
        await self.watch.mark_completed()


class _RecordingErrors(AsyncListenerErrorHandler):
    def __init__(self, inner: AsyncListenerErrorHandler, watch: ListenerWatch) -> None:
        self.inner = inner
        self.watch = watch

    async def handle(
        self, error: Exception, request: AsyncBoltRequest, response: BoltResponse | None
    ) -> None:
        if not isinstance(error, TurnNotSavedError):  # a deliberate 503 asking Slack to retry
            self.watch.errors.append(error)
        await self.inner.handle(error=error, request=request, response=response)


# -- what a test reads back --------------------------------------------------------------------


@dataclass(frozen=True)
class HttpAnswer:
    """The app's HTTP answer to one request."""

    status: int
    body: str


def assert_valid_blocks(blocks: list[dict[str, Any]]) -> None:
    """The blocks parse as slack_sdk's models and pass their limit checks."""
    parsed = Block.parse_all(blocks)
    assert len(parsed) == len(blocks)
    for block in parsed:
        assert block is not None
        block.validate_json()


def posted_blocks_and_text(calls: list[RecordedCall]) -> str:
    """Every text and block of the calls, as one JSON string to search."""
    return json.dumps([[c.body.get("text"), c.body.get("blocks")] for c in calls])


def metadata_of(body: dict[str, Any]) -> dict[str, Any]:
    """A posted message's metadata, or an empty dict."""
    metadata = body.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def ref_for(thread: str) -> IntakeRef:
    """The intake of a thread in the test channel."""
    return IntakeRef(platform="slack", workspace=TEAM_ID, channel=CHANNEL_ID, thread=thread)


async def stored_intake(settings: Settings, thread: str) -> Intake | None:
    """The intake record as Redis holds it now, read through a runtime of its own."""
    async with open_runtime(settings) as runtime:
        state = await runtime.service.load(ref_for(thread), USER_ID)
    return state.intake


# -- the app under test ------------------------------------------------------------------------


@dataclass
class SlackBot:
    """The running app, and signed requests to it as Slack sends them."""

    port: int
    api: SlackWebApiStandIn
    session: aiohttp.ClientSession
    watch: ListenerWatch
    settings: Settings
    worker: DeliveryWorker
    posts: ScheduledPosts
    secret: str = SIGNING_SECRET

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    async def get(self, path: str) -> tuple[int, dict[str, Any]]:
        async with self.session.get(f"http://127.0.0.1:{self.port}{path}") as response:
            return response.status, await response.json()

    async def deliver(
        self,
        body: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        retry_num: int | None = None,
    ) -> HttpAnswer:
        """POST one signed request and return the HTTP answer, without waiting for the listener."""
        headers = signed_headers(
            secret or self.secret, body, timestamp=timestamp, retry_num=retry_num
        )
        async with self.session.post(
            self.events_url, data=body.encode(), headers=headers
        ) as response:
            return HttpAnswer(response.status, await response.text())

    async def send(self, body: str, *, retry_num: int | None = None) -> HttpAnswer:
        """Deliver a request that Bolt routes to a listener, and wait until the listener is done."""
        before = self.watch.completed
        answer = await self.deliver(body, retry_num=retry_num)
        assert answer.status == 200, answer
        await self.watch.wait_until(before + 1)
        await self.worker.idle()  # what the turn queued is posted
        return answer

    async def command(self, text: str, *, user_id: str = USER_ID) -> HttpAnswer:
        """Run `/intake <text>` in the test channel."""
        return await self.send(slash_command_body("/intake", text, user_id=user_id))

    async def start_intake(self, project: str, *, user_id: str = USER_ID) -> str:
        """Start an intake; return the ts of its root message (the thread)."""
        before = len(self.api.calls("chat.postMessage"))
        await self.command(project, user_id=user_id)
        calls = await self.api.wait_for("chat.postMessage", before + 2)
        root, question = [call for call in calls[before:] if call.ok]
        assert "thread_ts" not in root.body
        assert question.body["thread_ts"] == root.response["ts"]
        return str(root.response["ts"])

    async def reply(
        self, thread: str, text: str, *, user_id: str = USER_ID, event_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Answer in the thread as a `message` event; return what the bot posted in reply."""
        before = len(self.api.calls("chat.postMessage"))
        event = message_event(text, user_id=user_id, thread_ts=thread)
        answer = await self.send(event_callback_body(event, event_id=event_id))
        assert (answer.status, answer.body) == (200, "")
        return [call.body for call in self.api.calls("chat.postMessage")[before:]]

    async def click(
        self,
        question_post: RecordedCall,
        choice_id: str,
        label: str,
        *,
        user_id: str = USER_ID,
    ) -> HttpAnswer:
        """Click one of the choice buttons of a question the bot posted."""
        question_id = metadata_of(question_post.body)["event_payload"]["question_id"]
        body = block_actions_body(
            f"intake_choice:{choice_id}",
            f"{question_id}:{choice_id}",
            block_id=f"intake_choice:{question_id}",
            action_text=label,
            user_id=user_id,
            message_ts=str(question_post.response["ts"]),
            thread_ts=question_post.body.get("thread_ts"),
            message_text=question_post.body.get("text", ""),
            message_blocks=question_post.body.get("blocks"),
        )
        return await self.send(body)

    async def press(
        self, post: RecordedCall, action_id: str, *, user_id: str = USER_ID
    ) -> HttpAnswer:
        """Click the button `action_id` of a message the bot posted, as Slack sends the click.

        The button must be in the message's blocks: its block id and value come
        from there, so a test cannot click a button the bot never showed.
        """
        found = [
            (block["block_id"], element)
            for block in post.body.get("blocks") or []
            if block.get("type") == "actions"
            for element in block["elements"]
            if element.get("action_id") == action_id
        ]
        assert len(found) == 1, f"no single {action_id} button in {post.body.get('blocks')}"
        block_id, element = found[0]
        body = block_actions_body(
            action_id,
            element["value"],
            block_id=block_id,
            action_text=element["text"]["text"],
            user_id=user_id,
            message_ts=str(post.response["ts"]),
            thread_ts=post.body.get("thread_ts"),
            message_text=post.body.get("text", ""),
            message_blocks=post.body.get("blocks"),
        )
        return await self.send(body)


def posts_of(api: SlackWebApiStandIn, event_type: str) -> list[RecordedCall]:
    """The chat.postMessage calls that posted a message carrying `event_type` metadata."""
    return [
        call
        for call in api.calls("chat.postMessage")
        if call.ok and metadata_of(call.body).get("event_type") == event_type
    ]


def _posts(posts: ScheduledPosts | None) -> ScheduledPosts:
    assert posts is not None, "the Slack server holds its scheduled posts"
    return posts


def make_settings(
    redis_url: str, api: SlackWebApiStandIn, key_prefix: str, state_dir: Path
) -> Settings:
    """Settings as a test needs them, given by their variable names and never from the environment."""
    return Settings(
        _env_file=None,
        **{
            "REDIS_URL": redis_url,
            "SLACK_BOT_TOKEN": api.token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": api.base_url,
            "INTAKE_KEY_PREFIX": key_prefix,
            "INTAKE_STATE_DIR": str(state_dir),
            # Tests post as fast as the stand-in answers; pacing has tests of its own.
            "INTAKE_OUTBOX_RATE_PER_SECOND": "10000",
            "INTAKE_OUTBOX_BURST": "10000",
            "INTAKE_SHUTDOWN_GRACE_SECONDS": "5",
            # Digests and reminders run when a test says so (`SlackBot.posts`), at its time.
            "INTAKE_SCHEDULE_ENABLED": "false",
        },
    )


@asynccontextmanager
async def running_bot(settings: Settings, api: SlackWebApiStandIn) -> AsyncIterator[SlackBot]:
    """The app on a free port; on a clean exit, no listener raised and every post's blocks are valid."""
    async with (
        slack_server(settings, "127.0.0.1", 0) as running,
        aiohttp.ClientSession() as session,
    ):
        watch = ListenerWatch()
        runner = running.bolt.listener_runner
        runner.listener_completion_handler = _CountingCompletion(
            runner.listener_completion_handler, watch
        )
        runner.listener_error_handler = _RecordingErrors(runner.listener_error_handler, watch)
        yield SlackBot(
            port=running.port,
            api=api,
            session=session,
            watch=watch,
            settings=settings,
            worker=running.worker,
            posts=_posts(running.posts),
        )
        assert watch.errors == []
    for call in api.calls():
        if "blocks" in call.body:
            assert_valid_blocks(call.body["blocks"])


@pytest.fixture
async def slack_api() -> AsyncIterator[SlackWebApiStandIn]:
    """The Slack Web API stand-in, recording every call."""
    async with SlackWebApiStandIn() as api:
        yield api


@pytest.fixture
def slack_settings(
    redis_url: str,
    key_prefix: str,
    redis_client: Redis,
    slack_api: SlackWebApiStandIn,
    tmp_path: Path,
) -> Settings:
    """Settings on the test's Redis backend and key prefix (whose keys are deleted afterwards)."""
    del redis_client  # asked for its clean-up of this test's keys
    return make_settings(redis_url, slack_api, key_prefix, tmp_path)


@pytest.fixture
async def slack_bot(
    slack_settings: Settings, slack_api: SlackWebApiStandIn
) -> AsyncIterator[SlackBot]:
    """The Slack app serving on 127.0.0.1, talking to the stand-in."""
    async with running_bot(slack_settings, slack_api) as bot:
        yield bot


def stale_timestamp() -> int:
    """A request time older than the five minutes Slack's verifiers accept."""
    return int(time.time()) - 10 * 60
