"""Executing agents from the notebook client: wait (live channel or polling), stream, cancel,
results and comparisons as DataFrames, errors with the server's message."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time

import pytest

from agents.events import ExecutionFinished, StepFinished
from tests.fakes.behaviour import Behaviour
from tests.fixtures.hub import RunningHub
from tests.notebooks.conftest import unique
from workbench.client import (
    BadRequest,
    Client,
    Conflict,
    NotFound,
    Project,
    Unprocessable,
    WaitTimeout,
)
from workbench.client.frames import CALL_COLUMNS, EXECUTION_COLUMNS, STEP_COLUMNS
from workbench.client.live import Snapshot

pytestmark = pytest.mark.hub

DEMO = {
    "name": "demo-chain",
    "defaults": {"model": "demo:writer"},
    "inputs": {"topic": "string"},
    "substeps": [
        {"id": "outline", "prompt": "Outline an essay on {{ topic }}"},
        {"id": "essay", "prompt": "Write the essay from:\n{{ outline }}"},
    ],
}


def slow_spec(model: str, *, seconds: float = 0.6) -> dict:
    """An agent whose one step calls `openai:<model>`, which the fake answers after `seconds`."""
    return {
        "name": unique("slow"),
        "defaults": {"model": f"openai:{model}"},
        "substeps": [{"id": "answer", "prompt": f"wait {seconds}"}],
    }


@pytest.fixture(scope="module")
def openai_key(client: Client) -> None:
    """A stored OpenAI key: the service sends its calls to the fake provider server."""
    client.keys.add("openai", "sk-fake-notebook-key-0001", label=unique("fake"))


@pytest.mark.parametrize("live", [True, False], ids=["live-channel", "polling"])
def test_wait_returns_the_finished_execution(
    client: Client, project: Project, openai_key: None, hub: RunningHub, live: bool
) -> None:
    model = unique("wait")
    hub.fake_provider.program(model, then=Behaviour(latency=0.6, text="first"))
    spec = {
        "name": "two-steps",
        "defaults": {"model": f"openai:{model}"},
        "substeps": [
            {"id": "first", "prompt": "one"},
            {"id": "second", "prompt": "two after {{ first }}", "model": "demo:writer"},
        ],
    }
    started = client.agents.create(project, spec).run(wait=False)
    assert started.number == 1 and not started.is_finished
    finished = client.executions.wait(started, live=live, progress=False)
    assert finished.status == "COMPLETED"
    assert [s.step_id for s in finished.steps] == ["first", "second"]
    assert all(s.status == "COMPLETED" for s in finished.steps)
    assert finished.outputs["first"] == "first"
    assert "Demo model" in finished.outputs["second"]
    assert finished.latency_ms is not None and finished.latency_ms >= 600


def test_progress_bar_counts_the_steps(
    client: Client, project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    agent = client.agents.create(project, DEMO)
    agent.run({"topic": "tides"}, progress=True)
    bar = capsys.readouterr().err
    assert "demo-chain #1" in bar
    assert "2/2" in bar and "completed" in bar


def test_results_are_dataframes(client: Client, project: Project) -> None:
    agent = client.agents.create(project, DEMO)
    first = agent.run({"topic": "tides"}, progress=False)
    agent.run({"topic": "moons"}, progress=False)
    steps = first.steps_frame()
    assert list(steps.index) == ["outline", "essay"]
    assert list(steps.columns) == list(STEP_COLUMNS[1:])
    assert set(steps["status"]) == {"COMPLETED"}
    calls = first.calls_frame()
    assert list(calls.columns) == list(CALL_COLUMNS)
    assert list(calls["model"]) == ["demo:writer", "demo:writer"]
    executions = client.executions.frame(agent=agent)
    assert list(executions.columns) == [*EXECUTION_COLUMNS, "input.topic"]
    assert list(executions["number"]) == [2, 1]  # newest first
    assert list(executions["input.topic"]) == ["moons", "tides"]


def test_compare_models_puts_each_models_answer_side_by_side(
    client: Client, project: Project, openai_key: None, hub: RunningHub
) -> None:
    model = unique("cmp")
    hub.fake_provider.program(f"{model}-b", then=Behaviour(text="answer <b>B</b>"))
    spec = {
        "name": "compare",
        "substeps": [
            {
                "id": "side_by_side",
                "kind": "compare",
                "models": [f"openai:{model}-a", f"openai:{model}-b", "demo:c"],
                "prompt": "Name a colour",
            }
        ],
    }
    execution = client.agents.create(project, spec).run(progress=False)
    comparison = execution.compare_models()
    frame = comparison.frame
    assert list(frame["model"]) == [f"openai:{model}-a", f"openai:{model}-b", "demo:c"]
    assert frame.loc[1, "output"] == "answer <b>B</b>"
    assert (frame["calls"] == 1).all() and (frame["output_tokens"] > 0).all()
    html = comparison._repr_html_()
    assert "answer &lt;b&gt;B&lt;/b&gt;" in html and "<b>B</b>" not in html
    assert comparison.plot("latency_ms").get_title().endswith("latency_ms")


def test_stream_gives_a_snapshot_then_the_engine_events(
    client: Client, project: Project, openai_key: None, hub: RunningHub
) -> None:
    model = unique("stream")
    hub.fake_provider.program(model, then=Behaviour(latency=1.5))
    started = client.agents.create(project, slow_spec(model)).run(wait=False)
    snapshot, *events = client.executions.stream(started)
    assert isinstance(snapshot, Snapshot) and snapshot.execution.id == started.id
    assert isinstance(events[-1], ExecutionFinished) and events[-1].status == "COMPLETED"
    finished = [e for e in events if isinstance(e, StepFinished)]
    assert [e.step_id for e in finished] == ["answer"]
    assert snapshot.execution.refresh().status == "COMPLETED"


def test_stream_of_a_finished_execution_is_its_snapshot(client: Client, project: Project) -> None:
    execution = client.agents.create(project, DEMO).run({"topic": "x"}, progress=False)
    messages = list(client.executions.stream(execution))
    assert len(messages) == 1 and isinstance(messages[0], Snapshot)
    assert messages[0].execution.outputs == execution.outputs


def test_astream_gives_the_same_messages_without_blocking(
    client: Client, project: Project, openai_key: None, hub: RunningHub
) -> None:
    model = unique("astream")
    hub.fake_provider.program(model, then=Behaviour(latency=1.5))
    started = client.agents.create(project, slow_spec(model)).run(wait=False)

    async def collect() -> list:
        return [message async for message in client.executions.astream(started)]

    # On a thread of its own, as a script would: a session-scoped sync Playwright (the browser
    # tests') keeps a loop running on this one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        snapshot, *events = pool.submit(asyncio.run, collect()).result()
    assert isinstance(snapshot, Snapshot)
    assert isinstance(events[-1], ExecutionFinished)
    assert any(isinstance(e, StepFinished) and e.step_id == "answer" for e in events)


def test_wait_timeout_leaves_the_execution_running(
    client: Client, project: Project, openai_key: None, hub: RunningHub
) -> None:
    model = unique("timeout")
    hub.fake_provider.program(model, then=Behaviour(latency=3))
    started = client.agents.create(project, slow_spec(model)).run(wait=False)
    before = time.monotonic()
    with pytest.raises(WaitTimeout) as raised:
        started.wait(timeout=0.5, progress=False)
    assert time.monotonic() - before < 2.5
    assert raised.value.execution.status in ("PENDING", "RUNNING")
    assert started.wait(progress=False).status == "COMPLETED"


def test_cancel_stops_the_execution_and_cannot_be_repeated(
    client: Client, project: Project, openai_key: None, hub: RunningHub
) -> None:
    model = unique("cancel")
    hub.fake_provider.program(model, then=Behaviour(latency=5))
    started = client.agents.create(project, slow_spec(model)).run(wait=False)
    cancelled = started.cancel()
    assert cancelled.status == "CANCELLED"
    with pytest.raises(Conflict) as raised:
        started.cancel()
    assert "finished" in raised.value.message or "CANCELLED" in raised.value.message


def test_failed_step_keeps_its_error(
    client: Client, project: Project, openai_key: None, hub: RunningHub
) -> None:
    model = unique("broken")
    hub.fake_provider.program(model, then=Behaviour(status=400, error_message="no such model"))
    execution = client.agents.create(project, slow_spec(model)).run(progress=False)
    assert execution.status == "FAILED"
    step = execution.step("answer")
    assert step.status == "FAILED" and step.error
    assert execution.steps_frame().loc["answer", "error"] == step.error


def test_inputs_the_agent_cannot_run_on_raise_unprocessable_with_the_servers_message(
    hub: RunningHub, notebook_user, client: Client, project: Project
) -> None:
    agent = client.agents.create(project, DEMO)
    with pytest.raises(Unprocessable) as raised:
        agent.run({"topc": "typo"}, progress=False)
    with hub.api(notebook_user) as api:
        body = api.post(f"agents/{agent.id}/execute", json={"inputs": {"topc": "typo"}}).json()
    assert raised.value.status == 422 and isinstance(raised.value, BadRequest)
    assert raised.value.message == body["error"]
    fields = {p.field for p in raised.value.errors}
    assert {"inputs.topic", "inputs.topc"} <= fields
    assert "topc" in str(raised.value)


def test_another_users_execution_is_not_found(
    client: Client, other_client: Client, project: Project
) -> None:
    execution = client.agents.create(project, DEMO).run({"topic": "x"}, progress=False)
    with pytest.raises(NotFound):
        other_client.executions.get(execution.id)
    with pytest.raises(NotFound):
        list(other_client.executions.stream(execution.id))
    client.executions.delete(execution)
    with pytest.raises(NotFound):
        client.executions.get(execution.id)
