"""The engine: runs agent specs on Dask, one task per substep, and reports events as they happen.

    engine = Engine()                                  # an in-process LocalCluster
    engine = Engine("tcp://scheduler:8786")            # or an existing cluster, same code
    engine = Engine(cluster.scheduler_address, security=cluster.security)  # e.g. Dask Gateway's
    handle = engine.submit(spec, {"topic": "tides"}, Credentials.of(openai="sk-..."),
                           on_event=print)            # returns at once
    result = handle.result()                           # or: await handle; handle.cancel()

Threads and loops. The engine owns one thread running an asyncio event loop, and an
*asynchronous* Dask client on it. `submit()` only validates the spec and inputs (raising
`SpecValidationError` with every problem at once) and schedules the execution's driver on that
loop, so a tornado handler, a Panel callback or a notebook cell calling it never waits on Dask.
Each execution with an `on_event` callback gets a dispatcher thread that calls it, in order;
a slow callback delays only its own execution's events. `result()` returns after the callback
has seen `ExecutionFinished`, so whatever the callback records is complete by then.

The graph. Every substep becomes a Dask task (`agents.worker.run_step_task`) whose arguments
include the futures of the steps it depends on: the scheduler starts a step as soon as its own
inputs exist (dataflow — a fast branch never waits for a slow sibling) and independent steps run
concurrently. By default the cluster is an in-process `LocalCluster` with one worker whose
`concurrency` (its thread count, which bounds how many tasks run at once, coroutines included)
is high because the work is waiting on providers. Those calls still cost CPU in the client
libraries (a few ms each), so for large fan-outs `processes=True` with `workers=N` starts worker
processes on this machine instead, one core each. `scheduler_address` runs the same graph on an
existing cluster (worker processes, other machines) — its workers and scheduler need this
package installed, as for any Dask code; `security` (a `distributed.Security`) carries the TLS
credentials such a cluster may require, e.g. a Dask Gateway cluster's `cluster.security` (its
`gateway://` address needs `dask_gateway` imported in this process, which registers the comm).
Events come back through Dask worker events on a topic of this engine (see `agents.worker`).

Guarantees, and how they are kept:
- Order: for each step `StepQueued` (sent here, before the task exists), `StepStarted`, tokens
  and calls, then exactly one final event; `ExecutionFinished` last. `_Execution.accept` drops
  anything that would break this (e.g. tokens still in flight from a cancelled step).
- A failed step fails only its dependants (skipped); independent branches complete, and the
  result keeps every output produced.
- Cancel (`handle.cancel()`): the driver submits nothing more, the step futures are cancelled on
  the scheduler, then every worker marks the execution cancelled and stops its running steps
  (`agents.worker.cancel_on_worker`). `cancel()` returns once `ExecutionFinished(CANCELLED)` has
  been delivered: no step starts after it returns.
- A worker dying mid-step (S11) fails the step with `error_type="worker_lost"` and a clear
  message; nothing waits forever. The clusters the engine starts run with
  `distributed.scheduler.allowed-failures = 0`, because a model call is not idempotent (a re-run
  is billed twice); on an external cluster its scheduler's setting decides how often Dask re-runs
  a step before reporting it lost.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import queue
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dask
from distributed import Client, Future, LocalCluster, as_completed
from distributed.security import Security

from agents.cache import CacheConfig, close_caches
from agents.credentials import Credentials, scrub, scrubbed_traceback
from agents.events import (
    Event,
    ExecutionFinished,
    ExecutionStarted,
    StepFailed,
    StepFinished,
    StepQueued,
    StepSkipped,
    StepStarted,
    event_from_dict,
)
from agents.modelref import PROVIDERS
from agents.outcomes import StepOutcome
from agents.plan import StepPlan, plan_steps
from agents.prices import Price, PriceTable
from agents.results import ExecutionResult, ResultBuilder, call_totals
from agents.retry import RetryPolicy
from agents.spec import AgentSpec
from agents.worker import RunConfig, cancel_on_worker, run_step_task, serve_locally, warm_up

log = logging.getLogger(__name__)

OnEvent = Callable[[Event], None]


class EngineClosed(RuntimeError):
    """The engine was closed; create a new one."""


class Engine:
    """Runs agent specs on a Dask cluster; see the module docstring."""

    def __init__(
        self,
        scheduler_address: str | None = None,
        *,
        provider_limits: Mapping[str, int] | None = None,
        cache: str | Path | CacheConfig | None = None,
        prices: PriceTable | Mapping[str, Mapping[str, Any] | Price] | None = None,
        retry: RetryPolicy | None = None,
        token_interval: float = 0.05,
        workers: int = 1,
        processes: bool = False,
        concurrency: int = 256,
        dashboard_address: str | None = None,
        connect_timeout: float = 10.0,
        security: Security | None = None,
    ) -> None:
        self.scheduler_address = scheduler_address
        self._security = security
        self._limits = _check_limits(provider_limits or {})
        self._cache = CacheConfig.parse(cache)
        if isinstance(prices, PriceTable):
            self._prices = prices
        else:
            self._prices = PriceTable.default().with_overrides(prices or {})
        self._retry = retry or RetryPolicy()
        if token_interval < 0:
            raise ValueError("token_interval cannot be negative")
        self._token_interval = token_interval
        if workers < 1 or concurrency < 1:
            raise ValueError("workers and concurrency must be at least 1")
        self._workers = workers
        self._processes = processes
        self._concurrency = concurrency
        self._dashboard_address = dashboard_address
        self._connect_timeout = connect_timeout

        self._topic = f"agents-events-{uuid.uuid4().hex}"
        self._executions: dict[str, _Execution] = {}
        self._closed = False
        self._client: Client | None = None
        self._cluster: LocalCluster | None = None
        self._stop_local_events: Callable[[], None] = lambda: None
        self._ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="agents-engine", daemon=True
        )
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop)

    # ---- lifecycle -----------------------------------------------------------------------------

    async def _start(self) -> None:
        try:
            if self.scheduler_address:
                self._client = await Client(
                    self.scheduler_address,
                    asynchronous=True,
                    timeout=self._connect_timeout,
                    security=self._security,
                )
            else:
                with dask.config.set(_LOCAL_SETTINGS):
                    self._cluster = await self._local_cluster()
                    self._client = await Client(self._cluster, asynchronous=True)
                    if not self._processes:
                        _shorten_batching(self._cluster, self._client)
            self._client.subscribe_topic(self._topic, self._on_worker_event)
            if self._cluster is not None and not self._processes:
                self._stop_local_events = serve_locally(
                    self._topic, asyncio.get_running_loop(), self._on_local_event
                )
            await self._warm_up()
        except Exception as e:
            where = self.scheduler_address or "a local cluster"
            error = RuntimeError(f"could not start the Dask client for {where}: {e}")
            self._ready.set_exception(error)
            return
        self._ready.set_result(None)

    async def _local_cluster(self) -> LocalCluster:
        # Dask's scheduler serves HTTP even without a dashboard, by default on the machine's
        # address and with a proxy route; without a dashboard, keep only its health check, on
        # 127.0.0.1.
        wanted = self._dashboard_address is not None
        settings: dict[str, Any] = {}
        if not wanted:
            settings["distributed.scheduler.http.routes"] = ["distributed.http.health"]
            settings["distributed.worker.http.routes"] = ["distributed.http.health"]
        with dask.config.set(settings):
            extra: dict[str, Any] = {"host": "127.0.0.1"} if self._processes else {}
            return await LocalCluster(
                n_workers=self._workers,
                threads_per_worker=self._concurrency,
                processes=self._processes,
                **extra,
                asynchronous=True,
                dashboard_address=self._dashboard_address,
                worker_dashboard_address="127.0.0.1:0",
                scheduler_kwargs={
                    "dashboard": wanted,
                    "dashboard_address": self._dashboard_address or "127.0.0.1:0",
                },
            )

    async def _warm_up(self) -> None:
        """Load the provider SDKs on the workers before the first step needs them."""
        assert self._client is not None
        try:
            async with asyncio.timeout(120):
                await self._client.run(warm_up)
        except Exception as e:  # only an optimisation: the first step imports them otherwise
            log.warning("could not pre-load the provider SDKs on the workers: %s", e)

    def wait_ready(self, timeout: float | None = 60) -> Engine:
        """Block until the Dask client is connected; raise if it cannot be."""
        self._ready.result(timeout)
        return self

    @property
    def dashboard_link(self) -> str | None:
        self.wait_ready()
        assert self._client is not None
        return self._client.dashboard_link if self._dashboard_address else None

    def close(self, timeout: float = 30) -> None:
        """Cancel what is running, close the Dask client (and the cluster the engine started)."""
        if self._closed:
            return
        for execution in list(self._executions.values()):
            try:
                ExecutionHandle(self, execution).cancel(timeout=timeout)
            except Exception:
                log.warning("could not cancel execution %s on close", execution.id)
        self._closed = True
        future = asyncio.run_coroutine_threadsafe(self._stop(), self._loop)
        try:
            future.result(timeout)
        except Exception:
            log.warning("the engine did not close cleanly", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._loop.close()

    async def _stop(self) -> None:
        self._stop_local_events()
        if self._client is not None:
            with contextlib.suppress(ValueError):
                self._client.unsubscribe_topic(self._topic)
            await self._client.close()
        if self._cluster is not None:
            await self._cluster.close()
        providers = sys.modules.get("agents.providers")
        if providers is not None:  # loaded only if this process ran steps
            await providers.HTTP_CLIENTS.aclose()
        await close_caches()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- running -------------------------------------------------------------------------------

    def submit(
        self,
        spec: AgentSpec | Mapping[str, Any],
        inputs: Mapping[str, Any] | None = None,
        credentials: Credentials | None = None,
        *,
        on_event: OnEvent | None = None,
        execution_id: str | None = None,
        cache_scope: str | None = None,
    ) -> ExecutionHandle:
        """Start an execution and return at once; invalid specs or inputs raise
        `SpecValidationError` listing every problem, before anything runs."""
        if self._closed:
            raise EngineClosed("this engine is closed; create a new one")
        spec = AgentSpec.parse(spec)
        resolved = spec.check(dict(inputs or {})).resolve_inputs(dict(inputs or {}))
        execution_id = execution_id or str(uuid.uuid4())
        if execution_id in self._executions:
            raise ValueError(f"execution {execution_id!r} is already running on this engine")
        credentials = credentials or Credentials()
        run = RunConfig(
            execution_id=execution_id,
            topic=self._topic,
            inputs=resolved,
            credentials=credentials,
            prices=self._prices,
            retry=self._retry,
            provider_limits=self._limits,
            cache=self._cache,
            cache_scope=cache_scope,
            token_interval=self._token_interval,
        )
        execution = _Execution(execution_id, spec, plan_steps(spec), on_event, credentials)
        self._executions[execution_id] = execution
        asyncio.run_coroutine_threadsafe(self._drive(execution, run), self._loop)
        return ExecutionHandle(self, execution)

    def run(
        self,
        spec: AgentSpec | Mapping[str, Any],
        inputs: Mapping[str, Any] | None = None,
        credentials: Credentials | None = None,
        *,
        on_event: OnEvent | None = None,
        timeout: float | None = None,
        cache_scope: str | None = None,
    ) -> ExecutionResult:
        """`submit(...).result(timeout)`: run an agent and wait for its result."""
        handle = self.submit(spec, inputs, credentials, on_event=on_event, cache_scope=cache_scope)
        return handle.result(timeout)

    # ---- on the engine's loop ------------------------------------------------------------------

    def _on_worker_event(self, event: tuple[float, Any]) -> None:
        _, message = event
        execution = self._executions.get(message.get("execution_id", ""))
        if execution is None:
            return
        try:
            execution.accept(event_from_dict(message))
        except (TypeError, ValueError):
            log.warning("dropped an unreadable event of type %r", message.get("type"))

    def _on_local_event(self, event: Event) -> None:
        execution = self._executions.get(event.execution_id)
        if execution is not None:
            execution.accept(event)

    async def _drive(self, execution: _Execution, run: RunConfig) -> None:
        try:
            await self._run_graph(execution, run)
        except Exception as e:  # the executor boundary: whatever happens, the execution ends
            trace = scrubbed_traceback(execution.secrets())
            log.error("execution %s failed in the engine:\n%s", execution.id, trace)
            message = scrub(f"the engine failed: {type(e).__name__}: {e}", execution.secrets())
            for step_id in execution.order:
                if step_id not in execution.final:
                    failure = StepFailed(
                        execution.id, step_id=step_id, error=message, error_type="internal"
                    )
                    execution.accept(failure)
            execution.finish(message)
        finally:
            for future in execution.futures.values():
                future.release()
            execution.futures.clear()
            self._executions.pop(execution.id, None)

    async def _run_graph(self, execution: _Execution, run: RunConfig) -> None:
        execution.accept(
            ExecutionStarted(execution.id, agent_name=execution.spec.name, step_ids=execution.order)
        )
        for step_id in execution.order:
            plan = execution.plans[step_id]
            execution.accept(StepQueued(execution.id, step_id=step_id, depends_on=plan.depends_on))
        try:
            await asyncio.wrap_future(self._ready)
        except Exception as e:
            for step_id in execution.order:
                execution.accept(
                    StepFailed(execution.id, step_id=step_id, error=str(e), error_type="internal")
                )
            execution.finish(str(e))
            return
        if execution.cancel_requested:
            execution.skip_unfinished("cancelled")
            execution.finish()
            return
        client = self._client
        assert client is not None
        # One graph, sent in one message; each task names its upstream tasks' keys.
        keys = {step_id: f"agent-step-{step_id}-{execution.id}" for step_id in execution.order}
        graph = {
            keys[step_id]: (
                run_step_task,
                execution.plans[step_id],
                run,
                *(keys[d] for d in execution.plans[step_id].depends_on),
            )
            for step_id in execution.order
        }
        futures = client.get(graph, [keys[s] for s in execution.order], sync=False)
        execution.futures.update(zip(execution.order, futures, strict=True))
        await self._await_steps(execution)
        execution.finish()

    async def _await_steps(self, execution: _Execution) -> None:
        by_key = {f.key: step_id for step_id, f in execution.futures.items()}
        erred: dict[str, BaseException | None] = {}
        async for future in as_completed(list(execution.futures.values())):
            step_id = by_key[future.key]
            if future.status == "finished":
                if step_id not in execution.final:
                    # Normally the step's final event arrived first; this is the fallback.
                    outcome: StepOutcome = await future
                    execution.accept(event_from_dict(outcome.final))
            elif future.status == "error":
                erred[step_id] = await future.exception()
            else:
                erred[step_id] = None  # cancelled
            self._settle(execution, erred)
        if execution.cancel_requested:
            await execution.sweep_done.wait()
        self._settle(execution, erred, last=True)

    def _settle(
        self, execution: _Execution, erred: dict[str, BaseException | None], last: bool = False
    ) -> None:
        """Final events for steps whose task did not end normally, once their upstream is known."""
        for step_id in execution.order:
            if step_id in execution.final or (step_id not in erred and not last):
                continue
            plan = execution.plans[step_id]
            if any(d not in execution.final for d in plan.depends_on):
                continue
            failed = [d for d in plan.depends_on if execution.final[d] != "finished"]
            if execution.cancel_requested:
                execution.skip(step_id, "cancelled")
            elif failed:
                names = ", ".join(repr(d) for d in failed)
                reason = f"it needs {names}, which did not finish"
                execution.skip(step_id, "dependency_failed", reason)
            else:
                error, kind = _task_error(erred.get(step_id), execution)
                execution.accept(
                    StepFailed(execution.id, step_id=step_id, error=error, error_type=kind)
                )

    async def _cancel(self, execution: _Execution) -> None:
        if execution.finished.is_set():
            return
        execution.cancel_requested = True
        try:
            pending = [f for f in execution.futures.values() if not f.done()]
            if pending and self._client is not None:
                await self._client.cancel(pending)
            if self._client is not None and self._ready.done() and not self._ready.exception():
                finals = await self._client.run(cancel_on_worker, execution.id)
                for worker_finals in finals.values():
                    for data in worker_finals:
                        execution.accept(event_from_dict(data))
        finally:
            execution.sweep_done.set()
        await execution.finished.wait()


# Dask batches the messages between client, scheduler and worker for 2-10 ms to save network
# round trips. In one process there is no network, and every dependency level paid those waits
# (about 3 ms per level, measured): the engine's own in-process cluster batches for 0.5 ms.
IN_PROCESS_BATCH_INTERVAL_S = 0.0005


def _shorten_batching(cluster: LocalCluster, client: Client) -> None:
    scheduler = cluster.scheduler
    streams = [client.scheduler_comm, *scheduler.stream_comms.values()]
    streams += [*scheduler.client_comms.values()]
    streams += [worker.batched_stream for worker in cluster.workers.values()]
    for stream in streams:
        stream.interval = IN_PROCESS_BATCH_INTERVAL_S


# Clusters the engine starts: a step whose worker dies is reported, not re-run (a model call is not
# idempotent: a re-run is billed twice); Dask's debugging logs of recent messages and events
# (which hold task arguments, credentials included, and streamed text) stay short; and no
# statistical profiler samples every thread's stack each 10 ms (in the service's process those
# are the request threads too).
_LOCAL_SETTINGS = {
    "distributed.scheduler.allowed-failures": 0,
    "distributed.admin.low-level-log-length": 100,
    "distributed.worker.profile.enabled": False,
}


def _task_error(error: BaseException | None, execution: _Execution) -> tuple[str, str]:
    if error is None:
        message = (
            "the step's Dask task was cancelled outside the engine (the Dask scheduler may have "
            "restarted or the connection to it was lost); run the execution again"
        )
        return message, "worker_lost"
    name = type(error).__name__
    text = scrub(str(error), execution.secrets())
    if name == "KilledWorker" or ("worker" in text.lower() and "died" in text.lower()):
        return (
            "the Dask worker running this step stopped before it finished "
            f"({name}); the step was not retried — run the execution again",
            "worker_lost",
        )
    return f"internal error in the step's task: {name}: {text}", "internal"


def _check_limits(limits: Mapping[str, int]) -> dict[str, int]:
    checked: dict[str, int] = {}
    for provider, cap in limits.items():
        if provider not in PROVIDERS:
            known = ", ".join(PROVIDERS)
            raise ValueError(f"provider_limits: provider {provider!r} is unknown (known: {known})")
        if not isinstance(cap, int) or isinstance(cap, bool) or cap < 1:
            raise ValueError(f"provider_limits.{provider}: give a whole number of at least 1")
        checked[provider] = cap
    return checked


# ---- one execution, on the engine side ---------------------------------------------------------


@dataclass
class _Done:
    result: ExecutionResult


@dataclass
class _Execution:
    """State the driver keeps for one execution; changed only on the engine's loop."""

    id: str
    spec: AgentSpec
    plans: dict[str, StepPlan]
    on_event: OnEvent | None
    credentials: Credentials
    started: float = field(default_factory=time.perf_counter)
    futures: dict[str, Future] = field(default_factory=dict)
    final: dict[str, str] = field(default_factory=dict)  # step id -> finished/failed/skipped
    cancel_requested: bool = False
    result_future: concurrent.futures.Future[ExecutionResult] = field(
        default_factory=concurrent.futures.Future
    )

    def __post_init__(self) -> None:
        self.order: tuple[str, ...] = tuple(self.plans)
        self.started_steps: set[str] = set()
        self.builder = ResultBuilder()
        self.finished = asyncio.Event()
        self.sweep_done = asyncio.Event()
        self._outputs: dict[str, Any] = {}
        self._dispatcher: _Dispatcher | None = (
            _Dispatcher(self.id, self.on_event, self.result_future, self.secrets())
            if self.on_event
            else None
        )

    def secrets(self) -> list[str]:
        return list(self.credentials.secret_values())

    def dispatching_here(self) -> bool:
        """Whether the current thread is the one calling this execution's `on_event`."""
        return self._dispatcher is not None and self._dispatcher.is_current()

    def accept(self, event: Event) -> None:
        """Pass `event` on if it keeps the documented order; drop it otherwise."""
        if self.finished.is_set():
            return
        step_id = getattr(event, "step_id", None)
        if step_id is not None:
            if step_id not in self.plans or step_id in self.final:
                return
            if isinstance(event, StepStarted):
                if step_id in self.started_steps:
                    log.warning("step %s started again after its worker was lost", step_id)
                    return
                self.started_steps.add(step_id)
            elif isinstance(event, StepFinished):
                self.final[step_id] = "finished"
                self._outputs[step_id] = event.output
            elif isinstance(event, StepFailed):
                self.final[step_id] = "failed"
            elif isinstance(event, StepSkipped):
                self.final[step_id] = "skipped"
        self.builder.add(event)
        if self._dispatcher is not None:
            self._dispatcher.put(event)
        if isinstance(event, ExecutionFinished):
            self.finished.set()
            result = self.builder.result()
            if self._dispatcher is not None:
                self._dispatcher.put(_Done(result))
            else:
                self.result_future.set_result(result)

    def skip(self, step_id: str, cause: str, reason: str = "the execution was cancelled") -> None:
        self.accept(StepSkipped(self.id, step_id=step_id, reason=reason, cause=cause))

    def skip_unfinished(self, cause: str) -> None:
        for step_id in self.order:
            if step_id not in self.final:
                self.skip(step_id, cause)

    def finish(self, error: str | None = None) -> None:
        if self.finished.is_set():
            return
        ended = [e for e in self.builder.events if isinstance(e, StepFinished | StepFailed)]
        calls = [c for e in ended for c in e.calls]
        failed = [s for s in self.order if self.final.get(s) != "finished"]
        if self.cancel_requested:
            status = "CANCELLED"
            error = error or "cancelled by the user"
        elif error or failed:
            status = "FAILED"
            error = error or self._failure_summary(failed)
        else:
            status = "COMPLETED"
        self.accept(
            ExecutionFinished(
                self.id,
                status=status,
                outputs=dict(self._outputs),
                error=error,
                latency_ms=round((time.perf_counter() - self.started) * 1000, 3),
                **call_totals(calls),
            )
        )

    def _failure_summary(self, failed: list[str]) -> str:
        steps = self.builder.steps
        first = next((s for s in failed if steps.get(s) and steps[s].status == "FAILED"), None)
        if first is None:
            return f"{len(failed)} step(s) did not finish"
        others = len(failed) - 1
        plural = "s" if others != 1 else ""
        tail = f" ({others} other step{plural} did not finish)" if others else ""
        return f"step {first!r} failed: {steps[first].error}{tail}"


