"""The worker side of the engine: the Dask task that runs one substep, and how it talks back.

`run_step_task(plan, run, *upstream)` is what the engine submits per substep, as an `async def`:
distributed runs coroutine tasks on the worker's event loop, which suits calls that mostly wait
on the network (a whole fan-out waits concurrently, with no thread per call). Its upstream
arguments are the `StepOutcome`s of the steps it depends on, so Dask starts it the moment they
are done — dataflow, not supersteps. It never raises: whatever happens becomes the step's final
event, and a step whose upstream failed is skipped without calling anything.

Events travel back as Dask worker events (`Worker.log_event` on the engine's topic, which the
engine's client subscribes to): relayed by the scheduler over connections Dask already has, so
they work on a remote cluster where workers cannot reach the client. When the worker runs in the
engine's own process (the default in-process cluster), they are handed to the engine directly
(`serve_locally`). Order holds per worker, which is what "in order per step" needs (a step runs
on one worker). Streamed text is batched (`TokenBatcher`): the first piece of a call goes at
once (time to first token), later ones at most every `token_interval` seconds.

The provider SDKs are imported here lazily (and ahead of time by `warm_up`), so importing the
engine stays fast.

Per-provider caps are `distributed.Semaphore`s named after the provider and cap, so they hold
across every worker of the cluster. Credentials arrive inside the task's arguments (`RunConfig`),
as `SecretStr`s that print as asterisks; task keys and names carry only step and execution ids.

Cancellation (`cancel_on_worker`, run on every worker by the engine): the execution is marked
cancelled in this process, so a step task that has not started yet returns without starting,
and the running ones are cancelled; their final events (`StepFailed`, error_type "cancelled",
with the calls they had finished) are returned to the engine directly.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from distributed import Semaphore, get_worker

from agents.cache import CacheConfig, open_cache
from agents.credentials import Credentials, scrub, scrubbed_traceback
from agents.events import Event, StepSkipped, StepStarted, StepToken
from agents.outcomes import StepOutcome, StepProgress, failed_event
from agents.plan import StepPlan
from agents.prices import PriceTable
from agents.retry import RetryPolicy

if TYPE_CHECKING:
    from agents.calls import CallContext, CallRequest

log = logging.getLogger(__name__)
CANCELLED_MEMORY_S = 3600.0  # how long a worker remembers a cancelled execution


@dataclass(frozen=True)
class RunConfig:
    """Everything about one execution that its step tasks share."""

    execution_id: str
    topic: str
    inputs: dict[str, Any]
    credentials: Credentials
    prices: PriceTable
    retry: RetryPolicy
    provider_limits: dict[str, int]
    cache: CacheConfig | None = None
    cache_scope: str | None = None
    token_interval: float = 0.05

    def __dask_tokenize__(self) -> tuple[str, str]:
        # Dask names a graph by hashing its arguments; the execution id is unique already, and
        # hashing the price table and credentials cost milliseconds per execution.
        return ("agents.RunConfig", self.execution_id)


# ---- events back to the engine -----------------------------------------------------------------


# Engines of this process whose cluster runs here too (an in-process `LocalCluster`): topic ->
# (the engine's loop, its event handler). A worker in this process hands them events directly.
LocalEventHandler = Callable[[Event], None]
_LOCAL_ENGINES: dict[str, tuple[asyncio.AbstractEventLoop, LocalEventHandler]] = {}


def serve_locally(
    topic: str, loop: asyncio.AbstractEventLoop, handler: LocalEventHandler
) -> Callable[[], None]:
    """Deliver `topic`'s events from workers in this process straight to `handler` on `loop`,
    as the (immutable) event objects themselves; returns the function that stops it."""
    _LOCAL_ENGINES[topic] = (loop, handler)

    def stop() -> None:
        _LOCAL_ENGINES.pop(topic, None)

    return stop


class EventChannel:
    """Where a step's events go: to the engine's topic through the scheduler, or, when the
    engine lives in this process, straight to it (two network hops, each batched for a few
    milliseconds by Dask, fewer per event)."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.worker = get_worker()
        self._local = _LOCAL_ENGINES.get(topic)  # a step's engine outlives the step

    def emit(self, event: Event) -> None:
        if self._local is None:
            self.worker.log_event(self.topic, event.to_dict())
            return
        loop, handler = self._local
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            handler(event)
        else:
            loop.call_soon_threadsafe(handler, event)


