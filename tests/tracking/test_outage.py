"""MLflow down or slow: executions go on, tracking is pending, then retried or backfilled."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.mlflow import sqlite_uri
from tests.tracking.helpers import only_run
from tests.tracking.scenarios import context_for, new_id, plain_execution, rich_execution
from tracking import SyncState, Tracker, TrackingError, TrackingStatus


@pytest.fixture
def fast_failing_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """MLflow's HTTP client retries for minutes by default; a test waits seconds."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "3")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def bring_back(folder: Path, template: Path) -> None:
    folder.unlink()
    folder.mkdir()
    shutil.copyfile(template, folder / "mlflow.db")


class SilentServer:
    """A tracking server that accepts connections and never answers, until released."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                self._held.append(self.listener.accept()[0])
                self.connected.set()
            except OSError:
                continue

    def release(self) -> None:
        """Drop every held connection and stop listening: clients fail at once from now on."""
        self._stop.set()
        self._thread.join()
        for connection in self._held:
            connection.close()
        self.listener.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    if not server._stop.is_set():
        server.release()


class StatusLog:
    def __init__(self) -> None:
        self.seen: list[TrackingStatus] = []
        self.changed = threading.Condition()

    def __call__(self, status: TrackingStatus) -> None:
        with self.changed:
            self.seen.append(status)
            self.changed.notify_all()

    def wait_for(self, state: SyncState, timeout: float = 30) -> TrackingStatus:
        with self.changed:
            assert self.changed.wait_for(
                lambda: any(s.state is state for s in self.seen), timeout
            ), f"no {state} status in {self.seen}"
            return next(s for s in self.seen if s.state is state)


def test_unreachable_tracking_server_leaves_the_execution_pending(fast_failing_http):
    statuses = StatusLog()
    execution_id = new_id()
    uri = f"http://127.0.0.1:{closed_port()}"
    with Tracker(uri, on_status=statuses, retry_delays_s=()) as tracker:
        recorder = tracker.start(context_for(execution_id))
        for event in plain_execution(execution_id):
            recorder(event)
        pending = statuses.wait_for(SyncState.PENDING)
    assert pending.execution_id == execution_id
    assert pending.run_id is None
    assert "Connection" in pending.error or "connect" in pending.error
    assert tracker.status(execution_id).state is SyncState.PENDING


def test_slow_tracking_server_never_blocks_the_recorder(silent_server, fast_failing_http):
    first, second = new_id(), new_id()
    with Tracker(f"http://127.0.0.1:{silent_server.port}", retry_delays_s=()) as tracker:
        tracker.start(context_for(first))(plain_execution(first)[0])
        assert silent_server.connected.wait(10)  # the writer is now stuck waiting for an answer
        recorder = tracker.start(context_for(second))
        for _ in range(200):
            for event in rich_execution(second):
                recorder(event)
        assert tracker.status(second).state is SyncState.RECORDING
        assert not tracker.flush(timeout=0.2)
        silent_server.release()
        assert tracker.flush(timeout=30)
        assert tracker.status(second).state is SyncState.PENDING


def test_store_coming_back_is_caught_up_by_the_retry(tmp_path, mlflow_template_db):
    statuses = StatusLog()
    folder = tmp_path / "later"
    folder.write_text("a file where the store's folder should be: SQLite cannot open it")
    execution_id = new_id()
    with Tracker(
        sqlite_uri(folder / "mlflow.db"),
        artifact_root=str(tmp_path / "artifacts"),
        on_status=statuses,
        retry_delays_s=(0.2, 0.5, 1.0),
    ) as tracker:
        recorder = tracker.start(context_for(execution_id))
        events = rich_execution(execution_id)
        for event in events[:4]:
            recorder(event)
        statuses.wait_for(SyncState.PENDING)
        bring_back(folder, mlflow_template_db)
        for event in events[4:]:
            recorder(event)
        synced = statuses.wait_for(SyncState.SYNCED)

    from mlflow import MlflowClient

    client = MlflowClient(sqlite_uri(folder / "mlflow.db"))
    run = only_run(client, "alice/Research")
    assert synced.run_id == run.info.run_id
    assert run.info.status == "FAILED"
    assert run.data.metrics["calls"] == 8
    assert run.data.tags["step/polish/status"] == "skipped"


def test_backfill_writes_what_the_live_writer_gave_up_on(tmp_path, mlflow_template_db):
    statuses = StatusLog()
    folder = tmp_path / "later"
    folder.write_text("a file where the store's folder should be: SQLite cannot open it")
    uri = sqlite_uri(folder / "mlflow.db")
    execution_id = new_id()
    context, events = context_for(execution_id), rich_execution(execution_id)
    with Tracker(
        uri, artifact_root=str(tmp_path / "a"), on_status=statuses, retry_delays_s=()
    ) as t:
        recorder = t.start(context)
        for event in events:
            recorder(event)
        statuses.wait_for(SyncState.PENDING)
        with pytest.raises(TrackingError, match=execution_id):
            t.record(context, events)  # still down: the backfill says so

        bring_back(folder, mlflow_template_db)
        status = t.record(context, events)
        assert status.state is SyncState.SYNCED
        assert t.status(execution_id) == status
        assert statuses.seen[-1] == status

    from mlflow import MlflowClient

    run = only_run(MlflowClient(uri), "alice/Research")
    assert run.info.run_id == status.run_id
    assert run.data.metrics["steps_failed"] == 1
