"""An execution's events become one MLflow run in its project's experiment, read back."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from agents.events import (
    ExecutionFinished,
    ExecutionStarted,
    StepFailed,
    StepFinished,
    StepSkipped,
)
from tests.tracking.helpers import artifact_text, only_run, record_live
from tests.tracking.scenarios import (
    CLAUDE,
    GPT,
    Script,
    call,
    context_for,
    new_id,
    plain_execution,
    rich_execution,
    spec_for,
)
from tracking import SyncState, Tracker, TrackingError
from tracking.mapping import CALL_COLUMNS


def test_execution_becomes_one_run_in_its_project_experiment(tracker, mlflow_store):
    execution_id = new_id()
    record_live(tracker, context_for(execution_id), plain_execution(execution_id))

    client = mlflow_store.client()
    experiment = client.get_experiment_by_name("alice/Research")
    assert experiment.tags["workbench.project_id"] == "proj-1"
    run = only_run(client, "alice/Research")
    assert run.info.status == "FINISHED"
    assert run.info.run_name == f"writer · {execution_id[:8]}"
    assert run.data.tags["workbench.execution_id"] == execution_id
    assert run.data.tags["workbench.agent_id"] == "agent-1"
    assert run.data.tags["workbench.agent"] == "writer"
    assert run.data.tags["workbench.user"] == "alice"
    assert run.data.tags["workbench.status"] == "COMPLETED"
    assert run.data.metrics["step/outline/latency_ms"] == 100.0
    assert run.data.metrics["calls"] == 1
    status = tracker.status(execution_id)
    assert status.state is SyncState.SYNCED
    assert status.run_id == run.info.run_id


def test_rich_execution_records_each_step_and_the_totals(tracker, mlflow_store):
    execution_id = new_id()
    record_live(tracker, context_for(execution_id), rich_execution(execution_id))

    run = only_run(mlflow_store.client(), "alice/Research")
    tags, metrics = run.data.tags, run.data.metrics
    assert run.info.status == "FAILED"
    assert tags["workbench.status"] == "FAILED"
    assert "translate" in tags["workbench.error"]
    assert {
        step: tags[f"step/{step}/status"] for step in json.loads(tags["workbench.step_ids"])
    } == {
        "outline": "finished",
        "compare": "finished",
        "essay": "finished",
        "translate": "failed",
        "polish": "skipped",
    }
    assert tags["step/compare/kind"] == "compare"
    assert tags["step/compare/models"] == f"{GPT}, {CLAUDE}"
    assert tags["step/translate/error_type"] == "provider_error"
    assert tags["step/polish/skip_reason"] == "dependency 'translate' failed"
    assert tags["step/polish/skip_cause"] == "dependency_failed"
    # per step: the compare step sums both models; the loop counts its rounds
    assert metrics["step/compare/latency_ms"] == 600
    assert metrics["step/compare/input_tokens"] == 62
    assert metrics["step/compare/reasoning_tokens"] == 12
    assert metrics["step/compare/cached_input_tokens"] == 16
    assert metrics["step/compare/cost_usd"] == pytest.approx(0.006)
    assert metrics["step/essay/rounds"] == 2
    assert metrics["step/essay/calls"] == 4
    assert metrics["step/outline/retries"] == 1
    # a provider that reported nothing is not recorded as zero
    assert "step/translate/cost_usd" not in metrics
    assert "step/translate/input_tokens" not in metrics
    assert "step/outline/reasoning_tokens" not in metrics
    # totals
    assert metrics["calls"] == 8
    assert metrics["failed_calls"] == 1
    assert metrics["retries"] == 1
    assert metrics["reasoning_tokens"] == 12
    assert metrics["cached_input_tokens"] == 16
    assert (metrics["steps_completed"], metrics["steps_failed"], metrics["steps_skipped"]) == (
        3,
        1,
        1,
    )


def test_rich_execution_keeps_prompts_outputs_and_calls_as_artifacts(
    tracker, mlflow_store, tmp_path
):
    execution_id = new_id()
    record_live(tracker, context_for(execution_id), rich_execution(execution_id))
    client = mlflow_store.client()
    run_id = only_run(client, "alice/Research").info.run_id

    def read(path: str) -> str:
        return artifact_text(client, run_id, path, tmp_path)

    assert read("steps/outline/output.txt") == "1. Moon 2. Sun"
    assert json.loads(read("steps/compare/output.json")) == {
        GPT: "GPT says tides.",
        CLAUDE: "Claude says tides.",
    }
    essay = read("steps/essay/transcript.txt")
    assert essay.index("Draft one.") < essay.index("Too short.") < essay.index("Draft two")
    assert "[verdict] accept" in essay
    assert "You are a careful writer." in essay and "Write about tides." in essay
    assert "500 Internal Server Error" in read("steps/translate/error.txt")
    result = json.loads(read("result.json"))
    assert result["status"] == "FAILED"
    assert result["outputs"]["essay"] == "Draft two, longer."
    calls = json.loads(read("calls.json"))
    assert calls["columns"] == list(CALL_COLUMNS)
    assert len(calls["data"]) == 8
    rows = [dict(zip(calls["columns"], row, strict=True)) for row in calls["data"]]
    assert [r["role"] for r in rows if r["step_id"] == "essay"] == [
        "draft",
        "critique",
        "refine",
        "critique",
    ]
    assert [r["ok"] for r in rows if r["step_id"] == "translate"] == [False]
    spec = json.loads(read("agent_spec.json"))
    assert spec["substeps"][0]["id"] == "outline"
    assert json.loads(read("inputs.json")) == {"topic": "tides"}


def test_a_failed_step_keeps_what_it_produced(tracker, mlflow_store, tmp_path):
    execution_id = new_id()
    script = Script(execution_id)
    script.start("writer", ("compare",))
    answered = call(GPT, "GPT answered.")
    refused = call(CLAUDE, None, error="429 Too Many Requests", input_tokens=None, cost_usd=None)
    script.add(
        StepFailed,
        step_id="compare",
        error="anthropic kept answering 429; try again later",
        error_type="rate_limited",
        calls=(answered, refused),
        latency_ms=300,
        output={GPT: "GPT answered."},
    )
    script.finish("FAILED", {}, error="step 'compare' failed")
    record_live(tracker, context_for(execution_id), script.events)

    client = mlflow_store.client()
    run = only_run(client, "alice/Research")
    kept = artifact_text(client, run.info.run_id, "steps/compare/output.json", tmp_path)
    assert json.loads(kept) == {GPT: "GPT answered."}
    assert run.data.tags["step/compare/error_type"] == "rate_limited"
    assert run.data.metrics["failed_calls"] == 1


def test_spec_settings_become_params_and_secret_settings_are_left_out(
    tracker, mlflow_store, tmp_path
):
    execution_id = new_id()
    spec = spec_for(
        {"id": "outline", "model": GPT, "temperature": 0.7, "user": "Outline {{ topic }}"},
        {"id": "compare", "kind": "compare", "models": [GPT, CLAUDE]},
    )
    spec["defaults"]["api_key"] = "sk-should-never-be-here"
    spec["provider_settings"] = {"base_url": "http://127.0.0.1:9", "Authorization": "Bearer x1"}
    context = context_for(execution_id, spec=spec, inputs={"topic": "tides", "password": "hunter2"})
    record_live(tracker, context, plain_execution(execution_id))

    run = only_run(mlflow_store.client(), "alice/Research")
    params = run.data.params
    assert params["spec.substeps.outline.temperature"] == "0.7"
    assert params["spec.substeps.outline.user"] == "Outline {{ topic }}"
    assert json.loads(params["spec.substeps.compare.models"]) == [GPT, CLAUDE]
    assert params["spec.defaults.max_tokens"] == "512"
    assert params["input.topic"] == "tides"
    assert not [key for key in params if "api_key" in key or "Authorization" in key]
    assert "input.password" not in params
    spec_text = artifact_text(mlflow_store.client(), run.info.run_id, "agent_spec.json", tmp_path)
    assert "sk-should-never-be-here" not in spec_text and "Bearer x1" not in spec_text
    inputs_text = artifact_text(mlflow_store.client(), run.info.run_id, "inputs.json", tmp_path)
    assert "hunter2" not in inputs_text


def test_long_param_values_are_cut_not_refused(tracker, mlflow_store):
    execution_id = new_id()
    prompt = "Explain " + "very " * 2000 + "carefully."
    spec = spec_for({"id": "outline", "model": GPT, "user": prompt})
    record_live(tracker, context_for(execution_id, spec=spec), plain_execution(execution_id))

    params = only_run(mlflow_store.client(), "alice/Research").data.params
    assert len(params["spec.substeps.outline.user"]) == 500
    assert params["spec.substeps.outline.user"].startswith("Explain very")


def test_a_large_execution_is_written_in_several_batches(tracker, mlflow_store):
    """200 steps: over 1,000 metrics, 100 tags and 100 params, more than one log_batch holds."""
    execution_id = new_id()
    step_ids = tuple(f"s{n:03d}" for n in range(200))
    spec = spec_for(*({"id": s, "model": GPT, "temperature": 0.1} for s in step_ids))
    script = Script(execution_id)
    script.start("writer", step_ids)
    for step_id in step_ids:
        script.step(step_id, "prompt", [call(GPT, f"answer {step_id}")], output=f"answer {step_id}")
    script.finish("COMPLETED", {s: f"answer {s}" for s in step_ids})
    record_live(tracker, context_for(execution_id, spec=spec), script.events)

    run = only_run(mlflow_store.client(), "alice/Research")
    step_metrics = [k for k in run.data.metrics if k.startswith("step/")]
    assert len(step_metrics) == 200 * 6
    assert len([k for k in run.data.tags if k.endswith("/status")]) == 200
    assert len([k for k in run.data.params if k.startswith("spec.substeps.s")]) == 400
    assert run.data.metrics["step/s199/latency_ms"] == 100
    assert tracker.status(execution_id).state is SyncState.SYNCED


def test_recording_the_same_execution_again_keeps_one_run(tracker, mlflow_store):
    execution_id = new_id()
    context = context_for(execution_id)
    events = rich_execution(execution_id)
    record_live(tracker, context, events)
    first = tracker.status(execution_id).run_id

    again = tracker.record(context, events)
    assert again.run_id == first
    tracker.record(context, events)

    client = mlflow_store.client()
    run = only_run(client, "alice/Research")
    history = client.get_metric_history(run.info.run_id, "step/compare/latency_ms")
    assert [m.value for m in history] == [600]
    assert len(client.get_metric_history(run.info.run_id, "calls")) == 1


def test_a_backfill_needs_only_what_the_database_keeps(tracker, mlflow_store):
    """Rebuilt from stored rows: no queued/started/token/call events, only each step's end."""
    execution_id = new_id()
    spec = spec_for(
        {"id": "outline", "model": GPT},
        {"id": "compare", "kind": "compare", "models": [GPT, CLAUDE]},
        {"id": "essay", "kind": "feedback_loop", "model": GPT, "judge": CLAUDE},
        {"id": "translate", "model": CLAUDE},
        {"id": "polish", "model": GPT},
    )
    stored = (ExecutionStarted, StepFinished, StepFailed, StepSkipped, ExecutionFinished)
    events = [e for e in rich_execution(execution_id) if isinstance(e, stored)]
    tracker.record(context_for(execution_id, spec=spec), events)

    client = mlflow_store.client()
    run = only_run(client, "alice/Research")
    assert run.data.tags["step/essay/kind"] == "feedback_loop"
    assert run.data.metrics["step/essay/rounds"] == 2
    assert run.data.metrics["calls"] == 8
    trace = client.search_traces(locations=[run.info.experiment_id])[0]
    compare = next(s for s in trace.data.spans if s.name == "compare")
    starts = {s.start_time_ns for s in trace.data.spans if s.parent_id == compare.span_id}
    assert len(starts) == 1  # a compare step's calls ran side by side


