"""Settings come from the environment and a bad one stops the start with a clear message."""

from __future__ import annotations

import pytest

from config import ConfigError, load_settings


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("APP_ENV", "SECRET_KEY", "IMAP_HOST", "IMAP_SECURITY", "MIN_NOTICE_WORKING_DAYS"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_production_needs_a_secret_key(env: pytest.MonkeyPatch) -> None:
    env.setenv("APP_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings()
    env.setenv("SECRET_KEY", "s3cret")
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
    env.setenv("SECRET_KEY", "s3cret")
    with pytest.raises(ConfigError, match="clear text"):
        load_settings()
    env.setenv("IMAP_HOST", "127.0.0.1")  # a local relay
    assert load_settings().imap_port == 993


def test_a_number_that_is_not_one_is_refused(env: pytest.MonkeyPatch) -> None:
    env.setenv("MIN_NOTICE_WORKING_DAYS", "fem")
    with pytest.raises(ConfigError, match="MIN_NOTICE_WORKING_DAYS"):
        load_settings()
