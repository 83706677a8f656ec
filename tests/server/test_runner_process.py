"""The execution runner in its own process (`RunnerProcess`), as the service uses it.

A real child process (spawned, with the in-process Dask engine) on a real database, SQLite and
PostgreSQL, calling the fake provider server. One runner per backend serves the module, as one
serves the service; the test that kills its child checks that a new child takes over.
"""

from __future__ import annotations

import os
import queue
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from agents import events
from tests.fakes.behaviour import Behaviour
from tests.fakes.provider_server import FakeProvider
from tests.server.helpers import unique
from workbench.config import Settings
from workbench.db import Database, upgrade
from workbench.engine_setup import EngineSetup
from workbench.keyvault import KeyVault, generate_master_key
from workbench.runner import SpecNotExecutable
from workbench.runner_process import INTERRUPTED, RunnerOptions, RunnerProcess
from workbench.services import Actor, ExecutionStatus, Services


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


class Recorded:
    """What the parent's callbacks received."""

    def __init__(self) -> None:
        self.finished: list[tuple[str, float]] = []
        self.calls: list[events.CallFinished] = []


class Deployment:
    def __init__(self, services: Services, runner: RunnerProcess, recorded: Recorded) -> None:
        self.services = services
        self.runner = runner
        self.recorded = recorded

    def user(self, name: str) -> Actor:
        return self.services.users.actor_for(self.services.users.ensure_user(name, admin=False))

    def agent(self, actor: Actor, substeps: list[dict[str, Any]], model: str = "demo:echo") -> Any:
        project = self.services.projects.create_project(actor, {"name": unique("project")})
        return self.services.agents.create_agent(
            actor,
            project.id,
            {
                "name": unique("agent"),
                "configuration": {"defaults": {"model": model}, "inputs": {"word": "string"}},
                "substeps": substeps,
            },
        )

    def status(self, actor: Actor, execution_id: uuid.UUID) -> ExecutionStatus:
        return self.services.executions.get_execution(actor, execution_id).status


def start_runner(
    url: str, master_key: str, tmp_path: Path, fake: FakeProvider, engine: EngineSetup
) -> tuple[Services, RunnerProcess, Recorded]:
    services = Services(Database.from_url(url).session_factory, KeyVault([master_key]))
    recorded = Recorded()
    options = RunnerOptions(
        settings=Settings(
            data_dir=tmp_path, database_url=url, secret_keys=(SecretStr(master_key),)
        ),
        engine=engine,
        provider_base_urls={"openai": fake.base_url("openai")},
    )
    runner = RunnerProcess(
        services,
        options,
        on_finished=lambda status, seconds: recorded.finished.append((status, seconds)),
        on_event=recorded.calls.append,  # type: ignore[arg-type]
    )
    runner.start()
    return services, runner, recorded


@pytest.fixture(scope="module")
def deployment(
    database_backend: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    fake_provider: FakeProvider,
) -> Iterator[Deployment]:
    from tests.fixtures.database import _new_database

    folder = tmp_path_factory.mktemp("runner-process")
    for url in _new_database(database_backend, request, folder):
        upgrade(url)
        services, runner, recorded = start_runner(
            url, generate_master_key(), folder, fake_provider, EngineSetup()
        )
        try:
            yield Deployment(services, runner, recorded)
        finally:
            runner.close()


def subscribe(
    deployment: Deployment, actor: Actor, execution_id: uuid.UUID
) -> queue.SimpleQueue[events.Event]:
    received: queue.SimpleQueue[events.Event] = queue.SimpleQueue()
    deployment.runner.subscribe(actor, execution_id, received.put)
    return received


def until_finished(received: queue.SimpleQueue[events.Event]) -> list[events.Event]:
    seen: list[events.Event] = []
    while not seen or not isinstance(seen[-1], events.ExecutionFinished):
        seen.append(received.get(timeout=90))
    return seen


def test_an_execution_runs_in_the_child_and_a_subscriber_sees_it_finish(
    deployment: Deployment,
) -> None:
    alice = deployment.user(unique("alice"))
    agent = deployment.agent(alice, [{"id": "answer", "prompt": "say {{ word }}"}])
    execution = deployment.runner.start_execution(alice, agent.id, {"word": "hello"})
    assert execution.status is ExecutionStatus.PENDING  # returned before the child took it
    seen = until_finished(subscribe(deployment, alice, execution.id))

    assert seen[-1].status == "COMPLETED"
    stored = deployment.services.executions.get_execution(alice, execution.id)
    assert stored.status is ExecutionStatus.COMPLETED  # stored before the event was published
    assert "hello" in str(stored.result)
    assert deployment.runner.child_pid not in (None, os.getpid())
    wait_until(lambda: deployment.runner.live_count() == 0)
    wait_until(lambda: "COMPLETED" in [s for s, _ in deployment.recorded.finished])


def test_a_model_call_reaches_the_parents_metrics_and_the_key_is_decrypted_in_the_child(
    deployment: Deployment, fresh_fake_provider: FakeProvider
) -> None:
    bob = deployment.user(unique("bob"))
    deployment.services.keys.create_key(
        bob, {"provider": "openai", "api_key": "sk-child-" + uuid.uuid4().hex}
    )
    model = unique("gpt-metrics")
    fresh_fake_provider.program(model, Behaviour(text="counted"))
    agent = deployment.agent(bob, [{"id": "ask", "prompt": "{{ word }}"}], model=f"openai:{model}")
    before = len(deployment.recorded.calls)
    execution = deployment.runner.start_execution(bob, agent.id, {"word": "count me"})
    wait_until(lambda: deployment.status(bob, execution.id).is_terminal)

    assert deployment.status(bob, execution.id) is ExecutionStatus.COMPLETED
    wait_until(lambda: len(deployment.recorded.calls) > before)
    call = deployment.recorded.calls[-1].call
    assert call is not None and call.model.endswith(model) and call.error is None


