"""Executions: persisted before submission, driven by engine events, never lost or resurrected."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from agents import events
from agents.events import CallRecord
from agents.spec import AgentSpec
from workbench.db import Database, models
from workbench.errors import Conflict, InvalidInput, NotFound
from workbench.services import (
    Actor,
    ExecutionStatus,
    Services,
    StepStatus,
    TaskAgent,
    TrackingStatus,
)
from workbench.services.executions import INTERRUPTED

from .bodies import agent_body
from .rows import count


@pytest.fixture
def agent(services: Services, alice: Actor) -> TaskAgent:
    project = services.projects.create_project(alice, {"name": "essays"})
    return services.agents.create_agent(alice, project.id, agent_body())


def call(model: str, output: str, cost: float | None = 0.001) -> CallRecord:
    return CallRecord(
        model=model,
        role="variant",
        user_prompt="p",
        output=output,
        latency_ms=12.0,
        input_tokens=5,
        output_tokens=7,
        cost_usd=cost,
    )


def test_create_execution_is_pending_with_a_snapshot_of_the_agent(
    services: Services, alice: Actor, agent: TaskAgent
) -> None:
    execution = services.executions.create_execution(alice, agent.id, {"topic": "moons"})
    assert execution.status is ExecutionStatus.PENDING
    assert execution.number == 1
    assert execution.inputs == {"topic": "moons"}
    spec = AgentSpec.parse(execution.spec)
    assert (spec.name, spec.step_ids()) == ("writer", ("outline", "compare"))
    services.agents.update_agent(alice, agent.id, {"substeps": [agent.substeps[0]]})
    again = services.executions.get_execution(alice, execution.id)
    assert again.spec == execution.spec  # what ran, not what the agent became


def test_missing_inputs_take_their_defaults(
    services: Services, alice: Actor, agent: TaskAgent
) -> None:
    assert services.executions.create_execution(alice, agent.id, {}).inputs == {"topic": "tides"}


@pytest.mark.parametrize(
    ("inputs", "field"),
    [({"topic": 3}, "inputs.topic"), ({"topik": "x"}, "inputs.topik"), ({}, "inputs.topic")],
)
def test_bad_inputs_are_named_and_nothing_is_written(
    services: Services, db: Database, alice: Actor, inputs: dict, field: str
) -> None:
    project = services.projects.create_project(alice, {"name": "p"})
    agent = services.agents.create_agent(
        alice, project.id, agent_body(configuration={"inputs": {"topic": "string"}})
    )
    with pytest.raises(InvalidInput) as caught:
        services.executions.create_execution(alice, agent.id, inputs)
    assert field in {error.field for error in caught.value.errors}
    assert count(db, models.Execution) == 0


def test_list_an_agents_executions_newest_first_in_pages(
    services: Services, alice: Actor, agent: TaskAgent
) -> None:
    created = [services.executions.create_execution(alice, agent.id, {}) for _ in range(3)]
    first = services.executions.list_executions(alice, agent_id=agent.id, limit=2)
    rest = services.executions.list_executions(alice, agent_id=agent.id, offset=2, limit=2)
    assert [e.number for e in first.items + rest.items] == [3, 2, 1]
    assert [e.id for e in first.items + rest.items] == [e.id for e in reversed(created)]
    assert first.total == 3


def test_list_executions_filters_by_status(
    services: Services, alice: Actor, agent: TaskAgent
) -> None:
    done = services.executions.create_execution(alice, agent.id, {})
    services.executions.create_execution(alice, agent.id, {})
    services.executions.finish(done.id, ExecutionStatus.COMPLETED, result={})
    page = services.executions.list_executions(alice, status="COMPLETED")
    assert [e.id for e in page.items] == [done.id]


def test_unknown_status_filter_names_the_field(services: Services, alice: Actor) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.executions.list_executions(alice, status="DONE")
    assert caught.value.field == "status"


def test_inputs_must_be_a_json_object(
    services: Services, db: Database, alice: Actor, agent: TaskAgent
) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.executions.create_execution(alice, agent.id, ["not", "an", "object"])  # type: ignore[arg-type]
    assert caught.value.field == "inputs"
    assert count(db, models.Execution) == 0


@pytest.mark.parametrize("at_once", [False, True], ids=["one-by-one", "in-one-transaction"])
def test_engine_events_record_every_step_and_the_result(
    services: Services, alice: Actor, agent: TaskAgent, at_once: bool
) -> None:
    execution = services.executions.create_execution(alice, agent.id, {"topic": "tides"})
    eid = str(execution.id)
    calls = (call("demo:echo", "A"), call("demo:upper", "B"))
    stream = [
        events.ExecutionStarted(eid, agent_name="writer", step_ids=("outline", "compare")),
        events.StepQueued(eid, step_id="outline"),
        events.StepQueued(eid, step_id="compare", depends_on=("outline",)),
        events.StepStarted(eid, step_id="outline", models=("demo:echo",)),
        events.StepToken(eid, step_id="outline", model="demo:echo", text="o"),
        events.StepFinished(
            eid,
            step_id="outline",
            output="o",
            latency_ms=10.0,
            input_tokens=3,
            output_tokens=4,
            cost_usd=None,
        ),
        events.StepStarted(
            eid, step_id="compare", kind="compare", models=("demo:echo", "demo:upper")
        ),
        events.CallFinished(eid, step_id="compare", call=calls[0]),
        events.StepRetrying(eid, step_id="compare", model="demo:upper", attempt=1, error="429"),
        events.CallFinished(eid, step_id="compare", call=calls[1]),
        events.StepFinished(
            eid,
            step_id="compare",
            output={"demo:echo": "A", "demo:upper": "B"},
            calls=calls,
            latency_ms=20.0,
            input_tokens=10,
            output_tokens=14,
            cost_usd=0.002,
            retries=1,
        ),
        events.ExecutionFinished(
            eid,
            status="COMPLETED",
            outputs={"compare": {"demo:echo": "A"}},
            latency_ms=31.0,
            input_tokens=13,
            output_tokens=18,
            cost_usd=None,
        ),
    ]
    received = [events.event_from_dict(event.to_dict()) for event in stream]
    if at_once:
        services.executions.record_events(received)
    else:
        for event in received:
            services.executions.record_event(event)

    done = services.executions.get_execution(alice, execution.id)
    assert done.status is ExecutionStatus.COMPLETED
    assert done.result == {"compare": {"demo:echo": "A"}}
    assert (done.latency_ms, done.input_tokens, done.output_tokens) == (31.0, 13, 18)
    assert done.cost_usd is None  # an unknown price stays unknown, never 0
    assert done.started_at is not None and done.finished_at is not None
    outline, compare = done.steps
    assert (outline.step_id, outline.status, outline.output) == (
        "outline",
        StepStatus.COMPLETED,
        "o",
    )
    assert outline.cost_usd is None
    assert compare.depends_on == ["outline"]
    assert compare.kind == "compare"
    assert compare.models == ["demo:echo", "demo:upper"]
    assert compare.retries == 1
    assert [c["model"] for c in compare.details["calls"]] == ["demo:echo", "demo:upper"]
    assert compare.cost_usd == 0.002


def test_failed_step_keeps_its_error_and_the_other_steps_output(
    services: Services, alice: Actor, agent: TaskAgent
) -> None:
    eid = str(services.executions.create_execution(alice, agent.id, {}).id)
    for event in [
        events.ExecutionStarted(eid, step_ids=("outline", "compare")),
        events.StepStarted(eid, step_id="outline"),
        events.StepFinished(eid, step_id="outline", output="kept"),
        events.StepStarted(eid, step_id="compare"),
        events.StepFailed(
            eid,
            step_id="compare",
            error="rate limited by openai: retry later",
            error_type="rate_limited",
            retries=3,
        ),
        events.ExecutionFinished(eid, status="FAILED", error="step compare failed"),
    ]:
        services.executions.record_event(event)
    done = services.executions.get_execution(alice, eid)
    assert done.status is ExecutionStatus.FAILED
    assert done.error == "step compare failed"
    outline, compare = done.steps
    assert outline.output == "kept"
    assert (compare.status, compare.error_type, compare.retries) == (
        StepStatus.FAILED,
        "rate_limited",
        3,
    )
    assert compare.error == "rate limited by openai: retry later"


def test_skipped_step_records_why(services: Services, alice: Actor, agent: TaskAgent) -> None:
    eid = str(services.executions.create_execution(alice, agent.id, {}).id)
    services.executions.record_event(events.ExecutionStarted(eid, step_ids=("outline",)))
    services.executions.record_event(
        events.StepSkipped(eid, step_id="outline", reason="dependency failed")
    )
    (step,) = services.executions.get_execution(alice, eid).steps
    assert step.status is StepStatus.SKIPPED
    assert step.details["reason"] == "dependency failed"


def test_cancel_flags_a_live_execution_and_refuses_a_finished_one(
    services: Services, alice: Actor, agent: TaskAgent
) -> None:
    execution = services.executions.create_execution(alice, agent.id, {})
    flagged = services.executions.request_cancel(alice, execution.id)
    assert flagged.cancel_requested
    assert services.executions.is_cancel_requested(execution.id)
    services.executions.record_event(
        events.StepFailed(
            str(execution.id), step_id="outline", error="cancelled", error_type="cancelled"
        )
    )
    services.executions.finish(execution.id, ExecutionStatus.CANCELLED)
    done = services.executions.get_execution(alice, execution.id)
    assert done.status is ExecutionStatus.CANCELLED
    assert done.steps[0].status is StepStatus.CANCELLED
    with pytest.raises(Conflict):
        services.executions.request_cancel(alice, execution.id)


def test_a_finished_execution_ignores_late_events(
    services: Services, alice: Actor, agent: TaskAgent
) -> None:
    execution = services.executions.create_execution(alice, agent.id, {})
    services.executions.finish(execution.id, ExecutionStatus.CANCELLED)
    eid = str(execution.id)
    services.executions.record_event(events.StepStarted(eid, step_id="outline"))
    services.executions.record_event(events.ExecutionFinished(eid, status="COMPLETED"))
    services.executions.finish(execution.id, ExecutionStatus.FAILED, error="late")
    done = services.executions.get_execution(alice, execution.id)
    assert (done.status, done.error, done.steps) == (ExecutionStatus.CANCELLED, None, ())


def test_s11_recover_interrupted_fails_live_executions_and_keeps_finished_steps(
    services: Services, admin: Actor, alice: Actor, agent: TaskAgent
) -> None:
    running = str(services.executions.create_execution(alice, agent.id, {}).id)
    pending = services.executions.create_execution(alice, agent.id, {})
    finished = services.executions.create_execution(alice, agent.id, {})
    services.executions.finish(finished.id, ExecutionStatus.COMPLETED, result={"x": 1})
    for event in [
        events.ExecutionStarted(running, step_ids=("a", "b", "c")),
        events.StepStarted(running, step_id="a"),
        events.StepFinished(running, step_id="a", output="done before the crash"),
        events.StepStarted(running, step_id="b"),
    ]:
        services.executions.record_event(event)

    recovered = services.executions.recover_interrupted()

    assert set(recovered) == {uuid.UUID(running), pending.id}
    after = services.executions.get_execution(alice, running)
    assert (after.status, after.error) == (ExecutionStatus.FAILED, INTERRUPTED)
    assert after.finished_at is not None
    a, b, c = after.steps
    assert (a.status, a.output) == (StepStatus.COMPLETED, "done before the crash")
    assert (b.status, b.error) == (StepStatus.FAILED, INTERRUPTED)
    assert c.status is StepStatus.SKIPPED
    assert services.executions.get_execution(alice, pending.id).status is ExecutionStatus.FAILED
    assert services.executions.get_execution(alice, finished.id).status is ExecutionStatus.COMPLETED
    interrupts = services.audit.list_events(admin, resource_type="execution").items
    assert {e.resource_id for e in interrupts if e.action == "execution.interrupt"} == {
        running,
        str(pending.id),
    }
    assert services.executions.recover_interrupted() == []


def test_untracked_executions_are_the_finished_ones_not_yet_synced(
    services: Services, alice: Actor, agent: TaskAgent
) -> None:
    synced = services.executions.create_execution(alice, agent.id, {})
    failed_sync = services.executions.create_execution(alice, agent.id, {})
    services.executions.create_execution(alice, agent.id, {})  # still pending: not yet
    for execution in (synced, failed_sync):
        services.executions.finish(execution.id, ExecutionStatus.COMPLETED, result={})
    services.executions.set_tracking(synced.id, TrackingStatus.SYNCED, mlflow_run_id="run-1")
    services.executions.set_tracking(failed_sync.id, TrackingStatus.FAILED)
    assert [e.id for e in services.executions.untracked_executions()] == [failed_sync.id]
    stored = services.executions.get_execution(alice, synced.id)
    assert (stored.tracking_status, stored.mlflow_run_id) == (TrackingStatus.SYNCED, "run-1")
    with pytest.raises(NotFound):
        services.executions.set_tracking(uuid.uuid4(), TrackingStatus.SYNCED)


def test_a_batch_naming_a_missing_execution_writes_nothing(
    services: Services, alice: Actor, agent: TaskAgent
) -> None:
    eid = str(services.executions.create_execution(alice, agent.id, {}).id)
    batch = [
        events.ExecutionStarted(eid, step_ids=("outline",)),
        events.ExecutionStarted(str(uuid.uuid4()), step_ids=("outline",)),
    ]
    with pytest.raises(NotFound):
        services.executions.record_events(batch)
    assert services.executions.get_execution(alice, eid).status is ExecutionStatus.PENDING


def test_untracked_executions_finished_before_leaves_out_the_recent_ones(
    services: Services, alice: Actor, agent: TaskAgent
) -> None:
    execution = services.executions.create_execution(alice, agent.id, {})
    finished = services.executions.finish(execution.id, ExecutionStatus.COMPLETED, result={})
    assert finished.finished_at is not None
    just_before = finished.finished_at - dt.timedelta(seconds=1)
    just_after = finished.finished_at + dt.timedelta(seconds=1)
    untracked = services.executions.untracked_executions
    assert untracked(finished_before=just_before) == []
    assert [e.id for e in untracked(finished_before=just_after)] == [execution.id]


def test_delete_execution_needs_it_finished(
    services: Services, alice: Actor, agent: TaskAgent
) -> None:
    execution = services.executions.create_execution(alice, agent.id, {})
    with pytest.raises(Conflict, match="cancel it"):
        services.executions.delete_execution(alice, execution.id)
    services.executions.finish(execution.id, ExecutionStatus.FAILED, error="x")
    services.executions.delete_execution(alice, execution.id)
    with pytest.raises(NotFound):
        services.executions.get_execution(alice, execution.id)


def test_malformed_execution_id_is_not_found(services: Services, alice: Actor) -> None:
    with pytest.raises(NotFound):
        services.executions.get_execution(alice, "../../etc/passwd")


def test_tracking_names_say_whose_project_and_who_ran_it(
    services: Services, alice: Actor, agent: TaskAgent
) -> None:
    execution = services.executions.create_execution(alice, agent.id, {})
    assert services.executions.tracking_names(execution.id) == {
        "project_id": str(agent.project_id),
        "project_name": "essays",
        "owner_name": "alice",
        "agent_id": str(agent.id),
        "agent_name": agent.name,
        "user_name": "alice",
    }
    with pytest.raises(NotFound):
        services.executions.tracking_names(uuid.uuid4())


def test_steps_the_engine_did_not_announce_come_after_the_others_in_order(
    services: Services, alice: Actor, agent: TaskAgent
) -> None:
    eid = str(services.executions.create_execution(alice, agent.id, {}).id)
    services.executions.record_events(
        [
            events.ExecutionStarted(eid, step_ids=("outline",)),
            events.StepQueued(eid, step_id="extra-1"),
            events.StepQueued(eid, step_id="extra-2"),
        ]
    )
    services.executions.record_events([events.StepQueued(eid, step_id="extra-3")])
    steps = services.executions.get_execution(alice, eid).steps
    assert [(s.step_id, s.position) for s in steps] == [
        ("outline", 0),
        ("extra-1", 1),
        ("extra-2", 2),
        ("extra-3", 3),
    ]
