"""A real execution on the Dask engine, against the fake provider server, recorded into MLflow."""

from __future__ import annotations

import json

from tests.fakes.behaviour import Behaviour
from tests.tracking.helpers import artifact_text, everything_written, only_run
from tests.tracking.scenarios import context_for, new_id
from tracking import SyncState
from tracking.analysis import execution_steps, model_comparison

CANARY = "sk-canary-e2e-0a1b2c3d4e5f60718293a4b5c6d7e8f9"

SPEC = {
    "name": "writer",
    "defaults": {"model": "openai:gpt-4o-mini", "temperature": 0.2, "retries": 1},
    "inputs": {"topic": "string"},
    "substeps": [
        {"id": "outline", "prompt": "Outline {{ topic }}"},
        {
            "id": "compare",
            "kind": "compare",
            "models": ["openai:gpt-4o-mini", "anthropic:claude-sonnet-4"],
            "prompt": "Explain {{ outline }}",
        },
        {
            "id": "essay",
            "kind": "feedback_loop",
            "judge": "anthropic:claude-sonnet-4",
            "criteria": "Mentions the moon.",
            "max_rounds": 2,
            "prompt": "Write about {{ outline }}",
        },
        {"id": "translate", "model": "anthropic:claude-3-haiku", "prompt": "Translate {{ essay }}"},
        {"id": "polish", "prompt": "Polish {{ translate }}"},
    ],
}


def run_tracked(engine, tracker, fake, *, api_key: str = "fake-key"):
    execution_id = new_id()
    context = context_for(execution_id, spec=SPEC, inputs={"topic": "tides"})
    credentials = fake.credentials(api_key=api_key)
    recorder = tracker.start(context, secrets=list(credentials.secret_values()))
    result = engine.submit(
        SPEC, {"topic": "tides"}, credentials, on_event=recorder, execution_id=execution_id
    ).result(timeout=60)
    assert tracker.flush(timeout=30)
    return execution_id, result


def test_a_real_execution_is_recorded_step_by_step(engine, tracker, fresh_fake_provider, tmp_path):
    fresh_fake_provider.program("claude-3-haiku", then=Behaviour(status=500, error_message="down"))
    execution_id, result = run_tracked(engine, tracker, fresh_fake_provider)

    client = tracker.store.client
    run = only_run(client, "alice/Research")
    assert result.status == "FAILED"
    assert tracker.status(execution_id).state is SyncState.SYNCED
    assert run.info.status == "FAILED"
    assert run.data.tags["workbench.execution_id"] == execution_id
    steps = execution_steps(client, project_id="proj-1", execution_id=execution_id)
    assert list(steps["status"]) == ["finished", "finished", "finished", "failed", "skipped"]
    assert steps.set_index("step_id").loc["translate", "error_type"] == "provider_error"
    assert steps.set_index("step_id").loc["translate", "retries"] == 1
    compare = json.loads(
        artifact_text(client, run.info.run_id, "steps/compare/output.json", tmp_path)
    )
    assert sorted(compare) == ["anthropic:claude-sonnet-4", "openai:gpt-4o-mini"]
    assert run.data.metrics["calls"] >= 1 + 2 + 2  # outline, both compare models, a loop round
    models = model_comparison(client, project_id="proj-1").set_index("model")
    assert models.loc["anthropic:claude-3-haiku", "success_rate"] == 0
    assert models.loc["openai:gpt-4o-mini", "input_tokens"] > 0
    trace = client.search_traces(locations=[run.info.experiment_id])[0]
    assert trace.info.trace_metadata["mlflow.sourceRun"] == run.info.run_id
    assert {s.name for s in trace.data.spans} >= {"outline", "compare", "essay", "translate"}


def test_s8_canary_key_of_a_failing_execution_never_reaches_mlflow(
    engine, tracker, fresh_fake_provider, mlflow_store, tmp_path
):
    # A provider that echoes the key it was sent into its error message.
    fresh_fake_provider.program(
        "claude-3-haiku", then=Behaviour(status=401, error_message=f"invalid x-api-key {CANARY}")
    )
    _, result = run_tracked(engine, tracker, fresh_fake_provider, api_key=CANARY)

    assert result.status == "FAILED"
    sent = json.dumps(fresh_fake_provider.requests("claude-3-haiku"))
    assert CANARY in sent  # the key was really used, and really echoed back
    client = tracker.store.client
    written = everything_written(client, only_run(client, "alice/Research"), tmp_path)
    assert "translate" in written and "401" in written
    assert CANARY not in written
    assert CANARY.encode() not in (mlflow_store.path / "mlflow.db").read_bytes()
    artifacts = [p for p in (mlflow_store.path / "artifacts").rglob("*") if p.is_file()]
    assert artifacts
    assert not [p for p in artifacts if CANARY.encode() in p.read_bytes()]
