"""S8: a key used by an execution never reaches MLflow, not even when a provider echoes it back."""

from __future__ import annotations

from agents.events import CallRecord, StepFailed
from tests.tracking.helpers import everything_written, only_run, record_live
from tests.tracking.scenarios import GPT, Script, call, context_for, new_id, spec_for

CANARY = "sk-canary-5f0e1d2c3b4a59687766554433221100"


def echoing_failure(execution_id: str) -> list:
    """A provider that puts the key it was sent into its error, its prompt echo and its output."""
    script = Script(execution_id)
    script.start("writer", ("outline", "leak"))
    script.step(
        "outline", "prompt", [call(GPT, f"my key is {CANARY}")], output=f"my key is {CANARY}"
    )
    leaked = CallRecord(
        model=GPT,
        role="answer",
        user_prompt=f"Authorization: Bearer {CANARY}",
        error=f"401 invalid api key {CANARY}",
        latency_ms=12,
    )
    script.add(
        StepFailed,
        step_id="leak",
        error=f"openai rejected the key {CANARY}: check it on the keys page",
        error_type="auth",
        calls=(leaked,),
        latency_ms=12,
    )
    script.finish("FAILED", {"outline": f"my key is {CANARY}"}, error=f"auth failed: {CANARY}")
    return script.events


def test_s8_canary_key_appears_nowhere_in_the_run(tracker, mlflow_store, tmp_path):
    execution_id = new_id()
    spec = spec_for({"id": "outline", "model": GPT, "api_key": CANARY})
    context = context_for(execution_id, spec=spec, inputs={"topic": "tides", "apiKey": CANARY})
    recorder = tracker.start(context, secrets=[CANARY])
    for event in echoing_failure(execution_id):
        recorder(event)
    assert tracker.flush(timeout=30)

    client = mlflow_store.client()
    run = only_run(client, "alice/Research")
    written = everything_written(client, run, tmp_path)
    assert "[redacted]" in written  # the echoed places were written, scrubbed
    assert "check it on the keys page" in written
    assert CANARY not in written
    assert CANARY not in (mlflow_store.path / "mlflow.db").read_bytes().decode("latin-1")


def test_s8_backfill_scrubs_the_key_too(tracker, mlflow_store, tmp_path):
    execution_id = new_id()
    context = context_for(execution_id)
    tracker.record(context, echoing_failure(execution_id), secrets=[CANARY])

    client = mlflow_store.client()
    written = everything_written(client, only_run(client, "alice/Research"), tmp_path)
    assert "[redacted]" in written
    assert CANARY not in written


def test_s8_secret_named_settings_are_dropped_without_being_told_the_key(
    tracker, mlflow_store, tmp_path
):
    execution_id = new_id()
    spec = spec_for({"id": "outline", "model": GPT, "api_key": CANARY, "access_token": CANARY})
    record_live(tracker, context_for(execution_id, spec=spec), [])
    tracker.record(context_for(execution_id, spec=spec), [])

    client = mlflow_store.client()
    assert CANARY not in everything_written(client, only_run(client, "alice/Research"), tmp_path)
