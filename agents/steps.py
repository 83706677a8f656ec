"""What each kind of substep does with its model calls: prompt, compare, feedback loop.

Given a step's plan (`agents.plan`), `run_step(plan, inputs, upstream, context, progress)`
renders the templates, makes the calls (`agents.calls`), reports each with `CallFinished`, and
returns the step's final event: `StepFinished` or `StepFailed`.

- prompt: one call (`role="answer"`); the output is the answer text.
- compare: one call per model, concurrently (`role="variant"`); the output is `{model: answer}`.
  If any model fails, the step fails, keeping the answers that did arrive in `StepFailed.output`.
- feedback loop: draft (`draft`), then per round a critique by the judge (`critique`, with its
  verdict) and, unless it accepts, a refinement (`refine`) — until the judge accepts or
  `max_rounds` drafts were written. The output is the last draft; every call is kept.

A compare step's output, referred to in a later template, renders as each model's answer under
its name; `{{ step["openai:gpt-4o-mini"] }}` picks one.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from agents import templates
from agents.calls import CallContext, CallOutcome, CallRequest, make_call
from agents.events import CallFinished, CallRecord, Event, StepFailed, StepFinished
from agents.outcomes import StepProgress, elapsed_ms, failed_event
from agents.plan import StepPlan
from agents.results import call_totals

JUDGE_SYSTEM = (
    "You review drafts strictly against written criteria. You never rewrite the draft yourself."
)
CRITIQUE_PROMPT = """Task given to the writer:
{task}

Criteria the result must meet:
{criteria}

Draft:
{draft}

Does the draft meet every criterion? Answer with a first line that is exactly
VERDICT: ACCEPT
or
VERDICT: REVISE
then, if you ask for a revision, say briefly and concretely what to change."""
REFINE_PROMPT = """{task}

Your previous draft:
{draft}

A reviewer's critique of it:
{critique}

Write an improved version that addresses the critique. Reply with the new version only."""
_VERDICT = re.compile(r"VERDICT\s*[:\-]?\s*\**\s*(ACCEPT|REVISE)", re.IGNORECASE)


class CompareOutput(dict[str, str]):
    """A compare step's answers; in a template it renders as every answer under its model."""

    def __str__(self) -> str:
        return "\n\n".join(f"[{model}]\n{answer}" for model, answer in self.items())


def template_value(output: Any) -> Any:
    return CompareOutput(output) if isinstance(output, Mapping) else output


def parse_verdict(text: str) -> str:
    """'accept' or 'revise': the judge's VERDICT line, else its first word; unclear: revise."""
    match = _VERDICT.search(text)
    if match:
        return match.group(1).lower()
    first = text.strip().split(maxsplit=1)[0].strip("*:.").lower() if text.strip() else ""
    return "accept" if first in ("accept", "accepted", "approve", "approved") else "revise"


async def run_step(
    plan: StepPlan,
    inputs: Mapping[str, Any],
    upstream: Mapping[str, Any],
    context: CallContext,
    progress: StepProgress,
) -> Event:
    names = {**inputs, **{k: template_value(v) for k, v in upstream.items()}}
    try:
        system = templates.render(plan.system, names) if plan.system else None
        prompt = templates.render(plan.prompt, names)
        criteria = templates.render(plan.criteria, names) if plan.criteria else None
    except templates.TemplateProblem as e:
        message = f"the prompt could not be filled in: {e}"
        return _failed(plan, context, progress, message, "template")

    if plan.kind == "compare":
        return await _compare(plan, system, prompt, context, progress)
    if plan.kind == "feedback_loop":
        assert criteria is not None
        return await _feedback_loop(plan, system, prompt, criteria, context, progress)
    outcome = await _call(plan, context, progress, plan.models[0], "answer", system, prompt)
    if not outcome.ok:
        return _failed_call(plan, context, progress, outcome)
    return _finished(plan, context, progress, outcome.record.output or "")


async def _call(
    plan: StepPlan,
    context: CallContext,
    progress: StepProgress,
    model: str,
    role: str,
    system: str | None,
    prompt: str,
    round_: int | None = None,
) -> CallOutcome:
    request = CallRequest(
        step_id=plan.step_id,
        model=model,
        role=role,
        system=system,
        prompt=prompt,
        settings=plan.settings,
        retries=plan.retries,
        use_cache=plan.use_cache,
        round=round_,
    )
    outcome = await make_call(request, context)
    progress.calls.append(outcome.record)
    return outcome


