"""The dashboard page, without a browser: counts by status, recent runs, spend per provider."""

from __future__ import annotations

import pytest

from agents.events import (
    CallFinished,
    CallRecord,
    ExecutionFinished,
    ExecutionStarted,
    StepFinished,
)
from workbench.panels.dashboard import DashboardPage
from workbench.panels.text import escape_markdown

SPEC = {
    "configuration": {"inputs": {"q": {"type": "text"}}},
    "substeps": [
        {
            "id": "answers",
            "kind": "compare",
            "models": ["openai:gpt-4o-mini", "anthropic:claude-sonnet-4"],
            "prompt": "{{ q }}",
        }
    ],
}


@pytest.fixture
def agent(services, alice):
    project = services.projects.create_project(alice, {"name": "Alpha"})
    return services.agents.create_agent(alice, project.id, {"name": "compare", **SPEC})


def finish(services, execution, *, costs: dict[str, float | None], tokens: int) -> None:
    eid = str(execution.id)
    calls = tuple(
        CallRecord(model=model, role="variant", cost_usd=cost, input_tokens=tokens, output_tokens=0)
        for model, cost in costs.items()
    )
    services.executions.record_event(ExecutionStarted(eid, step_ids=("answers",)))
    for call in calls:
        services.executions.record_event(CallFinished(eid, step_id="answers", call=call))
    services.executions.record_event(StepFinished(eid, step_id="answers", output={}, calls=calls))
    services.executions.record_event(ExecutionFinished(eid, status="COMPLETED"))


def test_counts_and_recent_runs_are_the_visitors(services, alice, bob, agent, page_context):
    done = services.executions.create_execution(alice, agent.id, {"q": "a"})
    services.executions.create_execution(alice, agent.id, {"q": "b"})
    finish(services, done, costs={"openai:gpt-4o-mini": 0.01}, tokens=5)
    page = DashboardPage(page_context(alice))
    assert page.counts["COMPLETED"] == 1 and page.counts["PENDING"] == 1
    frame = page.recent_frame()
    assert list(frame["number"]) == ["#2", "#1"]
    assert list(frame["status"]) == ["PENDING", "COMPLETED"]
    assert frame["url"][1].endswith(f"/execution?id={done.id}")
    assert sum(DashboardPage(page_context(bob)).counts.values()) == 0


def test_spend_and_tokens_are_summed_per_provider_and_day(services, alice, agent, page_context):
    costs = {"openai:gpt-4o-mini": 0.25, "anthropic:claude-sonnet-4": 0.5}
    for question in ("a", "b"):
        execution = services.executions.create_execution(alice, agent.id, {"q": question})
        finish(services, execution, costs=costs, tokens=10)
    page = DashboardPage(page_context(alice))
    spend = page.usage_by_day("cost_usd")
    assert len(spend) == 7  # every day of the window, empty ones as zero
    assert spend["openai"].sum() == pytest.approx(0.5)
    assert spend["anthropic"].sum() == pytest.approx(1.0)
    assert page.usage_by_day("tokens")["openai"].sum() == 20
    page.window_days = 30
    assert len(page.usage_by_day("cost_usd")) == 30


def test_spend_says_which_calls_had_no_known_price(services, alice, agent, page_context):
    execution = services.executions.create_execution(alice, agent.id, {"q": "a"})
    finish(services, execution, costs={"openai:gpt-4o-mini": 0.25, "anthropic:x": None}, tokens=3)
    page = DashboardPage(page_context(alice))
    assert page.usage_by_day("cost_usd")["anthropic"].sum() == 0  # no made-up cost...
    notes = [pane.object for pane in page._usage_notes()]
    said = page.t("dashboard.unpriced", calls=1, providers="anthropic: 1")
    assert notes == [escape_markdown(said)]  # ...but said, as text


def test_an_empty_dashboard_says_what_to_do(alice, page_context):
    page = DashboardPage(page_context(alice))
    assert page.recent == [] and page.usage.empty
    assert page._recent_table().object.endswith(
        page.t("dashboard.no_executions").replace(".", "\\.")
    )
