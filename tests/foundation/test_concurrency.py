"""Several threads writing at once, as the runner and request handlers do, on a real database."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from workbench.db import Database, upgrade
from workbench.errors import Conflict
from workbench.keyvault import KeyVault, generate_master_key
from workbench.services import Actor, Services

from .bodies import agent_body

THREADS = 4
EACH = 5


@pytest.fixture
def committed(empty_database_url: str) -> Iterator[Services]:
    upgrade(empty_database_url)
    database = Database.from_url(empty_database_url)
    yield Services(database.session_factory, KeyVault([generate_master_key()]))
    database.dispose()


def actor(services: Services) -> Actor:
    return services.users.actor_for(services.users.ensure_user("dana", admin=False))


def test_concurrent_executions_of_one_agent_get_distinct_numbers(committed: Services) -> None:
    dana = actor(committed)
    project = committed.projects.create_project(dana, {"name": "p"})
    agent = committed.agents.create_agent(dana, project.id, agent_body())

    def create(_: int) -> list[int]:
        return [
            committed.executions.create_execution(dana, agent.id, {}).number for _ in range(EACH)
        ]

    with ThreadPoolExecutor(THREADS) as pool:
        numbers = [n for batch in pool.map(create, range(THREADS)) for n in batch]
    assert sorted(numbers) == list(range(1, THREADS * EACH + 1))


def test_concurrent_replies_keep_a_gapless_history(committed: Services) -> None:
    dana = actor(committed)
    chat = committed.chat.create_session(dana, {"models": ["demo:a", "demo:b"]})

    def reply(model: str) -> None:
        for i in range(EACH):
            committed.chat.add_message(
                dana, chat.id, {"role": "assistant", "model": model, "content": str(i)}
            )

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(reply, [f"demo:m{i}" for i in range(THREADS)]))
    history = committed.chat.get_session(dana, chat.id).messages
    assert [m.seq for m in history] == list(range(1, THREADS * EACH + 1))


def test_simultaneous_first_logins_make_one_user(committed: Services) -> None:
    with ThreadPoolExecutor(THREADS) as pool:
        users = list(
            pool.map(lambda _: committed.users.ensure_user("eve", admin=False), range(THREADS))
        )
    assert len({user.id for user in users}) == 1
    admin = committed.users.actor_for(committed.users.ensure_user("root", admin=True))
    assert [u.name for u in committed.users.list_users(admin).items] == ["eve", "root"]


def test_simultaneous_duplicate_names_end_in_one_project_and_conflicts(
    committed: Services,
) -> None:
    dana = actor(committed)

    def create(_: int) -> str:
        try:
            committed.projects.create_project(dana, {"name": "same"})
        except Conflict:
            return "conflict"
        return "created"

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(create, range(THREADS)))
    assert sorted(outcomes) == ["conflict"] * (THREADS - 1) + ["created"]
    assert committed.projects.list_projects(dana).total == 1
