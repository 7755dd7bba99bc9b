"""The typed settings schema (config.SETTINGS): one declaration per setting, the README's
table generated from it, values parsed by type, secrets masked in reports."""

from __future__ import annotations

import dataclasses
import importlib.util
from pathlib import Path

import pytest

from config import SECRET_MASK, SETTINGS, ConfigError, Settings, describe, load_settings

ROOT = Path(__file__).resolve().parents[2]


def _tool() -> object:
    spec = importlib.util.spec_from_file_location(
        "settings_table", ROOT / "tools/settings_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_table_is_the_generated_one() -> None:
    tool = _tool()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    expected = tool.settings_table()  # type: ignore[attr-defined]
    assert tool.readme_table(readme) == expected, (  # type: ignore[attr-defined]
        "README.md's settings table is out of date: run python tools/settings_table.py --write"
    )


def test_every_field_of_settings_is_declared_once_with_its_default() -> None:
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names))
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    declared = {s.attr for s in SETTINGS}
    assert declared == set(fields) - {"extra"}
    defaults = Settings()
    for setting in SETTINGS:
        assert getattr(defaults, setting.attr) == setting.default, setting.name
        assert setting.help and setting.type in (str, int, bool, tuple), setting.name


def test_each_setting_is_read_from_its_variable_by_type(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [s.name for s in SETTINGS] + ["HOST", "PORT"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SMTP_PORT", " 2525 ")
    monkeypatch.setenv("SMTP_STARTTLS", "yes")
    monkeypatch.setenv("FOLLOWUP_REMINDER_DAYS", "14,7,1")
    monkeypatch.setenv("IMAP_FOLDER", "Inkorg")
    settings = load_settings()
    assert settings.smtp_port == 2525
    assert settings.smtp_starttls is True
    assert settings.followup_reminder_days == (14, 7, 1)
    assert settings.imap_folder == "Inkorg"
    assert settings.survey_scale == 6  # not set: the default
    monkeypatch.setenv("SMTP_STARTTLS", "perhaps")
    with pytest.raises(ConfigError, match="SMTP_STARTTLS must be true or false"):
        load_settings()
    monkeypatch.setenv("SMTP_STARTTLS", "")
    monkeypatch.setenv("APP_ENV", "staging")
    with pytest.raises(ConfigError, match="APP_ENV must be development, test or production"):
        load_settings()


def test_the_report_masks_secrets_and_passwords_in_urls() -> None:
    settings = dataclasses.replace(
        Settings(),
        secret_key="a" * 40,
        smtp_password="pw",
        database_url="postgresql://forum:hemligt@db.example/forum",
    )
    shown = dict(describe(settings))
    assert list(shown) == [s.name for s in SETTINGS]
    assert shown["SECRET_KEY"] == SECRET_MASK and shown["SMTP_PASSWORD"] == SECRET_MASK
    assert shown["IMAP_PASSWORD"] == "(empty)"  # an unset secret says so
    assert shown["DATABASE_URL"] == f"postgresql://forum:{SECRET_MASK}@db.example/forum"
    assert shown["DEPUTY_ON_DECLINE"] == "true" and shown["REMINDER_WORKING_DAYS"] == "5,2"
    secrets = {s.name for s in SETTINGS if s.secret}
    assert {"SECRET_KEY", "CALDAV_PASSWORD", "SMTP_PASSWORD", "IMAP_PASSWORD"} <= secrets
