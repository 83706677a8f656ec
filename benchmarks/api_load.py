"""REST API under load, through the hub's proxy, on PostgreSQL, while executions run.

    python benchmarks/api_load.py [--clients 50] [--seconds 30] [--think-ms 500]
                                  [--executions-in process|server]

Starts what `make run` starts (`workbench up`: JupyterHub, configurable-http-proxy, the workbench
service) on random loopback ports, but on a fresh PostgreSQL database (127.0.0.1:5432, or
WORKBENCH_BENCH_DATABASE_URL pointing at a server where a database may be created), and a fake
provider as its own process answering every model call after 500 ms. Five users sign up through
the hub's form; each owns a project with agents and finished executions.

Then `--clients` concurrent clients (spread over the users, each with its own hub token) loop for
`--seconds`: reads (list projects, get a project, an agent, an execution with its steps, an
agent's executions) and, one request in twenty, an execute of an agent whose model call takes
500 ms. Each client waits `--think-ms` (uniformly 0.5–1.5 times it) after each answer, as a
person at a dashboard does, and a random part of it before its first request, so the clients are
spread over time as a team is, not in step: 50 clients at the default 500 ms offer about 100
requests/s.
`--executions-in server` runs executions on the service's own threads instead of its execution
process (`WORKBENCH_EXECUTION_PROCESS=false`), to compare the two side by side.
`--think-ms 0` makes every client send its next request at once: that measures the saturation
throughput instead (latency is then clients ÷ throughput, by Little's law). Provider calls, Dask
and MLflow run off the server's event loop, so the reads stay fast while executions run; the
per-endpoint table shows it.

Reported: requests per second (all requests), p50 / p99 latency of the reads in ms, errors (any
non-2xx answer or failed request). Goal on a 2-core machine: 0 errors, p50 <= 20 ms, p99 <= 100 ms.
The load generator shares the machine with the server, so the figures include its own CPU use.
The last printed line is one JSON object:
`{"rps": ..., "p50_ms": ..., "p99_ms": ..., "errors": ..., "clients": 50}`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.behaviour import Behaviour  # noqa: E402
from tests.fakes.provider_server import FakeProviderProcess  # noqa: E402
from tests.fixtures.hub import RunningHub, provider_base_urls, start_hub  # noqa: E402

USERS = 5
AGENTS_PER_USER = 4
EXECUTIONS_PER_AGENT = 3
MODEL = "gpt-bench"
MODEL_LATENCY_S = 0.5
EXECUTE_SHARE = 0.05
READS = ("list projects", "get project", "get agent", "get execution", "agent executions")


@dataclass
class UserData:
    token: str
    project_id: str
    agent_ids: list[str]
    execution_ids: list[str]


@dataclass
class Tally:
    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def reads(self) -> list[float]:
        return [ms for name in READS for ms in self.latencies_ms[name]]


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def admin_database_url() -> str:
    return os.environ.get(
        "WORKBENCH_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )


def create_database(admin_url: str) -> str:
    name = f"workbench_bench_{secrets.token_hex(4)}"
    conninfo = make_url(admin_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    conninfo = make_url(admin_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def seed(hub: RunningHub) -> list[UserData]:
    """Users, each with a project, agents on the slow fake model and finished executions."""
    data = []
    for index in range(USERS):
        user = hub.user(f"bench{index}")
        with hub.api(user) as api:
            api.post("apikeys", json={"provider": "openai", "api_key": "sk-" + "b" * 40})
            project = api.post("projects", json={"name": "load"}).json()
            agents = [
                api.post(
                    f"projects/{project['id']}/agents",
                    json={
                        "name": f"agent {a}",
                        "configuration": {"defaults": {"model": f"openai:{MODEL}"}},
                        "substeps": [{"id": "answer", "prompt": f"question {a}"}],
                    },
                ).json()["id"]
                for a in range(AGENTS_PER_USER)
            ]
            executions = [
                api.post(f"agents/{agent}/execute").json()["id"]
                for agent in agents
                for _ in range(EXECUTIONS_PER_AGENT)
            ]
            for execution in executions:
                while api.get(f"executions/{execution}").json()["status"] in ("PENDING", "RUNNING"):
                    time.sleep(0.2)
        data.append(UserData(user.token, project["id"], agents, executions))
    return data


def pick(user: UserData, rng: random.Random, execute_share: float) -> tuple[str, str, str]:
    """(name, method, path) of the next request."""
    if rng.random() < execute_share:
        return "execute", "POST", f"agents/{rng.choice(user.agent_ids)}/execute"
    name = rng.choice(READS)
    path = {
        "list projects": "projects",
        "get project": f"projects/{user.project_id}",
        "get agent": f"agents/{rng.choice(user.agent_ids)}",
        "get execution": f"executions/{rng.choice(user.execution_ids)}",
        "agent executions": f"agents/{rng.choice(user.agent_ids)}/executions?limit=20",
    }[name]
    return name, "GET", path


async def client_loop(
    client: httpx.AsyncClient,
    user: UserData,
    ready: asyncio.Semaphore,
    start: asyncio.Event,
    deadline: list[float],
    tally: Tally,
    seed_value: int,
    think_s: float,
    execute_share: float,
) -> None:
    rng = random.Random(seed_value)
    await client.get("me")  # the connection is open before the clock starts
    ready.release()
    await start.wait()
    if think_s:
        # Each client starts at a random point of its pause, as in the steady state: fifty
        # requests sent in the same millisecond would measure a burst nobody makes.
        await asyncio.sleep(think_s * rng.uniform(0, 1.5))
    while time.monotonic() < deadline[0]:
        name, method, path = pick(user, rng, execute_share)
        started = time.perf_counter()
        try:
            response = await client.request(method, path)
            ok = 200 <= response.status_code < 300
        except httpx.HTTPError:
            ok = False
        tally.latencies_ms[name].append((time.perf_counter() - started) * 1000)
        if not ok:
            tally.errors[name] += 1
        if think_s:
            await asyncio.sleep(think_s * rng.uniform(0.5, 1.5))


async def load(
    api_url: str,
    users: list[UserData],
    clients: int,
    seconds: float,
    think_s: float,
    execute_share: float,
) -> Tally:
    """Every client connected first (making an httpx client costs tens of ms of CPU, which
    would otherwise stall the first requests), then `seconds` of load."""
    tally = Tally()
    ready = asyncio.Semaphore(0)
    start = asyncio.Event()
    deadline = [0.0]
    sessions = [
        httpx.AsyncClient(
            base_url=api_url,
            headers={"Authorization": f"token {users[i % len(users)].token}"},
            timeout=30,
        )
        for i in range(clients)
    ]
    tasks = [
        asyncio.create_task(
            client_loop(
                sessions[i],
                users[i % len(users)],
                ready,
                start,
                deadline,
                tally,
                i,
                think_s,
                execute_share,
            )
        )
        for i in range(clients)
    ]
    for _ in range(clients):
        await ready.acquire()
    # No garbage collection in the load generator while it measures (as `timeit` does): its
    # collections paused this process's event loop for 10-130 ms, which every request in
    # flight counted as the server's latency. One run's garbage is small.
    gc.collect()
    gc.disable()
    deadline[0] = time.monotonic() + seconds
    start.set()
    try:
        await asyncio.gather(*tasks)
    finally:
        gc.enable()
    for session in sessions:
        await session.aclose()
    return tally


def server_histogram(hub: RunningHub) -> dict[float, float]:
    """Cumulative counts of the service's own request durations (all API routes), by bucket."""
    text = httpx.get(hub.service_url + "metrics", headers=hub.admin.headers, timeout=30).text
    buckets: dict[float, float] = defaultdict(float)
    for line in text.splitlines():
        if line.startswith("workbench_api_request_duration_seconds_bucket{"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float(bound)] += float(line.rsplit(" ", 1)[1])
    return dict(buckets)


