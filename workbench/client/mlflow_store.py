"""The workbench's MLflow from a notebook: tracking URIs that carry the notebook's hub token.

The workbench serves MLflow's API at `<service>/mlflow/` behind the hub login, showing each user
only the experiments of projects they may read. MLflow's own client would take a bearer token
from `MLFLOW_TRACKING_TOKEN`, a process-wide variable it sends to *any* tracking server; instead
the workbench registers the URI schemes `workbench+http` and `workbench+https` with MLflow
(entry points in the group `mlflow.tracking_store`, see pyproject.toml and
`workbench.mlflow_plugin`). A store for such a URI talks to the `http(s)` URL after the
`workbench+` and sends the hub token of the `Client` that made the URI, or the notebook server's
own token (`JUPYTERHUB_API_TOKEN`) for the workbench the environment names; never any other.

    mlflow.set_tracking_uri(client.analysis.tracking_uri)
    mlflow.search_runs(search_all_experiments=True)
"""

from __future__ import annotations

import threading
from typing import Any

from workbench.client.config import Connection, resolve
from workbench.client.errors import ConfigurationError, WorkbenchClientError

PREFIX = "workbench+"
PATH = "mlflow"

_tokens: dict[str, str] = {}  # MLflow URL of a workbench -> the hub token to send it
_lock = threading.Lock()


def mlflow_url(connection: Connection) -> str:
    return connection.service_url + PATH


def tracking_uri(connection: Connection) -> str:
    """The MLflow tracking URI of `connection`'s workbench; MLflow will send its token there."""
    url = mlflow_url(connection)
    with _lock:
        _tokens[url] = connection.token
    return PREFIX + url


def token_for(url: str) -> str:
    with _lock:
        token = _tokens.get(url)
    if token is not None:
        return token
    try:
        environment = resolve()
    except (ConfigurationError, WorkbenchClientError):
        environment = None
    if environment is not None and mlflow_url(environment) == url:
        return environment.token
    raise ConfigurationError(
        f"no hub token for {url}: use client.analysis.tracking_uri of a workbench.Client "
        "connected to that workbench"
    )


def tracking_store(store_uri: str, artifact_uri: str | None = None, **_: Any) -> Any:
    """MLflow's REST store for a `workbench+http(s)://…/mlflow` URI (MLflow calls this)."""
    from mlflow.store.tracking.rest_store import RestStore
    from mlflow.utils.rest_utils import MlflowHostCreds

    if not store_uri.startswith(PREFIX):
        raise ConfigurationError(f"{store_uri!r} is not a workbench MLflow URI")
    url = store_uri[len(PREFIX) :].rstrip("/")

    def credentials() -> MlflowHostCreds:  # asked before every request
        return MlflowHostCreds(host=url, token=token_for(url))

    return RestStore(credentials)
