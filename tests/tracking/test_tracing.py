"""Each finished execution is an MLflow trace linked to its run: agent, steps, model calls."""

from __future__ import annotations

from tests.tracking.helpers import only_run, record_live
from tests.tracking.scenarios import CLAUDE, GPT, context_for, new_id, rich_execution
from tracking import Tracker


def the_trace(client, run):
    traces = client.search_traces(locations=[run.info.experiment_id])
    assert len(traces) == 1
    return traces[0]


def test_execution_trace_is_linked_to_its_run(tracker, mlflow_store):
    execution_id = new_id()
    record_live(tracker, context_for(execution_id), rich_execution(execution_id))

    client = mlflow_store.client()
    run = only_run(client, "alice/Research")
    trace = the_trace(client, run)
    assert trace.info.trace_metadata["mlflow.sourceRun"] == run.info.run_id
    assert trace.info.tags["workbench.execution_id"] == execution_id
    assert trace.info.state.value == "ERROR"  # the execution failed
    by_name = {span.name: span for span in trace.data.spans}
    root = by_name["writer"]
    assert root.parent_id is None
    assert root.inputs == {"topic": "tides"}
    steps = [s for s in trace.data.spans if s.parent_id == root.span_id]
    assert [s.name for s in steps] == ["outline", "compare", "essay", "translate"]
    assert by_name["translate"].status.status_code.value == "ERROR"


def test_each_model_call_is_a_chat_span_with_messages_and_usage(tracker, mlflow_store):
    execution_id = new_id()
    record_live(tracker, context_for(execution_id), rich_execution(execution_id))

    client = mlflow_store.client()
    trace = the_trace(client, only_run(client, "alice/Research"))
    compare = next(s for s in trace.data.spans if s.name == "compare")
    calls = [s for s in trace.data.spans if s.parent_id == compare.span_id]
    assert sorted(s.name for s in calls) == [f"{CLAUDE} · answer", f"{GPT} · answer"]
    claude = next(s for s in calls if s.name.startswith(CLAUDE))
    assert claude.span_type == "CHAT_MODEL"
    assert claude.inputs["messages"][-1] == {"role": "user", "content": "Write about tides."}
    assert claude.outputs == "Claude says tides."
    assert claude.get_attribute("mlflow.chat.tokenUsage") == {
        "input_tokens": 32,
        "output_tokens": 50,
        "total_tokens": 82,
        "cache_read_input_tokens": 16,
    }
    essay = next(s for s in trace.data.spans if s.name == "essay")
    rounds = [s.name for s in trace.data.spans if s.parent_id == essay.span_id]
    assert f"{CLAUDE} · critique · round 2" in rounds


def test_writing_an_execution_twice_keeps_one_trace(tracker, mlflow_store):
    execution_id = new_id()
    context, events = context_for(execution_id), rich_execution(execution_id)
    record_live(tracker, context, events)
    tracker.record(context, events)

    client = mlflow_store.client()
    trace = the_trace(client, only_run(client, "alice/Research"))
    assert len([s for s in trace.data.spans if s.name == "compare"]) == 1


def test_tracing_can_be_turned_off(mlflow_store):
    execution_id = new_id()
    with Tracker(
        mlflow_store.tracking_uri, artifact_root=mlflow_store.artifact_root, tracing=False
    ) as tracker:
        record_live(tracker, context_for(execution_id), rich_execution(execution_id))

    client = mlflow_store.client()
    run = only_run(client, "alice/Research")
    assert client.search_traces(locations=[run.info.experiment_id]) == []
