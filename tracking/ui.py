"""The MLflow UI behind the workbench: the `mlflow server` it runs, or the remote one it uses.

When the tracking URI is a store (sqlite:, postgresql:, a folder), the service starts
`server_command` on 127.0.0.1 and reaches it only through its own authenticated proxy
(jupyter-server-proxy), under a path prefix: the UI is never on a port a browser can reach
directly (SECURITY.md S10). When the tracking URI is a tracking server (http(s)://,
`remote_server`), the same proxy forwards to that server instead and starts nothing. Either way
the proxy also filters what each user may see (`tracking.ui_access`), since MLflow itself would
show every experiment to everyone.

Notes from running it (MLflow 3.17):
- `--static-prefix` must equal the path the browser uses (the proxy passes the full path on).
- `MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false`: otherwise the server starts job workers costing
  about 2.5 GB of memory; one uvicorn worker is plenty behind the workbench.
- The first start migrates the store and takes several seconds (the proxy timeout must allow it).
- MLflow checks the `Host` header (DNS-rebinding guard) and the `Origin` of cross-site requests;
  the proxy keeps the browser's `Host`, so the public host name must be in `allowed_hosts` and the
  public origin in `cors_origins` when the workbench is served under a real domain.
- `MLFLOW_MODEL_CATALOG_URI=""` keeps the server from fetching a model price list from the
  internet when it stores trace spans; `MLFLOW_DISABLE_TELEMETRY=true` keeps usage data local.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from tracking.store import artifact_root_uri

SERVER_ENV: dict[str, str] = {
    "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "MLFLOW_MODEL_CATALOG_URI": "",
}


@dataclass(frozen=True)
class ServerCommand:
    """How to start the MLflow UI: run `argv` with `env` added to the service's environment."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    startup_timeout_s: float = 60.0  # the first start creates or migrates the store


def server_command(
    *,
    backend_store_uri: str,
    artifact_root: str | None,
    port: int | str,
    static_prefix: str,
    host: str = "127.0.0.1",
    allowed_hosts: Sequence[str] = (),
    cors_origins: Sequence[str] = (),
    python: str = sys.executable,
) -> ServerCommand:
    """The `mlflow server` command for the UI on `host:port` under `static_prefix`.

    `port` may be a placeholder such as "{port}" for jupyter-server-proxy to fill in.
    `artifact_root` is the same folder or URI the tracker writes new experiments to; runs keep
    their own artifact location, which the server reads directly (no artifact upload endpoint).
    """
    if not static_prefix.startswith("/") or static_prefix.endswith("/"):
        raise ValueError(
            f"static_prefix {static_prefix!r} must start with '/' and not end with '/'"
        )
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"host {host!r}: the MLflow UI binds to the loopback interface only")
    if not backend_store_uri:
        raise ValueError("backend_store_uri must not be empty")
    argv = [
        str(Path(python)),
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        backend_store_uri,
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        "1",
        "--static-prefix",
        static_prefix,
        "--no-serve-artifacts",
    ]
    if artifact_root:
        argv += ["--default-artifact-root", artifact_root_uri(artifact_root)]
    if allowed_hosts:
        argv += ["--allowed-hosts", ",".join(allowed_hosts)]
    if cors_origins:
        argv += ["--cors-allowed-origins", ",".join(cors_origins)]
    return ServerCommand(argv=argv, env=dict(SERVER_ENV))


@dataclass(frozen=True)
class RemoteServer:
    """An MLflow tracking server the workbench reaches over http(s), as its tracking URI names it.

    `base_path` is where its routes start: "" for a server at the root, or its `--static-prefix`
    (then the tracking URI ends with it too, e.g. `http://mlflow:5000/mlflow`).
    """

    scheme: str
    host: str
    port: int
    base_path: str = ""

    @property
    def netloc(self) -> str:
        """The `Host` header an MLflow client sends it, which its `--allowed-hosts` must name."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default_port = 443 if self.scheme == "https" else 80
        return host if self.port == default_port else f"{host}:{self.port}"

    def path_for(self, ui_path: str) -> str:
        """The server's path for `ui_path`, a path after the UI's prefix (e.g. `/ajax-api/...`)."""
        return self.base_path + (ui_path if ui_path.startswith("/") else "/" + ui_path)


def remote_server(tracking_uri: str) -> RemoteServer | None:
    """The tracking server `tracking_uri` names, or None when it names a store (no server)."""
    parts = urlsplit(tracking_uri)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return None
    if not parts.hostname:
        raise ValueError(f"the tracking URI {tracking_uri!r} names no host: http(s)://host:port")
    port = parts.port or (443 if scheme == "https" else 80)
    return RemoteServer(scheme, parts.hostname, port, parts.path.rstrip("/"))
