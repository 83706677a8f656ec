"""Faults at the provider: bounded retries (S13), timeouts, caps, cancellation (S12)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from agents.engine import Engine
from agents.events import StepStarted
from agents.retry import RetryPolicy
from tests.agents.helpers import Recorder, spec, unique
from tests.fakes.provider_server import FakeProvider


@pytest.fixture(scope="module")
def capped_engine() -> Iterator[Engine]:
    """Small caps and short waits, so limits and retries show quickly."""
    retry = RetryPolicy(base_delay=0.05, max_delay=0.2, retry_after_cap=0.3)
    with Engine(provider_limits={"openai": 2, "anthropic": 1}, retry=retry) as running:
        running.wait_ready()
        yield running


def test_s13_rate_limit_is_retried_after_the_retry_after_delay(
    engine: Engine, fake_provider: FakeProvider
) -> None:
    model = unique("busy")
    fake_provider.program(model, {"status": 429, "retry_after": 1}, then={"text": "finally"})
    recorder = Recorder()
    agent = spec({"id": "a", "prompt": "hi"}, model=f"openai:{model}")
    result = engine.run(agent, {}, fake_provider.credentials(), on_event=recorder)
    assert result.outputs["a"] == "finally"
    [retrying] = recorder.of("step_retrying", "a")
    assert retrying.attempt == 1
    assert retrying.delay_s >= 1.0
    assert "rate_limited" in retrying.error
    first, second = fake_provider.requests(model)
    assert second["at"] - first["at"] >= 1.0
    assert result.steps["a"].calls[0].retries == 1


def test_s13_retry_after_is_capped(capped_engine: Engine, fake_provider: FakeProvider) -> None:
    model = unique("hour")
    fake_provider.program(model, {"status": 429, "retry_after": 3600}, then={"text": "ok"})
    recorder = Recorder()
    started = time.monotonic()
    result = capped_engine.run(
        spec({"id": "a", "prompt": "hi"}, model=f"openai:{model}"),
        {},
        fake_provider.credentials(),
        on_event=recorder,
    )
    assert result.status == "COMPLETED"
    [retrying] = recorder.of("step_retrying")
    assert 0.3 <= retrying.delay_s <= 0.3 * 1.1 + 0.001
    assert time.monotonic() - started < 10


def test_s13_exhausted_rate_limit_is_an_error_not_an_empty_answer(
    capped_engine: Engine, fake_provider: FakeProvider
) -> None:
    model = unique("always-429")
    fake_provider.program(model, then={"status": 429, "retry_after": 0.01})
    agent = spec({"id": "a", "prompt": "hi"}, model=f"openai:{model}", retries=2)
    result = capped_engine.run(agent, {}, fake_provider.credentials())
    step = result.steps["a"]
    assert result.status == "FAILED"
    assert (step.status, step.error_type, step.output) == ("FAILED", "rate_limited", None)
    assert "rate limited" in step.error and "429" in step.error and "after 3 attempts" in step.error
    assert "a" not in result.outputs
    assert fake_provider.stats()["requests_by_model"][model] == 3  # 1 + retries, no more


@pytest.mark.parametrize("fault", [{"status": 503}, {"status": 500}, {"malformed": True}])
def test_server_errors_and_malformed_bodies_are_retried(
    capped_engine: Engine, fake_provider: FakeProvider, fault: dict
) -> None:
    model = unique("flaky")
    fake_provider.program(model, fault, then={"text": "recovered"})
    result = capped_engine.run(
        spec({"id": "a", "prompt": "hi"}, model=f"openai:{model}"), {}, fake_provider.credentials()
    )
    assert result.outputs["a"] == "recovered"
    assert result.steps["a"].retries == 1


def test_unauthorised_key_is_not_retried(
    capped_engine: Engine, fake_provider: FakeProvider
) -> None:
    model = unique("denied")
    fake_provider.program(model, then={"status": 401, "error_message": "invalid x-api-key"})
    result = capped_engine.run(
        spec({"id": "a", "prompt": "hi"}, model=f"anthropic:{model}", retries=3),
        {},
        fake_provider.credentials(),
    )
    step = result.steps["a"]
    assert step.error_type == "auth"
    assert "check or replace the stored key" in step.error
    assert fake_provider.stats()["requests_by_model"][model] == 1


def test_hung_call_times_out_with_a_clear_error(
    capped_engine: Engine, fake_provider: FakeProvider
) -> None:
    model = unique("hang")
    fake_provider.program(model, then={"hang": True})
    agent = spec({"id": "a", "prompt": "hi"}, model=f"openai:{model}", timeout=0.5, retries=1)
    started = time.monotonic()
    result = capped_engine.run(agent, {}, fake_provider.credentials(), timeout=30)
    step = result.steps["a"]
    assert (step.status, step.error_type) == ("FAILED", "timeout")
    assert "did not answer within 0.5 s (after 2 attempts)" in step.error
    assert time.monotonic() - started < 5


def test_stream_dropped_midway_is_retried(
    capped_engine: Engine, fake_provider: FakeProvider
) -> None:
    model = unique("drop")
    fake_provider.program(
        model, {"text": "a b c d", "disconnect_after_chunks": 2}, then={"text": "whole answer"}
    )
    recorder = Recorder()
    result = capped_engine.run(
        spec({"id": "a", "prompt": "hi"}, model=f"openai:{model}"),
        {},
        fake_provider.credentials(),
        on_event=recorder,
    )
    assert result.outputs["a"] == "whole answer"
    kinds = [e.type for e in recorder.events if getattr(e, "step_id", None) == "a"]
    assert "step_retrying" in kinds


@pytest.mark.parametrize(("provider", "cap"), [("openai", 2), ("anthropic", 1)])
def test_provider_cap_holds_across_steps(
    capped_engine: Engine, fake_provider: FakeProvider, provider: str, cap: int
) -> None:
    model = unique("capped")
    fake_provider.program(model, then={"latency": 0.15})
    steps = [{"id": f"s{i}", "prompt": f"q{i}"} for i in range(5)]
    result = capped_engine.run(
        spec(*steps, model=f"{provider}:{model}"), {}, fake_provider.credentials()
    )
    assert result.status == "COMPLETED"
    assert fake_provider.stats()["max_in_flight_by_model"][model] == cap


def test_s12_cancel_stops_running_and_pending_steps(
    engine: Engine, fake_provider: FakeProvider
) -> None:
    slow, later = unique("slow"), unique("later")
    fake_provider.program(slow, then={"latency": 30})
    recorder = Recorder()
    agent = spec(
        {"id": "first", "model": f"openai:{slow}", "prompt": "think long"},
        {"id": "second", "model": f"openai:{later}", "prompt": "then {{ first }}"},
        {"id": "third", "model": f"openai:{later}", "prompt": "and {{ second }}"},
    )
    handle = engine.submit(agent, {}, fake_provider.credentials(), on_event=recorder)
    recorder.wait_for(lambda e: isinstance(e, StepStarted) and e.step_id == "first")
    time.sleep(0.1)  # the request is at the provider

    assert handle.cancel() is True
    events_at_return = len(recorder.events)
    result = handle.result(timeout=0)
    assert result.status == "CANCELLED"
    assert {k: s.status for k, s in result.steps.items()} == {
        "first": "CANCELLED",
        "second": "CANCELLED",
        "third": "CANCELLED",
    }
    assert recorder.events[-1].type == "execution_finished"
    time.sleep(0.3)
    assert len(recorder.events) == events_at_return  # nothing after cancel returned
    assert recorder.of("step_started", "second") == []
    assert later not in fake_provider.stats()["requests_by_model"]
    assert fake_provider.stats()["in_flight"] == 0  # the running request was abandoned


def test_cancel_after_the_end_changes_nothing(engine: Engine) -> None:
    handle = engine.submit(spec({"id": "a", "prompt": "hi"}, model="demo:echo"))
    result = handle.result(timeout=30)
    assert handle.cancel() is False
    assert handle.result().status == result.status == "COMPLETED"


def test_cancel_from_inside_on_event_does_not_deadlock(
    engine: Engine, fake_provider: FakeProvider
) -> None:
    slow = unique("slow")
    fake_provider.program(slow, then={"latency": 30})
    handles = []

    def cancel_on_start(event: object) -> None:
        if isinstance(event, StepStarted):
            handles[0].cancel(timeout=10)

    handles.append(
        engine.submit(
            spec({"id": "a", "prompt": "x"}, model=f"openai:{slow}"),
            {},
            fake_provider.credentials(),
            on_event=cancel_on_start,
        )
    )
    assert handles[0].result(timeout=20).status == "CANCELLED"


@pytest.mark.parametrize("provider", ["openai", "anthropic", "google", "openai-compatible"])
@pytest.mark.parametrize(("status", "kind"), [(429, "rate_limited"), (503, "provider_error")])
def test_each_provider_sdk_error_is_read_and_retried(
    capped_engine: Engine, fake_provider: FakeProvider, provider: str, status: int, kind: str
) -> None:
    model = unique("sdk")
    fake_provider.program(model, {"status": status, "retry_after": 0.1}, then={"text": "fine"})
    recorder = Recorder()
    result = capped_engine.run(
        spec({"id": "a", "prompt": "hi"}, model=f"{provider}:{model}"),
        {},
        fake_provider.credentials(),
        on_event=recorder,
    )
    assert result.outputs["a"] == "fine"
    [retrying] = recorder.of("step_retrying")
    assert retrying.error.startswith(kind)
    assert retrying.delay_s >= 0.1  # Retry-After read from this SDK's error
