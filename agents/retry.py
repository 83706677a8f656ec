"""How long to wait before trying a failed call again (tenacity does the looping, `agents.calls`).

Exponential backoff with "equal jitter" (half the backoff fixed, half random), so many steps
that hit the same rate limit do not come back in lockstep. When the provider says `Retry-After`,
that is honoured — but capped at `retry_after_cap`, so a provider asking for an hour cannot hang
an execution; a little jitter is added on top. The number of attempts is the step's `retries`
(from the spec), so the bound is visible in the spec and in `StepRetrying` events.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    base_delay: float = 0.5  # seconds before the first retry (before jitter)
    max_delay: float = 8.0  # cap of the exponential backoff
    retry_after_cap: float = 30.0  # cap on a provider's Retry-After
    jitter: float = 0.1  # fraction of a Retry-After added at random

    def __post_init__(self) -> None:
        for name in ("base_delay", "max_delay", "retry_after_cap", "jitter"):
            if getattr(self, name) < 0:
                raise ValueError(f"RetryPolicy.{name} cannot be negative")

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        if retry_after is not None and retry_after > 0:
            honoured = min(retry_after, self.retry_after_cap)
            return honoured * (1 + random.uniform(0, self.jitter))
        backoff = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return backoff / 2 + random.uniform(0, backoff / 2)
