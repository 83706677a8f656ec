"""The tracker: executions recorded into MLflow by a background writer, off the critical path.

`Tracker.start(context)` returns a `Recorder`; the engine calls it with every event (it can be the
engine's `on_event`, or be called from it). The recorder only puts the event on a queue. A writer
thread takes what has accumulated, maps it (`tracking.mapping`) and writes it with as few MLflow
requests as the limits allow (`tracking.batching`), so a burst of events costs one `log_batch`.

MLflow down or slow never touches the execution: the writer marks the execution *pending*, keeps
its events and retries later with backoff, replaying the whole execution into the same run
(runs are found by execution id, metrics keep event timestamps, so replays do not duplicate).
When the retries are used up, or the process restarts, the workbench still has the execution in its
own database and calls `Tracker.record(context, events)` to backfill it. Each change of state is
reported through `on_status` and can be read with `Tracker.status(execution_id)`.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from agents.events import Event, ExecutionFinished
from tracking.context import ExecutionContext
from tracking.mapping import (
    TRACKED_EVENTS,
    Redactor,
    RunMapper,
    RunWrites,
    map_execution,
    millis,
    redactor,
)
from tracking.store import OpenRun, RunStore

log = logging.getLogger(__name__)

DEFAULT_RETRY_DELAYS_S: tuple[float, ...] = (2.0, 10.0, 60.0, 300.0)


class SyncState(enum.StrEnum):
    RECORDING = "recording"  # being written as its events arrive
    SYNCED = "synced"  # everything the tracker was given is in MLflow
    PENDING = "pending"  # MLflow could not be written; retried, or to be backfilled with `record`


@dataclass(frozen=True)
class TrackingStatus:
    """Where the tracking of one execution stands."""

    execution_id: str
    state: SyncState
    run_id: str | None = None  # the MLflow run, once one exists
    error: str | None = None  # why it is pending


class TrackingError(RuntimeError):
    """`Tracker.record` could not write the execution; it stays pending."""


StatusCallback = Callable[[TrackingStatus], None]


class Recorder:
    """Records one execution's events; `recorder(event)` only enqueues (on its tracker's queue,
    `Tracker`'s or `TrackerProcess`'s), so it never blocks."""

    __slots__ = ("_enqueue", "execution_id")

    def __init__(self, enqueue: Callable[[tuple[Any, ...]], None], execution_id: str) -> None:
        self._enqueue = enqueue
        self.execution_id = execution_id

    def __call__(self, event: Event) -> None:
        if isinstance(event, TRACKED_EVENTS):
            self._enqueue(("event", self.execution_id, event))

    def __repr__(self) -> str:
        return f"Recorder(execution_id={self.execution_id!r})"


@dataclass
class _Execution:
    """The writer's state for one execution it is recording."""

    context: ExecutionContext
    redact: Redactor | None
    mapper: RunMapper
    writes: RunWrites
    events: list[Event] = field(default_factory=list)
    run: OpenRun | None = None
    state: SyncState = SyncState.RECORDING
    finished: bool = False
    attempts: int = 0
    retry_at: float | None = None
    written_at: float = float("-inf")  # monotonic time of the start, then of the last live write


