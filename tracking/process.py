"""A `Tracker` in a process of its own, for a server that must keep its GIL for requests.

    tracker = TrackerProcess("sqlite:///…/mlflow.db", artifact_root="…", on_status=print)
    recorder = tracker.start(context)     # the same calls as `Tracker`
    ...
    tracker.close()

Writing an execution into MLflow's SQLAlchemy store costs tens of milliseconds of Python per
execution (ORM work for the run, its metrics, artifacts and trace). In the workbench service that
ran on threads of the request-serving process and took about a quarter of its one core under
load (`benchmarks/api_load.py`), so reads queued behind it. Here the `Tracker` runs in a child
process (`spawn`, not `fork`: the parent has threads); the parent only pickles the events it is
given onto a queue. Statuses come back on a thread of the parent that calls `on_status` in the
order the child reported them.

If the child dies, the next `start` or `record` starts a new one; executions it was recording
are reported pending (their events are lost with it, the workbench's own rows are not, and the
backfill replays them). When the parent dies, the child notices within a second and stops.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import itertools
import logging
import multiprocessing
import queue
import threading
from collections.abc import Iterable
from typing import Any

from agents.events import Event, ExecutionFinished
from tracking.context import ExecutionContext
from tracking.mapping import TRACKED_EVENTS
from tracking.tracker import (
    DEFAULT_RETRY_DELAYS_S,
    Recorder,
    StatusCallback,
    SyncState,
    Tracker,
    TrackingError,
    TrackingStatus,
    check_artifact_root,
)

log = logging.getLogger(__name__)

_CHILD_POLL_S = 1.0  # how often the child checks that its parent is alive
# `record` may wait for a new child to start (importing MLflow, migrating a new store).
_ANSWER_TIMEOUT_S = 120.0


class TrackerProcess:
    """`Tracker`'s `start`, `record`, `flush` and `close`, with the writing in a child process."""

    def __init__(
        self,
        tracking_uri: str,
        *,
        artifact_root: str | None = None,
        on_status: StatusCallback | None = None,
        retry_delays_s: tuple[float, ...] = DEFAULT_RETRY_DELAYS_S,
        write_interval_s: float = 1.0,
        tracing: bool = True,
    ) -> None:
        check_artifact_root(tracking_uri, artifact_root)
        self.tracking_uri = tracking_uri
        self._options: dict[str, Any] = {
            "tracking_uri": tracking_uri,
            "artifact_root": artifact_root,
            "retry_delays_s": tuple(retry_delays_s),
            "write_interval_s": write_interval_s,
            "tracing": tracing,
        }
        self._on_status = on_status
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._waiting: dict[int, concurrent.futures.Future[Any]] = {}
        self._recording: set[str] = set()  # executions the current child is recording
        self._closed = False
        self._child: _Child | None = None
        self._ensure_child()

    # -- the Tracker API ---------------------------------------------------------------------

    def start(self, context: ExecutionContext, *, secrets: Iterable[str] = ()) -> Recorder:
        if self._closed:
            raise TrackingError("this tracker is closed; create a new one")
        self._ensure_child()
        with self._lock:
            self._recording.add(context.execution_id)
        self._enqueue(("start", context, tuple(secrets)))
        return Recorder(self._enqueue, context.execution_id)

    def record(
        self,
        context: ExecutionContext,
        events: Iterable[Event],
        *,
        secrets: Iterable[str] = (),
        timeout: float = _ANSWER_TIMEOUT_S,
    ) -> TrackingStatus:
        """`Tracker.record` in the child; raises `TrackingError` as it does, or if the child
        does not answer within `timeout`."""
        if self._closed:
            raise TrackingError("this tracker is closed; create a new one")
        self._ensure_child()
        tracked = [e for e in events if isinstance(e, TRACKED_EVENTS)]
        answer = self._ask("record", context, tracked, tuple(secrets), timeout=timeout)
        if isinstance(answer, str):
            raise TrackingError(answer)
        return answer

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything sent so far has been written or has failed."""
        if self._closed or self._child is None or not self._child.process.is_alive():
            return True
        try:
            return bool(
                self._ask("flush", timeout, timeout=None if timeout is None else timeout + 5)
            )
        except TrackingError:
            return False

    def close(self, timeout: float | None = 30.0) -> None:
        """Write what is queued, then stop the child."""
        if self._closed:
            return
        self._closed = True
        child = self._child
        if child is None:
            return
        if child.process.is_alive():
            with contextlib.suppress(TrackingError, OSError, ValueError):
                self._ask("close", timeout, timeout=None if timeout is None else timeout + 5)
        child.process.join(5)
        if child.process.is_alive():
            child.process.kill()
            child.process.join(5)
        child.replies.put(None)  # ends the reader thread
        child.reader.join(5)

    def __enter__(self) -> TrackerProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the parent's side of the queues ---------------------------------------------------

    def _enqueue(self, item: tuple[Any, ...]) -> None:
        child = self._child
        if child is not None and not self._closed:
            child.commands.put(item)

    def _ask(self, kind: str, *args: Any, timeout: float | None) -> Any:
        request_id = next(self._ids)
        answer: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._lock:
            self._waiting[request_id] = answer
        assert self._child is not None
        self._child.commands.put((kind, request_id, *args))
        try:
            return answer.result(timeout)
        except concurrent.futures.TimeoutError:
            raise TrackingError(f"the tracking process did not answer {kind!r} in time") from None
        finally:
            with self._lock:
                self._waiting.pop(request_id, None)

    def _ensure_child(self) -> None:
        with self._lock:
            if self._child is not None and self._child.process.is_alive():
                return
            lost, self._recording = self._recording, set()
            for waiting in self._waiting.values():
                waiting.set_exception(TrackingError("the tracking process stopped"))
            self._waiting.clear()
            if self._child is not None:
                log.warning(
                    "the tracking process stopped (exit code %s); starting a new one",
                    self._child.process.exitcode,
                )
            self._child = _Child.start(self._context, self._options, self._handle_reply)
        for execution_id in lost:
            self._report(
                TrackingStatus(execution_id, SyncState.PENDING, error="tracking process stopped")
            )

    def _handle_reply(self, reply: tuple[Any, ...]) -> None:
        kind = reply[0]
        if kind == "status":
            status: TrackingStatus = reply[1]
            if status.state is not SyncState.RECORDING:
                with self._lock:
                    self._recording.discard(status.execution_id)
            self._report(status)
        elif kind == "answer":
            _, request_id, value = reply
            with self._lock:
                waiting = self._waiting.get(request_id)
            if waiting is not None and not waiting.done():
                waiting.set_result(value)

    def _report(self, status: TrackingStatus) -> None:
        if self._on_status is None:
            return
        try:
            self._on_status(status)
        except Exception:  # a broken callback must not stop the reader
            log.exception("tracking status callback failed for %s", status.execution_id)


class _Child:
    """One child process, its two queues, and the parent's thread reading its replies."""

    def __init__(self, process: Any, commands: Any, replies: Any, reader: threading.Thread):
        self.process = process
        self.commands = commands
        self.replies = replies
        self.reader = reader

    @classmethod
    def start(cls, context: Any, options: dict[str, Any], handle: Any) -> _Child:
        commands, replies = context.Queue(), context.Queue()
        process = context.Process(
            target=serve, args=(commands, replies, options), name="workbench-tracking", daemon=True
        )
        process.start()

        def read() -> None:
            while True:
                try:
                    reply = replies.get(timeout=_CHILD_POLL_S)
                except queue.Empty:
                    if not process.is_alive():
                        return
                    continue
                except (EOFError, OSError):
                    return
                if reply is None:
                    return
                handle(reply)

        reader = threading.Thread(target=read, name="workbench-tracking-replies", daemon=True)
        reader.start()
        return cls(process, commands, replies, reader)


