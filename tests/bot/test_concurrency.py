"""Two OS processes writing into one intake at once lose nothing and double nothing.

Each process is a separate Python interpreter (multiprocessing's 'spawn'),
with its own Redis connection and IntakeService, as two replicas of the bot
would be. Both answer the `stakeholders` question 500 times with texts of
their own; afterwards the intake record must hold all 1000 answers, each
exactly once, and its version must have moved on once per answer.

The Redis is REDIS_URL's server when that is set, else a private
`redis-server` started for this test; keys live under a unique prefix that is
deleted afterwards.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest
import redis

from bot.logging_setup import configure_logging
from bot.ports import IntakeRef, TurnStatus
from bot.service import IntakeService
from bot.state.keys import answer_log_key, intake_key
from bot.state.redis_client import RedisHandle, connect
from bot.state.store import StateStore
from conversations import messages as msg
from conversations.events import Choose, Start
from conversations.intake import AnswerRecord, Intake
from conversations.replies import Notice, Tone
from testkit.redis_servers import unique_prefix

REF = IntakeRef("slack", "T0001", "C0CONCUR", "1718000000.000100")
WORKERS = 2
ANSWERS_PER_WORKER = 500
JOIN_TIMEOUT_SECONDS = 300
BARRIER_TIMEOUT_SECONDS = 120
MAX_RESENDS = 20
BUSY = Notice(template=msg.BUSY_RETRY, tone=Tone.PROBLEM)


def _service(url: str, state_dir: Path, prefix: str) -> tuple[IntakeService, RedisHandle]:
    handle = connect(url, state_dir)
    store = StateStore(handle.client, prefix)
    service = IntakeService(
        store=store, prefix=prefix, place_ttl_seconds=3600, delivery_ttl_seconds=3600
    )
    return service, handle


async def _answer_many(url: str, state_dir: Path, prefix: str, worker: int) -> dict[str, Any]:
    """Answer 500 times; an answer refused as busy is sent again, as its person is asked to.

    A resend is a new message, so it carries a new delivery id: if a busy reply
    had written anything, the answer would show up twice.
    """
    service, handle = _service(url, state_dir, prefix)
    unsaved: list[str] = []
    busy = duplicates = 0
    try:
        for n in range(ANSWERS_PER_WORKER):
            value = f"p{worker}-{n}"
            for resend in range(MAX_RESENDS + 1):
                outcome = await service.take_turn(
                    REF,
                    Choose(
                        user=f"U{worker}",
                        at=datetime.now(UTC),
                        question_id="stakeholders",
                        value=value,
                    ),
                    delivery=f"{value}-{resend}",
                )
                duplicates += outcome.status is TurnStatus.DUPLICATE
                if outcome.applied:
                    break
                assert outcome.replies == (BUSY,), outcome.replies
                busy += 1
            else:
                unsaved.append(value)
    finally:
        await handle.aclose()
    return {"worker": worker, "unsaved": unsaved, "busy": busy, "duplicates": duplicates}


def answer_many(
    target: tuple[str, str, str], worker: int, barrier: Barrier, results: Queue[Any]
) -> None:
    """One process: wait for the other at the barrier, then write 500 answers.

    It always reports, so the parent never waits for a process that failed.
    """
    url, state_dir, prefix = target
    configure_logging("WARNING")
    try:
        barrier.wait(BARRIER_TIMEOUT_SECONDS)
        results.put(asyncio.run(_answer_many(url, Path(state_dir), prefix, worker)))
    except Exception:
        results.put({"worker": worker, "error": traceback.format_exc()})
        raise


@pytest.fixture
def shared_redis_url(request: pytest.FixtureRequest) -> str:
    """REDIS_URL's server when set, else a private redis-server for this test."""
    configured = os.environ.get("REDIS_URL")
    if configured:
        return configured
    server = request.getfixturevalue("private_redis")
    url: str = server.url
    return url


@pytest.fixture
def prefix(shared_redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own, deleted afterwards."""
    own = unique_prefix()
    yield own
    client = redis.Redis.from_url(shared_redis_url)
    try:
        for key in client.scan_iter(match=f"{own}:*", count=500):
            client.unlink(key)
    finally:
        client.close()


async def _start_intake(url: str, state_dir: Path, prefix: str) -> None:
    service, handle = _service(url, state_dir, prefix)
    try:
        outcome = await service.take_turn(
            REF, Start(user="U0", at=datetime.now(UTC), project="Concurrency")
        )
        assert outcome.applied
    finally:
        await handle.aclose()


def test_two_processes_writing_500_answers_each_into_one_intake_lose_none(
    shared_redis_url: str, prefix: str, tmp_path: Path
) -> None:
    """1000 answers from two processes at once are all in the intake, each exactly once."""
    asyncio.run(_start_intake(shared_redis_url, tmp_path, prefix))
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WORKERS)
    results: Queue[Any] = context.Queue()
    processes = [
        context.Process(
            target=answer_many,
            args=((shared_redis_url, str(tmp_path), prefix), worker, barrier, results),
        )
        for worker in range(1, WORKERS + 1)
    ]
    began = time.perf_counter()
    for process in processes:
        process.start()
    reports = [results.get(timeout=JOIN_TIMEOUT_SECONDS) for _ in processes]
    for process in processes:
        process.join(JOIN_TIMEOUT_SECONDS)
    elapsed = time.perf_counter() - began
    results.close()
    results.join_thread()

    assert [report.get("error") for report in reports] == [None] * WORKERS
    assert [process.exitcode for process in processes] == [0] * WORKERS
    assert sorted(report["worker"] for report in reports) == list(range(1, WORKERS + 1))
    assert [report["unsaved"] for report in reports] == [[]] * WORKERS
    assert [report["duplicates"] for report in reports] == [0] * WORKERS
    busy = [report["busy"] for report in reports]
    print(f"{WORKERS} processes x {ANSWERS_PER_WORKER} answers in {elapsed:.1f}s; busy: {busy}")

    client = redis.Redis.from_url(shared_redis_url)
    try:
        version, data = client.hmget(intake_key(REF, prefix), ["v", "d"])
        log = client.lrange(answer_log_key(REF, prefix), 0, -1)
    finally:
        client.close()
    assert data is not None
    intake = Intake.model_validate_json(data)
    logged = [AnswerRecord.model_validate_json(row) for row in log]
    counts = Counter(record.text for record in logged)
    expected = {
        f"p{worker}-{n}" for worker in range(1, WORKERS + 1) for n in range(ANSWERS_PER_WORKER)
    }
    assert set(counts) == expected
    assert set(counts.values()) == {1}
    assert len(logged) == intake.answer_count == WORKERS * ANSWERS_PER_WORKER
    assert {record.question_id for record in logged} == {"stakeholders"}
    assert version is not None
    assert int(version) == 1 + WORKERS * ANSWERS_PER_WORKER
    for worker in range(1, WORKERS + 1):
        own = [r.text for r in logged if r.by == f"U{worker}"]
        assert own == [f"p{worker}-{n}" for n in range(ANSWERS_PER_WORKER)]
    # The record keeps each person's latest answer only: its size does not grow with the log.
    assert sorted(r.text for r in intake.answers) == [
        f"p{worker}-{ANSWERS_PER_WORKER - 1}" for worker in range(1, WORKERS + 1)
    ]
