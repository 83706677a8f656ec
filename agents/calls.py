"""One model call, as a step makes it: cache, concurrency cap, retries, timeout, streaming, cost.

`make_call(request, context)` runs on a Dask worker's event loop and returns a `CallOutcome` —
a `CallRecord` (what was asked, the answer or the error, latency, time to first token, tokens,
cost, retries, cached) plus, on failure, the `CallFailure` kind. It never raises, except
`asyncio.CancelledError` when the execution is cancelled.

In order:
1. the credential for the model's provider becomes an `Endpoint` (or the call fails: no key);
2. with a response cache, a hit is returned at once as one streamed piece, `cached=True`,
   tokens and cost 0 — because no call was made;
3. each attempt holds a lease of the provider's `distributed.Semaphore` while it talks to the
   provider (not while it backs off), so the cap holds across the whole cluster;
4. the answer is streamed (`astream`), tokens going to `context.tokens(...)`, under
   `asyncio.timeout(settings.timeout)`: a hung connection ends as a `timeout`;
5. retryable failures (429, 5xx, timeouts, connection errors) are retried up to `retries` times
   by tenacity, waiting per `RetryPolicy`; each wait is announced as a `StepRetrying` event
   (pieces already streamed by the failed attempt belong to it and are superseded);
6. usage comes from the model's `usage_metadata` (reasoning and cached-prompt tokens included
   when the provider reports them), cost from the `PriceTable`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from langchain_core.messages import AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langsmith import tracing_context
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from agents.cache import ResponseCache, cache_key
from agents.credentials import Credentials, scrub
from agents.events import CallRecord, StepRetrying
from agents.failures import CallFailure, CallTimeout, classify, describe
from agents.modelref import ModelRef
from agents.plan import CallSettings
from agents.prices import PriceTable
from agents.providers import (
    Endpoint,
    MissingCredential,
    bind_endpoint,
    chat_model,
    endpoint_for,
    unbind_endpoint,
)
from agents.retry import RetryPolicy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CallRequest:
    step_id: str
    model: str  # "provider:model"
    role: str  # "answer", "variant", "draft", "critique", "refine"
    system: str | None
    prompt: str
    settings: CallSettings
    retries: int
    use_cache: bool = True
    round: int | None = None


@dataclass(frozen=True)
class CallOutcome:
    record: CallRecord
    failure: CallFailure | None = None

    @property
    def ok(self) -> bool:
        return self.failure is None


class TokenSink(Protocol):
    def add(self, text: str) -> None: ...

    def flush(self) -> None: ...


class Limiter(Protocol):
    """A provider's concurrency cap: an async context manager, or None for no cap."""

    def for_provider(self, provider: str) -> Any: ...


@dataclass
class CallContext:
    """What a call needs from its execution; built on the worker from the step task's arguments."""

    execution_id: str
    credentials: Credentials
    prices: PriceTable
    retry: RetryPolicy
    emit: Callable[[Any], None]
    tokens: Callable[[CallRequest], TokenSink]
    limiter: Limiter
    cache: ResponseCache | None = None
    cache_scope: str | None = None


class _RetryableFailure(Exception):
    def __init__(self, failure: CallFailure) -> None:
        super().__init__(failure.message)
        self.failure = failure


class _FinalFailure(Exception):
    def __init__(self, failure: CallFailure) -> None:
        super().__init__(failure.message)
        self.failure = failure


async def make_call(request: CallRequest, context: CallContext) -> CallOutcome:
    started = time.perf_counter()
    base = CallRecord(
        model=request.model,
        role=request.role,
        round=request.round,
        system_prompt=request.system,
        user_prompt=request.prompt,
    )
    ref = ModelRef.parse(request.model)
    endpoint: Endpoint | None = None
    if ref.provider != "demo":
        try:
            endpoint = endpoint_for(ref, context.credentials.get(ref.provider))
        except MissingCredential as e:
            failure = CallFailure("auth", str(e))
            return _failed(base, failure, started, 0, request, None, context)

    key = None
    if context.cache is not None and request.use_cache:
        key = cache_key(
            model=request.model,
            base_url=endpoint.base_url if endpoint else None,
            system=request.system,
            prompt=request.prompt,
            params=request.settings.cache_params(),
            scope=context.cache_scope,
        )
        hit = await _cache_get(context.cache, key)
        if hit is not None:
            sink = context.tokens(request)
            sink.add(hit)
            sink.flush()
            record = replace(
                base,
                output=hit,
                latency_ms=_ms(started),
                ttft_ms=_ms(started),
                input_tokens=0,
                output_tokens=0,
                cost_usd=0.0,
                cached=True,
            )
            return CallOutcome(record)

    attempts = 0

    async def announce(state: RetryCallState) -> None:
        assert state.outcome is not None and state.next_action is not None
        error = state.outcome.exception()
        failure = error.failure if isinstance(error, _RetryableFailure) else classify(error)
        message = _scrub(f"{failure.kind}: {failure.message}", context)
        context.emit(
            StepRetrying(
                context.execution_id,
                step_id=request.step_id,
                model=request.model,
                attempt=state.attempt_number,
                delay_s=round(state.next_action.sleep, 3),
                error=message,
            )
        )

    def wait(state: RetryCallState) -> float:
        assert state.outcome is not None
        error = state.outcome.exception()
        retry_after = error.failure.retry_after if isinstance(error, _RetryableFailure) else None
        return context.retry.delay(state.attempt_number, retry_after)

    retrying = AsyncRetrying(
        stop=stop_after_attempt(request.retries + 1),
        wait=wait,
        retry=retry_if_exception_type(_RetryableFailure),
        before_sleep=announce,
        reraise=True,
    )
    answer: _Answer | None = None
    try:
        async for attempt in retrying:
            with attempt:
                attempts += 1
                answer = await _attempt(ref, endpoint, request, context)
    except (_RetryableFailure, _FinalFailure) as e:
        return _failed(base, e.failure, started, attempts - 1, request, endpoint, context)
    assert answer is not None

    input_tokens, output_tokens, reasoning, cached_in = _usage(answer.message)
    record = replace(
        base,
        output=answer.text,
        latency_ms=_ms(started),
        ttft_ms=answer.ttft_ms,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        reasoning_tokens=reasoning,
        cached_input_tokens=cached_in,
        cost_usd=context.prices.cost(request.model, input_tokens, output_tokens, cached_in),
        retries=attempts - 1,
    )
    if key is not None and context.cache is not None:
        await _cache_put(context.cache, key, answer.text)
    return CallOutcome(record)


