"""The JupyterHub configuration of the embedded default: hub, proxy, sign-up, the workbench service.

`hub_config(options)` returns a traitlets `Config` for `JupyterHub`:

- configurable-http-proxy from the project's `node_modules/.bin`, started and stopped by the hub;
- NativeAuthenticator (sign-up and login on the hub's pages): the users named in
  `admin_users` are administrators and approved at sign-up; everybody else waits for an
  administrator to approve them at `/hub/authorize` unless sign-up is open (`open_signup`).
  Failed logins are rate-limited per user name; passwords have a minimum length and may not be
  a well-known one;
- the `workbench` service, started by the hub as `workbench serve` and proxied at
  `/services/workbench/`, with the `WORKBENCH_*` settings of the hub's environment (the only
  process besides the hub that gets them: users' servers never see the database URL or keys);
- every user may use the service (`access:services!service=workbench` in the `user` role), and
  the token of a user's notebook server may too (`server_token_scopes`);
- JupyterLab servers for users, with SimpleLocalProcessSpawner (production uses KubeSpawner
  through Zero to JupyterHub: see deploy/).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from traitlets.config import Config

from workbench.config import log_level, traitlets_level
from workbench.errors import ConfigurationError

SERVICE_NAME = "workbench"
SERVICE_PREFIX = f"/services/{SERVICE_NAME}/"
SERVICE_ACCESS_SCOPE = f"access:services!service={SERVICE_NAME}"
WORKBENCH_NAME = "Multi-LLM Workbench"
TEMPLATES_DIR = Path(__file__).parent / "templates"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHP_RELATIVE = Path("node_modules") / ".bin" / "configurable-http-proxy"

# Scopes of the token a user's notebook server gets: jupyterhub's `server` role, plus the
# workbench, so notebooks reach the REST API with $JUPYTERHUB_API_TOKEN.
SERVER_TOKEN_SCOPES = ("users:activity!user", "access:servers!server", SERVICE_ACCESS_SCOPE)


@dataclass(frozen=True)
class HubOptions:
    """Everything `workbench up` decides about the hub; the defaults are the embedded default."""

    data_dir: Path
    admin_users: tuple[str, ...]
    ip: str = "127.0.0.1"
    port: int = 8000
    hub_port: int = 8081
    proxy_api_port: int = 8001
    service_port: int = 8002
    open_signup: bool = False
    minimum_password_length: int = 10
    allowed_failed_logins: int = 5
    seconds_before_next_try: int = 300
    chp_command: str | None = None  # default: find_chp()
    # What the console shows: WARNING (the default) keeps it to the banner, warnings and
    # errors; INFO or DEBUG bring back every component's detail.
    log_level: str = "WARNING"
    python: str = sys.executable
    environment: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def public_url(self) -> str:
        host = "127.0.0.1" if self.ip in ("", "0.0.0.0") else self.ip
        return f"http://{host}:{self.port}"

    @property
    def hub_dir(self) -> Path:
        return self.data_dir / "hub"


def console_level(given: str | None, environment: Mapping[str, str]) -> str:
    """The console's log level: `--log-level`, else WORKBENCH_LOG_LEVEL, else WARNING."""
    return log_level(given, environment, default="WARNING")


_CHP_LEVELS = {"DEBUG": "debug", "INFO": "info", "WARNING": "warn", "ERROR": "error"}


def find_chp(environment: Mapping[str, str], root: Path = PROJECT_ROOT) -> str:
    """configurable-http-proxy: WORKBENCH_CHP, else the project's node_modules, else PATH."""
    configured = environment.get("WORKBENCH_CHP", "").strip()
    if configured:
        return configured
    for base in (Path.cwd(), root):
        candidate = base / CHP_RELATIVE
        if candidate.exists():
            return str(candidate)
    found = shutil.which("configurable-http-proxy", path=environment.get("PATH"))
    if found:
        return found
    raise ConfigurationError(
        "configurable-http-proxy is not installed: run `npm ci` in the project (make install "
        "does), or set WORKBENCH_CHP to its path",
        field="WORKBENCH_CHP",
    )


def service_environment(options: HubOptions) -> dict[str, str]:
    """What the workbench service process is given besides the hub's JUPYTERHUB_* variables."""
    env = {
        name: value
        for name, value in options.environment.items()
        if name.startswith(("WORKBENCH_", "MLFLOW_")) or name in ("HOME", "TMPDIR", "PYTHONPATH")
    }
    env["WORKBENCH_DATA_DIR"] = str(options.data_dir)
    env["WORKBENCH_PUBLIC_URL"] = options.public_url
    env.setdefault("WORKBENCH_ADMIN_USERS", ",".join(options.admin_users))
    env.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    env["WORKBENCH_LOG_LEVEL"] = options.log_level
    return env