class TokenBatcher:
    """Sends a call's first piece of text at once, then batches pieces for `interval` seconds."""

    def __init__(
        self,
        emit: Callable[[Event], None],
        execution_id: str,
        request: CallRequest,
        interval: float,
    ) -> None:
        self._emit = emit
        self._execution_id = execution_id
        self._request = request
        self._interval = interval
        self._buffer: list[str] = []
        self._sent_first = False
        self._timer: asyncio.TimerHandle | None = None

    def add(self, text: str) -> None:
        self._buffer.append(text)
        if not self._sent_first or self._interval <= 0:
            self._sent_first = True
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._interval, self.flush)

    def flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._buffer:
            return
        text, self._buffer = "".join(self._buffer), []
        request = self._request
        self._emit(
            StepToken(
                self._execution_id,
                step_id=request.step_id,
                model=request.model,
                text=text,
                role=request.role,
                round=request.round,
            )
        )


# ---- per-process state ------------------------------------------------------------------------


class ProviderLimiter:
    """The cluster-wide cap of each provider, as a `distributed.Semaphore`."""

    def __init__(self, limits: dict[str, int], runtime: WorkerRuntime) -> None:
        self._limits = limits
        self._runtime = runtime

    def for_provider(self, provider: str) -> Semaphore | None:
        cap = self._limits.get(provider)
        if not cap:
            return None
        return self._runtime.semaphore(f"agents-provider-{provider}-cap{cap}", cap)


@dataclass
class _Running:
    task: asyncio.Task[Event]
    progress: StepProgress


@dataclass
class WorkerRuntime:
    """What one worker process keeps between step tasks."""

    cancelled: dict[str, float] = field(default_factory=dict)
    running: dict[str, dict[str, _Running]] = field(default_factory=dict)
    semaphores: dict[tuple[str, str], Semaphore] = field(default_factory=dict)

    def semaphore(self, name: str, cap: int) -> Semaphore:
        key = (get_worker().address, name)
        if key not in self.semaphores:
            self.semaphores[key] = Semaphore(max_leases=cap, name=name)
        return self.semaphores[key]

    def mark_cancelled(self, execution_id: str) -> None:
        now = time.monotonic()
        self.cancelled[execution_id] = now
        for old, at in list(self.cancelled.items()):
            if now - at > CANCELLED_MEMORY_S:
                del self.cancelled[old]


RUNTIME = WorkerRuntime()


# ---- the task ----------------------------------------------------------------------------------


async def run_step_task(plan: StepPlan, run: RunConfig, *upstream: StepOutcome) -> StepOutcome:
    execution_id = run.execution_id
    if execution_id in RUNTIME.cancelled:
        # The engine emits the skip for steps that never started; nothing is sent from here.
        reason = "the execution was cancelled"
        skipped = StepSkipped(execution_id, step_id=plan.step_id, reason=reason, cause="cancelled")
        return StepOutcome(plan.step_id, "skipped", None, skipped.to_dict())
    channel = EventChannel(run.topic)
    not_done = [o.step_id for o in upstream if o.status != "finished"]
    if not_done:
        names = ", ".join(repr(s) for s in not_done)
        reason = f"it needs {names}, which did not finish"
        final: Event = StepSkipped(execution_id, step_id=plan.step_id, reason=reason)
        channel.emit(final)
        return StepOutcome(plan.step_id, "skipped", None, final.to_dict())

    channel.emit(
        StepStarted(
            execution_id,
            step_id=plan.step_id,
            kind=plan.kind,
            models=_models(plan),
            worker=channel.worker.address,
        )
    )
    from agents.calls import CallContext  # the provider SDKs: loaded on workers, not by the engine

    progress = StepProgress()
    context = CallContext(
        execution_id=execution_id,
        credentials=run.credentials,
        prices=run.prices,
        retry=run.retry,
        emit=channel.emit,
        tokens=lambda request: TokenBatcher(
            channel.emit, execution_id, request, run.token_interval
        ),
        limiter=ProviderLimiter(run.provider_limits, RUNTIME),
        cache=open_cache(run.cache) if run.cache else None,
        cache_scope=run.cache_scope,
    )
    upstream_outputs = {o.step_id: o.output for o in upstream}
    inner = asyncio.create_task(_guarded(plan, run, upstream_outputs, context, progress))
    steps = RUNTIME.running.setdefault(execution_id, {})
    steps[plan.step_id] = _Running(inner, progress)
    try:
        final = await asyncio.shield(inner)
    except asyncio.CancelledError:
        if not inner.cancelled():
            raise  # this task itself is being cancelled (its worker is closing)
        final = _cancelled(execution_id, plan.step_id, progress)  # cancelled before it began
    finally:
        steps.pop(plan.step_id, None)
        if not steps:
            RUNTIME.running.pop(execution_id, None)
    if isinstance(final, Event) and getattr(final, "error_type", None) == "cancelled":
        # `cancel_on_worker` hands this to the engine itself.
        return StepOutcome(plan.step_id, "failed", progress.output, final.to_dict())
    channel.emit(final)
    status = "finished" if final.type == "step_finished" else "failed"
    return StepOutcome(plan.step_id, status, getattr(final, "output", None), final.to_dict())


