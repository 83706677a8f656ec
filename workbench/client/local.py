"""Prototype an agent in the notebook: run a spec with the `agents` engine, no server involved.

    from workbench.client.local import LocalRunner
    local = LocalRunner()                      # keys from your environment, see below
    execution = local.run(spec, {"topic": "tides"})
    local.runs(spec)                           # the runs so far, from the local MLflow store
    client.agents.create(project, spec)        # then push the same spec to the workbench

The engine runs in this process (an in-process Dask cluster) with the keys you give it:
`keys={"openai": "sk-..."}`, an `agents.credentials.Credentials`, or, by default, your own
environment, read the way the providers' SDKs read it:

| provider            | key                                  | endpoint (optional)          |
|---------------------|--------------------------------------|------------------------------|
| `openai`            | `OPENAI_API_KEY`                     | `OPENAI_BASE_URL`            |
| `anthropic`         | `ANTHROPIC_API_KEY`                  | `ANTHROPIC_BASE_URL`         |
| `google`            | `GOOGLE_API_KEY` or `GEMINI_API_KEY` | `GOOGLE_GEMINI_BASE_URL`     |
| `openai-compatible` | `OPENAI_COMPATIBLE_API_KEY`          | `OPENAI_COMPATIBLE_BASE_URL` |

The `demo` provider needs no key. Keys stay in this process: the workbench never sees them.

Every run is tracked into a local MLflow store (`~/.workbench/local/` unless `tracking_uri` says
otherwise), in the experiment `<you>/<project>` with the same layout the workbench uses, so
`tracking.analysis` reads it the same way and `mlflow ui --backend-store-uri <tracking_uri>`
shows it. Interrupting a local run (Ctrl-C, the kernel's stop button) cancels it.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import queue
import re
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.credentials import Credentials, ProviderCredential
from agents.events import (
    Event,
    ExecutionFinished,
    StepFailed,
    StepFinished,
    StepSkipped,
    StepStarted,
    StepToken,
)
from agents.results import ExecutionResult
from agents.spec import AgentSpec
from workbench.client.agents import SpecLike
from workbench.client.models import Execution, ExecutionStep
from workbench.client.progress import StepProgress

if TYPE_CHECKING:
    import pandas as pd
    from mlflow import MlflowClient

    from agents.engine import Engine
    from tracking import Tracker

LOCAL_DIR = Path(".workbench") / "local"  # under the home directory
TRACKING_FLUSH_S = 30.0
WAKE_S = 0.25

# provider -> (key variables, in order of preference; endpoint variable)
ENVIRONMENT_KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    "openai": (("OPENAI_API_KEY",), "OPENAI_BASE_URL"),
    "anthropic": (("ANTHROPIC_API_KEY",), "ANTHROPIC_BASE_URL"),
    "google": (("GOOGLE_API_KEY", "GEMINI_API_KEY"), "GOOGLE_GEMINI_BASE_URL"),
    "openai-compatible": (("OPENAI_COMPATIBLE_API_KEY",), "OPENAI_COMPATIBLE_BASE_URL"),
}


def credentials_from_environment(environ: Mapping[str, str] | None = None) -> Credentials:
    """The providers' keys (and endpoints) found in the environment; see the module docstring."""
    env = os.environ if environ is None else environ
    found: dict[str, ProviderCredential] = {}
    for provider, (key_names, url_name) in ENVIRONMENT_KEYS.items():
        key = next((env[name].strip() for name in key_names if env.get(name, "").strip()), None)
        url = env.get(url_name, "").strip() or None
        if key is None and not (provider == "openai-compatible" and url):
            continue  # a local OpenAI-compatible server (Ollama) may need no key
        found[provider] = ProviderCredential(api_key=key, base_url=url)
    return Credentials(found)


def _identifier(text: str) -> str:
    """`text` as an id the tracker accepts: letters, digits, '-' and '_'."""
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:100]
    return cleaned or "agent"


def _user_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in a bare container
        return "notebook"


