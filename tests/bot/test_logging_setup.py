"""The secret filter on every log line: credentials dropped by key name and by shape, nothing else."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from bot.logging_setup import REDACTED, configure_logging, drop_secrets, scrub
from bot.settings import LogFormat


def _b64url(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


# Shaped like the token the Bot Framework sends Teams bots (RS256, issuer api.botframework.com).
JWT = ".".join(
    [
        _b64url({"alg": "RS256", "kid": "test-key", "typ": "JWT"}),
        _b64url({"iss": "https://api.botframework.com", "aud": "00000000-app", "exp": 1700003600}),
        "c2lnbmF0dXJlLW5vdC1yZWFs_-c2lnbmF0dXJl",
    ]
)


def _filtered(**event: Any) -> dict[str, Any]:
    return dict(drop_secrets(None, "info", event))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "posting with xoxb-1234567890-0987654321-AbCdEf failed",
            f"posting with {REDACTED} failed",
            id="bot-token",
        ),
        pytest.param(
            "user token xoxp-1234-5678-90ab-cdef in use",
            f"user token {REDACTED} in use",
            id="user-token",
        ),
        pytest.param(
            "socket mode with xapp-1-A0123456789-1234567890-abcdef0123",
            f"socket mode with {REDACTED}",
            id="app-token",
        ),
        pytest.param(
            "sent Authorization: Bearer s3cr3t.Value_42=",
            f"sent Authorization: {REDACTED}",
            id="bearer-header",
        ),
        pytest.param(
            "cannot reach redis://:hunter2@redis.internal:6379/0",
            f"cannot reach redis://{REDACTED}@redis.internal:6379/0",
            id="password-only-url",
        ),
        pytest.param(
            "cannot reach rediss://intake:hunter2@redis.internal:6380/0",
            f"cannot reach rediss://{REDACTED}@redis.internal:6380/0",
            id="user-and-password-url",
        ),
        pytest.param(f"token was {JWT}, rejected", f"token was {REDACTED}, rejected", id="jwt"),
        pytest.param(f"Bearer {JWT}", REDACTED, id="jwt-as-bearer"),
    ],
)
def test_scrub_replaces_each_credential_shape(text: str, expected: str) -> None:
    """Slack tokens, bearer headers, passwords in URLs and JWTs are replaced where they stand."""
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "40 GB a day",
        "1700000000.000100",
        "thread 1700000000.000100 in C0123ABCD by U0456EFGH",
        "redis://redis.internal:6379/0",
        "https://hooks.slack.com/commands/T0001/1234/abcd",
        "they.JSON-encode.it",
        "xgboost, about $300 to train",
    ],
)
def test_scrub_leaves_ordinary_text_alone(text: str) -> None:
    """Answers, Slack ts and ids, and URLs without a password come through unchanged."""
    assert scrub(text) == text


@pytest.mark.parametrize(
    "key", ["token", "bot_token", "client_secret", "password", "Authorization", "cookie"]
)
@pytest.mark.parametrize("value", ["plain words", 12345, None, {"nested": "dict"}])
def test_secret_named_keys_are_dropped_whatever_their_value(key: str, value: Any) -> None:
    """A key named like a credential is redacted even when its value looks harmless."""
    assert _filtered(event="intake.started", **{key: value})[key] == REDACTED


def test_nested_dicts_and_lists_are_scrubbed() -> None:
    """Secret keys and shapes deep inside dicts, lists and tuples are redacted; the rest is kept."""
    event = _filtered(
        event="slack.call_failed",
        request={
            "headers": {"Authorization": "Bearer abc", "Content-Type": "application/json"},
            "retries": [{"token": "anything"}, f"jwt {JWT}", 3],
            "where": ("C0123ABCD", "1700000000.000100"),
        },
    )

    assert event["request"] == {
        "headers": {"Authorization": REDACTED, "Content-Type": "application/json"},
        "retries": [{"token": REDACTED}, f"jwt {REDACTED}", 3],
        "where": ("C0123ABCD", "1700000000.000100"),
    }


def test_ordinary_fields_pass_through_unchanged() -> None:
    """An event with no credential in it comes out exactly as it went in."""
    event = {"event": "intake.answer", "answer": "40 GB a day", "ts": "1700000000.000100", "n": 3}

    assert _filtered(**event) == event


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put structlog's configuration and the root logger back as they were."""
    saved_config = structlog.get_config()
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        yield
    finally:
        structlog.configure(**saved_config)
        root.handlers = saved_handlers
        root.setLevel(saved_level)


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("fmt", list(LogFormat))
def test_jwt_in_a_structlog_event_never_reaches_the_output(
    fmt: LogFormat, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through configure_logging's real pipeline, a JWT in the message or a field is not written."""
    configure_logging("INFO", fmt)

    structlog.get_logger("intake.test").warning(
        f"teams auth failed for {JWT}", activity={"serviceUrl": "https://smba.example", "raw": JWT}
    )

    line = capsys.readouterr().err
    assert "teams auth failed for" in line
    assert "smba.example" in line
    assert JWT not in line
    assert JWT.split(".")[1] not in line
    assert line.count(REDACTED) == 2


@pytest.mark.usefixtures("restore_logging")
def test_a_library_log_record_is_scrubbed_too(capsys: pytest.CaptureFixture[str]) -> None:
    """A standard-library logger (as aiohttp or botbuilder use) goes through the same filter."""
    configure_logging("INFO", LogFormat.JSON)

    logging.getLogger("botbuilder.test").error("token rejected: %s", JWT)

    line = capsys.readouterr().err
    assert json.loads(line)["event"] == f"token rejected: {REDACTED}"


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize(
    "message",
    [
        "Invalid request signature detected (signature: v0=abc, timestamp: 1, body: {'x': 'SECRET BODY'})",
        "Unhandled request ({'type': 'SECRET BODY'})",
    ],
    ids=["rejected", "unhandled"],
)
def test_a_request_body_that_bolt_logs_never_reaches_the_output(
    message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bolt's lines about a rejected or unhandled request keep their first words, not the body."""
    configure_logging("INFO", LogFormat.CONSOLE)
    logging.getLogger("tests.bolt_like").warning(message)  # as Bolt words it, at a level shown
    out = capsys.readouterr().err
    assert "SECRET BODY" not in out
    assert "(body not logged)" in out


@pytest.mark.usefixtures("restore_logging")
def test_a_newline_in_a_library_message_cannot_forge_a_second_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A message carrying a newline is written as one line, the newline shown as \\n."""
    configure_logging("INFO", LogFormat.CONSOLE)
    logging.getLogger("aiohttp.server").info("first\n2026-01-01 [critical ] forged")
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "first\\n2026-01-01" in lines[0]
