"""The MLflow side of tracking: one experiment per project, one run per execution, chunked writes.

Everything goes through an explicit `MlflowClient`, never MLflow's fluent API or its global
tracking URI. Runs are found by their `workbench.execution_id` tag, so writing the same execution
again (a retry, a backfill) continues the run it already has instead of starting a second one.
Experiments are found by their `workbench.project_id` tag and named `<owner>/<project>`; their
artifact location is chosen here (the artifact root plus the project id), never by a user.
"""

from __future__ import annotations

import logging
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

from mlflow import MlflowClient
from mlflow.entities import Experiment, Param, RunTag, ViewType

from tracking import keys
from tracking.batching import chunk
from tracking.context import ExecutionContext
from tracking.mapping import RunWrites, run_name

log = logging.getLogger(__name__)


def artifact_root_uri(artifact_root: str) -> str:
    """`artifact_root` as a URI: a plain path becomes an absolute `file://` URI."""
    if urlparse(artifact_root).scheme in ("", "file"):
        path = artifact_root.removeprefix("file://")
        return Path(path).expanduser().absolute().as_uri()
    return artifact_root.rstrip("/")


@dataclass
class OpenRun:
    """A run ready for writing, and the params it already holds (params cannot be changed)."""

    run_id: str
    experiment_id: str
    logged_params: dict[str, str] = field(default_factory=dict)


class RunStore:
    """Finds or creates experiments and runs, and writes `RunWrites` into them."""

    def __init__(self, client: MlflowClient, *, artifact_root: str | None = None) -> None:
        self.client = client
        # None: let the tracking server choose (its --default-artifact-root / artifact proxy).
        self._artifact_root = artifact_root_uri(artifact_root) if artifact_root else None
        self._experiments: dict[str, str] = {}  # project id -> experiment id
        self._lock = threading.Lock()

    def experiment_id(self, context: ExecutionContext) -> str:
        with self._lock:
            known = self._experiments.get(context.project_id)
            if known is None:
                known = self._find_or_create_experiment(context)
                self._experiments[context.project_id] = known
            return known

    def _find_or_create_experiment(self, context: ExecutionContext) -> str:
        wanted = keys.experiment_name(context.owner_name, context.project_name)
        found = find_project_experiment(self.client, context.project_id, include_deleted=True)
        if found is not None:
            if found.lifecycle_stage == "deleted":
                self.client.restore_experiment(found.experiment_id)
            if found.name != wanted and self.client.get_experiment_by_name(wanted) is None:
                self.client.rename_experiment(found.experiment_id, wanted)
            return found.experiment_id
        name = wanted
        if self.client.get_experiment_by_name(wanted) is not None:
            # Another project (or something made by hand) holds the name; keep both findable.
            name = f"{wanted} [{context.project_id[:8]}]"
        location = f"{self._artifact_root}/{context.project_id}" if self._artifact_root else None
        return self.client.create_experiment(
            name,
            artifact_location=location,
            tags={keys.PROJECT_ID_TAG: context.project_id, "workbench.owner": context.owner_name},
        )

    def open_run(
        self, context: ExecutionContext, *, start_time_ms: int | None, new: bool = False
    ) -> OpenRun:
        """The execution's run: the one tagged with its id, or a new one. `new`: the caller
        knows nothing was written for this execution yet (a live recording's first write), so
        the search is skipped."""
        experiment_id = self.experiment_id(context)
        existing = (
            []
            if new
            else self.client.search_runs(
                [experiment_id],
                filter_string=f"tags.`{keys.EXECUTION_ID_TAG}` = '{context.execution_id}'",
                run_view_type=ViewType.ACTIVE_ONLY,
                max_results=1,
            )
        )
        if existing:
            run = existing[0]
            return OpenRun(run.info.run_id, experiment_id, dict(run.data.params))
        run = self.client.create_run(
            experiment_id,
            start_time=start_time_ms,
            tags={
                keys.EXECUTION_ID_TAG: context.execution_id,
                keys.PROJECT_ID_TAG: context.project_id,
            },
            run_name=run_name(context),
        )
        return OpenRun(run.info.run_id, experiment_id)

    def write(self, run: OpenRun, writes: RunWrites) -> None:
        """Write `writes` into `run`: batches within MLflow's limits, artifacts, final status."""
        params = [
            Param(key, value)
            for key, value in writes.params.items()
            if key not in run.logged_params
        ]
        tags = [RunTag(key, value) for key, value in writes.tags.items()]
        for batch in chunk(writes.metrics, params, tags):
            self.client.log_batch(
                run.run_id, metrics=batch.metrics, params=batch.params, tags=batch.tags
            )
        run.logged_params.update((p.key, p.value) for p in params)
        if writes.artifacts:
            self._write_artifacts(run.run_id, writes.artifacts)
        if writes.status is not None:
            self.client.set_terminated(run.run_id, writes.status, end_time=writes.end_time_ms)

    def _write_artifacts(self, run_id: str, artifacts: dict[str, str]) -> None:
        with tempfile.TemporaryDirectory(prefix="workbench-artifacts-") as folder:
            root = Path(folder)
            for relative, text in artifacts.items():
                parts = PurePosixPath(relative).parts
                if not parts or any(part in ("", ".", "..") for part in parts):
                    raise ValueError(f"artifact path {relative!r} leaves the run's folder")
                target = root.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            self.client.log_artifacts(run_id, folder)


def find_project_experiment(
    client: MlflowClient, project_id: str, *, include_deleted: bool = False
) -> Experiment | None:
    """The experiment tagged with `project_id`, or None."""
    if not keys.is_id(project_id):
        raise ValueError(f"project_id {project_id!r} is not an id")
    found = client.search_experiments(
        view_type=ViewType.ALL if include_deleted else ViewType.ACTIVE_ONLY,
        filter_string=f"tags.`{keys.PROJECT_ID_TAG}` = '{project_id}'",
        max_results=2,
    )
    return found[0] if found else None
