"""Projects through the service layer: create, read, list, update, delete, and their cascade."""

from __future__ import annotations

import pytest

from agents.events import ExecutionStarted
from workbench.db import Database, models
from workbench.errors import Conflict, InvalidInput, NotFound
from workbench.services import Actor, ExecutionStatus, Services

from .bodies import agent_body
from .rows import count


def test_create_project_returns_it_owned_by_the_actor(services: Services, alice: Actor) -> None:
    project = services.projects.create_project(alice, {"name": "  Essays  ", "description": "d"})
    assert project.owner_id == alice.id
    assert project.name == "Essays"
    assert project.created_at.tzinfo is not None
    assert services.projects.get_project(alice, project.id) == project


def test_list_projects_pages_by_name_with_a_total(
    services: Services, alice: Actor, bob: Actor
) -> None:
    for name in ["c", "a", "b"]:
        services.projects.create_project(alice, {"name": name})
    services.projects.create_project(bob, {"name": "bob's"})
    first = services.projects.list_projects(alice, offset=0, limit=2)
    second = services.projects.list_projects(alice, offset=2, limit=2)
    assert [p.name for p in first.items] == ["a", "b"]
    assert [p.name for p in second.items] == ["c"]
    assert first.total == second.total == 3
    assert first.has_more and not second.has_more


def test_a_page_past_the_end_is_empty_and_still_counts_the_total(
    services: Services, alice: Actor, bob: Actor
) -> None:
    for name in ["a", "b", "c"]:
        services.projects.create_project(alice, {"name": name})
    services.projects.create_project(bob, {"name": "bob's"})
    past = services.projects.list_projects(alice, offset=5, limit=2)
    assert (past.items, past.total, past.has_more) == ((), 3, False)
    assert services.projects.list_projects(bob, offset=0, limit=1).total == 1


def test_a_user_with_no_projects_gets_an_empty_page(
    services: Services, alice: Actor, admin: Actor
) -> None:
    services.projects.create_project(alice, {"name": "a"})
    page = services.projects.list_projects(admin)  # the admin's own: none
    assert (page.items, page.total) == ((), 0)
    assert services.projects.list_projects(admin, all_users=True).total == 1


def test_update_project_changes_only_given_fields(services: Services, alice: Actor) -> None:
    project = services.projects.create_project(alice, {"name": "p", "description": "keep"})
    updated = services.projects.update_project(alice, project.id, {"name": "q"})
    assert (updated.name, updated.description) == ("q", "keep")
    assert updated.updated_at >= project.updated_at


def test_duplicate_project_name_is_a_conflict_naming_name(services: Services, alice: Actor) -> None:
    services.projects.create_project(alice, {"name": "p"})
    with pytest.raises(Conflict) as caught:
        services.projects.create_project(alice, {"name": "p"})
    assert caught.value.field == "name"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 10_000}, "name"),
        ({}, "name"),
        ({"name": 3}, "name"),
        ({"name": "ok", "description": "d" * 10_001}, "description"),
    ],
)
def test_bad_project_input_names_the_field_and_writes_nothing(
    services: Services, db: Database, alice: Actor, body: dict, field: str
) -> None:
    before = count(db, models.Project), count(db, models.AuditEvent)
    with pytest.raises(InvalidInput) as caught:
        services.projects.create_project(alice, body)
    assert caught.value.field == field
    assert field in str(caught.value)
    assert (count(db, models.Project), count(db, models.AuditEvent)) == before


def test_delete_project_removes_agents_executions_and_steps(
    services: Services, db: Database, alice: Actor
) -> None:
    project = services.projects.create_project(alice, {"name": "p"})
    agent = services.agents.create_agent(alice, project.id, agent_body())
    execution = services.executions.create_execution(alice, agent.id, {"topic": "x"})
    services.executions.record_event(ExecutionStarted(str(execution.id), step_ids=("a", "b")))
    services.executions.finish(execution.id, ExecutionStatus.FAILED, error="stopped")
    assert count(db, models.ExecutionStep) == 2
    services.projects.delete_project(alice, project.id)
    with pytest.raises(NotFound):
        services.projects.get_project(alice, project.id)
    for model in (models.TaskAgent, models.Execution, models.ExecutionStep):
        assert count(db, model) == 0


def test_a_project_with_a_live_execution_is_not_deleted(
    services: Services, db: Database, alice: Actor
) -> None:
    project = services.projects.create_project(alice, {"name": "p"})
    agent = services.agents.create_agent(alice, project.id, agent_body())
    services.executions.create_execution(alice, agent.id, {})
    for delete in (
        lambda: services.projects.delete_project(alice, project.id),
        lambda: services.agents.delete_agent(alice, agent.id),
    ):
        with pytest.raises(Conflict, match="cancel them first"):
            delete()
    assert count(db, models.Execution) == 1
