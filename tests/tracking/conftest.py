"""Fixtures shared by the tracking tests: a tracker writing into this test's MLflow store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tracking import Tracker


@pytest.fixture
def tracker(mlflow_store) -> Iterator[Tracker]:
    with Tracker(mlflow_store.tracking_uri, artifact_root=mlflow_store.artifact_root) as tracker:
        yield tracker
