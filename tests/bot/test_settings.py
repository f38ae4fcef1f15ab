"""Settings as a new user gives them: `.env.example` as shipped, with the two secrets filled in."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigurationError
from bot.settings import Settings, load_settings
from bot.slack.server import check_settings

EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"
SECRET_NAMES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "REDIS_URL")


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


def _mounted_secret(tmp_path: Path, files: dict[str, str]) -> Path:
    """A Secret laid out as the kubelet mounts one: each key a link through `..data`."""
    mount = tmp_path / "secrets"
    version = mount / "..2025_01_01_00_00_00.000000000"
    version.mkdir(parents=True)
    for name, text in files.items():
        (version / name).write_text(text)
    (mount / "..data").symlink_to(version.name)
    for name in files:
        (mount / name).symlink_to(f"..data/{name}")
    return mount


@pytest.fixture
def secrets_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No secret reaches a test from the environment the suite runs in."""
    for name in (*SECRET_NAMES, "INTAKE_SECRETS_DIR"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_secrets_are_read_from_the_files_of_a_mounted_secret(
    tmp_path: Path, secrets_env: pytest.MonkeyPatch
) -> None:
    """With INTAKE_SECRETS_DIR set, a file named like a variable gives that setting."""
    mount = _mounted_secret(
        tmp_path,
        {
            "SLACK_BOT_TOKEN": "xoxb-0000000000-from-a-file",
            "SLACK_SIGNING_SECRET": "signing-secret-from-a-file",
            "REDIS_URL": "redis://:password@intake-bot-redis:6379/0",
        },
    )
    secrets_env.setenv("INTAKE_SECRETS_DIR", str(mount))
    settings = load_settings(env_file=None)
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-0000000000-from-a-file"
    assert settings.redis_url_value() == "redis://:password@intake-bot-redis:6379/0"
    assert settings.slack_app_token is None
    assert settings.problems() == []
    check_settings(settings)  # the Secret alone is a complete HTTP-mode set-up


def test_an_environment_variable_wins_over_a_file(
    tmp_path: Path, secrets_env: pytest.MonkeyPatch
) -> None:
    """The environment comes first, so one variable can override a mounted Secret's key."""
    mount = _mounted_secret(tmp_path, {"SLACK_BOT_TOKEN": "xoxb-0000000000-from-a-file"})
    secrets_env.setenv("INTAKE_SECRETS_DIR", str(mount))
    secrets_env.setenv("SLACK_BOT_TOKEN", "xoxb-0000000000-from-the-environment")
    settings = load_settings(env_file=None)
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-0000000000-from-the-environment"


def test_a_files_trailing_newline_is_not_part_of_the_secret(
    tmp_path: Path, secrets_env: pytest.MonkeyPatch
) -> None:
    """`kubectl create secret --from-file` keeps an editor's newline; the token must not."""
    mount = _mounted_secret(
        tmp_path,
        {"SLACK_BOT_TOKEN": "xoxb-0000000000-with-newline\n", "REDIS_URL": "redis://r:6379/0\r\n"},
    )
    secrets_env.setenv("INTAKE_SECRETS_DIR", str(mount))
    settings = load_settings(env_file=None)
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-0000000000-with-newline"
    assert settings.redis_url_value() == "redis://r:6379/0"


def test_an_empty_file_counts_as_unset(tmp_path: Path, secrets_env: pytest.MonkeyPatch) -> None:
    """An empty SLACK_APP_TOKEN key leaves Socket Mode off, as an empty variable does."""
    mount = _mounted_secret(
        tmp_path,
        {
            "SLACK_BOT_TOKEN": "xoxb-0000000000-filled-in",
            "SLACK_SIGNING_SECRET": "filled-in-secret",
            "SLACK_APP_TOKEN": "\n",
        },
    )
    secrets_env.setenv("INTAKE_SECRETS_DIR", str(mount))
    settings = load_settings(env_file=None)
    assert settings.slack_app_token is None


def test_a_missing_secrets_dir_is_a_startup_problem(
    tmp_path: Path, secrets_env: pytest.MonkeyPatch
) -> None:
    """A Secret that was not mounted is named at start, not mistaken for unset tokens alone."""
    secrets_env.setenv("INTAKE_SECRETS_DIR", str(tmp_path / "not-mounted"))
    settings = load_settings(env_file=None)
    assert any("INTAKE_SECRETS_DIR" in problem for problem in settings.problems())
    with pytest.raises(ConfigurationError, match="INTAKE_SECRETS_DIR"):
        check_settings(settings)