class Tracker:
    """Records executions into the MLflow tracking store at `tracking_uri`.

    `artifact_root` is where a new project's experiment keeps its artifacts (a folder or a URI);
    leave it out when `tracking_uri` is a tracking server that chooses for itself.
    A running execution is written at most once per `write_interval_s`: its first write comes
    `write_interval_s` after it starts (or when it ends, if sooner: an execution shorter than that
    costs one write, not two), its end at once — fewer, larger MLflow transactions.
    `on_status` is called whenever an execution becomes synced or pending: on the writer thread
    (it must return quickly), or on the caller's thread during `record`. `tracing` also writes
    each finished execution as an MLflow trace.
    """

    def __init__(
        self,
        tracking_uri: str,
        *,
        artifact_root: str | None = None,
        on_status: StatusCallback | None = None,
        retry_delays_s: Sequence[float] = DEFAULT_RETRY_DELAYS_S,
        write_interval_s: float = 1.0,
        max_pending: int = 1000,
        tracing: bool = True,
    ) -> None:
        check_artifact_root(tracking_uri, artifact_root)
        self.tracking_uri = tracking_uri
        self._artifact_root = artifact_root
        self._on_status = on_status
        self._retry_delays = tuple(retry_delays_s)
        self._write_interval = write_interval_s
        self._max_pending = max_pending
        self._tracing = tracing
        self._queue: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._closed = False
        self._store: RunStore | None = None
        self._store_lock = threading.Lock()
        self._execution_locks: dict[str, threading.Lock] = {}
        self._statuses: OrderedDict[str, TrackingStatus] = OrderedDict()
        self._statuses_lock = threading.Lock()
        self._executions: dict[str, _Execution] = {}  # owned by the writer thread
        self._thread = threading.Thread(
            target=self._run, name="workbench-tracking-writer", daemon=True
        )
        self._thread.start()

    # -- the caller's side -------------------------------------------------------------------

    def start(self, context: ExecutionContext, *, secrets: Iterable[str] = ()) -> Recorder:
        """Begin recording an execution; returns the recorder to give the engine.

        `secrets` are the plaintext keys used by the execution: any text containing one is
        scrubbed before it is written, in case a provider echoed a key into an error message.
        """
        if self._closed:
            raise TrackingError("this tracker is closed; create a new one")
        self._set_status(TrackingStatus(context.execution_id, SyncState.RECORDING))
        self._enqueue(("start", context.execution_id, context, redactor(secrets)))
        return Recorder(self._enqueue, context.execution_id)

    def record(
        self,
        context: ExecutionContext,
        events: Iterable[Event],
        *,
        secrets: Iterable[str] = (),
    ) -> TrackingStatus:
        """Write a whole execution that has ended, now, on the calling thread (the backfill).

        Safe to repeat: the execution's existing run is completed, never duplicated. Raises
        `TrackingError` if MLflow cannot be written; the execution then stays pending.
        """
        tracked = [e for e in events if isinstance(e, TRACKED_EVENTS)]
        try:
            run = self._write_whole(context, tracked, redactor(secrets))
        except Exception as e:  # MLflow's client raises many types; all mean "not written"
            status = TrackingStatus(
                context.execution_id, SyncState.PENDING, error=self._describe(e)
            )
            self._set_status(status)
            raise TrackingError(
                f"tracking of execution {context.execution_id} failed: {status.error}"
            ) from e
        status = TrackingStatus(context.execution_id, SyncState.SYNCED, run_id=run.run_id)
        self._enqueue(("forget", context.execution_id))
        self._set_status(status)
        return status

    def status(self, execution_id: str) -> TrackingStatus | None:
        """The latest state of an execution's tracking; None if this tracker never saw it."""
        with self._statuses_lock:
            return self._statuses.get(execution_id)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything enqueued so far has been written or has failed."""
        if self._closed:
            return True
        done = threading.Event()
        self._enqueue(("flush", done))
        return done.wait(timeout)

    def close(self, timeout: float | None = 30.0) -> None:
        """Write what is queued, then stop the writer. Recorders are ignored afterwards."""
        if self._closed:
            return
        self.flush(timeout)
        self._closed = True
        self._queue.put(("stop",))
        self._thread.join(timeout)

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def store(self) -> RunStore:
        """The MLflow store, created on first use (a SQLite store migrates on creation)."""
        with self._store_lock:
            if self._store is None:
                from mlflow import MlflowClient

                self._store = RunStore(
                    MlflowClient(self.tracking_uri), artifact_root=self._artifact_root
                )
            return self._store

    def _enqueue(self, item: tuple[Any, ...]) -> None:
        if not self._closed:
            self._queue.put(item)

    # -- the writer thread -------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            items = [self._next_item()]
            with contextlib.suppress(queue.Empty):
                while len(items) < 10_000:
                    items.append(self._queue.get_nowait())
            flushes = [item[1] for item in items if item is not None and item[0] == "flush"]
            stop = any(item is not None and item[0] == "stop" for item in items)
            try:
                self._handle(items, force=bool(flushes) or stop)
            except Exception:  # a bug here must not end tracking for every later execution
                log.exception("tracking writer failed; it carries on with the next events")
            for done in flushes:
                done.set()
            if stop:
                return

    def _handle(self, items: list[tuple[Any, ...] | None], *, force: bool) -> None:
        for item in items:
            if item is None:
                continue
            kind = item[0]
            if kind == "start":
                self._begin(*item[1:])
            elif kind == "event":
                self._take(*item[1:])
            elif kind == "forget":
                self._executions.pop(item[1], None)
        self._write_pending(force=force)

    def _next_item(self) -> tuple[Any, ...] | None:
        due = [e.retry_at for e in self._executions.values() if e.retry_at is not None]
        due += [
            e.written_at + self._write_interval
            for e in self._executions.values()
            if e.state is SyncState.RECORDING and e.writes
        ]
        timeout = max(0.0, min(due) - time.monotonic()) if due else None
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def _begin(self, execution_id: str, context: ExecutionContext, redact: Redactor | None) -> None:
        mapper = RunMapper(context, redact=redact)
        self._executions[execution_id] = _Execution(
            context, redact, mapper, mapper.opening(), written_at=time.monotonic()
        )
        if len(self._executions) > self._max_pending:
            oldest = next(iter(self._executions))
            self._executions.pop(oldest)
            log.warning("tracking: too many executions waiting; %s left to the backfill", oldest)

    def _take(self, execution_id: str, event: Event) -> None:
        execution = self._executions.get(execution_id)
        if execution is None:
            return
        execution.events.append(event)
        if isinstance(event, ExecutionFinished):
            execution.finished = True
        if execution.state is SyncState.RECORDING:
            try:
                execution.writes.update(execution.mapper.apply(event))
            except Exception as e:  # an event the mapping cannot take: say so, keep the rest
                self._fail(execution, e)

    def _write_pending(self, *, force: bool = False) -> None:
        now = time.monotonic()
        for execution_id, execution in list(self._executions.items()):
            if execution.state is SyncState.RECORDING and execution.writes:
                # Coalesce: an execution is written at most once per interval until it ends, so
                # a 20-step agent costs a few MLflow transactions, not one per step.
                due = execution.written_at + self._write_interval <= now
                if due or force or execution.finished:
                    execution.written_at = now
                    self._write_live(execution)
            elif execution.state is SyncState.PENDING and (execution.retry_at or 0) <= now:
                self._retry(execution)
            if execution.state is SyncState.SYNCED:
                self._executions.pop(execution_id, None)

    def _write_live(self, execution: _Execution) -> None:
        context = execution.context
        try:
            with self._lock_for(context.execution_id):
                if execution.run is None:  # the first write: no run can exist yet
                    execution.run = self.store.open_run(
                        context, start_time_ms=_start_time(execution.events), new=True
                    )
                writes, execution.writes = execution.writes, RunWrites()
                self.store.write(execution.run, writes)
                if execution.finished:
                    self._write_trace(execution.run, context, execution.events, execution.redact)
        except Exception as e:  # the writer is the boundary: nothing may reach the engine
            self._fail(execution, e)
            return
        if execution.finished:
            self._succeed(execution)

    def _retry(self, execution: _Execution) -> None:
        context = execution.context
        try:
            run = self._write_whole(context, execution.events, execution.redact)
        except Exception as e:  # the writer is the boundary: nothing may reach the engine
            self._fail(execution, e)
            return
        execution.run = run
        execution.retry_at = None
        if execution.finished:
            self._succeed(execution)
        else:
            # Back to live recording: a mapper that has seen every event so far.
            mapper = RunMapper(context, redact=execution.redact)
            mapper.opening()
            for event in execution.events:
                mapper.apply(event)
            execution.mapper, execution.writes = mapper, RunWrites()
            execution.state = SyncState.RECORDING
            self._set_status(TrackingStatus(context.execution_id, SyncState.RECORDING, run.run_id))

    def _write_whole(
        self, context: ExecutionContext, events: Sequence[Event], redact: Redactor | None
    ) -> OpenRun:
        with self._lock_for(context.execution_id):
            run = self.store.open_run(context, start_time_ms=_start_time(events))
            self.store.write(run, map_execution(context, events, redact=redact))
            if any(isinstance(e, ExecutionFinished) for e in events):
                self._write_trace(run, context, events, redact)
            return run

    def _write_trace(
        self,
        run: OpenRun,
        context: ExecutionContext,
        events: Sequence[Event],
        redact: Redactor | None,
    ) -> None:
        if not self._tracing:
            return
        from tracking.tracing import write_trace

        write_trace(self.store.client, run, context, events, redact=redact)

    def _succeed(self, execution: _Execution) -> None:
        execution.state = SyncState.SYNCED
        run_id = execution.run.run_id if execution.run else None
        self._set_status(TrackingStatus(execution.context.execution_id, SyncState.SYNCED, run_id))

    def _fail(self, execution: _Execution, error: BaseException) -> None:
        execution_id = execution.context.execution_id
        execution.state = SyncState.PENDING
        execution.writes = RunWrites()
        execution.run = None
        if execution.attempts < len(self._retry_delays):
            execution.retry_at = time.monotonic() + self._retry_delays[execution.attempts]
            execution.attempts += 1
        else:
            # Out of retries: forget it here; the workbench backfills from its own rows.
            execution.retry_at = None
            self._executions.pop(execution_id, None)
        reason = self._describe(error)
        log.warning("tracking of execution %s is pending: %s", execution_id, reason)
        self._set_status(TrackingStatus(execution_id, SyncState.PENDING, error=reason))

    # -- shared ------------------------------------------------------------------------------

    def _describe(self, error: BaseException) -> str:
        """A one-line reason, without the password a store URI may carry."""
        text = _describe(error)
        password = urlsplit(self.tracking_uri).password
        return text.replace(password, "***") if password else text

    def _lock_for(self, execution_id: str) -> threading.Lock:
        with self._statuses_lock:
            return self._execution_locks.setdefault(execution_id, threading.Lock())

    def _set_status(self, status: TrackingStatus) -> None:
        with self._statuses_lock:
            self._statuses[status.execution_id] = status
            self._statuses.move_to_end(status.execution_id)
            while len(self._statuses) > 10_000:
                old, _ = self._statuses.popitem(last=False)
                self._execution_locks.pop(old, None)
        if self._on_status is not None and status.state is not SyncState.RECORDING:
            try:
                self._on_status(status)
            except Exception:  # a broken callback must not stop the writer
                log.exception("tracking status callback failed for %s", status.execution_id)


def check_artifact_root(tracking_uri: str, artifact_root: str | None) -> None:
    """ValueError unless `tracking_uri` is given and, for a store, `artifact_root` too."""
    if not tracking_uri:
        raise ValueError("tracking_uri must not be empty")
    if artifact_root is None and not is_tracking_server(tracking_uri):
        raise ValueError(
            f"artifact_root is needed with the tracking store {tracking_uri.split(':')[0]}:... "
            "(only a tracking server chooses artifact locations itself); without it MLflow "
            "would write artifacts under the process's working directory"
        )


def is_tracking_server(tracking_uri: str) -> bool:
    """Whether `tracking_uri` names a tracking server (which has its own artifact store)."""
    scheme = tracking_uri.split(":", 1)[0].lower() if ":" in tracking_uri else ""
    return scheme in ("http", "https", "databricks", "databricks-uc", "uc")


def _start_time(events: Sequence[Event]) -> int | None:
    return millis(events[0].at) if events else None


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text[:300]}" if text else type(error).__name__
