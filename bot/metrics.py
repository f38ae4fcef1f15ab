"""Prometheus metrics for `GET /metrics`, one registry per process (tests run several side by side).

What an operator is paged on: turns by outcome and their latency (the
acknowledgement waits for the turn), calls to the platform's API by method
and status (429s among them), posts the outbox delivered, retried or dropped,
channels being posted to, and Redis failures.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# A turn is a few Redis round trips: milliseconds, with Slack's 3 s as the far end.
TURN_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """Every metric the bot exports."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.turns = Counter(
            "intake_turns",
            "Inbound events by platform, event kind and outcome.",
            ["platform", "kind", "outcome"],
            registry=self.registry,
        )
        self.turn_seconds = Histogram(
            "intake_turn_seconds",
            "Time from an event's arrival to its outcome (the acknowledgement waits for it).",
            ["platform"],
            buckets=TURN_BUCKETS,
            registry=self.registry,
        )
        self.api_calls = Counter(
            "intake_platform_api_calls",
            "Calls to the platform's API by method and result (ok, an error code, or HTTP status).",
            ["platform", "method", "result"],
            registry=self.registry,
        )
        self.posts = Counter(
            "intake_outbox_entries",
            "Outbox entries by what became of them: posted, retried, dropped, gave_up.",
            ["outcome"],
            registry=self.registry,
        )
        self.channels_posting = Gauge(
            "intake_outbox_channels_posting",
            "Channels this process is posting to right now.",
            registry=self.registry,
        )
        self.waiting = Gauge(
            "intake_outbox_waiting_entries",
            "Entries waiting in every channel's outbox at the last sweep (all replicas' work).",
            registry=self.registry,
        )
        self.oldest_waiting = Gauge(
            "intake_outbox_oldest_entry_age_seconds",
            "Age of the oldest entry waiting in any channel's outbox at the last successful "
            "sweep (0: none), by Redis' clock against this host's; it holds its value while "
            "Redis cannot be swept, so alert on intake_redis_errors_total too.",
            registry=self.registry,
        )
        self.intakes = Counter(
            "intake_intakes",
            "Intakes by what happened to them: started, completed (first full summary).",
            ["platform", "event"],
            registry=self.registry,
        )
        self.redis_errors = Counter(
            "intake_redis_errors",
            "Redis failures that refused a turn or interrupted the outbox.",
            ["where"],
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)
