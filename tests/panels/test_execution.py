"""The execution page, without a browser: the run form, and live events as the runner sends them."""

from __future__ import annotations

import pytest

from agents.events import (
    CallFinished,
    CallRecord,
    ExecutionFinished,
    ExecutionStarted,
    StepFailed,
    StepFinished,
    StepQueued,
    StepSkipped,
    StepStarted,
    StepToken,
)
from workbench.errors import InvalidInput, NotFound
from workbench.panels.execution import ExecutionPage
from workbench.panels.visuals import STATUS_COLOURS

SPEC = {
    "configuration": {
        "defaults": {"model": "demo:echo"},
        "inputs": {
            "question": {"type": "text"},
            "count": {"type": "integer", "default": 3},
            "tags": {"type": "list", "default": ["a"]},
        },
    },
    "substeps": [
        {
            "id": "answers",
            "kind": "compare",
            "models": ["openai:gpt-4o-mini", "anthropic:claude-sonnet-4"],
            "prompt": "{{ question }}",
        },
        {"id": "verdict", "prompt": "Which is better? {{ answers }}"},
    ],
}


@pytest.fixture
def agent(services, alice):
    project = services.projects.create_project(alice, {"name": "Compare"})
    return services.agents.create_agent(alice, project.id, {"name": "compare", **SPEC})


@pytest.fixture
def execution(services, alice, agent):
    return services.executions.create_execution(alice, agent.id, {"question": "Why?"})


def test_the_run_form_has_one_field_per_input_with_defaults(alice, agent, page_context):
    page = ExecutionPage(page_context(alice, agent=str(agent.id)))
    assert list(page._inputs) == ["question", "count", "tags"]
    assert page._inputs["count"].value == 3
    page._inputs["question"].value = "What is 2+2?"
    assert page.input_values() == {"question": "What is 2+2?", "count": 3, "tags": ["a"]}


def test_a_missing_input_is_named(alice, agent, page_context):
    page = ExecutionPage(page_context(alice, agent=str(agent.id)))
    with pytest.raises(InvalidInput) as raised:
        page.input_values()
    assert raised.value.errors[0].field == "inputs.question"


def test_bad_json_in_a_list_input_is_named(alice, agent, page_context):
    page = ExecutionPage(page_context(alice, agent=str(agent.id)))
    page._inputs["question"].value = "q"
    page._inputs["tags"].value = "[1, 2"
    with pytest.raises(InvalidInput) as raised:
        page.input_values()
    assert raised.value.errors[0].field == "inputs.tags"


def test_without_a_runner_running_explains_why(alice, agent, page_context):
    page = ExecutionPage(page_context(alice, agent=str(agent.id)))
    page._inputs["question"].value = "q"
    assert page.run() is None
    assert page.message_text == page.t("execution.no_runner")


def test_a_pending_execution_shows_its_dag_from_the_spec(alice, execution, page_context):
    page = ExecutionPage(page_context(alice, id=str(execution.id)))
    assert list(page.steps) == ["answers", "verdict"]
    assert page.steps["verdict"].depends_on == ("answers",)
    assert page.progress == (0, 2)


def test_events_fill_in_the_steps_live(alice, execution, page_context):
    page = ExecutionPage(page_context(alice, id=str(execution.id)))
    eid = str(execution.id)
    models = ("openai:gpt-4o-mini", "anthropic:claude-sonnet-4")
    page.apply_event(ExecutionStarted(eid, step_ids=("answers", "verdict")))
    page.apply_event(StepQueued(eid, step_id="answers"))
    page.apply_event(StepStarted(eid, step_id="answers", kind="compare", models=models))
    assert page.steps["answers"].status == "RUNNING"
    page.apply_event(StepToken(eid, step_id="answers", model=models[0], text="Four"))
    page.apply_event(StepToken(eid, step_id="answers", model=models[1], text="4"))
    page.apply_event(StepToken(eid, step_id="answers", model=models[0], text=" exactly"))
    assert page.stream_text("answers", models[0]) == "Four exactly"
    assert page.stream_text("answers", models[1]) == "4"
    call = CallRecord(model=models[0], role="variant", output="Four exactly", cost_usd=0.001)
    page.apply_event(CallFinished(eid, step_id="answers", call=call))
    page.apply_event(
        StepFinished(
            eid,
            step_id="answers",
            output={models[0]: "Four exactly", models[1]: "4"},
            latency_ms=1200.0,
            cost_usd=0.002,
        )
    )
    page.apply_event(StepQueued(eid, step_id="verdict", depends_on=("answers",)))
    page.apply_event(StepStarted(eid, step_id="verdict", models=("demo:echo",)))
    page.apply_event(StepFailed(eid, step_id="verdict", error="429 rate limited: try again later"))
    assert page.steps["answers"].status == "COMPLETED"
    assert page.steps["answers"].cost_usd == 0.002
    # the DAG picture is coloured by status, in place
    assert page.picture.colours == {
        "answers": STATUS_COLOURS["COMPLETED"],
        "verdict": STATUS_COLOURS["FAILED"],
    }
    assert page.steps["verdict"].error == "429 rate limited: try again later"
    assert page.progress == (2, 2)


def test_a_cancelled_step_and_a_skipped_step_read_as_such(alice, execution, page_context):
    page = ExecutionPage(page_context(alice, id=str(execution.id)))
    eid = str(execution.id)
    page.apply_event(StepFailed(eid, step_id="answers", error="cancelled", error_type="cancelled"))
    page.apply_event(StepSkipped(eid, step_id="verdict", reason="answers failed"))
    assert page.steps["answers"].status == "CANCELLED"
    assert (page.steps["verdict"].status, page.steps["verdict"].note) == (
        "SKIPPED",
        "answers failed",
    )


def test_the_finished_execution_is_read_back_from_the_database(
    services, alice, execution, page_context
):
    page = ExecutionPage(page_context(alice, id=str(execution.id)))
    eid = str(execution.id)
    for event in (
        ExecutionStarted(eid, step_ids=("answers", "verdict")),
        StepFinished(eid, step_id="answers", output={"a": "x"}),
        StepFinished(eid, step_id="verdict", output="a"),
        ExecutionFinished(eid, status="COMPLETED", outputs={"verdict": "a"}, cost_usd=0.01),
    ):
        services.executions.record_event(event)  # the runner stores, then publishes
        page.apply_event(event)
    assert page.status == "COMPLETED"
    assert page.execution.cost_usd == 0.01
    assert page.steps["verdict"].output == "a"


def test_events_of_another_execution_are_ignored(services, alice, agent, execution, page_context):
    other = services.executions.create_execution(alice, agent.id, {"question": "x"})
    page = ExecutionPage(page_context(alice, id=str(execution.id)))
    page.apply_event(StepStarted(str(other.id), step_id="answers"))
    assert page.steps["answers"].status == "QUEUED"


def test_another_users_execution_is_not_found(bob, execution, page_context):
    with pytest.raises(NotFound):
        ExecutionPage(page_context(bob, id=str(execution.id)))


def test_a_pending_execution_reads_as_running_once_a_step_starts(alice, execution, page_context):
    page = ExecutionPage(page_context(alice, id=str(execution.id)))
    assert page.status == "PENDING"
    page.apply_event(StepStarted(str(execution.id), step_id="answers", kind="compare"))
    assert page.status == "RUNNING"
