"""How long a failed call waits before its next attempt (`agents.retry.RetryPolicy`), and how many
attempts a step gets (its `retries`, looped by tenacity in `agents.calls`)."""

from __future__ import annotations

import pytest

from agents.engine import Engine
from agents.retry import RetryPolicy
from tests.agents.helpers import Recorder, spec, unique
from tests.fakes.provider_server import FakeProvider

SAMPLES = 300  # per attempt: enough for the jitter to reach both ends of its range
POLICY = RetryPolicy(base_delay=0.5, max_delay=8.0, retry_after_cap=30.0, jitter=0.1)


def delays(policy: RetryPolicy, attempt: int, retry_after: float | None = None) -> list[float]:
    return [policy.delay(attempt, retry_after) for _ in range(SAMPLES)]


@pytest.mark.parametrize(("attempt", "backoff"), [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0)])
def test_backoff_is_within_its_equal_jitter_bounds_when_no_retry_after(
    attempt: int, backoff: float
) -> None:
    samples = delays(POLICY, attempt)
    assert all(backoff / 2 <= d <= backoff for d in samples)


@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_backoff_doubles_when_the_attempt_number_grows(attempt: int) -> None:
    # Equal jitter: attempt n waits within [b/2, b], attempt n+1 within [b, 2b].
    assert max(delays(POLICY, attempt)) <= min(delays(POLICY, attempt + 1))


@pytest.mark.parametrize("attempt", [5, 6, 8, 11, 50])
def test_backoff_never_exceeds_the_max_delay_when_attempts_pile_up(attempt: int) -> None:
    samples = delays(POLICY, attempt)
    assert all(POLICY.max_delay / 2 <= d <= POLICY.max_delay for d in samples)


def test_backoff_jitter_varies_when_sampled_repeatedly() -> None:
    samples = delays(POLICY, 3)  # within [1, 2]
    assert len(set(samples)) > SAMPLES // 2
    assert min(samples) < 1.25 and max(samples) > 1.75  # spread over the range, not one value


@pytest.mark.parametrize(("attempt", "retry_after"), [(1, 3.0), (1, 0.2), (6, 0.2), (2, 12.5)])
def test_retry_after_is_honoured_with_a_little_jitter_when_the_provider_sends_it(
    attempt: int, retry_after: float
) -> None:
    samples = delays(POLICY, attempt, retry_after)
    assert all(retry_after <= d <= retry_after * (1 + POLICY.jitter) for d in samples)
    assert len(set(samples)) > 1


@pytest.mark.parametrize("retry_after", [30.0001, 120.0, 3600.0, float("inf")])
def test_retry_after_is_capped_when_the_provider_asks_for_too_long(retry_after: float) -> None:
    cap = POLICY.retry_after_cap
    samples = delays(POLICY, 1, retry_after)
    assert all(cap <= d <= cap * (1 + POLICY.jitter) for d in samples)


@pytest.mark.parametrize("retry_after", [None, 0.0, -5.0])
def test_backoff_applies_when_retry_after_is_missing_or_not_positive(
    retry_after: float | None,
) -> None:
    samples = delays(POLICY, 2, retry_after)
    assert all(0.5 <= d <= 1.0 for d in samples)


@pytest.mark.parametrize("field", ["base_delay", "max_delay", "retry_after_cap", "jitter"])
def test_policy_is_refused_when_a_setting_is_negative(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        RetryPolicy(**{field: -1.0})


@pytest.mark.parametrize("retries", [0, 1, 3])
def test_attempts_stop_at_one_plus_retries_when_the_provider_keeps_failing(
    engine: Engine, fake_provider: FakeProvider, retries: int
) -> None:
    model = unique("always-503")
    fake_provider.program(model, then={"status": 503, "retry_after": 0.01})
    recorder = Recorder()
    agent = spec({"id": "a", "prompt": "hi"}, model=f"openai:{model}", retries=retries)
    result = engine.run(agent, {}, fake_provider.credentials(), on_event=recorder, timeout=60)
    assert result.steps["a"].status == "FAILED"
    assert fake_provider.stats()["requests_by_model"][model] == retries + 1
    assert [e.attempt for e in recorder.of("step_retrying", "a")] == list(range(1, retries + 1))
