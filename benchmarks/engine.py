"""Engine speed, side by side with the alternatives, against the fake provider server.

    python benchmarks/engine.py [--repeat 3]

The fake server runs as its own process (so it does not share this process's GIL) and answers
every call after a programmed latency. The same LangChain client calls are made three ways:
through the engine, with plain `asyncio.gather` (the physical limit), and as LangGraph parallel
branches (the framework a user would pick instead). Each figure is the median of `--repeat` runs.

1. fan-out: 100 independent substeps of 200 ms; wall ÷ 200 ms, for each of the three, and for
   the engine with two worker processes (`processes=True`), which spreads the client libraries'
   CPU work over both cores.
2. chain: 10 substeps, each after the previous; wall ÷ (10 × 200 ms).
3. overhead: the same shapes at zero latency. Per step, what the engine adds over the same calls
   made directly: (engine wall − direct wall) ÷ steps — for a chain of 20 (latency added to each
   step, the critical path) and for a fan-out of 100 (throughput on this machine); and for a
   single step, what one execution costs beyond its call (what a service pays per execute).
4. dataflow: a fast step (100 ms) feeding a follow-up (100 ms) beside a slow sibling (1.2 s);
   when the follow-up finishes ÷ 200 ms. LangGraph runs in supersteps, so there the follow-up
   waits for the slow sibling (its issue #6320, "by design"); its figure is printed beside.
5. streaming: time to the first token through the engine (submit → first `StepToken` at the
   caller) minus the same client called directly, in ms.

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import operator
import os
import statistics
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypedDict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from langchain_core.messages import HumanMessage
from langgraph.graph import END, START, StateGraph

from agents.credentials import Credentials
from agents.engine import Engine
from agents.events import Event, StepFinished, StepToken
from agents.modelref import ModelRef
from agents.providers import HTTP_CLIENTS, CallSettings, Endpoint, bind_endpoint, chat_model
from tests.fakes.provider_server import FakeProvider, FakeProviderProcess

LATENCY = 0.2
FANOUT = 100
CHAIN = 10
OVERHEAD_CHAIN = 20


def model_name(latency: float) -> str:
    return f"bench-{int(latency * 1000)}ms"


def fanout_spec(n: int, latency: float, tag: str) -> dict[str, Any]:
    model = f"openai:{model_name(latency)}"
    steps = [{"id": f"s{i}", "prompt": f"{tag} question {i}"} for i in range(n)]
    return {"name": f"fanout-{n}", "defaults": {"model": model, "retries": 0}, "substeps": steps}


def chain_spec(n: int, latency: float, tag: str) -> dict[str, Any]:
    model = f"openai:{model_name(latency)}"
    steps = [
        {"id": f"s{i}", "prompt": f"{tag} step {i}", "depends_on": [f"s{i - 1}"] if i else []}
        for i in range(n)
    ]
    return {"name": f"chain-{n}", "defaults": {"model": model, "retries": 0}, "substeps": steps}


def dataflow_spec(tag: str) -> dict[str, Any]:
    return {
        "name": "dataflow",
        "defaults": {"retries": 0},
        "substeps": [
            {"id": "fast", "model": f"openai:{model_name(0.1)}", "prompt": f"{tag} fast"},
            {"id": "slow", "model": f"openai:{model_name(1.2)}", "prompt": f"{tag} slow"},
            {
                "id": "followup",
                "model": f"openai:{model_name(0.1)}",
                "prompt": f"{tag} follow up on {{{{ fast }}}}",
            },
        ],
    }


class Direct:
    """The same client calls the engine makes, made directly on an event loop of our own."""

    def __init__(self, fake: FakeProvider) -> None:
        self.endpoint = Endpoint("openai", fake.openai_base_url, "bench-key")
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Awaitable[Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(
            _bound(self.endpoint, coroutine), self.loop
        ).result()

    async def call(self, latency: float, prompt: str) -> tuple[str, float | None]:
        model = chat_model(ModelRef("openai", model_name(latency)), self.endpoint, CallSettings())
        started = time.perf_counter()
        first = None
        parts = []
        async for chunk in model.astream([HumanMessage(prompt)]):
            if chunk.text and first is None:
                first = time.perf_counter() - started
            parts.append(chunk.text)
        return "".join(parts), first

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(HTTP_CLIENTS.aclose(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()


async def _bound(endpoint: Endpoint, coroutine: Awaitable[Any]) -> Any:
    bind_endpoint(endpoint)
    return await coroutine


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


# ---- the three ways ----------------------------------------------------------------------------


def engine_wall(engine: Engine, spec: dict[str, Any], credentials: Credentials) -> float:
    started = time.perf_counter()
    result = engine.run(spec, {}, credentials, timeout=120)
    wall = time.perf_counter() - started
    if result.status != "COMPLETED":
        raise RuntimeError(f"benchmark execution failed: {result.error}")
    return wall


def gather_fanout(direct: Direct, n: int, latency: float, tag: str) -> float:
    async def go() -> None:
        await asyncio.gather(*(direct.call(latency, f"{tag} question {i}") for i in range(n)))

    return timed(lambda: direct.run(go()))


def gather_chain(direct: Direct, n: int, latency: float, tag: str) -> float:
    async def go() -> None:
        for i in range(n):
            await direct.call(latency, f"{tag} step {i}")

    return timed(lambda: direct.run(go()))


class _State(TypedDict):
    answers: Annotated[list[str], operator.add]


def langgraph_fanout(direct: Direct, n: int, latency: float, tag: str) -> float:
    builder = StateGraph(_State)
    for i in range(n):

        async def node(state: _State, i: int = i) -> dict[str, list[str]]:
            text, _ = await direct.call(latency, f"{tag} question {i}")
            return {"answers": [text]}

        builder.add_node(f"s{i}", node)
        builder.add_edge(START, f"s{i}")
        builder.add_edge(f"s{i}", END)
    graph = builder.compile()
    return timed(lambda: direct.run(graph.ainvoke({"answers": []})))


def langgraph_dataflow(direct: Direct, tag: str) -> float:
    """When LangGraph's follow-up step finishes, in seconds from the start."""
    finished: dict[str, float] = {}
    started = 0.0

    def node(name: str, latency: float) -> Callable[[_State], Awaitable[dict[str, list[str]]]]:
        async def run(state: _State) -> dict[str, list[str]]:
            text, _ = await direct.call(latency, f"{tag} {name}")
            finished[name] = time.perf_counter() - started
            return {"answers": [text]}

        return run

    builder = StateGraph(_State)
    builder.add_node("fast", node("fast", 0.1))
    builder.add_node("slow", node("slow", 1.2))
    builder.add_node("followup", node("followup", 0.1))
    builder.add_edge(START, "fast")
    builder.add_edge(START, "slow")
    builder.add_edge("fast", "followup")
    builder.add_edge("followup", END)
    builder.add_edge("slow", END)
    graph = builder.compile()
    started = time.perf_counter()
    direct.run(graph.ainvoke({"answers": []}))
    return finished["followup"]


