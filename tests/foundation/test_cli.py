"""`workbench db ...` and `workbench keys ...` as an operator runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from workbench.cli import build_parser, main
from workbench.db import Database, upgrade
from workbench.keyvault import KeyVault, generate_master_key
from workbench.services import Services


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An embedded default under tmp_path, whatever the developer's own variables say."""
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("WORKBENCH_DATABASE_URL", raising=False)
    monkeypatch.delenv("WORKBENCH_SECRET_KEYS", raising=False)
    return tmp_path


def test_help_lists_the_foundation_commands() -> None:
    text = build_parser().format_help()
    assert "db" in text and "keys" in text


def test_upgrade_current_downgrade_on_the_embedded_default(
    environment: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "current"]) == 1
    assert "not migrated" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert (environment / "workbench.sqlite").exists()
    assert main(["db", "current"]) == 0
    assert main(["db", "downgrade", "base"]) == 0
    assert main(["db", "current"]) == 1


def test_database_url_option_migrates_that_database(
    environment: Path, empty_database_url: str
) -> None:
    assert main(["db", "--database-url", empty_database_url, "upgrade"]) == 0
    assert main(["db", "--database-url", empty_database_url, "current"]) == 0
    assert not (environment / "workbench.sqlite").exists()


def test_keys_generate_prints_a_usable_master_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "generate"]) == 0
    Fernet(capsys.readouterr().out.strip())


def test_keys_rotate_reencrypts_under_the_newest_key(
    environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{environment / 'prod.sqlite'}"
    old, new = generate_master_key(), generate_master_key()
    upgrade(url)
    database = Database.from_url(url)
    services = Services(database.session_factory, KeyVault([old]))
    user = services.users.ensure_user("ops", admin=False)
    actor = services.users.actor_for(user)
    services.keys.create_key(actor, {"provider": "openai", "api_key": "sk-rotate-me-12345678"})
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", url)
    monkeypatch.setenv("WORKBENCH_SECRET_KEYS", f"{new},{old}")

    assert main(["keys", "rotate"]) == 0

    assert "re-encrypted 1 stored API key" in capsys.readouterr().out
    only_new = Services(database.session_factory, KeyVault([new]))
    assert only_new.keys.credentials_for(actor).get("openai") is not None
    database.dispose()


def test_s7_keys_rotate_without_master_key_off_the_default_names_the_setting(
    environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WORKBENCH_DATABASE_URL", f"sqlite:///{environment / 'prod.sqlite'}")
    assert main(["keys", "rotate"]) == 1
    assert "WORKBENCH_SECRET_KEYS" in capsys.readouterr().err
    assert not (environment / "secret.key").exists()
