"""Settings, read once from the environment (and `.env`) in the entry point and passed down.

No module reads `os.environ` at import time; tests build a `Settings` with
the values they need. Secrets are `SecretStr` so that printing or logging a
settings object never shows them.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.state.keys import check_prefix

SLACK_API_DEFAULT = "https://slack.com/api/"
DAY_SECONDS = 24 * 60 * 60


class LogFormat(StrEnum):
    """JSON for log collectors, console for people."""

    JSON = "json"
    CONSOLE = "console"


class Settings(BaseSettings):
    """Every setting the bot reads; the names are those `.env.example` documents."""

    # Only the names below are read: field names are no environment variables of their own,
    # so a look-alike such as INSECURE_SKIP_AUTH cannot switch anything. An empty value
    # (`SLACK_APP_TOKEN=` as .env.example ships it) counts as unset, not as an empty secret.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    redis_url: SecretStr | None = Field(default=None, validation_alias="REDIS_URL")
    state_dir: Path = Field(default=Path(".intake"), validation_alias="INTAKE_STATE_DIR")
    key_prefix: str = Field(default="intake", validation_alias="INTAKE_KEY_PREFIX")
    place_ttl_seconds: int = Field(
        default=30 * DAY_SECONDS, gt=0, validation_alias="INTAKE_PLACE_TTL_SECONDS"
    )
    delivery_ttl_seconds: int = Field(
        default=DAY_SECONDS, gt=0, validation_alias="INTAKE_DELIVERY_TTL_SECONDS"
    )
    # A burst of requests waits up to the timeout for one of the pool's connections
    # instead of failing at once.
    redis_max_connections: int = Field(
        default=64, gt=0, validation_alias="INTAKE_REDIS_MAX_CONNECTIONS"
    )
    redis_pool_timeout_seconds: float = Field(
        default=2.0, gt=0, validation_alias="INTAKE_REDIS_POOL_TIMEOUT_SECONDS"
    )
    # On SIGTERM: turns in flight finish, then the outbox drains for up to this long;
    # deploy/k8s' terminationGracePeriodSeconds leaves room for it.
    shutdown_grace_seconds: float = Field(
        default=25.0, ge=0, validation_alias="INTAKE_SHUTDOWN_GRACE_SECONDS"
    )
    # Posts per second per channel, with short bursts (Slack: about one a second).
    outbox_rate_per_second: float = Field(
        default=1.0, gt=0, validation_alias="INTAKE_OUTBOX_RATE_PER_SECOND"
    )
    outbox_burst: int = Field(default=4, gt=0, validation_alias="INTAKE_OUTBOX_BURST")
    # A channel's lease: how long a dead replica's channels wait before another takes them over.
    outbox_lease_seconds: float = Field(
        default=10.0, ge=1, validation_alias="INTAKE_OUTBOX_LEASE_SECONDS"
    )
    # How often each replica looks for channels whose posts a dead process left behind.
    outbox_sweep_seconds: float = Field(
        default=5.0, gt=0, validation_alias="INTAKE_OUTBOX_SWEEP_SECONDS"
    )

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default=SLACK_API_DEFAULT, validation_alias="SLACK_API_URL")

    microsoft_app_id: str | None = Field(default=None, validation_alias="MICROSOFT_APP_ID")
    microsoft_app_password: SecretStr | None = Field(
        default=None, validation_alias="MICROSOFT_APP_PASSWORD"
    )
    microsoft_app_tenant_id: str | None = Field(
        default=None, validation_alias="MICROSOFT_APP_TENANT_ID"
    )

    # Switching request authentication off is for local development only, and explicit.
    insecure_skip_auth: bool = Field(default=False, validation_alias="INTAKE_INSECURE_SKIP_AUTH")

    # `production` (set in the container image) refuses the embedded Redis: it is for trials.
    environment: str = Field(default="development", validation_alias="INTAKE_ENV")

    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    log_format: LogFormat = Field(default=LogFormat.CONSOLE, validation_alias="LOG_FORMAT")

    def problems(self) -> list[str]:
        """Every setting that cannot work for a server, each with what would, all at once."""
        found: list[str] = []
        if not isinstance(logging.getLevelName(self.log_level.upper()), int):
            found.append(
                f"LOG_LEVEL={self.log_level!r} is not a level; use DEBUG, INFO, WARNING or ERROR."
            )
        try:
            check_prefix(self.key_prefix)
        except ValueError as exc:
            found.append(f"INTAKE_KEY_PREFIX: {exc}")
        if self.redis_url is None and self.environment == "production":
            found.append(
                "REDIS_URL is not set and INTAKE_ENV=production: the embedded Redis is for local "
                "trials only. Set REDIS_URL to a Redis with persistence on."
            )
        return found

    def redis_url_value(self) -> str | None:
        """The Redis URL for the client; None means run the embedded server."""
        return self.redis_url.get_secret_value() if self.redis_url else None
