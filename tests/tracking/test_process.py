"""The tracker in a process of its own (what the workbench service uses)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from tests.tracking.helpers import only_run
from tests.tracking.scenarios import context_for, new_id, plain_execution, rich_execution
from tests.tracking.test_outage import StatusLog, closed_port
from tracking import SyncState, TrackingError
from tracking.process import TrackerProcess


def test_live_recording_reaches_mlflow_and_reports_synced(mlflow_store):
    statuses = StatusLog()
    execution_id = new_id()
    with TrackerProcess(
        mlflow_store.tracking_uri, artifact_root=mlflow_store.artifact_root, on_status=statuses
    ) as tracker:
        recorder = tracker.start(context_for(execution_id))
        for event in rich_execution(execution_id):
            recorder(event)
        synced = statuses.wait_for(SyncState.SYNCED, timeout=60)
        child = tracker._child.process
    assert synced.execution_id == execution_id
    run = only_run(mlflow_store.client(), "alice/Research")
    assert run.info.run_id == synced.run_id
    assert run.info.status == "FAILED"  # the scenario's execution ends FAILED (a provider error)
    assert run.data.tags["workbench.execution_id"] == execution_id
    assert "step/outline/latency_ms" in run.data.metrics
    assert not child.is_alive(), "close() leaves no tracking process behind"


def test_record_backfills_in_the_child_and_repeating_it_keeps_one_run(mlflow_store):
    execution_id = new_id()
    with TrackerProcess(
        mlflow_store.tracking_uri, artifact_root=mlflow_store.artifact_root
    ) as tracker:
        first = tracker.record(context_for(execution_id), plain_execution(execution_id))
        again = tracker.record(context_for(execution_id), plain_execution(execution_id))
    assert first.state is SyncState.SYNCED and first.run_id
    assert again.run_id == first.run_id
    assert only_run(mlflow_store.client(), "alice/Research").info.run_id == first.run_id


def test_record_raises_tracking_error_when_mlflow_is_unreachable(monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # inherited by the child
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "3")
    execution_id = new_id()
    with (
        TrackerProcess(f"http://127.0.0.1:{closed_port()}") as tracker,
        pytest.raises(TrackingError, match=execution_id),
    ):
        tracker.record(context_for(execution_id), plain_execution(execution_id))


def test_a_killed_child_is_replaced_and_its_executions_reported_pending(mlflow_store):
    statuses = StatusLog()
    lost, later = new_id(), new_id()
    with TrackerProcess(
        mlflow_store.tracking_uri, artifact_root=mlflow_store.artifact_root, on_status=statuses
    ) as tracker:
        recorder = tracker.start(context_for(lost))
        recorder(plain_execution(lost)[0])  # started, never finished
        first_child = tracker._child.process
        os.kill(first_child.pid, signal.SIGKILL)
        first_child.join(10)
        status = tracker.record(context_for(later), plain_execution(later))
        pending = statuses.wait_for(SyncState.PENDING)
        assert tracker._child.process.pid != first_child.pid
    assert status.state is SyncState.SYNCED
    assert pending.execution_id == lost
    assert "tracking process stopped" in pending.error


def test_a_closed_tracker_refuses_new_executions(mlflow_store):
    tracker = TrackerProcess(mlflow_store.tracking_uri, artifact_root=mlflow_store.artifact_root)
    tracker.close()
    with pytest.raises(TrackingError, match="closed"):
        tracker.start(context_for(new_id()))


def test_s10_a_tracking_store_needs_an_artifact_root():
    with pytest.raises(ValueError, match="artifact_root is needed"):
        TrackerProcess("sqlite:///somewhere/mlflow.db")


def test_the_child_stops_when_its_parent_is_killed(mlflow_store):
    parent_code = textwrap.dedent(
        f"""
        import sys, time
        from tracking.process import TrackerProcess
        if __name__ == "__main__":
            tracker = TrackerProcess({mlflow_store.tracking_uri!r},
                                     artifact_root={mlflow_store.artifact_root!r})
            print(tracker._child.process.pid, flush=True)
            time.sleep(600)
        """
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_code], stdout=subprocess.PIPE, text=True
    )
    try:
        child_pid = int(parent.stdout.readline())
        child = psutil.Process(child_pid)
        parent.kill()
        parent.wait(10)
        deadline = time.monotonic() + 30
        while child.is_running() and child.status() != psutil.STATUS_ZOMBIE:
            assert time.monotonic() < deadline, "the tracking process outlived its parent"
            time.sleep(0.2)
    finally:
        if parent.poll() is None:
            parent.kill()