def test_bad_inputs_are_refused_at_once_and_nothing_is_created(deployment: Deployment) -> None:
    carol = deployment.user(unique("carol"))
    agent = deployment.agent(carol, [{"id": "answer", "prompt": "say {{ word }}"}])
    with pytest.raises(SpecNotExecutable) as refused:
        deployment.runner.start_execution(carol, agent.id, {"word": 3})
    assert refused.value.errors[0].field.startswith("inputs")
    assert deployment.services.executions.list_executions(carol, agent_id=agent.id).total == 0


def running_slow_execution(
    deployment: Deployment, fake: FakeProvider, name: str
) -> tuple[Actor, Any, queue.SimpleQueue[events.Event]]:
    """A user's execution whose one model call takes a minute, subscribed to, once RUNNING."""
    actor = deployment.user(unique(name))
    deployment.services.keys.create_key(actor, {"provider": "openai", "api_key": f"sk-{name}-key"})
    slow = unique("gpt-slow")
    fake.program(slow, then=Behaviour(latency=60.0, text="never"))
    steps = [{"id": "wait", "prompt": "{{ word }}"}]
    agent = deployment.agent(actor, steps, model=f"openai:{slow}")
    execution = deployment.runner.start_execution(actor, agent.id, {"word": "slowly"})
    received = subscribe(deployment, actor, execution.id)
    wait_until(lambda: deployment.status(actor, execution.id) is ExecutionStatus.RUNNING)
    return actor, execution, received


def test_cancel_stops_a_slow_execution_and_its_subscriber_hears_it(
    deployment: Deployment, fresh_fake_provider: FakeProvider
) -> None:
    dave, execution, received = running_slow_execution(deployment, fresh_fake_provider, "dave")

    started = time.monotonic()
    cancelled = deployment.runner.cancel_execution(dave, execution.id)
    assert cancelled.status is ExecutionStatus.CANCELLED
    assert time.monotonic() - started < 30
    assert until_finished(received)[-1].status == "CANCELLED"
    wait_until(lambda: deployment.runner.live_count() == 0)


def test_a_killed_child_fails_its_executions_and_a_new_child_takes_the_next(
    deployment: Deployment, fresh_fake_provider: FakeProvider
) -> None:
    erin, doomed, received = running_slow_execution(deployment, fresh_fake_provider, "erin")
    first_child = deployment.runner.child_pid
    assert first_child is not None

    os.kill(first_child, signal.SIGKILL)
    final = until_finished(received)[-1]
    assert (final.status, final.error) == ("FAILED", INTERRUPTED)
    stored = deployment.services.executions.get_execution(erin, doomed.id)
    assert (stored.status, stored.error) == (ExecutionStatus.FAILED, INTERRUPTED)

    assert deployment.runner.child_pid not in (None, first_child)
    quick = deployment.agent(erin, [{"id": "answer", "prompt": "say {{ word }}"}])
    after = deployment.runner.start_execution(erin, quick.id, {"word": "again"})
    wait_until(lambda: deployment.status(erin, after.id).is_terminal, timeout=120)
    assert deployment.status(erin, after.id) is ExecutionStatus.COMPLETED


@pytest.mark.postgres
def test_a_cancel_that_overtakes_its_execution_keeps_it_from_starting(
    postgres_server: Any, tmp_path: Path, fake_provider: FakeProvider
) -> None:
    """The engine cannot start here (no scheduler answers): executions wait for it in the
    child, a cancel reaches them first, and the rest fail with the engine's reason."""
    url = postgres_server.create_database("workbench_overtake")
    try:
        upgrade(url)
        nowhere = EngineSetup(scheduler_address="tcp://127.0.0.1:9", start_timeout_s=8.0)
        services, runner, _ = start_runner(
            url, generate_master_key(), tmp_path, fake_provider, nowhere
        )
        deployment = Deployment(services, runner, Recorded())
        try:
            frank = deployment.user("frank")
            agent = deployment.agent(frank, [{"id": "answer", "prompt": "say {{ word }}"}])
            first = runner.start_execution(frank, agent.id, {"word": "one"})
            second = runner.start_execution(frank, agent.id, {"word": "two"})
            cancelled = runner.cancel_execution(frank, first.id)
            assert cancelled.status is ExecutionStatus.CANCELLED

            wait_until(lambda: deployment.status(frank, second.id).is_terminal, timeout=60)
            failed = services.executions.get_execution(frank, second.id)
            assert failed.status is ExecutionStatus.FAILED
            assert "engine" in (failed.error or "")
            # The cancelled one was never submitted: it stays as the cancel left it.
            assert deployment.status(frank, first.id) is ExecutionStatus.CANCELLED
            assert runner.live_count() == 0
        finally:
            runner.close()
    finally:
        postgres_server.drop_database(url)


def test_closing_stops_the_child(tmp_path: Path, fake_provider: FakeProvider) -> None:
    url = f"sqlite:///{tmp_path / 'close.sqlite'}"
    upgrade(url)
    _, runner, _ = start_runner(url, generate_master_key(), tmp_path, fake_provider, EngineSetup())
    pid = runner.child_pid
    assert pid is not None
    closer = threading.Thread(target=runner.close)
    closer.start()
    closer.join(60)
    assert not closer.is_alive()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