class LocalRunner:
    """Runs specs in this process and tracks them to a local MLflow store."""

    def __init__(
        self,
        *,
        keys: Mapping[str, str] | None = None,
        credentials: Credentials | None = None,
        tracking_uri: str | None = None,
        artifact_root: str | None = None,
        project: str = "local",
        track: bool = True,
        engine: Engine | None = None,
    ) -> None:
        if keys is not None and credentials is not None:
            raise ValueError("keys, credentials: give one of them, not both")
        if keys is not None:
            credentials = Credentials.of(**keys)
        self.credentials = credentials or credentials_from_environment()
        self.project = project
        self.user_name = _user_name()
        if tracking_uri is None:
            folder = Path.home() / LOCAL_DIR
            folder.mkdir(parents=True, exist_ok=True)
            tracking_uri = f"sqlite:///{folder / 'mlflow.db'}"
            artifact_root = artifact_root or str(folder / "artifacts")
        self.tracking_uri = tracking_uri
        self._artifact_root = artifact_root
        self._track = track
        self._tracker: Tracker | None = None
        self._engine = engine
        self._owns_engine = engine is None
        self.executions: list[Execution] = []

    # ---- running -------------------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            from agents.engine import Engine

            self._engine = Engine().wait_ready()
        return self._engine

    def run(
        self,
        spec: SpecLike,
        inputs: Mapping[str, Any] | None = None,
        *,
        progress: bool = True,
        timeout: float | None = None,
    ) -> Execution:
        """Run `spec` on `inputs` here and return the finished execution.

        A spec or inputs with problems raise `agents.spec.SpecValidationError` listing every
        one, before anything runs. `timeout` (seconds) cancels the run when it is exceeded.
        """
        agent = _as_spec(spec)
        execution_id = str(uuid.uuid4())
        resolved = agent.check(dict(inputs or {})).resolve_inputs(dict(inputs or {}))
        recorder = self._recorder(agent, execution_id, resolved)
        events: queue.SimpleQueue[Event] = queue.SimpleQueue()

        def on_event(event: Event) -> None:  # on the engine's dispatcher thread
            if recorder is not None:
                recorder(event)
            events.put(event)

        handle = self.engine.submit(
            agent, resolved, self.credentials, on_event=on_event, execution_id=execution_id
        )
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            label = f"{agent.name} (local)"
            with StepProgress(label, total=len(agent.substeps), enabled=progress) as bar:
                while True:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        raise TimeoutError(f"the local run took longer than {timeout:g} s")
                    try:
                        # Short waits, so that Ctrl-C is seen at once.
                        event = events.get(timeout=min(remaining or WAKE_S, WAKE_S))
                    except queue.Empty:
                        continue
                    if isinstance(event, StepToken):
                        continue
                    bar.tally.apply_event(event)
                    bar.update()
                    if isinstance(event, ExecutionFinished):
                        break
        except (KeyboardInterrupt, TimeoutError):
            handle.cancel()
            raise
        result = handle.result()
        run_id, tracking_status = self._tracking_of(execution_id)
        execution = execution_of(agent, resolved, result, run_id, tracking_status)
        self.executions.append(execution)
        return execution

    # ---- what was tracked ----------------------------------------------------------------------

    def mlflow_client(self) -> MlflowClient:
        from mlflow import MlflowClient

        return MlflowClient(self.tracking_uri)

    def runs(self, spec: SpecLike) -> pd.DataFrame:
        """Every tracked run of `spec` (by name) in the local store: `tracking.analysis`'s
        `agent_executions` columns, newest first."""
        from tracking.analysis import agent_executions

        agent = _as_spec(spec)
        return agent_executions(
            self.mlflow_client(), project_id=self.project_id, agent_id=_identifier(agent.name)
        )

    @property
    def project_id(self) -> str:
        return _identifier(self.project)

    def frame(self) -> pd.DataFrame:
        """This session's runs as a DataFrame (see `workbench.client.frames.executions_frame`)."""
        from workbench.client.frames import executions_frame

        return executions_frame(self.executions)

    def close(self) -> None:
        if self._tracker is not None:
            self._tracker.close()
            self._tracker = None
        if self._owns_engine and self._engine is not None:
            self._engine.close()
            self._engine = None

    def __enter__(self) -> LocalRunner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- tracking ------------------------------------------------------------------------------

    def _recorder(self, agent: AgentSpec, execution_id: str, inputs: dict[str, Any]) -> Any:
        if not self._track:
            return None
        from tracking import ExecutionContext, Tracker

        if self._tracker is None:
            self._tracker = Tracker(self.tracking_uri, artifact_root=self._artifact_root)
        context = ExecutionContext(
            execution_id=execution_id,
            project_id=self.project_id,
            project_name=self.project,
            owner_name=self.user_name,
            agent_id=_identifier(agent.name),
            agent_name=agent.name,
            user_name=self.user_name,
            spec=agent.to_dict(),
            inputs=inputs,
        )
        return self._tracker.start(context, secrets=self.credentials.secret_values())

    def _tracking_of(self, execution_id: str) -> tuple[str | None, str | None]:
        if self._tracker is None:
            return None, None
        self._tracker.flush(TRACKING_FLUSH_S)
        status = self._tracker.status(execution_id)
        if status is None:
            return None, None
        return status.run_id, status.state.value.upper()


