"""The entry point MLflow loads for the `workbench+http(s)` tracking URIs (pyproject.toml).

MLflow imports every `mlflow.tracking_store` entry point as soon as `mlflow` itself is imported,
in every process that has this package installed, including those that only use `tracking`.
So this module imports nothing at import time; the store itself (`workbench.client.mlflow_store`,
with the notebook client it needs) loads when a `workbench+http(s)` URI is first used.
"""

from __future__ import annotations

from typing import Any


def tracking_store(store_uri: str, artifact_uri: str | None = None, **kwargs: Any) -> Any:
    """MLflow's REST store for a `workbench+http(s)://…/mlflow` URI (MLflow calls this)."""
    from workbench.client import mlflow_store

    return mlflow_store.tracking_store(store_uri, artifact_uri, **kwargs)