# ---- in the child ------------------------------------------------------------------------------


def serve(commands: Any, replies: Any, options: dict[str, Any]) -> None:
    """The child's loop: a `Tracker`, fed from `commands`, reporting on `replies`."""
    logging.basicConfig(level=logging.WARNING, format="[%(levelname)s %(name)s] %(message)s")
    parent = multiprocessing.parent_process()
    tracker = Tracker(**options, on_status=lambda status: replies.put(("status", status)))
    recorders: dict[str, Any] = {}
    helpers = concurrent.futures.ThreadPoolExecutor(2, thread_name_prefix="workbench-tracking")

    def answer(request_id: int, work: Any) -> None:
        def run() -> None:
            try:
                value = work()
            except TrackingError as e:
                value = str(e)
            replies.put(("answer", request_id, value))

        helpers.submit(run)

    while True:
        try:
            item = commands.get(timeout=_CHILD_POLL_S)
        except queue.Empty:
            if parent is not None and not parent.is_alive():
                break
            continue
        except (EOFError, OSError):
            break
        kind = item[0]
        if kind == "event":
            _, execution_id, event = item
            recorder = recorders.get(execution_id)
            if recorder is not None:
                recorder(event)
                if isinstance(event, ExecutionFinished):
                    recorders.pop(execution_id, None)
        elif kind == "start":
            _, context, secrets = item
            recorders[context.execution_id] = tracker.start(context, secrets=secrets)
        elif kind == "record":
            _, request_id, context, events, secrets = item
            answer(
                request_id,
                lambda c=context, e=events, s=secrets: tracker.record(c, e, secrets=s),
            )
        elif kind == "flush":
            _, request_id, timeout = item
            answer(request_id, lambda t=timeout: tracker.flush(t))
        elif kind == "close":
            _, request_id, timeout = item
            tracker.close(timeout)
            replies.put(("answer", request_id, True))
            break
    tracker.close(10)
    helpers.shutdown(wait=False, cancel_futures=True)
