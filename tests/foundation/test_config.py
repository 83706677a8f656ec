"""Settings from WORKBENCH_* variables: defaults, parsing, secrets kept out of repr, the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from workbench.config import Settings, describe_settings
from workbench.errors import ConfigurationError

README = Path(__file__).parents[2] / "README.md"


def test_embedded_default_lives_in_the_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    settings = Settings.from_env({})
    assert settings.data_dir == tmp_path / ".local" / "share" / "workbench"
    assert settings.is_embedded_default
    assert settings.resolved_database_url == f"sqlite:///{settings.data_dir}/workbench.sqlite"
    assert settings.secret_key_file == settings.data_dir / "secret.key"


def test_variables_override_the_defaults(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "WORKBENCH_DATA_DIR": str(tmp_path),
            "WORKBENCH_DATABASE_URL": "postgresql+psycopg://wb:pw@db.internal/wb",
            "WORKBENCH_SECRET_KEYS": " new-key , old-key ,",
        }
    )
    assert settings.data_dir == tmp_path
    assert not settings.is_embedded_default
    assert settings.resolved_database_url == "postgresql+psycopg://wb:pw@db.internal/wb"
    assert [key.get_secret_value() for key in settings.secret_keys] == ["new-key", "old-key"]


def test_empty_variable_means_the_default() -> None:
    assert Settings.from_env({"WORKBENCH_DATABASE_URL": "  "}).is_embedded_default


def test_malformed_database_url_names_the_variable() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env({"WORKBENCH_DATABASE_URL": "localhost/db"})
    assert caught.value.field == "WORKBENCH_DATABASE_URL"
    assert "WORKBENCH_DATABASE_URL" in str(caught.value)


def test_repr_shows_no_secret() -> None:
    settings = Settings.from_env(
        {
            "WORKBENCH_DATABASE_URL": "postgresql+psycopg://wb:hunter2@db/wb",
            "WORKBENCH_SECRET_KEYS": "master-key-value",
        }
    )
    text = repr(settings) + str(settings)
    assert "hunter2" not in text
    assert "master-key-value" not in text


def test_readme_settings_table_lists_every_setting() -> None:
    rows = re.findall(r"^\| `(WORKBENCH_[A-Z_]+)` \|", README.read_text(), flags=re.MULTILINE)
    assert {env for env, _ in describe_settings()} <= set(rows)
