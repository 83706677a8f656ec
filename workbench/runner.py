"""The execution runner: the service layer, the agent engine and tracking, wired together.

`start_execution` checks the agent's spec against the inputs, persists the execution PENDING
(the service layer snapshots the spec), decrypts the owner's keys (the audited
`credentials_for` path), starts its MLflow recording and submits it to the engine, returning at
once. The engine calls back on its own thread; the runner only enqueues there. One recorder
thread takes the events in order and, for each, writes the execution and step rows, then hands
the event to the execution's subscribers (the live channel, the dashboard), so a subscriber that
sees `execution_finished` can read the final row. Nothing here runs on the web server's event
loop: every method that touches the database or the engine blocks and is called from a worker
thread.

Executions never get lost (DESIGN.md §3.5): `start()` first fails whatever a previous process
left PENDING or RUNNING ("interrupted by server restart"); an engine run that ends without its
final event is finished from the engine's result; `cancel_execution` returns once the status is
final (SECURITY.md S12). Tracking never holds anything up: MLflow being down only marks the
execution's `tracking_status`, and finished executions MLflow has not received are replayed
from the database into it in the background: at start-up, then every few minutes.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from agents import events
from agents.credentials import Credentials, ProviderCredential, scrub
from agents.modelref import ModelRef, ModelRefError
from agents.spec import AgentSpec, SpecValidationError
from workbench.db.enums import ExecutionStatus, TrackingStatus
from workbench.errors import (
    ConfigurationError,
    FieldError,
    InvalidInput,
    PermissionDenied,
    Unprocessable,
    WorkbenchError,
)
from workbench.services import Actor, Execution, Services

log = logging.getLogger(__name__)

EventCallback = Callable[[events.Event], None]
ENGINE_START_TIMEOUT_S = 180.0
CANCEL_TIMEOUT_S = 60.0
WATCH_INTERVAL_S = 0.5
RECORD_BATCH = 200  # events stored in one transaction, at most
BACKFILL_INTERVAL_S = 120.0
# The live tracker retries a failed write for about six minutes (tracking.tracker's delays);
# an execution finished longer ago than this and still not in MLflow is the backfill's.
BACKFILL_AFTER_S = 600.0


class ExecutionHandleLike(Protocol):
    def cancel(self) -> None: ...
    def done(self) -> bool: ...
    def result(self, timeout: float | None = None) -> Any: ...


class EngineLike(Protocol):
    """What the runner needs of `agents.engine.Engine`."""

    def submit(
        self,
        spec: AgentSpec,
        inputs: Mapping[str, Any],
        credentials: Credentials,
        *,
        on_event: EventCallback | None = None,
        execution_id: str | None = None,
        cache_scope: str | None = None,
    ) -> ExecutionHandleLike: ...

    def close(self) -> None: ...


class TrackerLike(Protocol):
    """What the runner needs of `tracking.Tracker`."""

    def start(
        self, context: Any, *, secrets: Iterable[str] = ()
    ) -> Callable[[events.Event], None]: ...
    def record(
        self, context: Any, events: Iterable[events.Event], *, secrets: Iterable[str] = ()
    ) -> Any: ...
    def close(self, timeout: float | None = 30.0) -> None: ...


class SpecNotExecutable(Unprocessable):
    """The agent's spec, or the inputs given, cannot be executed; `errors` names each problem."""


@dataclass(frozen=True)
class KeyCheck:
    """Whether a stored key can be used, and a secret-free sentence saying so; `outcome` names
    the kind of answer (`keys.check.<outcome>` in the catalogue) and `values` what it quotes."""

    ok: bool
    message: str
    outcome: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)


def _key_check(ok: bool, outcome: str, template: str, **values: Any) -> KeyCheck:
    text = {name: str(value) for name, value in values.items()}
    return KeyCheck(ok, template.format(**text), outcome, text)