def engine_dataflow(engine: Engine, credentials: Credentials, tag: str) -> float:
    finished: dict[str, float] = {}
    started = time.perf_counter()

    def on_event(event: Event) -> None:
        if isinstance(event, StepFinished):
            finished[event.step_id] = time.perf_counter() - started

    result = engine.run(dataflow_spec(tag), {}, credentials, on_event=on_event, timeout=60)
    if result.status != "COMPLETED":
        raise RuntimeError(f"benchmark execution failed: {result.error}")
    return finished["followup"]


def engine_ttft(engine: Engine, credentials: Credentials, latency: float, tag: str) -> float:
    first: list[float] = []
    got_first = threading.Event()
    spec = fanout_spec(1, latency, tag)
    started = time.perf_counter()

    def on_event(event: Event) -> None:
        if isinstance(event, StepToken) and not first:
            first.append(time.perf_counter() - started)
            got_first.set()

    handle = engine.submit(spec, {}, credentials, on_event=on_event)
    got_first.wait(30)
    handle.result(30)
    return first[0]


# ---- main --------------------------------------------------------------------------------------


class Samples:
    """Runs every measure once per round, interleaved, so a change of load affects all alike."""

    def __init__(self) -> None:
        self.values: dict[str, list[float]] = {}

    def add(self, name: str, value: float) -> None:
        self.values.setdefault(name, []).append(value)

    def __getitem__(self, name: str) -> float:
        return statistics.median(self.values[name])


