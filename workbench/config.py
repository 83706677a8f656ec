"""Process-wide settings, read once from `WORKBENCH_*` environment variables.

Each setting is one field of `Settings` whose metadata, from `env_setting(...)`, names the
variable it comes from, what it means (the README's settings table says the same) and how to
parse it. To add one, add a field::

    mlflow_tracking_uri: str | None = field(
        default=None,
        metadata=env_setting("WORKBENCH_MLFLOW_TRACKING_URI", "where executions are tracked"),
    )

An unset or empty variable means the default. A value that does not parse raises
`ConfigurationError` naming the variable. Secret values are `SecretStr` and stay out of `repr`.
Server options that the web layers expose as traitlets read their `@default` from here.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from workbench.errors import ConfigurationError

SECRET_KEY_FILE_NAME = "secret.key"
DATABASE_FILE_NAME = "workbench.sqlite"


def env_setting(
    env: str,
    help: str,
    *,
    parse: Callable[[str], Any] = str,
    secret: bool = False,
) -> dict[str, Any]:
    """The metadata that ties a `Settings` field to its variable, meaning and parser."""
    return {"env": env, "help": help, "parse": parse, "secret": secret}


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "workbench"


def _parse_path(raw: str) -> Path:
    return Path(raw).expanduser()


def _parse_secret_list(raw: str) -> tuple[SecretStr, ...]:
    return tuple(SecretStr(part.strip()) for part in raw.split(",") if part.strip())


def _parse_database_url(raw: str) -> str:
    if "://" not in raw:
        raise ValueError("expected a URL such as postgresql+psycopg://user@host/db")
    return raw


@dataclass(frozen=True)
class Settings:
    """Everything the workbench process is configured with; build it with `from_env()`."""

    data_dir: Path = field(
        default_factory=_default_data_dir,
        metadata=env_setting(
            "WORKBENCH_DATA_DIR",
            "Directory for the embedded default's files: the SQLite database, the generated "
            "master key file, the local MLflow store. Default: `~/.local/share/workbench` "
            "(or `$XDG_DATA_HOME/workbench`).",
            parse=_parse_path,
        ),
    )
    database_url: str | None = field(
        default=None,
        repr=False,  # may embed a password
        metadata=env_setting(
            "WORKBENCH_DATABASE_URL",
            "SQLAlchemy URL of the database, e.g. `postgresql+psycopg://user:pw@host/db`. "
            "Default: the SQLite file `workbench.sqlite` in the data directory.",
            parse=_parse_database_url,
            secret=True,
        ),
    )
    secret_keys: tuple[SecretStr, ...] = field(
        default=(),
        repr=False,
        metadata=env_setting(
            "WORKBENCH_SECRET_KEYS",
            "Master keys that encrypt stored API keys: comma-separated Fernet keys, newest "
            "first (`workbench keys generate` prints one). Required whenever "
            "WORKBENCH_DATABASE_URL is set; on the embedded default a key file is generated "
            "in the data directory (mode 0600).",
            parse=_parse_secret_list,
            secret=True,
        ),
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every setting from `environ` (default: `os.environ`)."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for declared in dataclasses.fields(cls):
            meta = declared.metadata
            raw = environ.get(meta["env"], "").strip()
            if not raw:
                continue
            try:
                values[declared.name] = meta["parse"](raw)
            except ValueError as e:
                raise ConfigurationError(
                    f"{meta['env']} is not valid: {e}", field=meta["env"]
                ) from None
        return cls(**values)

    @property
    def is_embedded_default(self) -> bool:
        """True when no database is configured, so everything lives under the data directory."""
        return self.database_url is None

    @property
    def resolved_database_url(self) -> str:
        """The database URL to connect to, the embedded SQLite file when none is configured."""
        if self.database_url is not None:
            return self.database_url
        return f"sqlite:///{self.data_dir / DATABASE_FILE_NAME}"

    @property
    def secret_key_file(self) -> Path:
        """Where the embedded default keeps its generated master key."""
        return self.data_dir / SECRET_KEY_FILE_NAME


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def log_level(
    given: str | None = None, environ: Mapping[str, str] | None = None, *, default: str = "INFO"
) -> str:
    """The log level `given`, else WORKBENCH_LOG_LEVEL, else `default`, as a `logging` name.

    The service logs at INFO by default (production reads its audit lines); `workbench up`
    passes WARNING, so a newcomer's console shows the banner, warnings and errors only.
    """
    environ = os.environ if environ is None else environ
    raw = given or environ.get("WORKBENCH_LOG_LEVEL", "") or default
    level = {"WARN": "WARNING"}.get(raw.strip().upper(), raw.strip().upper())
    if level not in LOG_LEVELS:
        raise ConfigurationError(
            f"WORKBENCH_LOG_LEVEL: {raw.strip()!r} is not one of {', '.join(LOG_LEVELS)}",
            field="WORKBENCH_LOG_LEVEL",
        )
    return level


def traitlets_level(level: str) -> str:
    """A `logging` level name as traitlets' `Application.log_level` spells it."""
    return "WARN" if level == "WARNING" else level


def describe_settings() -> list[tuple[str, str]]:
    """(variable, meaning) for every setting, in declaration order: the README table's rows."""
    return [(f.metadata["env"], f.metadata["help"]) for f in dataclasses.fields(Settings)]