def test_executions_of_two_projects_go_to_two_experiments(tracker, mlflow_store):
    first, second = new_id(), new_id()
    record_live(tracker, context_for(first), plain_execution(first))
    other = context_for(second, project_id="proj-2", project_name="Poems", owner_name="bob")
    record_live(tracker, other, plain_execution(second))

    client = mlflow_store.client()
    assert only_run(client, "alice/Research").data.tags["workbench.execution_id"] == first
    assert only_run(client, "bob/Poems").data.tags["workbench.execution_id"] == second


def test_a_renamed_project_keeps_its_experiment_under_the_new_name(tracker, mlflow_store):
    first, second = new_id(), new_id()
    record_live(tracker, context_for(first), plain_execution(first))
    renamed = Tracker(mlflow_store.tracking_uri, artifact_root=mlflow_store.artifact_root)
    with renamed:
        record_live(renamed, context_for(second, project_name="Oceans"), plain_execution(second))

    client = mlflow_store.client()
    assert client.get_experiment_by_name("alice/Research") is None
    experiment = client.get_experiment_by_name("alice/Oceans")
    runs = client.search_runs([experiment.experiment_id])
    assert {r.data.tags["workbench.execution_id"] for r in runs} == {first, second}


def test_another_project_with_the_same_name_gets_its_own_experiment(tracker, mlflow_store):
    first, second = new_id(), new_id()
    record_live(tracker, context_for(first), plain_execution(first))
    twin = context_for(second, project_id="proj-twin")
    record_live(tracker, twin, plain_execution(second))

    client = mlflow_store.client()
    assert only_run(client, "alice/Research").data.tags["workbench.execution_id"] == first
    assert (
        only_run(client, "alice/Research [proj-twi]").data.tags["workbench.execution_id"] == second
    )


