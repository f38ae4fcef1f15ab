"""Turn cost against an intake's history: the stored record and a turn's p50 at 10 and 1,500 answers.

A turn loads the intake record, steps, and writes it back whole, so the
record must not grow with the answers given. Four people keep revising their
answers in one thread: once before the first summary, and once after it,
where the scope-creep guard writes every change to the history log and
nearly every change raises a warning nobody decides. At each size this prints:
- the record's stored bytes;
- the answer log's length (and, after the baseline, the history log's);
- the median of the last (up to) 200 answering turns through `bot/service` on
  real Redis.

    python bench/turn_cost.py [--sizes 10 1500] [--turns 200]

Uses REDIS_URL when set (with a private key prefix, removed afterwards),
else the embedded Redis in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from redis.asyncio import Redis

from bot.ports import IntakeRef
from bot.service import IntakeService
from bot.state.keys import answer_log_key, history_log_key, intake_key
from bot.state.redis_client import connect
from bot.state.store import StateStore
from conversations.events import Start, Text
from testkit.answers import HAPPY_ANSWERS
from testkit.redis_servers import delete_prefix

REF = IntakeRef("bench", "T0BENCH", "C0BENCH", "1700000000.000100")
PEOPLE = ("U0ALICE01", "U0BOB0002", "U0CAROL03", "U0DAVE004")


def _text(user: str, text: str) -> Text:
    return Text(user=user, at=datetime.now(UTC), text=text)


async def _answer(service: IntakeService, ref: IntakeRef, n: int) -> float:
    """One revised answer (an `edit`, then the answer); the seconds the answer's turn took."""
    user = PEOPLE[n % len(PEOPLE)]
    await service.take_turn(ref, _text(user, "edit volume"))
    began = time.perf_counter()
    outcome = await service.take_turn(ref, _text(user, f"{10 + n % 90} GB a day"))
    took = time.perf_counter() - began
    if outcome.answered != "volume":
        raise RuntimeError(f"turn {n} did not save its answer: {outcome.replies}")
    return took


async def run(sizes: list[int], turns: int) -> None:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as state_dir:
        async with connect(os.environ.get("REDIS_URL") or None, Path(state_dir)) as handle:
            store = StateStore(handle.client, prefix)
            service = IntakeService(
                store=store, prefix=prefix, place_ttl_seconds=3600, delivery_ttl_seconds=3600
            )
            try:
                print(f"redis: {handle.display_url}; four people revising answers in one thread")
                for baseline in (False, True):
                    ref = REF.in_thread("1700000000.000200" if baseline else REF.thread)
                    await service.take_turn(
                        ref, Start(user=PEOPLE[0], at=datetime.now(UTC), project="Bench")
                    )
                    if baseline:
                        print("after the first summary (every change in the history):")
                        for text in HAPPY_ANSWERS.values():
                            await service.take_turn(ref, _text(PEOPLE[0], text))
                    else:
                        print("before the first summary:")
                    took: list[float] = []
                    for given in range(1, max(sizes) + 1):
                        took.append(await _answer(service, ref, given))
                        if given in sizes:
                            await _report(
                                handle.client, prefix, ref, given, took[-min(turns, given) :]
                            )
            finally:
                await delete_prefix(handle.client, prefix)


async def _report(
    client: Redis, prefix: str, ref: IntakeRef, given: int, window: list[float]
) -> None:
    record = await client.hget(intake_key(ref, prefix), "d") or b""
    log = await client.llen(answer_log_key(ref, prefix))
    history = await client.llen(history_log_key(ref, prefix))
    print(
        f"  at {given:,} revisions: record {len(record):,} B, answer log {log:,} entries, "
        f"history {history:,}; turn p50 {statistics.median(window) * 1000:.2f} ms "
        f"over its last {len(window)} answers"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1500])
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(run(args.sizes, args.turns))


if __name__ == "__main__":
    main()
