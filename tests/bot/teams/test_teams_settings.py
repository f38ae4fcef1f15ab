"""`intake-bot teams` refuses settings that cannot work, naming every problem at once."""

from __future__ import annotations

import pytest

from bot.errors import ConfigurationError
from bot.settings import Settings
from bot.teams.server import authenticates, bot_config, check_settings


def settings(**values: str) -> Settings:
    return Settings(_env_file=None, **{"REDIS_URL": "redis://127.0.0.1:6379/0", **values})


def test_an_empty_app_id_without_the_explicit_switch_refuses_to_start() -> None:
    with pytest.raises(ConfigurationError, match="MICROSOFT_APP_ID is not set") as refused:
        check_settings(settings())
    assert "INTAKE_INSECURE_SKIP_AUTH=true" in str(refused.value)


def test_an_empty_app_id_with_the_switch_starts_for_the_emulator_unauthenticated() -> None:
    """Only this pair turns authentication off: the Emulator sends no token."""
    emulator = settings(INTAKE_INSECURE_SKIP_AUTH="true")
    check_settings(emulator)
    assert authenticates(emulator, app_id="") is False


@pytest.mark.parametrize("skip", ["true", "false"])
def test_an_app_id_keeps_authentication_on_whatever_the_switch_says(skip: str) -> None:
    """A real registration is never served unauthenticated, even with the switch left on."""
    configured = settings(
        MICROSOFT_APP_ID="abc",
        MICROSOFT_APP_PASSWORD="secret",
        MICROSOFT_APP_TENANT_ID="tenant-1",
        INTAKE_INSECURE_SKIP_AUTH=skip,
    )
    check_settings(configured)
    assert authenticates(configured, app_id="abc") is True


def test_an_app_id_without_a_password_and_a_single_tenant_bot_without_its_tenant_say_both() -> None:
    with pytest.raises(ConfigurationError) as refused:
        check_settings(settings(MICROSOFT_APP_ID="abc", MICROSOFT_APP_TYPE="SingleTenant"))
    message = str(refused.value)
    assert "MICROSOFT_APP_PASSWORD is not set" in message
    assert "MICROSOFT_APP_TENANT_ID" in message


def test_a_single_tenant_bot_gives_botbuilder_its_tenant() -> None:
    config = bot_config(
        settings(
            MICROSOFT_APP_ID="abc",
            MICROSOFT_APP_PASSWORD="secret",
            MICROSOFT_APP_TYPE="SingleTenant",
            MICROSOFT_APP_TENANT_ID="tenant-1",
        )
    )
    assert (config.APP_ID, config.APP_PASSWORD, config.APP_TYPE, config.APP_TENANTID) == (
        "abc",
        "secret",
        "SingleTenant",
        "tenant-1",
    )


def test_an_unknown_app_type_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="MultiTenant"):
        settings(MICROSOFT_APP_TYPE="Sideways")
