"""The execution runner in a process of its own, beside the web server.

    runner = RunnerProcess(services, options, on_finished=..., on_event=...)
    runner.start()                       # fails what a previous process left unfinished
    execution = runner.start_execution(actor, agent_id, inputs)   # the calls of ExecutionRunner
    ...
    runner.close()

An execution costs the process that runs it about 25 ms of Python beyond the request that starts
it: the engine's Dask loop, the provider clients, recording each event into the database. On the
web server's one GIL that time was taken from the requests (`benchmarks/api_load.py`: the slowest
reads were the ones that arrived during a burst of executions). So the web server keeps only what
answers the request: the spec check and the PENDING row (`create_checked_execution`, in the
request's transaction, so a bad agent still gets its 422 at once), cancel's and subscribe's
permission checks. A child process (`spawn`: the parent has threads) runs an `ExecutionRunner`
with the engine and the tracker; it is handed each created execution and sends back, on one
queue in order, the events the parent needs: those of executions someone watches, each
`CallFinished` (metrics) and each `ExecutionFinished`.

The database stays the truth. If the child dies, the executions it was running are FAILED
("interrupted: the execution process stopped") and a new child takes the next ones. If the
parent dies, the child notices within a second and exits at once (the next start's recovery
fails what was running, as before).
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import functools
import itertools
import logging
import multiprocessing
import os
import queue
import sys
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agents import events
from agents.spec import AgentSpec
from workbench.config import Settings
from workbench.db.enums import ExecutionStatus
from workbench.engine_setup import EngineSetup
from workbench.errors import WorkbenchError
from workbench.extensions import logs
from workbench.runner import (
    CANCEL_TIMEOUT_S,
    EventCallback,
    ExecutionRunner,
    KeyCheck,
    check_key,
    create_checked_execution,
    tracking_context,
)
from workbench.services import Actor, Execution, Services

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted: the execution process stopped"
_POLL_S = 0.5  # how often each side checks that the other is alive
_WATCH_TIMEOUT_S = 10.0  # a new child may still be importing
_CLOSE_TIMEOUT_S = 40.0
# Forwarded whether or not anyone watches: the parent's metrics and its count of live runs.
_ALWAYS_FORWARDED = (events.ExecutionFinished, events.CallFinished)


class RunnerProcessError(WorkbenchError):
    """The execution process did not answer (stopped, or too slow)."""


@dataclass(frozen=True)
class RunnerOptions:
    """What the child needs to build its runner; plain data, pickled into it."""

    settings: Settings
    engine: EngineSetup
    tracking_uri: str | None = None  # None: no MLflow tracking
    artifact_root: str | None = None
    tracing: bool = True
    provider_base_urls: Mapping[str, str] = field(default_factory=dict)
    log_level: int = logging.WARNING
    json_logs: bool = False


class RunnerProcess:
    """`ExecutionRunner`'s calls, with the engine and the recording in a child process."""

    def __init__(
        self,
        services: Services,
        options: RunnerOptions,
        *,
        on_finished: Callable[[str, float], None] | None = None,
        on_event: EventCallback | None = None,
    ) -> None:
        self._services = services
        self._options = options
        self._on_finished = on_finished
        self._on_event = on_event
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._waiting: dict[int, concurrent.futures.Future[Any]] = {}
        self._live: set[uuid.UUID] = set()  # handed to the current child, not finished
        self._subscribers: dict[uuid.UUID, list[EventCallback]] = {}
        self._child: _Child | None = None
        self._closed = False

    # ---- lifecycle ----------------------------------------------------------------------

    def start(self) -> list[uuid.UUID]:
        """Fail what a previous process left unfinished, then start the child. Returns those
        ids."""
        interrupted = self._services.executions.recover_interrupted()
        with self._lock:
            self._child = self._spawn()
        # Before multiprocessing's own exit handler, which would wait for the child forever.
        atexit.register(self.close)
        return interrupted

    def close(self) -> None:
        """Stop the child: executions still running are left to the next start's recovery."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            child = self._child
        atexit.unregister(self.close)
        if child is None:
            return
        if child.process.is_alive():
            with contextlib.suppress(RunnerProcessError, OSError, ValueError):
                self._ask_child(child, "close", timeout=_CLOSE_TIMEOUT_S)
        child.stop()

    def live_count(self) -> int:
        """How many executions the child is running or about to run."""
        with self._lock:
            return len(self._live)

    @property
    def child_pid(self) -> int | None:
        with self._lock:
            return None if self._child is None else self._child.process.pid

    # ---- what users do ------------------------------------------------------------------

    def start_execution(
        self, actor: Actor, agent_id: uuid.UUID | str, inputs: Mapping[str, Any] | None = None
    ) -> Execution:
        """Persist a PENDING execution of the agent and hand it to the child; returns at once."""
        execution, spec, checked = create_checked_execution(self._services, actor, agent_id, inputs)
        run = ("run", actor, execution, spec, dict(checked), logs.REQUEST_ID.get())
        with self._lock:
            if self._closed or self._child is None:
                handed = False
            else:
                self._live.add(execution.id)
                self._child.commands.put(run)
                handed = True
        if not handed:
            self._services.executions.finish(
                execution.id, ExecutionStatus.FAILED, error="the service is stopping"
            )
        return execution

    def cancel_execution(self, actor: Actor, execution_id: uuid.UUID | str) -> Execution:
        """Stop the execution; when this returns, no further step starts and its status is final."""
        execution = self._services.executions.request_cancel(actor, execution_id)
        with self._lock:
            live = execution.id in self._live
        if live:
            try:
                self._ask("cancel", execution.id, timeout=CANCEL_TIMEOUT_S + 5)
            except RunnerProcessError as e:
                log.warning("cancelling execution %s: %s", execution.id, e.message)
        final = self._services.executions.finish(
            execution.id, ExecutionStatus.CANCELLED, error="cancelled by the user"
        )
        # Cancelled before the child submitted it: no event will say it ended.
        self._ended(execution.id, _finished_event(final))
        return self._services.executions.get_execution(actor, execution.id)

    def subscribe(
        self, actor: Actor, execution_id: uuid.UUID | str, callback: EventCallback
    ) -> Callable[[], None]:
        """Call `callback` (on the parent's reader thread) with each further event of the
        execution. Raises `NotFound` if `actor` may not read it. Returns the function that
        unsubscribes.

        Returns once the child forwards the execution's events: whatever it stored before
        then, a read after this call sees.
        """
        execution = self._services.executions.get_execution(actor, execution_id)
        key = execution.id
        with self._lock:
            self._subscribers.setdefault(key, []).append(callback)
            live = key in self._live
        if live:
            try:
                self._ask("watch", key, timeout=_WATCH_TIMEOUT_S)
            except RunnerProcessError as e:
                log.warning("watching execution %s: %s", key, e.message)

        def unsubscribe() -> None:
            with self._lock:
                callbacks = self._subscribers.get(key, [])
                if callback in callbacks:
                    callbacks.remove(callback)
                if callbacks or self._subscribers.pop(key, None) is None:
                    return
                if key in self._live and self._child is not None:
                    self._child.commands.put(("unwatch", key))

        return unsubscribe

    def check_key(self, actor: Actor, key_id: uuid.UUID | str) -> KeyCheck:
        """`workbench.runner.check_key`, here: it needs no engine."""
        return check_key(self._services, self._options.provider_base_urls, actor, key_id)

    # ---- the parent's side of the queues ---------------------------------------------------

    def _spawn(self) -> _Child:
        """A new child and its reader thread (call with the lock held)."""
        return _Child.start(self._context, self._options, self._handle_reply, self._child_died)

    def _ask(self, kind: str, *args: Any, timeout: float) -> Any:
        with self._lock:
            child = self._child
        if child is None or self._closed:
            raise RunnerProcessError("the execution process is not running")
        return self._ask_child(child, kind, *args, timeout=timeout)

    def _ask_child(self, child: _Child, kind: str, *args: Any, timeout: float) -> Any:
        request_id = next(self._ids)
        answer: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._lock:
            self._waiting[request_id] = answer
            child.commands.put((kind, request_id, *args))
        try:
            return answer.result(timeout)
        except concurrent.futures.TimeoutError:
            raise RunnerProcessError(
                f"the execution process did not answer {kind!r} in time"
            ) from None
        finally:
            with self._lock:
                self._waiting.pop(request_id, None)

    def _handle_reply(self, reply: tuple[Any, ...]) -> None:
        kind = reply[0]
        if kind == "event":
            _, execution_id, event = reply
            self._deliver(execution_id, event)
        elif kind == "finished":
            if self._on_finished is not None:
                self._on_finished(reply[1], reply[2])
        elif kind == "answer":
            _, request_id, value = reply
            with self._lock:
                waiting = self._waiting.get(request_id)
            if waiting is not None and not waiting.done():
                waiting.set_result(value)

    def _deliver(self, execution_id: uuid.UUID, event: events.Event) -> None:
        if isinstance(event, events.CallFinished) and self._on_event is not None:
            self._on_event(event)
        if isinstance(event, events.ExecutionFinished):
            self._ended(execution_id, event)
            return
        with self._lock:
            callbacks = list(self._subscribers.get(execution_id, ()))
        _call_each(callbacks, event)

    def _ended(self, execution_id: uuid.UUID, event: events.ExecutionFinished) -> None:
        """The execution is over: tell its subscribers, then forget them (once)."""
        with self._lock:
            if execution_id not in self._live:
                return
            self._live.discard(execution_id)
            callbacks = self._subscribers.pop(execution_id, [])
        _call_each(callbacks, event)

    def _child_died(self, child: _Child) -> None:
        """On the dead child's reader thread: fail what it was running, start another."""
        with self._lock:
            if self._closed or self._child is not child:
                return
            lost, self._live = self._live, set()
            waiting, self._waiting = list(self._waiting.values()), {}
            log.error(
                "the execution process stopped (exit code %s) with %d execution(s) running; "
                "starting a new one",
                child.process.exitcode,
                len(lost),
            )
            self._child = self._spawn()
        for answer in waiting:
            if not answer.done():
                answer.set_exception(RunnerProcessError("the execution process stopped"))
        for execution_id in lost:
            try:
                final = self._services.executions.finish(
                    execution_id, ExecutionStatus.FAILED, error=INTERRUPTED
                )
            except Exception:  # one failure must not keep the others RUNNING
                log.exception("failing interrupted execution %s", execution_id)
                continue
            with self._lock:
                callbacks = self._subscribers.pop(execution_id, [])
            _call_each(callbacks, _finished_event(final))


def _finished_event(execution: Execution) -> events.ExecutionFinished:
    return events.ExecutionFinished(
        str(execution.id),
        status=execution.status.value,  # type: ignore[arg-type]
        error=execution.error,
    )


def _call_each(callbacks: list[EventCallback], event: events.Event) -> None:
    for callback in callbacks:
        try:
            callback(event)
        except Exception:  # a broken subscriber must not stop the others
            log.exception("an execution subscriber failed")


class _Child:
    """One child process, its two queues, and the parent's thread reading its replies."""

    def __init__(self, process: Any, commands: Any, replies: Any) -> None:
        self.process = process
        self.commands = commands
        self.replies = replies
        self.reader: threading.Thread | None = None

    @classmethod
    def start(
        cls,
        context: Any,
        options: RunnerOptions,
        handle: Callable[[tuple[Any, ...]], None],
        died: Callable[[_Child], None],
    ) -> _Child:
        commands, replies = context.Queue(), context.Queue()
        # Not a daemon: it starts the tracking process of its own.
        process = context.Process(
            target=serve, args=(commands, replies, options), name="workbench-executions"
        )
        process.start()
        child = cls(process, commands, replies)

        def read() -> None:
            while True:
                try:
                    reply = replies.get(timeout=_POLL_S)
                except queue.Empty:
                    if not process.is_alive():
                        died(child)
                        return
                    continue
                except (EOFError, OSError):
                    died(child)
                    return
                if reply is None:
                    return
                try:
                    handle(reply)
                except Exception:  # the reader must outlive one bad reply
                    log.exception("handling the execution process's %r failed", reply[0])

        child.reader = threading.Thread(target=read, name="workbench-executions-replies")
        child.reader.daemon = True
        child.reader.start()
        return child

    def stop(self) -> None:
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self.replies.put(None)  # ends the reader thread
        if self.reader is not None and self.reader is not threading.current_thread():
            self.reader.join(5)


# ---- in the child ------------------------------------------------------------------------------


def serve(commands: Any, replies: Any, options: RunnerOptions) -> None:
    """The child's loop: an `ExecutionRunner` fed from `commands`, reporting on `replies`."""
    _configure_logging(options)
    logs.log_audit_events()
    parent = multiprocessing.parent_process()
    services, database = Services.from_settings(options.settings)
    watched: set[uuid.UUID] = set()

    def forward(execution_id: uuid.UUID, event: events.Event) -> None:
        if execution_id in watched or isinstance(event, _ALWAYS_FORWARDED):
            replies.put(("event", execution_id, event))
        if isinstance(event, events.ExecutionFinished):
            watched.discard(execution_id)

    runner = runner_from_options(
        services,
        options,
        on_finished=lambda status, seconds: replies.put(("finished", status, seconds)),
        on_published=forward,
    )
    runner.start(recover=False)  # the parent recovered before it started this process
    submissions = _Submissions(runner)
    helpers = concurrent.futures.ThreadPoolExecutor(4, thread_name_prefix="workbench-cancel")
    try:
        while True:
            try:
                item = commands.get(timeout=_POLL_S)
            except queue.Empty:
                if parent is not None and not parent.is_alive():
                    # As if killed with it: the next start's recovery fails what was running.
                    log.warning("the workbench service stopped; so does its execution process")
                    os._exit(0)
                continue
            except (EOFError, OSError):
                os._exit(0)
            kind = item[0]
            if kind == "run":
                submissions.add(*item[1:])
            elif kind == "cancel":
                _, request_id, execution_id = item
                helpers.submit(
                    lambda r=request_id, e=execution_id: replies.put(
                        ("answer", r, submissions.cancel(e))
                    )
                )
            elif kind == "watch":
                _, request_id, execution_id = item
                watched.add(execution_id)
                replies.put(("answer", request_id, True))
            elif kind == "unwatch":
                watched.discard(item[1])
            elif kind == "close":
                submissions.close()
                runner.close()
                replies.put(("answer", item[1], True))
                break
    finally:
        helpers.shutdown(wait=False, cancel_futures=True)
        runner.close()
        database.dispose()


def runner_from_options(
    services: Services,
    options: RunnerOptions,
    *,
    on_finished: Callable[[str, float], None] | None = None,
    on_event: EventCallback | None = None,
    on_published: Callable[[uuid.UUID, events.Event], None] | None = None,
) -> ExecutionRunner:
    """The `ExecutionRunner` `options` describe, with its MLflow writer in a process of its own
    (not started: call `start()`)."""
    tracker = None
    if options.tracking_uri:
        from tracking.process import TrackerProcess

        tracker = TrackerProcess(
            options.tracking_uri,
            artifact_root=options.artifact_root,
            on_status=lambda status: runner.on_tracking_status(status),
            tracing=options.tracing,
        )
    runner = ExecutionRunner(
        services,
        options.engine.start,
        tracker=tracker,
        context_factory=None if tracker is None else functools.partial(tracking_context, services),
        provider_base_urls=options.provider_base_urls,
        on_finished=on_finished,
        on_event=on_event,
        on_published=on_published,
    )
    return runner


class _Submissions:
    """Hands executions to the runner in the order they came, on a thread of their own (the
    first waits for the engine to start); a cancel that overtakes its execution keeps it from
    being submitted at all."""

    def __init__(self, runner: ExecutionRunner) -> None:
        self._runner = runner
        self._lock = threading.Lock()
        self._waiting: set[uuid.UUID] = set()  # received, not yet submitted
        self._queue: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="workbench-submit", daemon=True)
        self._thread.start()

    def add(
        self,
        actor: Actor,
        execution: Execution,
        spec: AgentSpec,
        inputs: Mapping[str, Any],
        request_id: str | None,
    ) -> None:
        with self._lock:
            self._waiting.add(execution.id)
        self._queue.put((actor, execution, spec, inputs, request_id))

    def cancel(self, execution_id: uuid.UUID) -> bool:
        """Stop the execution, waiting until it has ended; False if it was never submitted."""
        with self._lock:
            if execution_id in self._waiting:
                self._waiting.discard(execution_id)
                return False
        return self._runner.stop_live(execution_id)

    def close(self) -> None:
        self._queue.put(None)

    def _loop(self) -> None:
        while (item := self._queue.get()) is not None:
            actor, execution, spec, inputs, request_id = item
            with contextlib.suppress(WorkbenchError):
                self._runner.engine()  # the first waits for it here, not under the lock
            with self._lock:
                if execution.id not in self._waiting:
                    continue  # cancelled first
                self._waiting.discard(execution.id)
                # The audit events and log lines of the submission name the request.
                tokens = (logs.REQUEST_ID.set(request_id), logs.USER_ID.set(str(actor.id)))
                try:
                    self._runner.submit_created(actor, execution, spec, inputs)
                finally:
                    logs.REQUEST_ID.reset(tokens[0])
                    logs.USER_ID.reset(tokens[1])


def _configure_logging(options: RunnerOptions) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if options.json_logs:
        handler.setFormatter(logs.JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(
                "[%(levelname)1.1s %(asctime)s.%(msecs)03d %(name)s] %(message)s",
                datefmt="%Y-%m-%d %H:%M:%S",
            )
        )
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(options.log_level)