def _as_spec(spec: SpecLike) -> AgentSpec:
    if isinstance(spec, AgentSpec):
        return spec
    if isinstance(spec, Path):
        spec = spec.read_text(encoding="utf-8")
    if isinstance(spec, str):
        return AgentSpec.from_yaml(spec)
    return AgentSpec.parse(spec)


def _time(epoch: float | None) -> dt.datetime | None:
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


def execution_of(
    spec: AgentSpec,
    inputs: dict[str, Any],
    result: ExecutionResult,
    run_id: str | None,
    tracking_status: str | None,
) -> Execution:
    """A local run as the same `Execution` record the server returns, for the same display."""
    started: dict[str, float] = {}
    ended: dict[str, float] = {}
    for event in result.events:
        step_id = getattr(event, "step_id", None)
        if isinstance(event, StepStarted):
            started[event.step_id] = event.at
        elif step_id is not None and isinstance(event, StepFinished | StepFailed | StepSkipped):
            ended[step_id] = event.at
    first = result.events[0].at if result.events else None
    last = result.events[-1].at if result.events else None
    dependencies = spec.dependencies()
    steps = []
    for position, step in enumerate(spec.substeps):
        outcome = result.steps.get(step.id)
        steps.append(
            ExecutionStep(
                step_id=step.id,
                position=position,
                kind=step.kind,
                status=outcome.status if outcome else "SKIPPED",
                models=list(dict.fromkeys(m for m in step.model_refs(spec.defaults).values() if m)),
                depends_on=list(dependencies.get(step.id, ())),
                started_at=_time(started.get(step.id)),
                finished_at=_time(ended.get(step.id)),
                latency_ms=outcome.latency_ms if outcome else None,
                input_tokens=outcome.input_tokens if outcome else None,
                output_tokens=outcome.output_tokens if outcome else None,
                cost_usd=outcome.cost_usd if outcome else None,
                retries=outcome.retries if outcome else 0,
                output=outcome.output if outcome else None,
                error=outcome.error if outcome else None,
                error_type=outcome.error_type if outcome else None,
                details={"calls": [c.to_dict() for c in outcome.calls]} if outcome else {},
            )
        )
    return Execution(
        id=result.execution_id,
        status=result.status,
        inputs=inputs,
        spec=spec.to_dict(),
        result=dict(result.outputs),
        error=result.error,
        started_at=_time(first),
        finished_at=_time(last),
        latency_ms=result.latency_ms,
        input_tokens=result.input_tokens,
        output_tokens=result.output_tokens,
        cost_usd=result.cost_usd,
        mlflow_run_id=run_id,
        tracking_status=tracking_status,
        steps=tuple(steps),
    )
