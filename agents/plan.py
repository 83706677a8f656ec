"""Plans: each substep of a checked spec with its defaults resolved, ready to travel to a worker.

`plan_steps(spec)` turns an `AgentSpec` into `StepPlan`s in dependency order. A plan is small and
picklable, and a worker needs nothing else to run the step. This module is light on purpose: the
engine imports it without loading any provider SDK.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.spec import AgentSpec, CompareStep, FeedbackLoopStep


@dataclass(frozen=True)
class CallSettings:
    """Sampling parameters and the time limit of one call; None: the provider's default."""

    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: tuple[str, ...] | None = None
    seed: int | None = None
    timeout: float = 60.0

    def cache_params(self) -> dict[str, Any]:
        return {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "stop": list(self.stop) if self.stop else None,
            "seed": self.seed,
        }


@dataclass(frozen=True)
class StepPlan:
    """One substep with its defaults resolved: everything a worker needs to run it."""

    step_id: str
    kind: str
    depends_on: tuple[str, ...]
    system: str | None
    prompt: str
    models: tuple[str, ...]  # prompt: (model,); compare: the models; loop: (drafting model,)
    settings: CallSettings
    retries: int
    use_cache: bool
    judge: str | None = None
    criteria: str | None = None
    max_rounds: int = 1

    def __dask_tokenize__(self) -> tuple[str, str, int]:
        # The graph's keys carry the execution id; the step id and identity tell plans apart.
        return ("agents.StepPlan", self.step_id, id(self))


def plan_steps(spec: AgentSpec) -> dict[str, StepPlan]:
    """Plans in dependency order; `spec` must have no problems."""
    deps = spec.dependencies()
    defaults = spec.defaults
    plans: dict[str, StepPlan] = {}
    for step_id in spec.order():
        step = spec.step(step_id)
        params = step.params
        settings = CallSettings(
            temperature=params.temperature
            if params.temperature is not None
            else defaults.temperature,
            max_tokens=params.max_tokens if params.max_tokens is not None else defaults.max_tokens,
            top_p=params.top_p if params.top_p is not None else defaults.top_p,
            stop=params.stop,
            seed=params.seed,
            timeout=step.timeout if step.timeout is not None else defaults.timeout,
        )
        common: dict[str, Any] = {
            "step_id": step.id,
            "kind": step.kind,
            "depends_on": deps[step.id],
            "system": step.system,
            "prompt": step.prompt,
            "settings": settings,
            "retries": step.retries if step.retries is not None else defaults.retries,
            "use_cache": step.cache if step.cache is not None else defaults.cache,
        }
        if isinstance(step, CompareStep):
            plans[step_id] = StepPlan(models=tuple(step.models), **common)
        elif isinstance(step, FeedbackLoopStep):
            drafter = step.model or defaults.model
            assert drafter is not None
            plans[step_id] = StepPlan(
                models=(drafter,),
                judge=step.judge or drafter,
                criteria=step.criteria,
                max_rounds=step.max_rounds,
                **common,
            )
        else:
            model = step.model or defaults.model
            assert model is not None
            plans[step_id] = StepPlan(models=(model,), **common)
    return plans