async def _guarded(
    plan: StepPlan,
    run: RunConfig,
    upstream: dict[str, Any],
    context: CallContext,
    progress: StepProgress,
) -> Event:
    """`run_step`, with cancellation and unexpected errors turned into the step's failure."""
    from agents.steps import run_step

    try:
        return await run_step(plan, run.inputs, upstream, context, progress)
    except asyncio.CancelledError:
        return _cancelled(run.execution_id, plan.step_id, progress)
    except Exception as e:  # the executor boundary: a bug must fail the step, not the worker
        secrets = list(run.credentials.secret_values())
        message = scrub(f"{type(e).__name__}: {e}", secrets)
        log.error("step %s failed unexpectedly:\n%s", plan.step_id, scrubbed_traceback(secrets))
        return failed_event(
            run.execution_id, plan.step_id, progress, f"internal error: {message}", "internal"
        )


def _cancelled(execution_id: str, step_id: str, progress: StepProgress) -> Event:
    return failed_event(execution_id, step_id, progress, "cancelled by the user", "cancelled")


def _models(plan: StepPlan) -> tuple[str, ...]:
    if plan.kind == "feedback_loop" and plan.judge and plan.judge not in plan.models:
        return (*plan.models, plan.judge)
    return plan.models


async def warm_up() -> None:
    """Import the provider SDKs now (seconds of work), so the first step does not wait for it.
    Building a first client of each kind (no request is sent) does the rest of their lazy set-up
    (about 100 ms per provider).

    They bring hundreds of thousands of long-lived objects (modules, classes, pydantic schemas),
    which every full garbage collection would walk again — about 250 ms each, several times a
    second during a large fan-out. Once they are loaded, and after one last collection, they are
    moved out of the collector's way (`gc.freeze`): objects created later are collected as usual.
    """
    import agents.steps  # noqa: F401
    from agents.modelref import ModelRef
    from agents.plan import CallSettings
    from agents.providers import Endpoint, HttpClients, chat_model

    scratch = HttpClients()  # not the shared ones: steps of another engine may be using those
    for provider in ("openai", "anthropic", "google"):
        nowhere = Endpoint(provider, "http://127.0.0.1:9", "warm-up")
        chat_model(ModelRef(provider, "warm-up"), nowhere, CallSettings(), scratch)
    await scratch.aclose()

    gc.collect()
    gc.freeze()


async def cancel_on_worker(execution_id: str, grace_s: float = 10.0) -> list[dict[str, Any]]:
    """Stop `execution_id` on this worker: nothing more starts here, running steps stop. Returns
    the final events of the steps it stopped."""
    RUNTIME.mark_cancelled(execution_id)
    running = list(RUNTIME.running.get(execution_id, {}).items())
    for _, item in running:
        item.task.cancel()
    if running:
        await asyncio.wait([item.task for _, item in running], timeout=grace_s)
    finals = []
    for step_id, item in running:
        if item.task.done() and not item.task.cancelled():
            finals.append(item.task.result().to_dict())
        else:
            finals.append(_cancelled(execution_id, step_id, item.progress).to_dict())
    return finals
