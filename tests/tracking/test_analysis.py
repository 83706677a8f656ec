"""The analysis DataFrames and the output diff, over a known set of recorded executions."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from tests.tracking.scenarios import (
    CLAUDE,
    GPT,
    START,
    context_for,
    new_id,
    plain_execution,
    rich_execution,
)
from tracking import Tracker
from tracking.analysis import (
    CALL_RECORD_COLUMNS,
    EXECUTION_COLUMNS,
    MODEL_COLUMNS,
    STEP_COLUMNS,
    RunNotFound,
    agent_executions,
    call_records,
    diff_step_outputs,
    execution_steps,
    model_comparison,
    output_diff,
    step_outputs,
)


@dataclass(frozen=True)
class Recorded:
    """Executions recorded for the analysis tests, oldest first within the writer agent."""

    first: str  # plain, "Tides follow the moon."
    second: str  # plain, "Tides follow the moon and sun."
    rich: str  # every kind of step, FAILED
    other_agent: str  # plain, agent-2 of the same project
    other_project: str  # plain, a project of bob's


@pytest.fixture(scope="module")
def client(mlflow_module_store):
    return mlflow_module_store.client()


@pytest.fixture(scope="module")
def recorded(mlflow_module_store) -> Recorded:
    store = mlflow_module_store
    ids = Recorded(new_id(), new_id(), new_id(), new_id(), new_id())
    with Tracker(store.tracking_uri, artifact_root=store.artifact_root) as tracker:
        tracker.record(context_for(ids.first), plain_execution(ids.first, start_at=START))
        tracker.record(
            context_for(ids.second),
            plain_execution(
                ids.second, answer="Tides follow the moon and sun.", start_at=START + 60
            ),
        )
        tracker.record(context_for(ids.rich), rich_execution(ids.rich, start_at=START + 120))
        tracker.record(
            context_for(ids.other_agent, agent_id="agent-2", agent_name="poet"),
            plain_execution(ids.other_agent, start_at=START + 180),
        )
        tracker.record(
            context_for(ids.other_project, project_id="proj-2", owner_name="bob"),
            plain_execution(ids.other_project, start_at=START + 240),
        )
    return ids


def test_agent_executions_lists_one_row_per_execution_newest_first(client, recorded):
    frame = agent_executions(client, project_id="proj-1", agent_id="agent-1")

    assert list(frame.columns[: len(EXECUTION_COLUMNS)]) == list(EXECUTION_COLUMNS)
    assert list(frame["execution_id"]) == [recorded.rich, recorded.second, recorded.first]
    assert list(frame["status"]) == ["FAILED", "COMPLETED", "COMPLETED"]
    assert list(frame["calls"]) == [8, 1, 1]
    assert frame.loc[0, "steps_failed"] == 1
    assert frame.loc[0, "step/compare/latency_ms"] == 600
    assert math.isnan(frame.loc[1, "step/compare/latency_ms"])  # the plain agent has no compare
    assert frame.loc[2, "start_time"].timestamp() == pytest.approx(START + 0.01)
    assert set(frame["user"]) == {"alice"}


def test_execution_steps_follow_the_agent_order(client, recorded):
    frame = execution_steps(client, project_id="proj-1", execution_id=recorded.rich)

    assert list(frame.columns) == list(STEP_COLUMNS)
    assert list(frame["step_id"]) == ["outline", "compare", "essay", "translate", "polish"]
    assert list(frame["status"]) == ["finished", "finished", "finished", "failed", "skipped"]
    steps = frame.set_index("step_id")
    assert steps.loc["compare", "models"] == [GPT, CLAUDE]
    assert steps.loc["compare", "cost_usd"] == pytest.approx(0.006)
    assert steps.loc["essay", "rounds"] == 2
    assert steps.loc["essay", "kind"] == "feedback_loop"
    assert steps.loc["translate", "error_type"] == "provider_error"
    assert steps.loc["polish", "skip_reason"] == "dependency 'translate' failed"
    assert steps.loc["polish", "skip_cause"] == "dependency_failed"
    assert math.isnan(steps.loc["polish", "latency_ms"])


def test_model_comparison_aggregates_every_call_of_the_project(client, recorded):
    frame = model_comparison(client, project_id="proj-1")

    assert list(frame.columns) == list(MODEL_COLUMNS)
    models = frame.set_index("model")
    assert list(models.index) == [CLAUDE, GPT]
    gpt, claude = models.loc[GPT], models.loc[CLAUDE]
    # gpt: one call in each of three plain runs; outline, compare, draft and refine in the rich one
    assert (gpt["calls"], gpt["executions"], gpt["failed_calls"]) == (7, 4, 0)
    assert gpt["success_rate"] == 1.0
    assert gpt["latency_p50_ms"] == 120  # of 100, 100, 100, 120, 200, 300, 350
    assert gpt["cost_usd"] == pytest.approx(0.008)
    assert gpt["retries"] == 1
    # claude: compare, two critiques, and the failed translation
    assert (claude["calls"], claude["failed_calls"]) == (4, 1)
    assert claude["success_rate"] == 0.75
    assert claude["latency_p50_ms"] == 135  # of 80, 120, 150, 400
    assert claude["latency_p95_ms"] == pytest.approx(362.5)
    assert claude["input_tokens"] == 52  # the failed call reported none
    assert claude["cached_input_tokens"] == 16
    assert claude["uncached_input_tokens"] == 36
    assert claude["reasoning_tokens"] == 12
    # only the compare call has a price: the cost is partial, and says so
    assert (claude["priced_calls"], claude["cost_usd"]) == (1, pytest.approx(0.004))
    assert math.isnan(gpt["reasoning_tokens"])


def test_model_comparison_can_be_narrowed_to_one_agent(client, recorded):
    frame = model_comparison(client, project_id="proj-1", agent_id="agent-2")

    assert list(frame["model"]) == [GPT]
    assert frame.loc[0, "calls"] == 1


def test_call_records_name_their_execution(client, recorded):
    frame = call_records(client, project_id="proj-1", agent_id="agent-1")

    assert list(frame.columns) == list(CALL_RECORD_COLUMNS)
    assert len(frame) == 10
    rich = frame[frame["execution_id"] == recorded.rich]
    assert list(rich["role"][rich["step_id"] == "essay"]) == [
        "draft",
        "critique",
        "refine",
        "critique",
    ]
    assert set(frame["agent_name"]) == {"writer"}


def test_an_unknown_project_gives_empty_frames_with_the_documented_columns(client, recorded):
    client = client
    executions = agent_executions(client, project_id="nobody", agent_id="agent-1")
    models = model_comparison(client, project_id="nobody")

    assert executions.empty and list(executions.columns) == list(EXECUTION_COLUMNS)
    assert models.empty and list(models.columns) == list(MODEL_COLUMNS)


def test_an_execution_of_another_project_is_not_found(client, recorded):
    with pytest.raises(RunNotFound, match=recorded.other_project):
        execution_steps(client, project_id="proj-1", execution_id=recorded.other_project)


def test_output_diff_shows_what_changed_step_by_step(client, recorded):
    text = output_diff(
        client,
        project_id="proj-1",
        execution_a=recorded.first,
        execution_b=recorded.second,
    )

    assert text.startswith("=== step outline ===\n")
    assert "\n-Tides follow the moon.\n+Tides follow the moon and sun." in text
    assert f"--- {recorded.first[:8]}/outline" in text


def test_output_diff_names_steps_only_one_execution_has(client, recorded):
    text = output_diff(
        client,
        project_id="proj-1",
        execution_a=recorded.first,
        execution_b=recorded.rich,
    )

    sections = text.strip().split("\n\n")
    assert sections[0].startswith("=== step outline ===\n--- ")
    assert sections[1:] == [
        f"=== step compare ===\nonly in {recorded.rich[:8]}",
        f"=== step essay ===\nonly in {recorded.rich[:8]}",
    ]


def test_step_outputs_show_each_model_of_a_compare_step(client, recorded):
    outputs = step_outputs(client, project_id="proj-1", execution_id=recorded.rich)

    assert list(outputs) == ["outline", "compare", "essay"]  # the failed step has no output
    assert outputs["compare"] == (f"[{GPT}]\nGPT says tides.\n\n[{CLAUDE}]\nClaude says tides.")


def test_diff_of_equal_outputs_says_so():
    text = diff_step_outputs({"a": "same", "b": "x\ny"}, {"a": "same", "b": "x\nz"})

    assert "=== step a ===\nsame output" in text
    assert "-y\n+z" in text
