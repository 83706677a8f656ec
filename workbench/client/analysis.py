"""`client.analysis`: tracked executions as DataFrames, from the workbench's MLflow and its API.

- `executions(agent)`: one row per execution, read from MLflow (`tracking.analysis`'s
  `agent_executions`: totals, and every step's metrics as `step/<id>/<metric>` columns);
- `steps(execution)`: one row per step of one execution, from MLflow;
- `models(agent or executions)`: per model — calls, success rate, latency p50/p95, tokens, cost —
  over the executions' model calls (`tracking.analysis.compare_models`);
- `diff(a, b)`: a text diff of two executions' outputs, step by step;
- `compare_url(executions)` / `experiment_url(project)`: MLflow's own compare view and
  experiment page, behind the hub login.

MLflow is reached through the workbench (`workbench.client.mlflow_store`), which shows each user
only the experiments of projects they may read. Tracking runs beside the execution, so a run may
reach MLflow a moment after its execution finished: `executions()` waits for that.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from workbench.client import mlflow_store
from workbench.client.errors import WorkbenchClientError
from workbench.client.models import Agent, Execution, Project, id_of

if TYPE_CHECKING:
    import pandas as pd
    from mlflow import MlflowClient

    from workbench.client.client import Client

TRACKING_WAIT_S = 60.0
POLL_S = 0.5


class NotTracked(WorkbenchClientError):
    """An execution has no MLflow run yet (tracking pending, or it has not finished)."""


class Analysis:
    def __init__(self, client: Client) -> None:
        self._client = client
        self._mlflow: MlflowClient | None = None

    @property
    def tracking_uri(self) -> str:
        """This workbench's MLflow, for `mlflow.set_tracking_uri` or `MlflowClient`."""
        return mlflow_store.tracking_uri(self._client.connection)

    @property
    def ui_url(self) -> str:
        """The MLflow UI, behind the hub login."""
        return mlflow_store.mlflow_url(self._client.connection) + "/"

    def mlflow_client(self) -> MlflowClient:
        if self._mlflow is None:
            from mlflow import MlflowClient

            self._mlflow = MlflowClient(self.tracking_uri)
        return self._mlflow

    # ---- DataFrames ----------------------------------------------------------------------------

    def executions(self, agent: Agent | str, *, timeout: float = TRACKING_WAIT_S) -> pd.DataFrame:
        """One row per execution of `agent` from MLflow, newest first (`tracking.analysis`'s
        `EXECUTION_COLUMNS`, then `step/<id>/<metric>` columns). Waits up to `timeout` seconds
        for finished executions whose run is still being written."""
        from tracking.analysis import agent_executions

        agent = self._agent(agent)
        self.wait_tracked(agent.executions(), timeout=timeout)
        return agent_executions(
            self.mlflow_client(), project_id=str(agent.project_id), agent_id=str(agent.id)
        )

    def steps(self, execution: Execution | str) -> pd.DataFrame:
        """One row per step of `execution`, from its MLflow run (`STEP_COLUMNS`)."""
        from tracking.analysis import execution_steps

        (tracked,) = self.wait_tracked([self._execution(execution)])
        agent = self._client.agents.get(str(tracked.task_agent_id))
        return execution_steps(
            self.mlflow_client(), project_id=str(agent.project_id), execution_id=tracked.id
        )

    def models(self, of: Agent | str | Iterable[Execution]) -> pd.DataFrame:
        """Per model across the executions (an agent's, or the ones given): `MODEL_COLUMNS` of
        `tracking.analysis`, from every model call the executions made."""
        from tracking.analysis import compare_models

        if isinstance(of, Agent | str):
            executions = self._client.executions.list(agent=self._agent(of))
        else:
            executions = list(of)
        # Listings leave out the steps: fetch each execution whole.
        whole = [e if e.steps else self._client.executions.get(e.id) for e in executions]
        return compare_models(call_records(whole))

    def diff(self, a: Execution | str, b: Execution | str, *, context_lines: int = 3) -> str:
        """A unified diff of two executions' outputs, one section per step."""
        from tracking.analysis import diff_step_outputs

        first, second = self._execution(a), self._execution(b)
        return diff_step_outputs(
            _texts(first.outputs),
            _texts(second.outputs),
            label_a=f"#{first.number}",
            label_b=f"#{second.number}",
            context_lines=context_lines,
        )

    # ---- links into the MLflow UI --------------------------------------------------------------

    def compare_url(self, executions: Sequence[Execution]) -> str:
        """MLflow's compare view of these executions' runs (of one project)."""
        tracked = self.wait_tracked([self._execution(e) for e in executions])
        if not tracked:
            raise ValueError("executions: give at least one execution")
        run_ids = [str(e.mlflow_run_id) for e in tracked]
        client = self.mlflow_client()
        experiments = sorted({client.get_run(run_id).info.experiment_id for run_id in run_ids})
        return (
            f"{self.ui_url}#/compare-runs?runs={quote(json.dumps(run_ids))}"
            f"&experiments={quote(json.dumps(experiments))}"
        )

    def experiment_url(self, project: Project | str) -> str:
        """The project's experiment in the MLflow UI (once one of its executions was tracked)."""
        from tracking.store import find_project_experiment

        project_id = id_of(project, "project")
        experiment = find_project_experiment(self.mlflow_client(), project_id)
        if experiment is None:
            raise NotTracked(f"project {project_id} has no tracked execution yet")
        return f"{self.ui_url}#/experiments/{experiment.experiment_id}"

    # ---- waiting for tracking ------------------------------------------------------------------

    def wait_tracked(
        self, executions: Iterable[Execution], *, timeout: float = TRACKING_WAIT_S
    ) -> list[Execution]:
        """The executions once each finished one has its MLflow run; `NotTracked` after
        `timeout` seconds (unfinished executions are returned as they are)."""
        deadline = time.monotonic() + timeout
        result = []
        for execution in executions:
            while execution.is_finished and not execution.mlflow_run_id:
                if time.monotonic() > deadline:
                    raise NotTracked(
                        f"execution {execution.id} is not in MLflow yet (tracking "
                        f"{execution.tracking_status}); try again in a moment"
                    )
                time.sleep(POLL_S)
                execution = self._client.executions.get(execution.id)
            result.append(execution)
        return result

    def _agent(self, agent: Agent | str) -> Agent:
        return agent if isinstance(agent, Agent) else self._client.agents.get(agent)

    def _execution(self, execution: Execution | str) -> Execution:
        if isinstance(execution, Execution) and execution.is_finished and execution.steps:
            return execution
        return self._client.executions.get(id_of(execution, "execution"))


def call_records(executions: Iterable[Execution]) -> pd.DataFrame:
    """Every model call of the executions, in `tracking.analysis`'s `CALL_RECORD_COLUMNS`."""
    import pandas as pd

    from tracking.analysis import CALL_RECORD_COLUMNS

    rows: list[dict[str, Any]] = []
    for execution in executions:
        for step in execution.steps:
            for position, call in enumerate(step.calls, start=1):
                model = str(call.get("model", ""))
                rows.append(
                    {
                        **call,
                        "execution_id": execution.id,
                        "run_id": execution.mlflow_run_id,
                        "agent_id": str(execution.task_agent_id),
                        "agent_name": execution.agent_name,
                        "start_time": pd.Timestamp(step.started_at) if step.started_at else None,
                        "step_id": step.step_id,
                        "call": position,
                        "provider": model.partition(":")[0],
                        "ok": call.get("error") is None,
                    }
                )
    return pd.DataFrame(rows, columns=list(CALL_RECORD_COLUMNS))


def _texts(outputs: dict[str, Any]) -> dict[str, str]:
    return {
        step: value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
        for step, value in outputs.items()
    }
