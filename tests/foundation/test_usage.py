"""Usage per day and provider: added up from the call records, scoped, unknown prices kept apart."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import update

from agents import events
from agents.events import CallRecord
from workbench.db import Database, models
from workbench.errors import InvalidInput, PermissionDenied
from workbench.services import Actor, Services, TaskAgent, UsageRow

from .bodies import agent_body

NOW = dt.datetime.now(dt.UTC)
WEEK_AGO = NOW - dt.timedelta(days=7)


@pytest.fixture
def agent(services: Services, alice: Actor) -> TaskAgent:
    project = services.projects.create_project(alice, {"name": "essays"})
    return services.agents.create_agent(alice, project.id, agent_body())


def call(
    model: str,
    *,
    cost: float | None = 0.001,
    tokens: tuple[int | None, int | None] = (5, 7),
    error: str | None = None,
) -> CallRecord:
    return CallRecord(
        model=model,
        role="answer",
        output=None if error else "answer",
        error=error,
        error_type="provider_error" if error else None,
        input_tokens=tokens[0],
        output_tokens=tokens[1],
        cost_usd=cost,
    )


def run(
    services: Services,
    actor: Actor,
    agent: TaskAgent,
    steps: dict[str, list[CallRecord]],
    *,
    db: Database | None = None,
    created_at: dt.datetime | None = None,
) -> uuid.UUID:
    """An execution whose steps made `calls`, recorded as the runner records engine events."""
    execution = services.executions.create_execution(actor, agent.id)
    eid = str(execution.id)
    services.executions.record_event(events.ExecutionStarted(eid, step_ids=tuple(steps)))
    for step_id, calls in steps.items():
        services.executions.record_event(events.StepFinished(eid, step_id=step_id, calls=calls))
    services.executions.record_event(events.ExecutionFinished(eid, status="COMPLETED"))
    if created_at is not None:
        assert db is not None
        with db.transaction() as session:
            session.execute(
                update(models.Execution)
                .where(models.Execution.id == execution.id)
                .values(created_at=created_at)
            )
    return execution.id


def by_provider(rows: tuple[UsageRow, ...]) -> dict[str, UsageRow]:
    assert len({r.provider for r in rows}) == len(rows), rows
    return {r.provider: r for r in rows}


def test_usage_adds_up_calls_tokens_and_cost_per_provider(
    services: Services, alice: Actor, agent: TaskAgent
) -> None:
    before = dt.datetime.now(dt.UTC)
    run(
        services,
        alice,
        agent,
        {
            "outline": [call("openai:gpt-4o-mini", cost=0.002, tokens=(10, 20))],
            "compare": [
                call("openai:gpt-4o", cost=0.003, tokens=(1, 2)),
                call("anthropic:claude-sonnet-4", cost=0.01, tokens=(3, 4)),
            ],
        },
    )
    rows = services.usage.daily_usage(alice, since=WEEK_AGO)
    usage = by_provider(rows)
    assert set(usage) == {"openai", "anthropic"}
    openai = usage["openai"]
    assert (openai.calls, openai.input_tokens, openai.output_tokens) == (2, 11, 22)
    assert openai.cost_usd == pytest.approx(0.005)
    assert (openai.unpriced_calls, openai.failed_calls) == (0, 0)
    # The day the calls were made (UTC): the run may straddle midnight.
    assert openai.day in {before.date(), dt.datetime.now(dt.UTC).date()}
    assert openai.user_id == alice.id
    assert usage["anthropic"].tokens == 7


def test_usage_keeps_unknown_costs_apart_and_does_not_bill_failed_calls(
    services: Services, alice: Actor, agent: TaskAgent
) -> None:
    run(
        services,
        alice,
        agent,
        {
            "outline": [
                call("openai-compatible:llama3", cost=None, tokens=(100, 50)),
                call("openai-compatible:llama3", cost=0.5),
            ],
            "compare": [call("openai-compatible:llama3", cost=None, error="503 from the server")],
        },
    )
    (row,) = services.usage.daily_usage(alice, since=WEEK_AGO)
    assert row.calls == 3
    assert row.failed_calls == 1
    assert row.unpriced_calls == 1  # the answered call without a price; the failed one is unbilled
    assert row.cost_usd == pytest.approx(0.5)  # the known cost only, never the unknown as 0
    assert (row.input_tokens, row.output_tokens) == (105, 57)


def test_usage_is_per_utc_day_within_the_window(
    services: Services, db: Database, alice: Actor, agent: TaskAgent
) -> None:
    day = dt.datetime(2025, 3, 10, 23, 30, tzinfo=dt.UTC)
    for created_at in (day, day + dt.timedelta(hours=1), day - dt.timedelta(days=20)):
        run(services, alice, agent, {"outline": [call("openai:a")]}, db=db, created_at=created_at)
    since = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    rows = services.usage.daily_usage(alice, since=since, until=since + dt.timedelta(days=30))
    assert [(r.day, r.calls) for r in rows] == [
        (dt.date(2025, 3, 10), 1),
        (dt.date(2025, 3, 11), 1),  # half past midnight UTC is the next day
    ]
    tokyo = dt.timezone(dt.timedelta(hours=9))
    only_11th = services.usage.daily_usage(
        alice, since=dt.datetime(2025, 3, 11, 9, 0, tzinfo=tokyo)
    )
    assert [r.day for r in only_11th] == [dt.date(2025, 3, 11)]


def test_a_user_sees_only_their_own_usage(
    services: Services, alice: Actor, bob: Actor, agent: TaskAgent
) -> None:
    run(services, alice, agent, {"outline": [call("openai:a")]})
    assert services.usage.daily_usage(bob, since=WEEK_AGO) == ()
    assert len(services.usage.daily_usage(alice, since=WEEK_AGO)) == 1
    with pytest.raises(PermissionDenied):
        services.usage.daily_usage(bob, since=WEEK_AGO, user_id=alice.id)
    with pytest.raises(PermissionDenied):
        services.usage.daily_usage(bob, since=WEEK_AGO, all_users=True)


def test_an_admin_reads_everyone_or_one_user(
    services: Services, alice: Actor, bob: Actor, admin: Actor, agent: TaskAgent
) -> None:
    run(services, alice, agent, {"outline": [call("openai:a")]})
    bobs_project = services.projects.create_project(bob, {"name": "bob's"})
    bobs_agent = services.agents.create_agent(bob, bobs_project.id, agent_body())
    run(services, bob, bobs_agent, {"outline": [call("google:gemini", cost=0.25)]})

    everyone = services.usage.daily_usage(admin, since=WEEK_AGO, all_users=True)
    assert {(r.user_id, r.provider) for r in everyone} == {
        (alice.id, "openai"),
        (bob.id, "google"),
    }
    (bobs,) = services.usage.daily_usage(admin, since=WEEK_AGO, user_id=bob.id)
    assert (bobs.user_id, bobs.cost_usd) == (bob.id, 0.25)
    assert services.usage.daily_usage(admin, since=WEEK_AGO) == ()  # their own: none


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"since": dt.datetime(2025, 1, 1)}, "since"),  # naive: which timezone?
        ({"since": NOW, "until": NOW - dt.timedelta(days=1)}, "until"),
    ],
)
def test_usage_refuses_a_bad_window_naming_the_field(
    services: Services, alice: Actor, arguments: dict[str, dt.datetime], field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        services.usage.daily_usage(alice, **arguments)
    assert raised.value.errors[0].field == field


def test_steps_without_calls_and_executions_before_the_window_count_nothing(
    services: Services, db: Database, alice: Actor, agent: TaskAgent
) -> None:
    run(services, alice, agent, {"outline": []})
    run(
        services,
        alice,
        agent,
        {"outline": [call("openai:a")]},
        db=db,
        created_at=WEEK_AGO - dt.timedelta(days=1),
    )
    assert services.usage.daily_usage(alice, since=WEEK_AGO) == ()
