"""How fast the service layer records and reads executions, on SQLite and on PostgreSQL.

The runner calls `executions.record_events` with the engine events (token events excepted) that
queued up while it wrote the previous ones: one when idle, several when busy. Its rate bounds how
many step updates per second the workbench can persist; the listing and detail reads are what
every execution page does. Each backend gets a fresh database; PostgreSQL is
WORKBENCH_TEST_DATABASE_URL's server, else 127.0.0.1:5432, else it is left out.

    .venv/bin/python benchmarks/service_layer.py
"""

from __future__ import annotations

import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from agents import events
from agents.events import CallRecord
from workbench.db import Database, upgrade
from workbench.keyvault import KeyVault, generate_master_key
from workbench.services import Actor, Services

EXECUTIONS = 300  # created one by one, then listed
STEPS = 8  # per recorded execution
RECORDED = 20  # executions whose events are recorded one by one (as many again in batches)
BATCH = 4  # events per batch
READS = 50  # repetitions of each read

AGENT = {
    "name": "bench",
    "configuration": {"inputs": {"topic": {"type": "string", "default": "x"}}},
    "substeps": [
        {"id": f"s{i}", "model": "demo:echo", "prompt": "{{ topic }}"} for i in range(STEPS)
    ],
}


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as directory:
        yield f"sqlite:///{Path(directory) / 'bench.sqlite'}"


@contextmanager
def postgres_database() -> Iterator[str | None]:
    url = (
        os.environ.get("WORKBENCH_TEST_DATABASE_URL")
        or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    admin = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"workbench_bench_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error:
        yield None
        return
    try:
        yield (
            make_url(url)
            .set(drivername="postgresql+psycopg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def step_events(execution_id: str) -> list[events.Event]:
    stream: list[events.Event] = [
        events.ExecutionStarted(execution_id, step_ids=tuple(f"s{i}" for i in range(STEPS)))
    ]
    for i in range(STEPS):
        step = f"s{i}"
        record = CallRecord(model="demo:echo", role="answer", output="x" * 200, latency_ms=5.0)
        stream += [
            events.StepQueued(execution_id, step_id=step),
            events.StepStarted(execution_id, step_id=step, models=("demo:echo",)),
            events.CallFinished(execution_id, step_id=step, call=record),
            events.StepFinished(execution_id, step_id=step, output="x" * 200, calls=(record,)),
        ]
    stream.append(events.ExecutionFinished(execution_id, status="COMPLETED"))
    return stream


def median_ms(action: Callable[[], object]) -> float:
    timings = []
    for _ in range(READS):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def measure(url: str) -> dict[str, float]:
    upgrade(url)
    database = Database.from_url(url)
    try:
        services = Services(database.session_factory, KeyVault([generate_master_key()]))
        user = services.users.ensure_user("bench", admin=False)
        actor: Actor = services.users.actor_for(user)
        project = services.projects.create_project(actor, {"name": "bench"})
        agent = services.agents.create_agent(actor, project.id, AGENT)

        start = time.perf_counter()
        created = [
            services.executions.create_execution(actor, agent.id, {}) for _ in range(EXECUTIONS)
        ]
        create_rate = EXECUTIONS / (time.perf_counter() - start)

        streams = [step_events(str(e.id)) for e in created[:RECORDED]]
        count = sum(len(stream) for stream in streams)
        start = time.perf_counter()
        for stream in streams:
            for event in stream:
                services.executions.record_event(event)
        event_rate = count / (time.perf_counter() - start)

        # A busy runner hands over what queued while it wrote: here, each step's four events.
        batches = [
            stream[i : i + BATCH]
            for e in created[RECORDED : 2 * RECORDED]
            for stream in [step_events(str(e.id))]
            for i in range(0, len(stream), BATCH)
        ]
        count = sum(len(batch) for batch in batches)
        start = time.perf_counter()
        for batch in batches:
            services.executions.record_events(batch)
        batched_rate = count / (time.perf_counter() - start)

        detail = created[0].id
        return {
            "executions created / s": create_rate,
            "engine events recorded / s": event_rate,
            f"... in batches of {BATCH}, / s": batched_rate,
            f"list 50 of {EXECUTIONS} executions, ms": median_ms(
                lambda: services.executions.list_executions(actor, agent_id=agent.id, limit=50)
            ),
            f"get execution with {STEPS} steps, ms": median_ms(
                lambda: services.executions.get_execution(actor, detail)
            ),
        }
    finally:
        database.dispose()


def main() -> None:
    results: dict[str, dict[str, float] | None] = {}
    with sqlite_database() as url:
        results["SQLite (file, WAL)"] = measure(url)
    with postgres_database() as url:
        results["PostgreSQL"] = measure(url) if url else None
    measured = {name: figures for name, figures in results.items() if figures}
    metrics = list(next(iter(measured.values())))
    print(f"{'':34}" + "".join(f"{name:>22}" for name in results))
    for metric in metrics:
        cells = "".join(
            f"{figures[metric]:>22.1f}" if figures else f"{'(no server)':>22}"
            for figures in results.values()
        )
        print(f"{metric:34}{cells}")


if __name__ == "__main__":
    main()
