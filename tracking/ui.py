"""The MLflow UI behind the workbench: the `mlflow server` command the workbench service runs.

The service starts this process on 127.0.0.1 and reaches it only through its own authenticated
proxy (jupyter-server-proxy), under a path prefix: the UI is never on a port a browser can reach
directly (SECURITY.md S10). The proxy also filters what each user may see
(`tracking.ui_access`), since MLflow itself would show every experiment to everyone.

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
