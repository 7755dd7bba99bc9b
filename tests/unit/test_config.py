"""Settings come from the environment and a bad one stops the start with a clear message."""

from __future__ import annotations

import pytest

from config import ConfigError, load_settings


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("APP_ENV", "SECRET_KEY", "IMAP_HOST", "IMAP_SECURITY", "MIN_NOTICE_WORKING_DAYS"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# 48 random bytes, URL-safe: what the error message tells an administrator to generate.
GOOD_KEY = "q7W0yQx3m1Jc8f2ZkVb5nR9tL4sHd6gPa0eUiOyTrEwQzXcVbNmLkJhGfDsA"


def test_production_needs_a_secret_key(env: pytest.MonkeyPatch) -> None:
    env.setenv("APP_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings()
    env.setenv("SECRET_KEY", GOOD_KEY)
    assert load_settings().is_production


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("x", "too short"),
        ("s3cret", "too short"),
        ("a" * 31, "too short"),
        ("åäö" * 5, "too short"),  # 15 characters, 30 bytes
        ("dev-only-not-secret", "development default"),
    ],
)
def test_production_refuses_a_short_or_public_secret_key(
    env: pytest.MonkeyPatch, key: str, message: str
) -> None:
    env.setenv("APP_ENV", "production")
    env.setenv("SECRET_KEY", key)
    with pytest.raises(ConfigError, match=message):
        load_settings()
    env.setenv("APP_ENV", "development")  # a short key is fine for trying the service out
    assert load_settings().secret_key == key
    env.setenv("APP_ENV", "production")
    env.setenv("SECRET_KEY", "a" * 32)
    assert load_settings().is_production


def test_mailbox_settings(env: pytest.MonkeyPatch) -> None:
    assert load_settings().imap_host == ""  # off unless configured
    env.setenv("IMAP_HOST", "imap.mora.se")
    env.setenv("IMAP_SECURITY", "plain")
    with pytest.raises(ConfigError, match="IMAP_SECURITY"):
        load_settings()
    env.setenv("IMAP_SECURITY", "none")
    assert load_settings().imap_security == "none"  # development: allowed
    env.setenv("APP_ENV", "production")
    env.setenv("SECRET_KEY", GOOD_KEY)
    with pytest.raises(ConfigError, match="clear text"):
        load_settings()
    env.setenv("IMAP_HOST", "127.0.0.1")  # a local relay
    assert load_settings().imap_port == 993


def test_a_number_that_is_not_one_is_refused(env: pytest.MonkeyPatch) -> None:
    env.setenv("MIN_NOTICE_WORKING_DAYS", "fem")
    with pytest.raises(ConfigError, match="MIN_NOTICE_WORKING_DAYS"):
        load_settings()


@pytest.fixture
def address_env(env: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("PUBLIC_BASE_URL", "HOST", "PORT"):
        env.delenv(name, raising=False)
    return env


def test_public_base_url_follows_host_and_port_when_not_set(
    address_env: pytest.MonkeyPatch,
) -> None:
    """`PORT=8300 make run` must not put links to port 8000 in mails, feeds and invitations."""
    assert load_settings().public_base_url == "http://127.0.0.1:8000"
    address_env.setenv("PORT", "8300")
    assert load_settings().public_base_url == "http://127.0.0.1:8300"
    address_env.setenv("HOST", "forum.mora.example")
    assert load_settings().public_base_url == "http://forum.mora.example:8300"
    address_env.setenv("HOST", "0.0.0.0")
    assert load_settings().public_base_url == "http://127.0.0.1:8300"
    address_env.setenv("HOST", "::1")
    assert load_settings().public_base_url == "http://[::1]:8300"


def test_a_set_public_base_url_wins_over_host_and_port(address_env: pytest.MonkeyPatch) -> None:
    address_env.setenv("PORT", "8300")
    address_env.setenv("PUBLIC_BASE_URL", "https://forum.mora.se/")
    assert load_settings().public_base_url == "https://forum.mora.se"
    address_env.setenv("PORT", "http")
    address_env.delenv("PUBLIC_BASE_URL")
    with pytest.raises(ConfigError, match="PORT"):
        load_settings()


def test_single_sign_on_settings_are_checked(env: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.oidc_issuer == "" and settings.local_passwords  # off unless configured
    env.setenv("LOCAL_PASSWORDS", "off")
    with pytest.raises(ConfigError, match="LOCAL_PASSWORDS=off needs OIDC_ISSUER"):
        load_settings()
    env.setenv("OIDC_ISSUER", "https://login.microsoftonline.com/tenant/v2.0")
    with pytest.raises(ConfigError, match="OIDC_CLIENT_ID"):
        load_settings()
    env.setenv("OIDC_CLIENT_ID", "dorren-in")
    settings = load_settings()
    assert not settings.local_passwords and settings.oidc_scopes == "openid email profile"
    env.setenv("OIDC_ISSUER", "http://keycloak.kommun.example/realms/staff")
    env.setenv("APP_ENV", "production")
    env.setenv("SECRET_KEY", "a" * 32)
    with pytest.raises(ConfigError, match="https"):
        load_settings()