class _Dispatcher:
    """Calls one execution's `on_event` on its own thread, in order, then resolves the result."""

    def __init__(
        self,
        execution_id: str,
        on_event: OnEvent,
        result_future: concurrent.futures.Future[ExecutionResult],
        secrets: list[str],
    ) -> None:
        self._secrets = secrets
        self._queue: queue.SimpleQueue[Event | _Done] = queue.SimpleQueue()
        self._on_event = on_event
        self._result = result_future
        self._thread = threading.Thread(
            target=self._run, name=f"agents-events-{execution_id[:8]}", daemon=True
        )
        self._thread.start()

    def put(self, item: Event | _Done) -> None:
        self._queue.put(item)

    def is_current(self) -> bool:
        return threading.current_thread() is self._thread

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if isinstance(item, _Done):
                self._result.set_result(item.result)
                return
            try:
                self._on_event(item)
            except Exception:
                trace = scrubbed_traceback(self._secrets)
                log.error(
                    "on_event raised on a %s event; the execution goes on:\n%s", item.type, trace
                )


# ---- the handle --------------------------------------------------------------------------------


class ExecutionHandle:
    """A running execution: wait for it (`result()`, `await handle`), or `cancel()` it."""

    def __init__(self, engine: Engine, execution: _Execution) -> None:
        self._engine = engine
        self._execution = execution
        self.execution_id = execution.id

    @property
    def future(self) -> concurrent.futures.Future[ExecutionResult]:
        return self._execution.result_future

    def done(self) -> bool:
        return self.future.done()

    def result(self, timeout: float | None = None) -> ExecutionResult:
        return self.future.result(timeout)

    def __await__(self) -> Any:
        return asyncio.wrap_future(self.future).__await__()

    def cancel(self, timeout: float | None = 30) -> bool:
        """Stop the execution; when this returns, no further step starts and the result is final.
        False if it had already finished. Blocks: from async code use `cancel_async()`."""
        if threading.current_thread() is self._engine._thread:
            raise RuntimeError("cancel() cannot be called on the engine's own thread")
        if self.done():
            return False
        future = asyncio.run_coroutine_threadsafe(
            self._engine._cancel(self._execution), self._engine._loop
        )
        future.result(timeout)
        if self._execution.dispatching_here():
            return True  # called from on_event: the result is delivered after this returns
        self.future.result(timeout)
        return self.result().status == "CANCELLED"

    async def cancel_async(self, timeout: float | None = 30) -> bool:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.cancel, timeout)
