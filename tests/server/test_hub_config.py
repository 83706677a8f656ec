"""The hub's configuration of the embedded default: who gets which secrets, scopes and names."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.errors import ConfigurationError
from workbench.hub.config import SERVICE_ACCESS_SCOPE, HubOptions, hub_config
from workbench.hub.launcher import admin_users

SECRET_ENV = {
    "WORKBENCH_DATABASE_URL": "postgresql+psycopg://u:pw@db/workbench",
    "WORKBENCH_SECRET_KEYS": "a-master-key",
    "PATH": "/usr/bin",
}


def options(tmp_path: Path, **overrides: object) -> HubOptions:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "admin_users": ("ada",),
        "chp_command": "/bin/true",
        "environment": SECRET_ENV,
    }
    values.update(overrides)
    return HubOptions(**values)  # type: ignore[arg-type]


def test_only_the_workbench_service_gets_the_database_url_and_keys(tmp_path: Path) -> None:
    config = hub_config(options(tmp_path))
    service = next(s for s in config.JupyterHub.services if s["name"] == "workbench")
    assert service["environment"]["WORKBENCH_DATABASE_URL"] == SECRET_ENV["WORKBENCH_DATABASE_URL"]
    assert service["environment"]["WORKBENCH_SECRET_KEYS"] == "a-master-key"
    users_env = config.Spawner.environment
    assert not any(
        name.startswith("WORKBENCH_") and name != "WORKBENCH_API_URL" for name in users_env
    )
    assert "a-master-key" not in repr(users_env)


def test_users_and_their_servers_may_reach_the_workbench(tmp_path: Path) -> None:
    config = hub_config(options(tmp_path))
    user_role = next(r for r in config.JupyterHub.load_roles if r["name"] == "user")
    assert SERVICE_ACCESS_SCOPE in user_role["scopes"]
    assert SERVICE_ACCESS_SCOPE in config.Spawner.server_token_scopes
    assert config.Spawner.environment["WORKBENCH_API_URL"].endswith("/services/workbench/api/")


def test_sign_up_rules(tmp_path: Path) -> None:
    config = hub_config(options(tmp_path, open_signup=True))
    native = config.NativeAuthenticator
    assert native.open_signup is True
    assert native.minimum_password_length >= 10
    assert native.check_common_password is True
    assert native.allowed_failed_logins > 0
    assert config.Authenticator.admin_users == {"ada"}


def test_no_administrator_is_refused_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="WORKBENCH_ADMIN_USERS"):
        hub_config(options(tmp_path, admin_users=()))


def test_admin_users_default_to_whoever_runs_it() -> None:
    assert admin_users({"WORKBENCH_ADMIN_USERS": " Ada, bob ,"}) == ("ada", "bob")
    assert len(admin_users({})) == 1
