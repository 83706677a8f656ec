"""S1 at the service layer: another user's resources do not exist for you; an admin only reads.

For every operation on alice's project, agent, execution, key, chat session and account: bob
gets NotFound, exactly as for a missing id, and no row changes (audit trail included); the admin
may read but changing raises PermissionDenied, and no row changes either.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from workbench.db import Database
from workbench.errors import NotFound, PermissionDenied
from workbench.services import Actor, ExecutionStatus, Services

from .bodies import agent_body
from .rows import snapshot


@dataclass(frozen=True)
class World:
    alice: uuid.UUID
    project: uuid.UUID
    agent: uuid.UUID
    execution: uuid.UUID
    finished: uuid.UUID
    key: uuid.UUID
    chat: uuid.UUID


@pytest.fixture
def world(services: Services, alice: Actor) -> World:
    project = services.projects.create_project(alice, {"name": "secret plans"})
    agent = services.agents.create_agent(alice, project.id, agent_body("planner"))
    execution = services.executions.create_execution(alice, agent.id, {"topic": "x"})
    finished = services.executions.create_execution(alice, agent.id, {})
    services.executions.finish(finished.id, ExecutionStatus.COMPLETED, result={})
    key = services.keys.create_key(alice, {"provider": "openai", "api_key": "sk-alice-1234567890"})
    chat = services.chat.create_session(alice, {"models": ["openai:gpt-4o-mini"]})
    services.chat.add_message(alice, chat.id, {"role": "user", "content": "hello"})
    assert alice.id is not None
    return World(alice.id, project.id, agent.id, execution.id, finished.id, key.id, chat.id)


Operation = Callable[[Services, Actor, World], Any]

READS: dict[str, Operation] = {
    "get_project": lambda s, a, w: s.projects.get_project(a, w.project),
    "get_agent": lambda s, a, w: s.agents.get_agent(a, w.agent),
    "list_agents": lambda s, a, w: s.agents.list_agents(a, w.project),
    "get_execution": lambda s, a, w: s.executions.get_execution(a, w.execution),
    "list_executions": lambda s, a, w: s.executions.list_executions(a, agent_id=w.agent),
    "get_key": lambda s, a, w: s.keys.get_key(a, w.key),
    "get_session": lambda s, a, w: s.chat.get_session(a, w.chat),
    "list_messages": lambda s, a, w: s.chat.list_messages(a, w.chat),
    "get_user": lambda s, a, w: s.users.get_user(a, w.alice),
}

WRITES: dict[str, Operation] = {
    "update_project": lambda s, a, w: s.projects.update_project(a, w.project, {"name": "mine"}),
    "delete_project": lambda s, a, w: s.projects.delete_project(a, w.project),
    "create_agent": lambda s, a, w: s.agents.create_agent(a, w.project, agent_body("intruder")),
    "update_agent": lambda s, a, w: s.agents.update_agent(a, w.agent, {"description": "x"}),
    "delete_agent": lambda s, a, w: s.agents.delete_agent(a, w.agent),
    "create_execution": lambda s, a, w: s.executions.create_execution(a, w.agent, {}),
    "request_cancel": lambda s, a, w: s.executions.request_cancel(a, w.execution),
    "delete_execution": lambda s, a, w: s.executions.delete_execution(a, w.finished),
    "update_key": lambda s, a, w: s.keys.update_key(a, w.key, {"label": "mine"}),
    "delete_key": lambda s, a, w: s.keys.delete_key(a, w.key),
    "update_session": lambda s, a, w: s.chat.update_session(a, w.chat, {"title": "mine"}),
    "delete_session": lambda s, a, w: s.chat.delete_session(a, w.chat),
    "add_message": lambda s, a, w: s.chat.add_message(a, w.chat, {"role": "user", "content": "x"}),
    "update_user": lambda s, a, w: s.users.update_user(a, w.alice, {"email": "x@evil.org"}),
}

OWNER_ONLY: dict[str, Operation] = {
    "reveal_key": lambda s, a, w: s.keys.reveal_key(a, w.key),
}

EVERY = {**READS, **WRITES, **OWNER_ONLY}


@pytest.mark.parametrize("operation", EVERY.values(), ids=EVERY.keys())
def test_s1_another_user_gets_not_found_and_changes_nothing(
    services: Services, db: Database, world: World, bob: Actor, operation: Operation
) -> None:
    before = snapshot(db)
    with pytest.raises(NotFound) as caught:
        operation(services, bob, world)
    assert snapshot(db) == before
    assert "secret plans" not in str(caught.value)


@pytest.mark.parametrize("operation", EVERY.values(), ids=EVERY.keys())
def test_s1_a_missing_id_gives_the_same_answer(
    services: Services, world: World, alice: Actor, operation: Operation
) -> None:
    missing = uuid.uuid4()
    nowhere = World(missing, missing, missing, missing, missing, missing, missing)
    with pytest.raises(NotFound):
        operation(services, alice, nowhere)


@pytest.mark.parametrize("operation", READS.values(), ids=READS.keys())
def test_s1_admin_reads_anything(
    services: Services, db: Database, world: World, admin: Actor, operation: Operation
) -> None:
    before = snapshot(db)
    assert operation(services, admin, world) is not None
    assert snapshot(db) == before


@pytest.mark.parametrize("operation", WRITES.values(), ids=WRITES.keys())
def test_s1_admin_changes_nothing_of_anothers(
    services: Services, db: Database, world: World, admin: Actor, operation: Operation
) -> None:
    before = snapshot(db)
    with pytest.raises(PermissionDenied):
        operation(services, admin, world)
    assert snapshot(db) == before


def test_s1_admin_cannot_reveal_anothers_key(
    services: Services, world: World, admin: Actor
) -> None:
    with pytest.raises(NotFound):
        services.keys.reveal_key(admin, world.key)


def test_s1_listings_show_only_your_own(services: Services, world: World, bob: Actor) -> None:
    assert services.projects.list_projects(bob).total == 0
    assert services.executions.list_executions(bob).total == 0
    assert services.keys.list_keys(bob).total == 0
    assert services.chat.list_sessions(bob).total == 0
    assert services.keys.credentials_for(bob).providers() == []
    assert {e.actor_name for e in services.audit.list_events(bob).items} == {"bob"}


@pytest.mark.parametrize(
    "listing",
    [
        lambda s, a: s.projects.list_projects(a, all_users=True),
        lambda s, a: s.executions.list_executions(a, all_users=True),
        lambda s, a: s.keys.list_keys(a, all_users=True),
        lambda s, a: s.users.list_users(a),
    ],
    ids=["projects", "executions", "keys", "users"],
)
def test_s1_only_an_admin_lists_everyones(
    services: Services, world: World, bob: Actor, admin: Actor, listing: Callable
) -> None:
    with pytest.raises(PermissionDenied):
        listing(services, bob)
    assert listing(services, admin).total >= 1
