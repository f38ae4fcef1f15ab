"""Settings as a new user gives them: `.env.example` as shipped, with the two secrets filled in."""

from __future__ import annotations

from pathlib import Path

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


def test_the_shipped_example_with_two_secrets_reads_as_http_mode(tmp_path: Path) -> None:
    """Empty lines such as `SLACK_APP_TOKEN=` count as unset: HTTP mode, signature checks on."""
    settings = Settings(_env_file=_filled_example(tmp_path))
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-0000000000-filled-in"
    assert settings.slack_app_token is None
    assert settings.insecure_skip_auth is False
    check_settings(settings)  # raises for a set-up that would run unauthenticated