def _report(context: CallContext, plan: StepPlan, record: CallRecord) -> None:
    context.emit(CallFinished(context.execution_id, step_id=plan.step_id, call=record))


async def _compare(
    plan: StepPlan,
    system: str | None,
    prompt: str,
    context: CallContext,
    progress: StepProgress,
) -> Event:
    async def one(model: str) -> CallOutcome:
        outcome = await _call(plan, context, progress, model, "variant", system, prompt)
        _report(context, plan, outcome.record)
        return outcome

    outcomes = await asyncio.gather(*(one(m) for m in plan.models))
    progress.calls = [o.record for o in outcomes]  # in the spec's model order
    answers = {o.record.model: o.record.output or "" for o in outcomes if o.ok}
    failed = [o for o in outcomes if not o.ok]
    if failed:
        progress.output = answers
        problems = "; ".join(f"{o.record.model}: {o.record.error}" for o in failed)
        kind = failed[0].failure.kind if failed[0].failure else "internal"
        message = f"{len(failed)} of {len(outcomes)} models failed: {problems}"
        return _failed(plan, context, progress, message, kind)
    return _finished(plan, context, progress, answers, report=False)


async def _feedback_loop(
    plan: StepPlan,
    system: str | None,
    task: str,
    criteria: str,
    context: CallContext,
    progress: StepProgress,
) -> Event:
    drafter, judge = plan.models[0], plan.judge or plan.models[0]
    outcome = await _call(plan, context, progress, drafter, "draft", system, task, 1)
    _report(context, plan, outcome.record)
    if not outcome.ok:
        return _failed_call(plan, context, progress, outcome, report=False)
    draft = outcome.record.output or ""
    progress.output = draft
    for round_ in range(1, plan.max_rounds + 1):
        critique_prompt = CRITIQUE_PROMPT.format(task=task, criteria=criteria, draft=draft)
        critique = await _call(
            plan, context, progress, judge, "critique", JUDGE_SYSTEM, critique_prompt, round_
        )
        if not critique.ok:
            _report(context, plan, critique.record)
            return _failed_call(plan, context, progress, critique, report=False)
        verdict = parse_verdict(critique.record.output or "")
        record = replace(critique.record, verdict=verdict)
        progress.calls[-1] = record
        _report(context, plan, record)
        if verdict == "accept" or round_ == plan.max_rounds:
            break
        refine_prompt = REFINE_PROMPT.format(task=task, draft=draft, critique=record.output or "")
        refined = await _call(
            plan, context, progress, drafter, "refine", system, refine_prompt, round_ + 1
        )
        _report(context, plan, refined.record)
        if not refined.ok:
            return _failed_call(plan, context, progress, refined, report=False)
        draft = refined.record.output or ""
        progress.output = draft
    return _finished(plan, context, progress, draft, report=False)


# ---- final events ------------------------------------------------------------------------------


def _finished(
    plan: StepPlan,
    context: CallContext,
    progress: StepProgress,
    output: Any,
    *,
    report: bool = True,
) -> StepFinished:
    if report:
        for record in progress.calls:
            _report(context, plan, record)
    progress.output = output
    return StepFinished(
        context.execution_id,
        step_id=plan.step_id,
        output=output,
        calls=tuple(progress.calls),
        latency_ms=elapsed_ms(progress),
        retries=sum(c.retries for c in progress.calls),
        **call_totals(progress.calls),
    )


def _failed_call(
    plan: StepPlan,
    context: CallContext,
    progress: StepProgress,
    outcome: CallOutcome,
    *,
    report: bool = True,
) -> StepFailed:
    if report:
        _report(context, plan, outcome.record)
    kind = outcome.failure.kind if outcome.failure else "internal"
    return _failed(plan, context, progress, outcome.record.error or "the call failed", kind)


def _failed(
    plan: StepPlan, context: CallContext, progress: StepProgress, error: str, kind: str
) -> StepFailed:
    return failed_event(context.execution_id, plan.step_id, progress, error, kind)
