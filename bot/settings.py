"""Settings, read once in the entry point (`load_settings()`) and passed down.

A setting comes from, first to last: the environment, `.env`, and a file named
like the variable in the directory INTAKE_SECRETS_DIR names (a Kubernetes
Secret mounted as files, deploy/k8s/slack.yaml). No module reads `os.environ`
at import time; tests build a `Settings` with the values they need. Secrets are
`SecretStr` so that printing or logging a settings object never shows them.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.state.keys import check_prefix

SLACK_API_DEFAULT = "https://slack.com/api/"
DAY_SECONDS = 24 * 60 * 60
ENV_FILE = ".env"


class LogFormat(StrEnum):
    """JSON for log collectors, console for people."""

    JSON = "json"
    CONSOLE = "console"


class MicrosoftAppType(StrEnum):
    """How the Teams bot's Azure registration signs in: any tenant, or its own only."""

    MULTI_TENANT = "MultiTenant"
    SINGLE_TENANT = "SingleTenant"


class Settings(BaseSettings):
    """Every setting the bot reads; the names are those `.env.example` documents."""

    # Only the names below are read: field names are no environment variables of their own,
    # so a look-alike such as INSECURE_SKIP_AUTH cannot switch anything. An empty value
    # (`SLACK_APP_TOKEN=` as .env.example ships it) counts as unset, not as an empty secret;
    # `_empty_is_unset` below does the same for an empty secret file.
    model_config = SettingsConfigDict(env_file=ENV_FILE, extra="ignore", env_ignore_empty=True)

    # Where `load_settings()` reads secret files from; `problems()` names a missing directory.
    secrets_dir: Path | None = Field(default=None, validation_alias="INTAKE_SECRETS_DIR")

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

    # Digests and reminders (bot.schedule). A reminder goes to an intake idle this long.
    remind_after_hours: float = Field(
        default=24.0, gt=0, validation_alias="INTAKE_REMIND_AFTER_HOURS"
    )
    # How often each replica looks for digests and reminders that are due.
    schedule_tick_seconds: float = Field(
        default=60.0, gt=0, validation_alias="INTAKE_SCHEDULE_TICK_SECONDS"
    )
    # A replica that claimed a due post and died holds it up for this long, then another
    # replica takes it over.
    schedule_claim_seconds: float = Field(
        default=120.0, gt=0, validation_alias="INTAKE_SCHEDULE_CLAIM_SECONDS"
    )
    # In-process scheduling on or off (off when a CronJob runs `intake-bot digest --once`).
    schedule_enabled: bool = Field(default=True, validation_alias="INTAKE_SCHEDULE_ENABLED")

    # A connection that sends nothing, or never finishes its headers, is closed after this
    # long; above the 60 s idle timeout of common load balancers, so they close first.
    http_idle_timeout_seconds: float = Field(
        default=75.0, gt=0, validation_alias="INTAKE_HTTP_IDLE_TIMEOUT_SECONDS"
    )

    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default=SLACK_API_DEFAULT, validation_alias="SLACK_API_URL")

    # The Teams bot's Azure registration. Single-tenant bots (what Azure creates today) also
    # need their tenant id.
    microsoft_app_id: str | None = Field(default=None, validation_alias="MICROSOFT_APP_ID")
    microsoft_app_password: SecretStr | None = Field(
        default=None, validation_alias="MICROSOFT_APP_PASSWORD"
    )
    microsoft_app_type: MicrosoftAppType = Field(
        default=MicrosoftAppType.SINGLE_TENANT, validation_alias="MICROSOFT_APP_TYPE"
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

    @field_validator(
        "redis_url",
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "microsoft_app_id",
        "microsoft_app_password",
        "microsoft_app_tenant_id",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """An empty value counts as unset from every source, secret files included.

        pydantic-settings drops empty environment variables (`env_ignore_empty`) but not
        empty files: a Secret made with `--from-literal=SLACK_APP_TOKEN=` would otherwise
        switch Socket Mode on with an empty token.
        """
        return None if value == "" else value

    def problems(self) -> list[str]:
        """Every setting that cannot work for a server, each with what would, all at once."""
        found: list[str] = []
        if self.secrets_dir is not None and not self.secrets_dir.is_dir():
            found.append(
                f"INTAKE_SECRETS_DIR={str(self.secrets_dir)!r} is not a directory, so no "
                "setting was read from files. Mount the Secret there (deploy/k8s/slack.yaml) "
                "or unset INTAKE_SECRETS_DIR."
            )
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


def load_settings(*, env_file: Path | str | None = ENV_FILE) -> Settings:
    """The entry points' settings: the environment, then `env_file`, then INTAKE_SECRETS_DIR.

    When INTAKE_SECRETS_DIR (from the environment or `env_file`) names a directory, each
    setting may also be a file there named like its variable, such as SLACK_BOT_TOKEN or
    REDIS_URL; the environment and `env_file` win over a file, and surrounding whitespace
    (the trailing newline a file often has) is stripped. A directory that is not there is
    left for `problems()` to report along with everything else, rather than ignored.
    """
    settings = Settings(_env_file=env_file)
    folder = settings.secrets_dir
    if folder is None or not folder.is_dir():
        return settings
    return Settings(_env_file=env_file, _secrets_dir=folder)