def _bin(python: str, name: str) -> str:
    """An executable installed beside `python` (the virtualenv's), else on PATH."""
    candidate = Path(python).parent / name
    return str(candidate) if candidate.exists() else name


def hub_config(options: HubOptions, *, extra_services: Sequence[Mapping[str, Any]] = ()) -> Config:
    """The hub's configuration for `options`."""
    if not options.admin_users:
        raise ConfigurationError(
            "no administrator: set WORKBENCH_ADMIN_USERS to the user name(s) that administer "
            "the workbench",
            field="WORKBENCH_ADMIN_USERS",
        )
    hub_dir = options.hub_dir
    hub_dir.mkdir(parents=True, exist_ok=True)
    c = Config()

    c.JupyterHub.log_level = traitlets_level(options.log_level)
    c.JupyterHub.bind_url = f"http://{options.ip}:{options.port}"
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{options.hub_port}"
    c.JupyterHub.db_url = f"sqlite:///{hub_dir / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(hub_dir / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(hub_dir / "jupyterhub.pid")
    c.JupyterHub.default_url = f"{SERVICE_PREFIX}ui/"
    c.JupyterHub.template_paths = [str(TEMPLATES_DIR)]
    c.JupyterHub.template_vars = {
        "workbench_name": WORKBENCH_NAME,
        "workbench_url": SERVICE_PREFIX,
        "minimum_password_length": options.minimum_password_length,
        "open_signup": options.open_signup,
    }

    c.JupyterHub.proxy_class = "jupyterhub.proxy.ConfigurableHTTPProxy"
    c.ConfigurableHTTPProxy.command = [options.chp_command or find_chp(options.environment)]
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{options.proxy_api_port}"
    c.ConfigurableHTTPProxy.pid_file = str(hub_dir / "proxy.pid")
    c.ConfigurableHTTPProxy.should_start = True
    c.ConfigurableHTTPProxy.log_level = _CHP_LEVELS.get(options.log_level, "warn")

    c.JupyterHub.authenticator_class = "nativeauthenticator.NativeAuthenticator"
    c.Authenticator.admin_users = set(options.admin_users)
    # NativeAuthenticator lets in only the accounts an administrator approved (or all, with
    # open sign-up); JupyterHub 5 needs to be told not to add an allow-list of its own.
    c.Authenticator.allow_all = True
    c.NativeAuthenticator.enable_signup = True
    c.NativeAuthenticator.open_signup = options.open_signup
    c.NativeAuthenticator.minimum_password_length = options.minimum_password_length
    c.NativeAuthenticator.check_common_password = True
    c.NativeAuthenticator.allowed_failed_logins = options.allowed_failed_logins
    c.NativeAuthenticator.seconds_before_next_try = options.seconds_before_next_try

    c.JupyterHub.load_roles = [
        {
            "name": "user",
            "description": "Standard user privileges, and the workbench",
            "scopes": ["self", SERVICE_ACCESS_SCOPE],
        }
    ]
    c.JupyterHub.services = [
        {
            "name": SERVICE_NAME,
            "display": True,
            "url": f"http://127.0.0.1:{options.service_port}",
            "command": [options.python, "-m", "workbench.cli", "serve"],
            "environment": service_environment(options),
            "cwd": str(options.data_dir),
            "oauth_no_confirm": True,
            "info": {"description": f"{WORKBENCH_NAME}: projects, agents, executions, chat"},
        },
        *(dict(service) for service in extra_services),
    ]

    c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
    c.SimpleLocalProcessSpawner.home_dir_template = str(options.data_dir / "users" / "{username}")
    c.Spawner.cmd = [_bin(options.python, "jupyterhub-singleuser")]
    c.Spawner.default_url = "/lab"
    # Users' servers print to the same console (SimpleLocalProcessSpawner): as quiet as the rest.
    c.Spawner.args = [f"--ServerApp.log_level={traitlets_level(options.log_level)}"]
    c.Spawner.server_token_scopes = list(SERVER_TOKEN_SCOPES)
    c.Spawner.environment = {
        # Where notebooks find the workbench API (with their $JUPYTERHUB_API_TOKEN).
        "WORKBENCH_API_URL": f"{options.public_url}{SERVICE_PREFIX}api/",
    }
    return c
