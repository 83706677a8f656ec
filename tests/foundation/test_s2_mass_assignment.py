"""S2: a body cannot set what the caller may not: owner, role, status, MLflow run, locations."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from workbench.db import Database
from workbench.errors import InvalidInput
from workbench.services import Actor, Services

from .bodies import agent_body
from .rows import snapshot

FORBIDDEN = {
    "owner_id": str(uuid.uuid4()),
    "user_id": str(uuid.uuid4()),
    "id": str(uuid.uuid4()),
    "role": "ADMIN",
    "status": "COMPLETED",
    "mlflow_run_id": "0123456789abcdef",
    "artifact_location": "file:///etc",
    "created_at": "2000-01-01T00:00:00Z",
    "ciphertext": "gAAAA",
}

Setup = Callable[[Services, Actor], Any]
Call = Callable[[Services, Actor, Any, dict[str, Any]], Any]


def _project(s: Services, a: Actor) -> uuid.UUID:
    return s.projects.create_project(a, {"name": "p"}).id


def _agent(s: Services, a: Actor) -> uuid.UUID:
    return s.agents.create_agent(a, _project(s, a), agent_body("a")).id


def _key(s: Services, a: Actor) -> uuid.UUID:
    return s.keys.create_key(a, {"provider": "openai", "api_key": "sk-1234567890abcdef"}).id


def _chat(s: Services, a: Actor) -> uuid.UUID:
    return s.chat.create_session(a, {"models": ["openai:gpt-4o"]}).id


def _nothing(s: Services, a: Actor) -> None:
    return None


CALLS: dict[str, tuple[Setup, Call]] = {
    "create_project": (
        _nothing,
        lambda s, a, _, extra: s.projects.create_project(a, {"name": "q", **extra}),
    ),
    "update_project": (
        _project,
        lambda s, a, target, extra: s.projects.update_project(a, target, extra),
    ),
    "create_agent": (
        _project,
        lambda s, a, target, extra: s.agents.create_agent(a, target, agent_body("b", **extra)),
    ),
    "update_agent": (_agent, lambda s, a, target, extra: s.agents.update_agent(a, target, extra)),
    "create_key": (
        _nothing,
        lambda s, a, _, extra: s.keys.create_key(
            a, {"provider": "openai", "api_key": "sk-abcdefghijklmnop", **extra}
        ),
    ),
    "update_key": (_key, lambda s, a, target, extra: s.keys.update_key(a, target, extra)),
    "create_session": (
        _nothing,
        lambda s, a, _, extra: s.chat.create_session(a, {"models": ["openai:gpt-4o"], **extra}),
    ),
    "update_session": (
        _chat,
        lambda s, a, target, extra: s.chat.update_session(a, target, extra),
    ),
    "add_message": (
        _chat,
        lambda s, a, target, extra: s.chat.add_message(
            a, target, {"role": "user", "content": "x", **extra}
        ),
    ),
    "update_user": (_nothing, lambda s, a, _, extra: s.users.update_user(a, a.id, extra)),
}


@pytest.mark.parametrize("field", FORBIDDEN)
@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_s2_a_field_the_caller_may_not_set_is_refused_by_name(
    services: Services, db: Database, alice: Actor, call: tuple[Setup, Call], field: str
) -> None:
    setup, change = call
    target = setup(services, alice)
    before = snapshot(db)
    with pytest.raises(InvalidInput) as caught:
        change(services, alice, target, {field: FORBIDDEN[field]})
    assert caught.value.field == field
    assert snapshot(db) == before
