"""The fake provider server speaks each protocol well enough for the real SDKs, faults included."""

from __future__ import annotations

import asyncio

import openai
import pytest
from langchain_core.language_models import BaseChatModel

from agents.modelref import ModelRef
from agents.providers import CallSettings, Endpoint, bind_endpoint, chat_model
from tests.fakes.provider_server import FakeProvider, FakeProviderProcess


def client_for(fake: FakeProvider, protocol: str, model: str) -> BaseChatModel:
    """The real SDK's chat model, built the way the engine builds it, pointed at the fake."""
    endpoint = Endpoint(protocol, fake.base_url(protocol), "k")
    bind_endpoint(endpoint)  # for the rest of this test's task
    return chat_model(ModelRef(protocol, model), endpoint, CallSettings())


PROTOCOLS = ["openai", "anthropic", "google"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_whole_answer_with_usage(fresh_fake_provider: FakeProvider, protocol: str) -> None:
    fresh_fake_provider.program("m-whole", {"text": "one two three", "input_tokens": 11})
    answer = await client_for(fresh_fake_provider, protocol, "m-whole").ainvoke("hello")
    assert answer.content == "one two three"
    assert answer.usage_metadata["input_tokens"] == 11
    assert answer.usage_metadata["output_tokens"] == 3


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_streamed_answer_arrives_in_order_with_usage(
    fresh_fake_provider: FakeProvider, protocol: str
) -> None:
    fresh_fake_provider.program("m-stream", {"text": "alpha beta gamma delta"})
    pieces: list[str] = []
    total = None
    async for chunk in client_for(fresh_fake_provider, protocol, "m-stream").astream("hi"):
        if chunk.content:
            pieces.append(chunk.text)
        total = chunk if total is None else total + chunk
    assert "".join(pieces) == "alpha beta gamma delta"
    assert len(pieces) == 4
    assert total is not None and total.usage_metadata["output_tokens"] == 4


async def test_rate_limit_sends_retry_after(fresh_fake_provider: FakeProvider) -> None:
    fresh_fake_provider.program("m-429", {"status": 429, "retry_after": 7})
    client = openai.AsyncOpenAI(
        api_key="k", base_url=fresh_fake_provider.openai_base_url, max_retries=0
    )
    with pytest.raises(openai.RateLimitError) as caught:
        await client.chat.completions.create(
            model="m-429", messages=[{"role": "user", "content": "x"}]
        )
    assert caught.value.response.headers["retry-after"] == "7"


async def test_rules_are_used_in_turn_then_repeat(fresh_fake_provider: FakeProvider) -> None:
    fresh_fake_provider.program("m-turns", {"text": "first"}, then={"text": "always"})
    client = client_for(fresh_fake_provider, "openai", "m-turns")
    answers = [(await client.ainvoke("x")).content for _ in range(3)]
    assert answers == ["first", "always", "always"]


async def test_overlapping_requests_raise_the_high_water_mark(
    fresh_fake_provider: FakeProvider,
) -> None:
    fresh_fake_provider.program("m-overlap", then={"latency": 0.3})
    client = client_for(fresh_fake_provider, "openai", "m-overlap")
    await asyncio.gather(*(client.ainvoke(f"q{i}") for i in range(5)))
    stats = fresh_fake_provider.stats()
    assert stats["max_in_flight_by_model"]["m-overlap"] == 5
    assert stats["in_flight"] == 0


def test_runs_as_a_process_printing_its_url() -> None:
    with FakeProviderProcess() as fake:
        client = openai.OpenAI(api_key="k", base_url=fake.openai_base_url, max_retries=0)
        answer = client.chat.completions.create(
            model="m-proc", messages=[{"role": "user", "content": "ping"}]
        )
        assert answer.choices[0].message.content == "fake answer from m-proc: ping"
        assert fake.stats()["requests_by_model"] == {"m-proc": 1}
