"""Result analysis for the pages: the service layer decides who may read what, `tracking` answers.

Every call first asks the service layer for the project, agent or execution as the acting user
(another user's answers `NotFound`, as everywhere), then reads MLflow through `tracking.analysis`
with the workbench's own client. Links into the MLflow UI are built here too.
"""

from __future__ import annotations

import functools
import json
import uuid
from urllib.parse import quote

import pandas as pd

from tracking import analysis
from tracking.store import find_project_experiment
from workbench.services import Actor, Services


class TrackingAnalysis:
    def __init__(self, services: Services, tracking_uri: str, ui_url: str | None = None) -> None:
        self._services = services
        self._tracking_uri = tracking_uri
        self._ui_url = ui_url.rstrip("/") if ui_url else None

    @functools.cached_property
    def _client(self):  # -> mlflow.MlflowClient; MLflow is imported on first use
        from mlflow import MlflowClient

        return MlflowClient(self._tracking_uri)

    # -- links ---------------------------------------------------------------------------------

    def experiment_id(self, actor: Actor, project_id: uuid.UUID) -> str | None:
        project = self._services.projects.get_project(actor, project_id)
        experiment = find_project_experiment(self._client, str(project.id))
        return experiment.experiment_id if experiment is not None else None

    def experiment_url(self, actor: Actor, project_id: uuid.UUID) -> str | None:
        if self._ui_url is None:
            return None
        experiment_id = self.experiment_id(actor, project_id)
        return f"{self._ui_url}/#/experiments/{experiment_id}" if experiment_id else None

    def compare_url(self, actor: Actor, project_id: uuid.UUID, run_ids: list[str]) -> str | None:
        """The MLflow UI's compare view of these runs (of one project)."""
        if self._ui_url is None or not run_ids:
            return None
        experiment_id = self.experiment_id(actor, project_id)
        if experiment_id is None:
            return None
        runs = quote(json.dumps(run_ids))
        experiments = quote(json.dumps([experiment_id]))
        return f"{self._ui_url}/#/compare-runs?runs={runs}&experiments={experiments}"

    # -- frames --------------------------------------------------------------------------------

    def agent_executions(self, actor: Actor, agent_id: uuid.UUID) -> pd.DataFrame:
        agent = self._services.agents.get_agent(actor, agent_id)
        return analysis.agent_executions(
            self._client, project_id=str(agent.project_id), agent_id=str(agent.id)
        )

    def call_records(
        self, actor: Actor, project_id: uuid.UUID, agent_id: uuid.UUID | None = None
    ) -> pd.DataFrame:
        project = self._services.projects.get_project(actor, project_id)
        if agent_id is not None:
            agent_id = self._services.agents.get_agent(actor, agent_id).id
        return analysis.call_records(
            self._client,
            project_id=str(project.id),
            agent_id=str(agent_id) if agent_id else None,
        )

    def project_executions(self, actor: Actor, project_id: uuid.UUID) -> pd.DataFrame:
        """Every tracked execution of the project's agents, newest first."""
        frames = [
            self.agent_executions(actor, agent.id)
            for agent in self._services.agents.list_agents(actor, project_id, limit=200).items
        ]
        frames = [f for f in frames if not f.empty]
        if not frames:
            return pd.DataFrame(columns=list(analysis.EXECUTION_COLUMNS))
        joined = pd.concat(frames, ignore_index=True)
        return joined.sort_values("start_time", ascending=False, ignore_index=True)

    def step_outputs(self, actor: Actor, execution_id: uuid.UUID) -> dict[str, str]:
        execution = self._services.executions.get_execution(actor, execution_id)
        agent = self._services.agents.get_agent(actor, execution.task_agent_id)
        return analysis.step_outputs(
            self._client, project_id=str(agent.project_id), execution_id=str(execution.id)
        )
