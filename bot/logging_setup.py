"""structlog configuration, with a processor that keeps secrets out of every log line.

Secrets are dropped by key name (token, secret, password, authorization...)
and scrubbed by shape (Slack tokens, bearer tokens, passwords in URLs, and JWTs
such as the Bot Framework and Azure AD tokens Teams traffic carries) so a
library error message that echoes a credential is cleaned too.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from bot.settings import LogFormat

REDACTED = "[redacted]"
_SECRET_KEYS = re.compile(r"token|secret|password|passwd|authorization|cookie|signature", re.I)
_SECRET_SHAPES = (
    re.compile(r"xox[abposr]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?<=://)[^/\s:@]*:[^/\s@]+(?=@)"),
    # A JWT: base64url header (JSON, so "eyJ"), payload and signature (empty when unsigned).
    re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),
)


def scrub(text: str) -> str:
    """Replace anything shaped like a credential."""
    for shape in _SECRET_SHAPES:
        text = shape.sub(REDACTED, text)
    return text


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {
            key: REDACTED if _SECRET_KEYS.search(str(key)) else _redact(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(_redact(item) for item in value)
    return value


def drop_secrets(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: no token, secret or password reaches a log line."""
    del logger, method_name
    for key in list(event_dict):
        if _SECRET_KEYS.search(key):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _redact(event_dict[key])
    return event_dict


_REQUEST_BODY = re.compile(r"(?s)(Invalid request signature detected).*|(Unhandled request) \(.*")


class NoRequestBodies(logging.Filter):
    """Library log lines never carry a request body, and never span lines.

    Bolt logs a rejected request's whole body at INFO ("Invalid request
    signature detected (..., body: ...)", "Unhandled request (...)"): anyone
    could fill the logs, or forge a line with a newline. The line keeps its
    first words; what follows the opening bracket is dropped.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            message = record.getMessage()
            cut = _REQUEST_BODY.sub(
                lambda m: (m.group(1) or m.group(2)) + " (body not logged)", message
            )
            record.msg, record.args = cut.replace("\n", "\\n").replace("\r", "\\r"), None
        return True


def configure_logging(level: str = "INFO", fmt: LogFormat = LogFormat.CONSOLE) -> None:
    """Route structlog and the standard library (bolt, aiohttp, redis) through one pipeline."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt is LogFormat.JSON
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        drop_secrets,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(NoRequestBodies())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=shared,
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(numeric)