@dataclass
class _Live:
    """An execution this process submitted and has not finished yet."""

    execution_id: uuid.UUID
    handle: ExecutionHandleLike | None
    secrets: tuple[str, ...]
    submitted_at: float = field(default_factory=time.monotonic)
    finished: threading.Event = field(default_factory=threading.Event)


KEY_CHECK_TIMEOUT_S = 15.0
_ANTHROPIC_VERSION = "2023-06-01"


def probe_key(provider: str, api_key: str, base_url: str | None, *, hint: str) -> KeyCheck:
    """Ask the provider to list its models with `api_key` (no tokens spent); never says the key."""
    from agents.providers import DEFAULT_BASE_URLS  # the SDKs behind it load slowly

    base = (base_url or DEFAULT_BASE_URLS.get(provider, "")).rstrip("/")
    if not base:
        return _key_check(
            False,
            "no_url",
            "the {provider} key {hint} has no server URL to try",
            provider=provider,
            hint=hint,
        )
    if provider == "anthropic":
        url, headers = (
            f"{base}/v1/models",
            {"x-api-key": api_key, "anthropic-version": _ANTHROPIC_VERSION},
        )
    elif provider == "google":
        url, headers = f"{base}/v1beta/models", {"x-goog-api-key": api_key}
    else:  # openai and openai-compatible servers
        url, headers = f"{base}/models", {"Authorization": f"Bearer {api_key}"}
    try:
        with httpx.Client(timeout=KEY_CHECK_TIMEOUT_S, trust_env=False) as client:
            status = client.get(url, headers=headers).status_code
    except httpx.HTTPError as e:
        reason = scrub(str(e) or type(e).__name__, [api_key])
        return _key_check(
            False,
            "unreachable",
            "could not reach {provider} at {url}: {reason}",
            provider=provider,
            url=base,
            reason=reason,
        )
    said = {"provider": provider, "hint": hint}
    if status == 200:
        return _key_check(True, "accepted", "{provider} accepted the key {hint}", **said)
    if status in (401, 403):
        return _key_check(
            False,
            "refused",
            "{provider} refused the key {hint} ({status}): store a valid one",
            status=status,
            **said,
        )
    if status == 429:
        return _key_check(
            True,
            "rate_limited",
            "{provider} knows the key {hint} but is rate-limiting it (429)",
            **said,
        )
    return _key_check(
        False,
        "unexpected_status",
        "{provider} answered {status} when asked to list its models",
        provider=provider,
        status=status,
    )


def providers_of(spec: AgentSpec) -> set[str]:
    """The providers whose keys an execution of `spec` needs."""
    providers = set()
    for step in spec.substeps:
        for model in step.model_refs(spec.defaults).values():
            if not model:
                continue
            try:
                providers.add(ModelRef.parse(model).provider)
            except ModelRefError:
                continue  # the spec check reports it
    return providers


def checked_spec(
    name: str, configuration: Mapping[str, Any], substeps: list[Any], inputs: Mapping[str, Any]
) -> AgentSpec:
    """The agent's spec, parsed from its columns, if it and `inputs` can be executed; else
    `SpecNotExecutable` naming each problem (the spec's point into the agent's columns, the
    inputs' into the request)."""
    try:
        spec = AgentSpec.from_columns(dict(configuration), list(substeps), name=name)
        problems = spec.problems()
    except SpecValidationError as e:
        problems = list(e.problems)
    errors = [FieldError(p.column_path or "configuration", p.message) for p in problems]
    if not errors:
        errors = [FieldError(p.path, p.message) for p in spec.input_problems(inputs)]
    if errors:
        raise SpecNotExecutable(
            "the agent cannot run: " + "; ".join(f"{e.field}: {e.message}" for e in errors),
            errors=errors,
        )
    return spec