def measure(
    engine: Engine, processes: Engine, direct: Direct, credentials: Credentials, repeat: int
) -> Samples:
    samples = Samples()
    for r in range(repeat):
        samples.add(
            "fan_processes",
            engine_wall(processes, fanout_spec(FANOUT, LATENCY, f"p{r}"), credentials),
        )
        samples.add(
            "fan_engine", engine_wall(engine, fanout_spec(FANOUT, LATENCY, f"f{r}"), credentials)
        )
        samples.add("fan_gather", gather_fanout(direct, FANOUT, LATENCY, f"g{r}"))
        samples.add("fan_graph", langgraph_fanout(direct, FANOUT, LATENCY, f"l{r}"))
        samples.add(
            "chain_engine", engine_wall(engine, chain_spec(CHAIN, LATENCY, f"c{r}"), credentials)
        )
        samples.add("chain_direct", gather_chain(direct, CHAIN, LATENCY, f"d{r}"))
        samples.add(
            "zchain_engine",
            engine_wall(engine, chain_spec(OVERHEAD_CHAIN, 0.0, f"zc{r}"), credentials),
        )
        samples.add("zchain_direct", gather_chain(direct, OVERHEAD_CHAIN, 0.0, f"zd{r}"))
        samples.add(
            "zfan_engine", engine_wall(engine, fanout_spec(FANOUT, 0.0, f"zf{r}"), credentials)
        )
        samples.add("zfan_direct", gather_fanout(direct, FANOUT, 0.0, f"zg{r}"))
        for o in range(10):  # what a service pays per execute: the graph's fixed cost
            samples.add(
                "one_engine", engine_wall(engine, fanout_spec(1, 0.0, f"o{r}-{o}"), credentials)
            )
            samples.add("one_direct", gather_fanout(direct, 1, 0.0, f"od{r}-{o}"))
        samples.add("dataflow_engine", engine_dataflow(engine, credentials, f"df{r}"))
        samples.add("dataflow_graph", langgraph_dataflow(direct, f"dg{r}"))
        for t in range(5):
            samples.add("ttft_engine", engine_ttft(engine, credentials, 0.05, f"t{r}-{t}"))
            samples.add("ttft_direct", direct.run(direct.call(0.05, f"u{r}-{t}"))[1] or 0.0)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="rounds (each figure: the median)")
    args = parser.parse_args()
    repeat = max(1, args.repeat)
    load_before = os.getloadavg()[0]

    with FakeProviderProcess() as fake:
        for latency in (0.0, 0.05, 0.1, LATENCY, 1.2):
            fake.program(model_name(latency), then={"latency": latency, "text": "one two three"})
        credentials = fake.credentials("bench-key", providers=("openai",))
        direct = Direct(fake)
        engine = Engine().wait_ready()
        processes = Engine(processes=True, workers=2).wait_ready()
        try:
            # Warm every path (imports, connection pools) before measuring.
            engine_wall(engine, fanout_spec(FANOUT, 0.0, "warm"), credentials)
            engine_wall(processes, fanout_spec(FANOUT, 0.0, "warm"), credentials)
            gather_fanout(direct, FANOUT, 0.0, "warm")
            langgraph_fanout(direct, 10, 0.0, "warm")
            m = measure(engine, processes, direct, credentials, repeat)
        finally:
            processes.close()
            engine.close()
            direct.close()
    load_after = os.getloadavg()[0]

    chain_overhead = (m["zchain_engine"] - m["zchain_direct"]) / OVERHEAD_CHAIN * 1000
    fan_overhead = (m["zfan_engine"] - m["zfan_direct"]) / FANOUT * 1000
    figures = {
        "fanout_ratio": round(m["fan_engine"] / LATENCY, 3),
        "fanout_vs_gather": round(m["fan_engine"] / m["fan_gather"], 3),
        "fanout_vs_langgraph": round(m["fan_engine"] / m["fan_graph"], 3),
        "chain_ratio": round(m["chain_engine"] / (CHAIN * LATENCY), 3),
        "overhead_ms_per_step": round(fan_overhead, 2),
        "dataflow_ratio": round(m["dataflow_engine"] / 0.2, 3),
        "ttft_added_ms": round((m["ttft_engine"] - m["ttft_direct"]) * 1000, 2),
    }

    def ms(name: str) -> str:
        return f"{m[name] * 1000:8.0f} ms"

    rows = [
        (
            "fan-out 100 × 200 ms: engine",
            ms("fan_engine"),
            f"ratio {m['fan_engine'] / LATENCY:.2f}",
        ),
        (
            "  asyncio.gather, same calls",
            ms("fan_gather"),
            f"ratio {m['fan_gather'] / LATENCY:.2f}",
        ),
        ("  LangGraph parallel branches", ms("fan_graph"), f"ratio {m['fan_graph'] / LATENCY:.2f}"),
        (
            "  engine, 2 worker processes",
            ms("fan_processes"),
            f"ratio {m['fan_processes'] / LATENCY:.2f} (processes=True)",
        ),
        ("chain 10 × 200 ms: engine", ms("chain_engine"), f"ratio {figures['chain_ratio']:.2f}"),
        (
            "  the same calls in sequence",
            ms("chain_direct"),
            f"ratio {m['chain_direct'] / (CHAIN * LATENCY):.2f}",
        ),
        (
            "zero latency, fan-out 100: engine",
            ms("zfan_engine"),
            f"{m['zfan_engine'] * 10:.2f} ms/step",
        ),
        ("  asyncio.gather, same calls", ms("zfan_direct"), f"{m['zfan_direct'] * 10:.2f} ms/step"),
        ("  added by the engine, per step", f"{fan_overhead:8.2f} ms", "→ overhead_ms_per_step"),
        (
            "zero latency, chain 20: engine",
            ms("zchain_engine"),
            f"{m['zchain_engine'] * 50:.2f} ms/step",
        ),
        (
            "  the same calls in sequence",
            ms("zchain_direct"),
            f"{m['zchain_direct'] * 50:.2f} ms/step",
        ),
        ("  added by the engine, per step", f"{chain_overhead:8.2f} ms", "(latency per level)"),
        ("zero latency, one step: engine", f"{m['one_engine'] * 1000:8.1f} ms", ""),
        ("  the same call, directly", f"{m['one_direct'] * 1000:8.1f} ms", ""),
        (
            "  added by the engine",
            f"{(m['one_engine'] - m['one_direct']) * 1000:8.1f} ms",
            "(per execution)",
        ),
        (
            "dataflow: follow-up done, engine",
            ms("dataflow_engine"),
            f"ratio {figures['dataflow_ratio']:.2f}",
        ),
        (
            "  LangGraph (supersteps)",
            ms("dataflow_graph"),
            f"ratio {m['dataflow_graph'] / 0.2:.2f}",
        ),
        ("first token: engine", f"{m['ttft_engine'] * 1000:8.1f} ms", "from submit()"),
        ("  the same client, directly", f"{m['ttft_direct'] * 1000:8.1f} ms", ""),
        ("  added by the engine", f"{figures['ttft_added_ms']:8.1f} ms", ""),
    ]
    width = max(len(r[0]) for r in rows)
    load = f"load average {load_before:.1f} → {load_after:.1f}"
    print(f"engine benchmark: {repeat} rounds, medians; {load}")
    print(f"{'measure':<{width}}  {'figure':>11}  note")
    for label, value, note in rows:
        print(f"{label:<{width}}  {value:>11}  {note}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
