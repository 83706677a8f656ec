"""What MLflow tracking adds to an execution: a 20-step agent with and without it, side by side.

    .venv/bin/python benchmarks/tracking.py [--rounds 7] [--latency 0.2]

The agent has 20 steps in five levels of four (each step reads one step of the level above), every
call answered by the fake provider server after `--latency` seconds; the server runs in its own
process so it does not share the engine's GIL. The engine is an in-process Dask cluster, as in the
workbench. Each round runs the agent once without tracking (a no-op `on_event`, since the
workbench always listens to events) and once recorded into a SQLite MLflow store, alternately;
the figure is the median over rounds of the difference to that round's untracked wall time
(submit to result), as a share of the untracked median. Tracing is measured the same way, on and
off. The spread of the untracked runs is printed too: on a busy machine it is the noise floor.

Also printed: the process's CPU time per execution (the writer's work shows there even when the
wall clock hides it), the recorder's cost per event on the engine's thread, and how long after an
execution finishes its run is complete in MLflow (the writer's lag, off the critical path).
The last line is one JSON object: `{"tracking_overhead_pct": …, "steps": 20}` (tracing on, the
default).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mlflow import MlflowClient

from agents.engine import Engine
from agents.events import Event
from tests.fakes.behaviour import Behaviour
from tests.fakes.provider_server import FakeProviderProcess
from tracking import ExecutionContext, Tracker

LEVELS, WIDTH = 5, 4
STEPS = LEVELS * WIDTH


def agent_spec() -> dict[str, Any]:
    substeps = []
    for level in range(LEVELS):
        for column in range(WIDTH):
            above = f"{{{{ s{level - 1}_{column} }}}}" if level else "{{ topic }}"
            substeps.append({"id": f"s{level}_{column}", "prompt": f"Continue: {above}"})
    return {
        "name": "bench",
        "defaults": {"model": "openai:gpt-4o-mini", "retries": 0, "cache": False},
        "inputs": {"topic": "string"},
        "substeps": substeps,
    }


def context(execution_id: str, spec: dict[str, Any]) -> ExecutionContext:
    return ExecutionContext(
        execution_id=execution_id,
        project_id="bench-project",
        project_name="Benchmarks",
        owner_name="bench",
        agent_id="bench-agent",
        agent_name="bench",
        user_name="bench",
        spec=spec,
        inputs={"topic": "tides"},
    )


def ignore(event: Event) -> None:
    pass


def run_once(
    engine: Engine, spec: dict[str, Any], credentials: Any, tracker: Tracker | None
) -> tuple[float, float, float]:
    """Wall time of one execution; how long after it its run was complete in MLflow (when
    tracked); the CPU time the process spent on both (every thread, the writer's included)."""
    execution_id = str(uuid.uuid4())
    on_event = tracker.start(context(execution_id, spec)) if tracker else ignore
    cpu = time.process_time()
    started = time.perf_counter()
    result = engine.submit(
        spec, {"topic": "tides"}, credentials, on_event=on_event, execution_id=execution_id
    ).result(timeout=120)
    wall = time.perf_counter() - started
    assert result.status == "COMPLETED", result
    lag = 0.0
    if tracker is not None:
        assert tracker.flush(timeout=120)
        lag = time.perf_counter() - started - wall
        status = tracker.status(execution_id)
        assert status is not None and status.state.value == "synced", status
    return wall, lag, time.process_time() - cpu


def recorder_cost_us(tracker: Tracker, events: list[Event]) -> float:
    """Microseconds per `recorder(event)` call on a real execution's events."""
    recorder = tracker.start(context(str(uuid.uuid4()), agent_spec()))
    repeats = 200
    started = time.perf_counter()
    for _ in range(repeats):
        for event in events:
            recorder(event)
    return (time.perf_counter() - started) / (repeats * len(events)) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7, help="measured rounds (default 7)")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per model call")
    args = parser.parse_args()
    spec = agent_spec()

    with (
        tempfile.TemporaryDirectory(prefix="bench-tracking-") as folder,
        FakeProviderProcess() as fake,
    ):
        fake.program("*", then=Behaviour(latency=args.latency))
        credentials = fake.credentials()
        uri = f"sqlite:///{folder}/mlflow.db"
        MlflowClient(uri).search_experiments()  # create the schema before measuring
        artifacts = f"{folder}/artifacts"
        with (
            Engine() as engine,
            Tracker(uri, artifact_root=artifacts) as traced,
            Tracker(uri, artifact_root=artifacts, tracing=False) as untraced,
        ):
            engine.wait_ready()
            variants: dict[str, Tracker | None] = {
                "untracked": None,
                "tracked": traced,
                "tracked, no tracing": untraced,
            }
            for tracker in variants.values():  # warm up: Dask, HTTP pools, the first MLflow writes
                run_once(engine, spec, credentials, tracker)
            walls: dict[str, list[float]] = {name: [] for name in variants}
            lags: dict[str, list[float]] = {name: [] for name in variants}
            cpus: dict[str, list[float]] = {name: [] for name in variants}
            names = list(variants)
            for round_ in range(args.rounds):
                shift = round_ % len(names)  # rotate the order: no variant always runs first
                for name in names[shift:] + names[:shift]:
                    wall, lag, cpu = run_once(engine, spec, credentials, variants[name])
                    walls[name].append(wall)
                    lags[name].append(lag)
                    cpus[name].append(cpu)
            events: list[Event] = []
            engine.submit(spec, {"topic": "tides"}, credentials, on_event=events.append).result(60)
            per_event = recorder_cost_us(untraced, events)

    base = statistics.median(walls["untracked"])
    spread = statistics.quantiles(walls["untracked"], n=4)
    critical_path = LEVELS * args.latency
    latency_ms = args.latency * 1000
    print(f"{STEPS}-step agent ({LEVELS} levels of {WIDTH}), {latency_ms:.0f} ms per call,")
    print(f"critical path {critical_path:.2f} s, {args.rounds} rounds.")
    print("overhead: median over rounds of (variant - untracked run of the same round)")
    print(f"{'variant':<22}{'median wall s':>14}{'overhead':>10}{'synced after':>14}{'cpu ms':>8}")
    overheads = {}
    for name in variants:
        paired = [w - u for w, u in zip(walls[name], walls["untracked"], strict=True)]
        overheads[name] = statistics.median(paired) / base * 100
        lag = f"{statistics.median(lags[name]) * 1000:.0f} ms" if name != "untracked" else "-"
        median = statistics.median(walls[name])
        cpu = statistics.median(cpus[name]) * 1000
        print(f"{name:<22}{median:>14.3f}{overheads[name]:>9.1f}%{lag:>14}{cpu:>8.0f}")
    noise = (spread[2] - spread[0]) / base * 100
    print(f"noise: the untracked runs' interquartile range is {noise:.1f}% of their median")
    print(f"recorder cost per event on the engine's thread: {per_event:.2f} µs")
    print(json.dumps({"tracking_overhead_pct": round(overheads["tracked"], 2), "steps": STEPS}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
