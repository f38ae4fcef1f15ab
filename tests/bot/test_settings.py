"""Settings as a new user gives them: `.env.example` as shipped, with the two secrets filled in."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigurationError
from bot.settings import Settings
from bot.slack.server import check_settings

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"


def _filled_example(tmp_path: Path) -> Path:
    text = EXAMPLE.read_text()
    text = text.replace("SLACK_BOT_TOKEN=\n", "SLACK_BOT_TOKEN=xoxb-0000000000-filled-in\n")
    text = text.replace("SLACK_SIGNING_SECRET=\n", "SLACK_SIGNING_SECRET=filled-in-secret\n")
    env = tmp_path / ".env"
    env.write_text(text)
    return env


def test_the_shipped_example_with_two_secrets_reads_as_http_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Empty lines such as `SLACK_APP_TOKEN=` count as unset: HTTP mode, signature checks on."""
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=_filled_example(tmp_path))
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-0000000000-filled-in"
    assert settings.slack_app_token is None
    assert settings.insecure_skip_auth is False
    check_settings(settings)  # raises for a set-up that would run unauthenticated


def test_every_bad_setting_is_named_in_one_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bad log level, key prefix and production without Redis are reported together, not one per run."""
    for name in ("REDIS_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(
        _env_file=None,
        **{"LOG_LEVEL": "LOUD", "INTAKE_KEY_PREFIX": "bad{prefix}", "INTAKE_ENV": "production"},
    )
    with pytest.raises(ConfigurationError) as caught:
        check_settings(settings)
    message = str(caught.value)
    for name in (
        "LOG_LEVEL",
        "INTAKE_KEY_PREFIX",
        "REDIS_URL",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
    ):
        assert name in message, name


def test_good_settings_have_no_problems() -> None:
    """The defaults with a Redis URL raise nothing."""
    settings = Settings(_env_file=None, **{"REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert settings.problems() == []