def create_checked_execution(
    services: Services,
    actor: Actor,
    agent_id: uuid.UUID | str,
    inputs: Mapping[str, Any] | None,
) -> tuple[Execution, AgentSpec, Mapping[str, Any]]:
    """Check the agent's spec against `inputs` and persist a PENDING execution of it, in one
    transaction; returns the execution, its parsed spec and the inputs."""
    inputs = {} if inputs is None else inputs
    if not isinstance(inputs, Mapping):
        raise InvalidInput("invalid input: inputs: must be a JSON object", field="inputs")
    spec: AgentSpec | None = None

    def check(
        name: str, configuration: dict[str, Any], substeps: list[Any], given: Mapping[str, Any]
    ) -> AgentSpec:
        nonlocal spec
        spec = checked_spec(name, configuration, substeps, given)
        return spec

    execution = services.executions.create_execution(actor, agent_id, inputs, check=check)
    assert spec is not None  # create_execution raises unless check() returned it
    return execution, spec, inputs


def check_key(
    services: Services, base_urls: Mapping[str, str], actor: Actor, key_id: uuid.UUID | str
) -> KeyCheck:
    """Try the actor's stored key with the provider's cheapest call: listing its models.

    `NotFound` if the actor may not see the key, `PermissionDenied` if they may see but not
    use it (an administrator and another user's key). `base_urls` are the providers' endpoints
    for keys that name none.

    Blocks for up to `KEY_CHECK_TIMEOUT_S` (a provider call): call it off the event loop.
    """
    key = services.keys.get_key(actor, key_id)
    if key.user_id != actor.id:  # an administrator may read it, not use it
        raise PermissionDenied("only the key's owner may check it")
    try:
        secret = services.keys.reveal_key(actor, key.id).get_secret_value()
    except WorkbenchError as e:
        return KeyCheck(False, e.message)
    base_url = key.base_url or base_urls.get(key.provider)
    return probe_key(key.provider, secret, base_url, hint=key.hint)


