"""Chat rooms: sessions with several models and their history, in order."""

from __future__ import annotations

import time

import pytest

from workbench.db import Database, models
from workbench.errors import InvalidInput, NotFound
from workbench.services import Actor, ChatRole, Services

from .bodies import agent_body
from .rows import count

MODELS = ["openai:gpt-4o-mini", "anthropic:claude-3-5-haiku-latest"]


def test_messages_keep_the_order_they_were_added(services: Services, alice: Actor) -> None:
    chat = services.chat.create_session(alice, {"title": "compare", "models": MODELS})
    services.chat.add_message(alice, chat.id, {"role": "user", "content": "hi"})
    for model in MODELS:
        services.chat.add_message(
            alice,
            chat.id,
            {
                "role": "assistant",
                "model": model,
                "content": f"from {model}",
                "latency_ms": 5.0,
                "input_tokens": 2,
                "output_tokens": 3,
                "cost_usd": None,
            },
        )
    history = services.chat.get_session(alice, chat.id).messages
    assert [(m.seq, m.role, m.model) for m in history] == [
        (1, ChatRole.USER, None),
        (2, ChatRole.ASSISTANT, MODELS[0]),
        (3, ChatRole.ASSISTANT, MODELS[1]),
    ]
    page = services.chat.list_messages(alice, chat.id, offset=1, limit=1)
    assert ([m.seq for m in page.items], page.total) == ([2], 3)


def test_sessions_list_most_recently_active_first(services: Services, alice: Actor) -> None:
    older = services.chat.create_session(alice, {"models": MODELS})
    time.sleep(0.002)  # SQLite's clock counts milliseconds
    newer = services.chat.create_session(alice, {"models": MODELS})
    assert [s.id for s in services.chat.list_sessions(alice).items] == [newer.id, older.id]
    time.sleep(0.002)
    services.chat.add_message(alice, older.id, {"role": "user", "content": "back again"})
    assert [s.id for s in services.chat.list_sessions(alice).items] == [older.id, newer.id]


def test_update_and_delete_a_session(services: Services, db: Database, alice: Actor) -> None:
    chat = services.chat.create_session(alice, {"models": MODELS})
    services.chat.add_message(alice, chat.id, {"role": "user", "content": "x"})
    assert services.chat.update_session(alice, chat.id, {"title": "renamed"}).title == "renamed"
    services.chat.delete_session(alice, chat.id)
    with pytest.raises(NotFound):
        services.chat.get_session(alice, chat.id)
    assert count(db, models.ChatMessage) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"models": []}, "models"),
        ({"models": ["gpt-4o"]}, "models"),
        ({"models": MODELS + MODELS[:1]}, "models"),
        ({"models": [f"openai:m{i}" for i in range(9)]}, "models"),
        ({"models": MODELS, "title": "t" * 10_000}, "title"),
        ({"models": MODELS, "owner_id": "someone"}, "owner_id"),
    ],
)
def test_bad_session_input_names_the_field(
    services: Services, db: Database, alice: Actor, body: dict, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.chat.create_session(alice, body)
    assert caught.value.field == field
    assert count(db, models.ChatSession) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "wizard", "content": "x"}, "role"),
        ({"role": "assistant", "content": "x", "input_tokens": -1}, "input_tokens"),
        ({"role": "user", "content": "x" * 200_001}, "content"),
    ],
)
def test_bad_message_input_names_the_field(
    services: Services, alice: Actor, body: dict, field: str
) -> None:
    chat = services.chat.create_session(alice, {"models": MODELS})
    with pytest.raises(InvalidInput) as caught:
        services.chat.add_message(alice, chat.id, body)
    assert caught.value.field == field


def test_a_message_cannot_link_another_users_execution(
    services: Services, db: Database, alice: Actor, bob: Actor
) -> None:
    project = services.projects.create_project(alice, {"name": "p"})
    agent = services.agents.create_agent(alice, project.id, agent_body())
    execution = services.executions.create_execution(alice, agent.id, {})
    chat = services.chat.create_session(bob, {"models": MODELS})
    with pytest.raises(NotFound):
        services.chat.add_message(
            bob, chat.id, {"role": "assistant", "content": "x", "execution_id": str(execution.id)}
        )
    assert count(db, models.ChatMessage) == 0
