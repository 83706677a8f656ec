"""Reading back what the tracker wrote, through the MLflow client."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from mlflow import MlflowClient
from mlflow.entities import Run, ViewType

from agents.events import Event
from tracking import ExecutionContext, Tracker


def record_live(tracker: Tracker, context: ExecutionContext, events: Iterable[Event]) -> None:
    """Feed events through a recorder, as the engine does, and wait for the writer."""
    recorder = tracker.start(context)
    for event in events:
        recorder(event)
    assert tracker.flush(timeout=30)


def only_run(client: MlflowClient, experiment_name: str) -> Run:
    experiment = client.get_experiment_by_name(experiment_name)
    runs = client.search_runs([experiment.experiment_id], run_view_type=ViewType.ALL)
    assert len(runs) == 1
    return runs[0]


def artifact_text(client: MlflowClient, run_id: str, path: str, folder: Path) -> str:
    local = client.download_artifacts(run_id, path, str(folder))
    return Path(local).read_text(encoding="utf-8")


def everything_written(client: MlflowClient, run: Run, folder: Path) -> str:
    """Every param, tag, metric name, artifact and trace of `run`, as one text to search."""
    parts = [repr(run.data.params), repr(run.data.tags), repr(sorted(run.data.metrics))]
    target = folder / f"download-{run.info.run_id}"
    target.mkdir(exist_ok=True)
    local = Path(client.download_artifacts(run.info.run_id, "", str(target)))
    parts += [p.read_text(encoding="utf-8") for p in sorted(local.rglob("*")) if p.is_file()]
    for trace in client.search_traces(locations=[run.info.experiment_id]):
        parts.append(trace.to_json())
    experiment = client.get_experiment(run.info.experiment_id)
    parts += [experiment.name, repr(experiment.tags)]
    return "\n".join(parts)
