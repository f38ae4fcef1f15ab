"""Dialogue throughput: simulated people answering intakes through `bot/service` on a real Redis.

Prints turns per second and p50 / p99 turn latency. Target on a 2-core
machine with 32 people at once in one process: >= 1,000 turns/s, p99 <= 10 ms.

People work in groups per intake thread (one paced run each for 1, 2 and 4
people a thread; a group shares one intake, so turns on it queue and
compare-and-set retries are part of the figure); each answers its current
question, and when an intake's summary is out the group starts a new thread.
Four people in one thread at this rate send ~150 turns a second into one
intake, far above what a chat thread sees, so that run shows queueing on
one record rather than a usual load.

Two runs:
- paced: the 32 people together send `--rate` turns a second (each waits a
  random, exponentially distributed think time between turns), which is how
  people in chat behave; this is the run the latency target applies to. With
  no think time at all, Little's law makes 32 people in flight at 1,000 turns/s
  wait 32 ms on average whatever the code does.
- flat out: no think time, to show the ceiling the paced run sits under.

    python bench/dialogue.py [--people 32] [--per-thread 1 2 4] [--rate 1200] [--seconds 10]

Uses REDIS_URL when set (with a private key prefix, removed afterwards),
else the embedded Redis in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from bot.logging_setup import configure_logging
from bot.ports import IntakeRef, TurnStatus
from bot.service import IntakeService, utc_now
from bot.state.redis_client import connect
from bot.state.store import StateStore
from conversations.events import Start, Text
from conversations.replies import QuestionReply

ANSWERS = {
    "volume": "40 GB a day",
    "stakeholders": "@maria, the fraud team",
    "churn": "hourly",
    "decay": "every 30 days",
    "frequency": "50k calls an hour",
    "config": "no",
    "sla": "under 100 ms",
    "customer": "partner apps over the internet",
    "model": "xgboost, about $300 to train",
}


async def person(
    service: IntakeService,
    name: str,
    *,
    group: int,
    budget: list[int],
    latencies: list[float],
    thread_of: dict[int, int],
    mean_think: float = 0.0,
) -> None:
    """Answer the question the last reply asked, until the shared turn budget is spent.

    A person joins a thread with a Start (which asks their current question),
    and moves to the group's next thread once the summary is out.
    """
    current: str | None = None
    thread = -1
    loop = asyncio.get_running_loop()
    due = loop.time()
    while budget[0] > 0:
        if mean_think:
            due += random.expovariate(1 / mean_think)
            await asyncio.sleep(max(0.0, due - loop.time()))
        if thread != thread_of[group]:
            thread, current = thread_of[group], None
        ref = IntakeRef(platform="bench", workspace="W", channel=f"C{group}", thread=str(thread))
        event: Start | Text = (
            Start(user=name, at=utc_now(), project=f"bench {group}")
            if current is None
            else Text(user=name, at=utc_now(), text=ANSWERS[current])
        )
        budget[0] -= 1
        started = time.perf_counter()
        outcome = await service.take_turn(ref, event)
        latencies.append(time.perf_counter() - started)
        if outcome.status is not TurnStatus.APPLIED:
            raise RuntimeError(f"turn not saved: {outcome.replies}")
        asked = [r for r in outcome.replies if isinstance(r, QuestionReply)]
        current = asked[-1].question_id if asked else None
        if current is None and thread_of[group] == thread:
            thread_of[group] = thread + 1


def _report(label: str, latencies: list[float], elapsed: float) -> None:
    quantiles = statistics.quantiles(latencies, n=100)
    print(
        f"{label}: {len(latencies) / elapsed:,.0f} turns/s over {len(latencies):,} turns; "
        f"latency p50 {quantiles[49] * 1000:.2f} ms, p99 {quantiles[98] * 1000:.2f} ms"
    )


async def _drive(
    service: IntakeService, people: int, *, per_thread: int, turns: int, mean_think: float, tag: str
) -> tuple[list[float], float]:
    groups = max(1, people // per_thread)
    thread_of = dict.fromkeys(range(groups), 0)
    budget = [turns]
    latencies: list[float] = []
    started = time.perf_counter()
    await asyncio.gather(
        *(
            person(
                service,
                f"{tag}{i}",
                group=i % groups,
                budget=budget,
                latencies=latencies,
                thread_of=thread_of,
                mean_think=mean_think,
            )
            for i in range(people)
        )
    )
    return latencies, time.perf_counter() - started


async def run(people: int, sizes: list[int], rate: float, seconds: float) -> None:
    """Warm up, then a paced run per thread size and one flat-out run; print the figures."""
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    results: list[tuple[str, list[float], float]] = []
    with tempfile.TemporaryDirectory() as state_dir:
        handle = connect(os.environ.get("REDIS_URL"), Path(state_dir))
        try:
            store = StateStore(handle.client, prefix=prefix)
            service = IntakeService(
                store=store, prefix=prefix, place_ttl_seconds=3600, delivery_ttl_seconds=3600
            )
            print(f"redis: {handle.display_url}; {people} people at once")
            await _drive(
                service, people, per_thread=1, turns=20 * people, mean_think=0.0, tag="warm"
            )
            turns = int(rate * seconds)
            for size in sizes:
                latencies, elapsed = await _drive(
                    service,
                    people,
                    per_thread=size,
                    turns=turns,
                    mean_think=people / rate,
                    tag=f"paced{size}-",
                )
                label = f"paced at {rate:,.0f}/s offered, {size} per thread"
                results.append((label, latencies, elapsed))
            latencies, elapsed = await _drive(
                service, people, per_thread=sizes[-1], turns=turns, mean_think=0.0, tag="flat"
            )
            results.append((f"flat out, {sizes[-1]} per thread", latencies, elapsed))
        finally:
            async for key in handle.client.scan_iter(match=f"{prefix}:*", count=1000):
                await handle.client.delete(key)
            await handle.aclose()
    for label, latencies, elapsed in results:
        _report(label, latencies, elapsed)
    print("target: paced >= 1,000 turns/s with p99 <= 10 ms")


def main() -> None:
    """Parse arguments and run."""
    configure_logging("WARNING")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=32)
    parser.add_argument(
        "--per-thread",
        type=int,
        nargs="+",
        default=[1, 2, 4],
        help="people answering in one thread; one paced run for each size",
    )
    parser.add_argument("--rate", type=float, default=1200.0, help="offered turns/s, paced run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each run")
    args = parser.parse_args()
    asyncio.run(run(args.people, args.per_thread, args.rate, args.seconds))


if __name__ == "__main__":
    main()