@pytest.mark.parametrize(
    ("owner", "project"),
    [
        ("../../etc", "passwd"),
        ("alice", "%2e%2e%2f%2e%2e"),
        ("alice", "notes#fragment?x=1"),
        ("..", ".."),
    ],
)
def test_s10_odd_project_names_stay_inside_the_artifact_root(tracker, mlflow_store, owner, project):
    execution_id = new_id()
    context = context_for(execution_id, owner_name=owner, project_name=project)
    record_live(tracker, context, rich_execution(execution_id))

    client = mlflow_store.client()
    experiment = client.get_experiment_by_name(f"{owner}/{project}")
    assert experiment is not None
    root = Path(mlflow_store.artifact_root).resolve()
    assert experiment.artifact_location == (root / "proj-1").as_uri()
    written = [p for p in mlflow_store.path.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {"result.json", "calls.json", "transcript.txt"}
    outside = [p for p in written if p.name != "mlflow.db" and root not in p.resolve().parents]
    assert outside == []


def test_a_bad_context_is_refused_naming_the_field():
    with pytest.raises(ValueError, match=r"ExecutionContext\.execution_id"):
        context_for("../../x")
    with pytest.raises(ValueError, match=r"ExecutionContext\.project_name"):
        context_for(new_id(), project_name="  ")
    with pytest.raises(ValueError, match=r"ExecutionContext\.inputs: is not JSON"):
        context_for(new_id(), inputs={"when": object()})


def test_a_closed_tracker_refuses_new_executions(mlflow_store):
    tracker = Tracker(mlflow_store.tracking_uri, artifact_root=mlflow_store.artifact_root)
    tracker.close()
    with pytest.raises(TrackingError, match="closed"):
        tracker.start(context_for(new_id()))


def test_a_running_execution_shows_in_mlflow_before_it_ends(mlflow_store):
    execution_id = new_id()
    events = rich_execution(execution_id)
    first_step_done = next(i for i, e in enumerate(events) if isinstance(e, StepFinished))
    with Tracker(
        mlflow_store.tracking_uri, artifact_root=mlflow_store.artifact_root, write_interval_s=0.2
    ) as tracker:
        recorder = tracker.start(context_for(execution_id))
        for event in events[: first_step_done + 1]:
            recorder(event)
        client = mlflow_store.client()
        deadline = time.monotonic() + 10
        while True:  # no flush: the writer's own interval brings the step in
            experiment = client.get_experiment_by_name("alice/Research")
            runs = client.search_runs([experiment.experiment_id]) if experiment else []
            # (MLflow commits a batch's metrics and tags separately: wait for both)
            if (
                runs
                and {"step/outline/latency_ms"} <= set(runs[0].data.metrics)
                and ("step/outline/status" in runs[0].data.tags)
            ):
                break
            assert time.monotonic() < deadline, "the running execution never showed up"
            time.sleep(0.05)
        assert runs[0].info.status == "RUNNING"
        assert runs[0].data.tags["workbench.status"] == "RUNNING"
        assert runs[0].data.tags["step/outline/status"] == "finished"
        for event in events[first_step_done + 1 :]:
            recorder(event)


@pytest.mark.parametrize("uri", ["sqlite:///somewhere/mlflow.db", "postgresql://db/mlflow"])
def test_s10_a_tracking_store_needs_an_artifact_root_chosen_by_the_workbench(uri):
    with pytest.raises(ValueError, match="artifact_root is needed"):
        Tracker(uri)