def print_server_side(before: dict[float, float], after: dict[float, float]) -> None:
    """How long the service itself took, from its Prometheus histogram (no proxy, no client)."""
    total = after.get(float("inf"), 0) - before.get(float("inf"), 0)
    if not total:
        return
    shares = [
        f"<= {bound * 1000:.0f} ms: {(after[bound] - before.get(bound, 0)) / total:.1%}"
        for bound in (0.01, 0.025, 0.1, 1.0)
        if bound in after
    ]
    print("inside the service: " + ", ".join(shares))


def report(tally: Tally, seconds: float, clients: int) -> dict[str, Any]:
    print(f"{'endpoint':<18} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name in (*READS, "execute"):
        values = tally.latencies_ms[name]
        print(
            f"{name:<18} {len(values):>8} {percentile(values, 0.5):>8.1f} "
            f"{percentile(values, 0.99):>8.1f} {tally.errors[name]:>7}"
        )
    total = sum(len(v) for v in tally.latencies_ms.values())
    reads = tally.reads()
    print(f"reads: mean {statistics.fmean(reads):.1f} ms over {len(reads)} requests")
    return {
        "rps": round(total / seconds, 1),
        "p50_ms": round(percentile(reads, 0.5), 1),
        "p99_ms": round(percentile(reads, 0.99), 1),
        "errors": sum(tally.errors.values()),
        "clients": clients,
    }


def speed_check_ms() -> float:
    """A fixed pure-Python loop's time: this machine's CPU speed varies by tens of per cent from
    one minute to the next (a shared host), and the latencies move with it."""
    started = time.perf_counter()
    total = 0
    for number in range(2_000_000):
        total += number
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--execute-share",
        type=float,
        default=EXECUTE_SHARE,
        help="share of requests that execute an agent (default: one in twenty)",
    )
    parser.add_argument(
        "--think-ms", type=float, default=500.0, help="pause after each answer (0: none)"
    )
    parser.add_argument(
        "--executions-in",
        choices=("process", "server"),
        default="process",
        help="where the service runs executions: a process of their own (the default, "
        "WORKBENCH_EXECUTION_PROCESS) or threads of the web server's process",
    )
    args = parser.parse_args()
    speed_before = speed_check_ms()
    admin_url = admin_database_url()
    database_url = create_database(admin_url)
    try:
        with (
            FakeProviderProcess() as fake,
            tempfile.TemporaryDirectory(prefix="workbench-bench-") as base,
        ):
            fake.program(MODEL, then=Behaviour(latency=MODEL_LATENCY_S, text="an answer"))
            extra = {
                "WORKBENCH_DATABASE_URL": database_url,
                "WORKBENCH_SECRET_KEYS": _fernet_key(),
                "WORKBENCH_PROVIDER_BASE_URLS": provider_base_urls(fake),
                "WORKBENCH_SEED_DEMO": "false",
                "WORKBENCH_EXECUTION_PROCESS": str(args.executions_in == "process").lower(),
            }
            with start_hub(Path(base), extra) as hub:
                print(f"hub at {hub.url}; seeding {USERS} users", flush=True)
                users = seed(hub)
                print(
                    f"{args.clients} clients for {args.seconds:.0f} s, thinking "
                    f"{args.think_ms:.0f} ms between requests; executions run in the "
                    f"{'execution process' if args.executions_in == 'process' else 'server'}",
                    flush=True,
                )
                histogram_before = server_histogram(hub)
                tally = asyncio.run(
                    load(
                        hub.api_url,
                        users,
                        args.clients,
                        args.seconds,
                        args.think_ms / 1000,
                        args.execute_share,
                    )
                )
                load_average = os.getloadavg()[0]
                histogram_after = server_histogram(hub)
        speed_after = speed_check_ms()  # the hub and the service stopped
        figures = report(tally, args.seconds, args.clients)
        print_server_side(histogram_before, histogram_after)
        print(f"load average (1 min) at the end: {load_average:.2f}")
        print(
            f"speed check (a fixed Python loop): {speed_before:.0f} ms before, "
            f"{speed_after:.0f} ms after (lower is a faster machine)"
        )
        print(json.dumps(figures))
    finally:
        drop_database(admin_url, database_url)
    return 0


def _fernet_key() -> str:
    from workbench.keyvault import generate_master_key

    return generate_master_key()


if __name__ == "__main__":
    sys.exit(main())