class ExecutionRunner:
    """Runs executions for the web layers; see the module docstring."""

    def __init__(
        self,
        services: Services,
        engine_factory: Callable[[], EngineLike],
        *,
        tracker: TrackerLike | None = None,
        context_factory: Callable[..., Any] | None = None,
        provider_base_urls: Mapping[str, str] | None = None,
        on_finished: Callable[[str, float], None] | None = None,
        on_event: EventCallback | None = None,
        on_published: Callable[[uuid.UUID, events.Event], None] | None = None,
        backfill_interval_s: float = BACKFILL_INTERVAL_S,
        backfill_after_s: float = BACKFILL_AFTER_S,
    ) -> None:
        self._services = services
        self._backfill_interval_s = backfill_interval_s
        self._backfill_after_s = backfill_after_s
        self._engine_factory = engine_factory
        self._tracker = tracker
        self._context_factory = context_factory
        self._base_urls = dict(provider_base_urls or {})
        self._on_finished = on_finished
        self._on_event = on_event
        self._on_published = on_published
        self._engine: EngineLike | None = None
        self._engine_error: BaseException | None = None
        self._engine_ready = threading.Event()
        self._queue: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._live: dict[uuid.UUID, _Live] = {}
        self._subscribers: dict[uuid.UUID, list[EventCallback]] = {}
        self._closed = threading.Event()
        self._recorder = threading.Thread(
            target=self._record_loop, name="workbench-runner", daemon=True
        )

    # ---- lifecycle ----------------------------------------------------------------------

    def start(self, *, recover: bool = True) -> list[uuid.UUID]:
        """Fail what a previous process left unfinished (unless `recover` is false: the caller
        did), then start working. Returns the ids it failed."""
        interrupted = self._services.executions.recover_interrupted() if recover else []
        self._recorder.start()
        threading.Thread(
            target=self._start_engine, name="workbench-engine-start", daemon=True
        ).start()
        if self._tracker is not None and self._context_factory is not None:
            threading.Thread(
                target=self._backfill_tracking, name="workbench-backfill", daemon=True
            ).start()
        return interrupted

    def close(self) -> None:
        """Stop: executions still running are left to the next start's recovery."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._queue.put(("stop",))
        if self._recorder.is_alive():
            self._recorder.join(10)
        if self._engine is not None:
            try:
                self._engine.close()
            except Exception:  # closing must not fail the shutdown
                log.exception("closing the agent engine failed")
        if self._tracker is not None:
            self._tracker.close(10)

    def _start_engine(self) -> None:
        try:
            self._engine = self._engine_factory()
            log.info("agent engine ready")
        except BaseException as e:  # reported to whoever executes next
            self._engine_error = e
            log.exception("the agent engine could not start")
        finally:
            self._engine_ready.set()

    def engine(self, timeout: float = ENGINE_START_TIMEOUT_S) -> EngineLike:
        """The engine, once started (blocking)."""
        if not self._engine_ready.wait(timeout):
            raise ConfigurationError("the agent engine is still starting; try again shortly")
        if self._engine is None:
            raise ConfigurationError(f"the agent engine could not start: {self._engine_error}")
        return self._engine

    # ---- what users do ------------------------------------------------------------------

    def start_execution(
        self, actor: Actor, agent_id: uuid.UUID | str, inputs: Mapping[str, Any] | None = None
    ) -> Execution:
        """Persist a PENDING execution of the agent and submit it; returns at once."""
        execution, spec, checked_inputs = create_checked_execution(
            self._services, actor, agent_id, inputs
        )
        self.submit_created(actor, execution, spec, checked_inputs)
        return self._services.executions.get_execution(actor, execution.id)

    def submit_created(
        self, actor: Actor, execution: Execution, spec: AgentSpec, inputs: Mapping[str, Any]
    ) -> None:
        """Hand an execution `create_checked_execution` persisted to the engine; should that
        fail, the execution is FAILED with the reason (it never stays PENDING)."""
        try:
            self._submit(actor, execution, spec, inputs)
        except WorkbenchError as e:
            self._fail(execution.id, e.message, secrets=())
        except Exception as e:  # the engine refused it; the execution must not stay PENDING
            log.exception("submitting execution %s failed", execution.id)
            self._fail(execution.id, f"the execution could not be started: {e}", secrets=())

    def cancel_execution(self, actor: Actor, execution_id: uuid.UUID | str) -> Execution:
        """Stop the execution; when this returns, no further step starts and its status is final."""
        execution = self._services.executions.request_cancel(actor, execution_id)
        self.stop_live(execution.id)
        self._services.executions.finish(
            execution.id, ExecutionStatus.CANCELLED, error="cancelled by the user"
        )
        return self._services.executions.get_execution(actor, execution.id)

    def stop_live(self, execution_id: uuid.UUID, timeout: float = CANCEL_TIMEOUT_S) -> bool:
        """Cancel the engine's run of the execution and wait until it has reported its end.
        False if this runner was not running it."""
        with self._lock:
            live = self._live.get(execution_id)
        if live is None or live.handle is None:
            return False
        live.handle.cancel()
        if not live.finished.wait(timeout):
            log.warning("execution %s did not report its end after cancel", execution_id)
        return True

    def subscribe(
        self, actor: Actor, execution_id: uuid.UUID | str, callback: EventCallback
    ) -> Callable[[], None]:
        """Call `callback` (on the runner's thread) with each further event of the execution.

        Raises `NotFound` if `actor` may not read it. Returns the function that unsubscribes.
        """
        execution = self._services.executions.get_execution(actor, execution_id)
        key = execution.id
        with self._lock:
            self._subscribers.setdefault(key, []).append(callback)

        def unsubscribe() -> None:
            with self._lock:
                callbacks = self._subscribers.get(key, [])
                if callback in callbacks:
                    callbacks.remove(callback)
                if not callbacks:
                    self._subscribers.pop(key, None)

        return unsubscribe

    def check_key(self, actor: Actor, key_id: uuid.UUID | str) -> KeyCheck:
        """`check_key` with this runner's services and provider endpoints."""
        return check_key(self._services, self._base_urls, actor, key_id)

    def live_count(self) -> int:
        """How many executions this process has submitted and not finished."""
        with self._lock:
            return len(self._live)

    def on_tracking_status(self, status: Any) -> None:
        """`tracking.Tracker`'s `on_status` (called on its writer thread): recorded in order."""
        self._queue.put(("tracking", status))

    # ---- submitting ---------------------------------------------------------------------

    def _credentials(self, actor: Actor, spec: AgentSpec, execution_id: uuid.UUID) -> Credentials:
        providers = providers_of(spec)
        stored = self._services.keys.credentials_for(
            actor, providers=providers, execution_id=execution_id
        )
        by_provider: dict[str, ProviderCredential] = {}
        for provider in providers:
            credential = stored.get(provider)
            default_url = self._base_urls.get(provider)
            if credential is not None and credential.base_url is None and default_url:
                credential = ProviderCredential(api_key=credential.api_key, base_url=default_url)
            if credential is not None:
                by_provider[provider] = credential
        return Credentials(by_provider)

    def _submit(
        self, actor: Actor, execution: Execution, spec: AgentSpec, inputs: Mapping[str, Any]
    ) -> None:
        engine = self.engine()
        credentials = self._credentials(actor, spec, execution.id)
        secrets = tuple(credentials.secret_values())
        recorder = self._start_tracking(actor, execution, secrets)
        live = _Live(execution.id, None, secrets)
        with self._lock:
            self._live[execution.id] = live

        def on_event(event: events.Event) -> None:
            if recorder is not None:
                recorder(event)
            self._queue.put(("event", execution.id, event))

        try:
            live.handle = engine.submit(
                spec,
                inputs,
                credentials,
                on_event=on_event,
                execution_id=str(execution.id),
                # One user's cached answers are never served to another.
                cache_scope=str(actor.id),
            )
        except BaseException:
            with self._lock:
                self._live.pop(execution.id, None)
            raise

    def _start_tracking(
        self, actor: Actor, execution: Execution, secrets: tuple[str, ...]
    ) -> Callable[[events.Event], None] | None:
        if self._tracker is None or self._context_factory is None:
            return None
        try:
            context = self._context_factory(execution)
            return self._tracker.start(context, secrets=secrets)
        except Exception:  # tracking must never stop an execution
            log.exception("tracking of execution %s could not start", execution.id)
            self._services.executions.set_tracking(execution.id, TrackingStatus.FAILED)
            return None

    def _fail(self, execution_id: uuid.UUID, message: str, *, secrets: Iterable[str]) -> None:
        self._services.executions.finish(
            execution_id, ExecutionStatus.FAILED, error=scrub(message, secrets)
        )
        with self._lock:
            live = self._live.pop(execution_id, None)
        self._notify(
            execution_id,
            events.ExecutionFinished(
                str(execution_id), status="FAILED", error=scrub(message, secrets)
            ),
        )
        if live is not None:
            live.finished.set()

    # ---- the recorder thread --------------------------------------------------------------

    def _record_loop(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=WATCH_INTERVAL_S)
            except queue.Empty:
                self._watch_handles()
                continue
            items = [item, *self._drain(RECORD_BATCH - 1)]
            if self._process(items):
                return

    def _drain(self, most: int) -> list[tuple[Any, ...]]:
        """What else is queued, at most `most` items, without waiting."""
        items: list[tuple[Any, ...]] = []
        while len(items) < most:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return items

    def _process(self, items: list[tuple[Any, ...]]) -> bool:
        """Handle queued items in order, runs of events in one transaction; True on "stop"."""
        run: list[tuple[uuid.UUID, events.Event]] = []
        for item in [*items, ("end",)]:
            if item[0] == "event":
                run.append((item[1], item[2]))
                continue
            if run:
                self._guarded("event", self._record_run, run)
                run = []
            kind = item[0]
            if kind == "stop":
                return True
            if kind == "done":
                self._guarded(kind, self._settle, item[1])
            elif kind == "tracking":
                self._guarded(kind, self._record_tracking, item[1])
        return False

    @staticmethod
    def _guarded(kind: str, fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:  # one bad event must not stop the recording of all others
            log.exception("recording %s failed", kind)

    def _record_run(self, run: list[tuple[uuid.UUID, events.Event]]) -> None:
        """Store a run of events in one transaction, then publish each, in order; should the
        batch fail (say, one event names a vanished execution), each event on its own."""
        try:
            self._services.executions.record_events(event for _, event in run)
        except Exception:
            log.debug("recording %d events at once failed; one by one", len(run), exc_info=True)
            for execution_id, event in run:
                self._guarded("event", self._record, execution_id, event)
            return
        for execution_id, event in run:
            self._guarded("event", self._published, execution_id, event)

    def _record(self, execution_id: uuid.UUID, event: events.Event) -> None:
        self._services.executions.record_event(event)
        self._published(execution_id, event)

    def _published(self, execution_id: uuid.UUID, event: events.Event) -> None:
        """What follows an event's storing: metrics, subscribers, the end of the execution."""
        if self._on_event is not None:
            self._on_event(event)
        self._notify(execution_id, event)
        if isinstance(event, events.ExecutionFinished):
            self._finished(execution_id, event.status)

    def _watch_handles(self) -> None:
        with self._lock:
            live = [item for item in self._live.values() if item.handle is not None]
        for item in live:
            if item.handle is not None and item.handle.done() and not item.finished.is_set():
                # Behind every event the engine emitted before it finished.
                self._queue.put(("done", item.execution_id))

    def _settle(self, execution_id: uuid.UUID) -> None:
        """The engine is done with an execution whose final event never came: finish it."""
        with self._lock:
            live = self._live.get(execution_id)
        if live is None or live.finished.is_set() or live.handle is None:
            return
        try:
            result = live.handle.result(0)
            status = str(getattr(result, "status", "FAILED"))
            error = getattr(result, "error", None) or "the engine ended without a final report"
        except Exception as e:  # the engine's own failure is the execution's error
            status, error = "FAILED", f"the engine failed: {e}"
        execution = self._services.executions.finish(
            execution_id,
            status if status in ("COMPLETED", "FAILED", "CANCELLED") else "FAILED",
            error=scrub(error, live.secrets),
        )
        self._notify(
            execution_id,
            events.ExecutionFinished(
                str(execution_id), status=execution.status.value, error=execution.error
            ),  # type: ignore[arg-type]
        )
        self._finished(execution_id, execution.status.value)

    def _finished(self, execution_id: uuid.UUID, status: str) -> None:
        with self._lock:
            live = self._live.pop(execution_id, None)
            self._subscribers.pop(execution_id, None)
        if live is None:
            return
        live.finished.set()
        if self._on_finished is not None:
            self._on_finished(status, time.monotonic() - live.submitted_at)

    def _notify(self, execution_id: uuid.UUID, event: events.Event) -> None:
        if self._on_published is not None:
            try:
                self._on_published(execution_id, event)
            except Exception:
                log.exception("forwarding an event of execution %s failed", execution_id)
        with self._lock:
            callbacks = list(self._subscribers.get(execution_id, ()))
        for callback in callbacks:
            try:
                callback(event)
            except Exception:  # a broken subscriber must not stop the others
                log.exception("an execution subscriber failed")

    def _record_tracking(self, status: Any) -> None:
        state = str(getattr(status, "state", ""))
        mapped = {"synced": TrackingStatus.SYNCED, "pending": TrackingStatus.FAILED}.get(
            state, TrackingStatus.PENDING
        )
        self._services.executions.set_tracking(
            status.execution_id, mapped, mlflow_run_id=getattr(status, "run_id", None)
        )

    # ---- tracking backfill -----------------------------------------------------------------

    def _backfill_tracking(self) -> None:
        """Replay into MLflow the finished executions it never received: at start-up all of
        them, then every `backfill_interval_s` those finished more than `backfill_after_s` ago
        (by then the live tracker has given up on them)."""
        assert self._tracker is not None and self._context_factory is not None
        finished_before: dt.datetime | None = None
        while not self._closed.is_set():
            self._backfill_once(finished_before)
            if self._closed.wait(self._backfill_interval_s):
                return
            finished_before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=self._backfill_after_s)

    def _backfill_once(self, finished_before: dt.datetime | None) -> None:
        assert self._tracker is not None and self._context_factory is not None
        executions = self._services.executions.untracked_executions(finished_before=finished_before)
        for execution in executions:
            if self._closed.is_set():
                return
            try:
                context = self._context_factory(execution)
                status = self._tracker.record(context, events_of(execution))
            except Exception as e:  # MLflow still down: the next round tries again
                log.warning("tracking backfill of execution %s failed: %s", execution.id, e)
                return
            self._record_tracking(status)


def events_of(execution: Execution) -> list[events.Event]:
    """The engine events an execution's rows stand for, to replay a finished one into tracking."""
    eid = str(execution.id)
    at = execution.started_at.timestamp() if execution.started_at else time.time()
    replay: list[events.Event] = [
        events.ExecutionStarted(
            eid, at=at, step_ids=tuple(step.step_id for step in execution.steps)
        )
    ]
    for step in execution.steps:
        queued = step.queued_at.timestamp() if step.queued_at else at
        started = step.started_at.timestamp() if step.started_at else queued
        finished = step.finished_at.timestamp() if step.finished_at else started
        calls = tuple(events.CallRecord.from_dict(c) for c in step.details.get("calls", ()))
        replay.append(
            events.StepQueued(
                eid, at=queued, step_id=step.step_id, depends_on=tuple(step.depends_on)
            )
        )
        if step.status.value == "SKIPPED":
            replay.append(
                events.StepSkipped(
                    eid,
                    at=finished,
                    step_id=step.step_id,
                    reason=str(step.details.get("reason", "")),
                )
            )
            continue
        replay.append(
            events.StepStarted(
                eid, at=started, step_id=step.step_id, kind=step.kind, models=tuple(step.models)
            )
        )
        if step.status.value == "COMPLETED":
            replay.append(
                events.StepFinished(
                    eid,
                    at=finished,
                    step_id=step.step_id,
                    output=step.output,
                    calls=calls,
                    latency_ms=step.latency_ms or 0.0,
                    input_tokens=step.input_tokens,
                    output_tokens=step.output_tokens,
                    cost_usd=step.cost_usd,
                    retries=step.retries,
                )
            )
        else:
            replay.append(
                events.StepFailed(
                    eid,
                    at=finished,
                    step_id=step.step_id,
                    error=step.error or step.status.value.lower(),
                    error_type=step.error_type or "",
                    calls=calls,
                    latency_ms=step.latency_ms or 0.0,
                    retries=step.retries,
                )
            )
    end = execution.finished_at.timestamp() if execution.finished_at else at
    replay.append(
        events.ExecutionFinished(
            eid,
            at=end,
            status=execution.status.value,  # type: ignore[arg-type]
            outputs=dict(execution.result or {}),
            error=execution.error,
            latency_ms=execution.latency_ms or 0.0,
            input_tokens=execution.input_tokens,
            output_tokens=execution.output_tokens,
            cost_usd=execution.cost_usd,
        )
    )
    return replay


def tracking_context(services: Services, execution: Execution) -> Any:
    """The `tracking.ExecutionContext` of `execution` (the runner's `context_factory`, with
    `functools.partial(tracking_context, services)`)."""
    from tracking import ExecutionContext  # MLflow loads slowly; only a tracking runner needs it

    return ExecutionContext(
        execution_id=str(execution.id),
        spec=execution.spec,
        inputs=execution.inputs,
        **services.executions.tracking_names(execution.id),
    )
