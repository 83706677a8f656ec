"""The same graphs on a separate Dask cluster reached by address, with worker processes."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import dask
import pytest
from distributed import Client, LocalCluster

from agents.engine import Engine
from agents.events import StepStarted
from tests.agents.helpers import Recorder, spec, unique
from tests.fakes.provider_server import FakeProvider


@pytest.fixture(scope="module")
def process_cluster() -> Iterator[LocalCluster]:
    # allowed-failures 0: a step whose worker dies is reported, not silently re-run (and billed
    # twice); the engine sets it on the clusters it starts, and recommends it for others.
    # Short semaphore leases, so a dead worker's concurrency slot comes back within the test.
    settings = {
        "distributed.scheduler.allowed-failures": 0,
        "distributed.scheduler.locks.lease-timeout": "2s",
        "distributed.scheduler.locks.lease-validation-interval": "200ms",
    }
    with dask.config.set(settings):
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=8,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        )
    yield cluster
    cluster.close()


@pytest.fixture(scope="module")
def remote_engine(process_cluster: LocalCluster) -> Iterator[Engine]:
    with Engine(process_cluster.scheduler_address, provider_limits={"anthropic": 1}) as running:
        running.wait_ready()
        yield running


def worker_pids(cluster: LocalCluster) -> dict[str, int]:
    with Client(cluster.scheduler_address, timeout=10) as client:
        return client.run(os.getpid)


def test_graph_runs_on_worker_processes_by_address(
    process_cluster: LocalCluster, remote_engine: Engine, fake_provider: FakeProvider
) -> None:
    model = unique("remote")
    fake_provider.program(model, then={"latency": 0.3, "text": "from afar"})
    recorder = Recorder()
    steps = [{"id": f"s{i}", "prompt": f"q{i}"} for i in range(6)]
    steps.append({"id": "join", "prompt": "{{ s0 }} / {{ s5 }}"})
    result = remote_engine.run(
        spec(*steps, model=f"openai:{model}"), {}, fake_provider.credentials(), on_event=recorder
    )
    assert result.status == "COMPLETED"
    assert result.outputs["join"] == "from afar"
    assert fake_provider.stats()["max_in_flight_by_model"][model] == 6
    pids = worker_pids(process_cluster)
    assert os.getpid() not in pids.values()
    ran_on = {e.worker for e in recorder.of("step_started")}
    assert ran_on <= set(pids)
    assert len(recorder.of("step_token")) >= 7  # streamed back across processes


def test_provider_cap_holds_across_worker_processes_when_steps_run_on_several(
    process_cluster: LocalCluster, remote_engine: Engine, fake_provider: FakeProvider
) -> None:
    with Client(process_cluster.scheduler_address, timeout=10) as client:
        client.wait_for_workers(2, timeout=30)
        pids = client.run(os.getpid)
    assert len(set(pids.values())) >= 2 and os.getpid() not in pids.values()
    model = unique("cluster-capped")
    fake_provider.program(model, then={"latency": 0.3})  # uncapped, all six would overlap
    recorder = Recorder()
    steps = [{"id": f"s{i}", "prompt": f"q{i}"} for i in range(6)]
    result = remote_engine.run(
        spec(*steps, model=f"anthropic:{model}"),  # remote_engine caps anthropic at 1
        {},
        fake_provider.credentials(),
        on_event=recorder,
        timeout=60,
    )
    assert result.status == "COMPLETED"
    assert len({e.worker for e in recorder.of("step_started")}) >= 2  # the cap spanned processes
    assert fake_provider.stats()["requests_by_model"][model] == 6
    assert fake_provider.stats()["max_in_flight_by_model"][model] == 1


def test_s11_killed_worker_fails_the_step_and_nothing_hangs(
    process_cluster: LocalCluster, remote_engine: Engine, fake_provider: FakeProvider
) -> None:
    stuck, quick = unique("stuck"), unique("quick")
    fake_provider.program(stuck, then={"latency": 60})
    recorder = Recorder()
    agent = spec(
        # Holds the only anthropic slot (provider_limits) when its worker dies.
        {"id": "doomed", "model": f"anthropic:{stuck}", "prompt": "long job"},
        {"id": "after", "model": f"openai:{quick}", "prompt": "use {{ doomed }}"},
        {"id": "other", "model": f"openai:{quick}", "prompt": "independent"},
    )
    handle = remote_engine.submit(agent, {}, fake_provider.credentials(), on_event=recorder)
    started = recorder.wait_for(lambda e: isinstance(e, StepStarted) and e.step_id == "doomed")
    recorder.wait_for(lambda e: e.type == "step_finished" and e.step_id == "other")

    os.kill(worker_pids(process_cluster)[started.worker], signal.SIGKILL)

    result = handle.result(timeout=60)
    doomed = result.steps["doomed"]
    assert (doomed.status, doomed.error_type) == ("FAILED", "worker_lost")
    assert "Dask worker running this step stopped" in doomed.error
    assert result.steps["after"].status == "SKIPPED"
    assert result.outputs["other"].startswith("fake answer")
    assert result.status == "FAILED"

    # The dead worker's anthropic slot is freed (its lease expires), so the next call gets it.
    later = remote_engine.run(
        spec({"id": "next", "model": f"anthropic:{quick}", "prompt": "hello"}),
        {},
        fake_provider.credentials(),
        timeout=30,
    )
    assert later.status == "COMPLETED"


def test_engine_can_start_its_own_worker_processes(fake_provider: FakeProvider) -> None:
    recorder = Recorder()
    with Engine(processes=True, workers=2, concurrency=8) as engine:
        result = engine.run(
            spec({"id": "a", "prompt": "hi"}, {"id": "b", "prompt": "{{ a }}"}, model="demo:x"),
            on_event=recorder,
            timeout=120,
        )
        with Client(engine.wait_ready()._client.scheduler.address, timeout=10) as client:
            pids = client.run(os.getpid)
    assert result.status == "COMPLETED"
    assert os.getpid() not in pids.values()
    assert {e.worker for e in recorder.of("step_started")} <= set(pids)