@dataclass
class _Answer:
    text: str
    message: AIMessageChunk | None
    ttft_ms: float | None


async def _attempt(
    ref: ModelRef, endpoint: Endpoint | None, request: CallRequest, context: CallContext
) -> _Answer:
    sink = context.tokens(request)
    started = time.perf_counter()
    token = bind_endpoint(endpoint) if endpoint is not None else None
    try:
        async with _lease(context.limiter, ref.provider):
            return await _stream(ref, endpoint, request, sink, started)
    except asyncio.CancelledError:
        raise
    except Exception as e:
        failure = classify(e)
        if failure.kind == "internal":
            log.warning("model call failed unexpectedly: %s", _scrub(failure.message, context))
        if failure.retryable:
            raise _RetryableFailure(failure) from None
        raise _FinalFailure(failure) from None
    finally:
        sink.flush()
        if token is not None:
            unbind_endpoint(token)


async def _stream(
    ref: ModelRef,
    endpoint: Endpoint | None,
    request: CallRequest,
    sink: TokenSink,
    started: float,
) -> _Answer:
    model = chat_model(ref, endpoint, request.settings)
    messages: list[BaseMessage] = []
    if request.system:
        messages.append(SystemMessage(request.system))
    messages.append(HumanMessage(request.prompt))
    total: AIMessageChunk | None = None
    pieces: list[str] = []
    ttft_ms: float | None = None
    try:
        async with asyncio.timeout(request.settings.timeout):
            with tracing_context(enabled=False):
                async for chunk in model.astream(messages):
                    text = chunk.text
                    if text:
                        if ttft_ms is None:
                            ttft_ms = _ms(started)
                        pieces.append(text)
                        sink.add(text)
                    total = chunk if total is None else total + chunk  # type: ignore[assignment]
    except TimeoutError:
        raise CallTimeout(f"no answer within {request.settings.timeout:g} s") from None
    return _Answer("".join(pieces), total, ttft_ms)


class _NoLease:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


def _lease(limiter: Limiter, provider: str) -> Any:
    return limiter.for_provider(provider) or _NoLease()


def _usage(message: AIMessageChunk | None) -> tuple[int | None, int | None, int | None, int | None]:
    usage = getattr(message, "usage_metadata", None) if message is not None else None
    if not usage:
        return None, None, None, None
    inputs = usage.get("input_token_details") or {}
    outputs = usage.get("output_token_details") or {}
    return (
        usage.get("input_tokens"),
        usage.get("output_tokens"),
        outputs.get("reasoning"),
        inputs.get("cache_read"),
    )


def _failed(
    base: CallRecord,
    failure: CallFailure,
    started: float,
    retries: int,
    request: CallRequest,
    endpoint: Endpoint | None,
    context: CallContext,
) -> CallOutcome:
    message = describe(
        failure,
        model=request.model,
        attempts=retries + 1,
        timeout=request.settings.timeout,
        origin=endpoint.origin if endpoint else None,
    )
    failure = replace(failure, message=_scrub(message, context))
    record = replace(
        base,
        error=failure.message,
        error_type=failure.kind,
        latency_ms=_ms(started),
        retries=retries,
    )
    return CallOutcome(record, failure)


def _scrub(text: str, context: CallContext) -> str:
    return scrub(text, context.credentials.secret_values())


async def _cache_get(cache: ResponseCache, key: str) -> str | None:
    try:
        return await cache.get(key)
    except Exception as e:  # a broken cache must not fail the call: it only loses the saving
        log.warning("response cache unavailable (%s); calling the model", type(e).__name__)
        return None


async def _cache_put(cache: ResponseCache, key: str, answer: str) -> None:
    try:
        await cache.put(key, answer)
    except Exception as e:
        log.warning("response cache unavailable (%s); answer not stored", type(e).__name__)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
