"""Usage and cost per step and call, from the price table; the response cache (SQLite, Redis)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from agents.cache import CacheConfig, RedisCache
from agents.engine import Engine
from agents.prices import PriceTable
from tests.agents.helpers import spec, unique
from tests.fakes.provider_server import FakeProvider

REDIS_URL = "redis://127.0.0.1:6379/15"  # only parsed, never connected to


def test_usage_and_cost_are_recorded_per_call_and_step(
    engine: Engine, fake_provider: FakeProvider
) -> None:
    # A model name the price table knows, made unique by a date suffix (priced like its base).
    model = f"gpt-4o-mini-{uuid.uuid4().int % 10**8:08d}"
    fake_provider.program(
        model,
        then={
            "input_tokens": 1000,
            "output_tokens": 500,
            "cached_tokens": 200,
            "reasoning_tokens": 50,
        },
    )
    result = engine.run(
        spec({"id": "a", "prompt": "hi"}, model=f"openai:{model}"), {}, fake_provider.credentials()
    )
    [call] = result.steps["a"].calls
    assert (call.input_tokens, call.output_tokens) == (1000, 500)
    assert (call.cached_input_tokens, call.reasoning_tokens) == (200, 50)
    # gpt-4o-mini: $0.15 / M input, $0.075 / M cached input, $0.60 / M output.
    expected = (800 * 0.15 + 200 * 0.075 + 500 * 0.60) / 1_000_000
    assert call.cost_usd == pytest.approx(expected)
    assert result.steps["a"].cost_usd == pytest.approx(expected)
    assert result.cost_usd == pytest.approx(expected)
    assert result.input_tokens == 1000


def test_unknown_model_costs_none_not_zero(engine: Engine, fake_provider: FakeProvider) -> None:
    model = unique("homebrew")
    fake_provider.program(model, then={"input_tokens": 10, "output_tokens": 5})
    agent = spec(
        {"id": "a", "prompt": "hi"},
        {"id": "b", "model": "demo:echo", "prompt": "hi"},
        model=f"openai-compatible:{model}",
    )
    result = engine.run(agent, {}, fake_provider.credentials())
    assert result.steps["a"].input_tokens == 10
    assert result.steps["a"].cost_usd is None
    assert result.steps["b"].cost_usd == 0.0  # the demo model is known to be free
    assert result.cost_usd is None  # a total with an unknown part is unknown


def test_user_prices_override_the_table() -> None:
    prices = PriceTable.default().with_overrides(
        {"openai-compatible:llama3": {"input": 1, "output": 2}}
    )
    assert prices.cost("openai-compatible:llama3", 1_000_000, 1_000_000) == 3.0
    assert prices.cost("openai:gpt-4o-mini-2024-07-18", 1_000_000, 0) == 0.15
    assert prices.cost("openai:gpt-4o-mini-realtime", 1, 1) is None
    with pytest.raises(ValueError, match="'openai:x'"):
        PriceTable.default().with_overrides({"openai:x": {"input": "cheap"}})


@pytest.fixture(params=["sqlite", "redis"])
def cache_location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A cache location; for Redis, the suite's server and database (tests/fixtures/redis_server).

    The Redis database may be shared (this machine's server, another session), so only the keys
    that appeared during the test are deleted afterwards, never the whole database.
    """
    if request.param == "sqlite":
        yield str(tmp_path / "responses.db")
        return
    url: str = request.getfixturevalue("redis_url")
    pattern = f"{RedisCache.PREFIX}*"
    with redis.Redis.from_url(url) as client:
        before = set(client.scan_iter(pattern))
        yield url
        written = set(client.scan_iter(pattern)) - before
        if written:
            client.delete(*written)


def test_identical_call_is_answered_from_the_cache(
    cache_location: str, fake_provider: FakeProvider
) -> None:
    model = unique("cached")
    agent = spec({"id": "a", "prompt": "What is a tide?"}, model=f"openai:{model}")
    with Engine(cache=cache_location) as cached_engine:
        first = cached_engine.run(agent, {}, fake_provider.credentials(), cache_scope="alice")
        second = cached_engine.run(agent, {}, fake_provider.credentials(), cache_scope="alice")
        other_user = cached_engine.run(agent, {}, fake_provider.credentials(), cache_scope="bob")
    assert second.outputs == first.outputs
    [call] = second.steps["a"].calls
    assert (call.cached, call.cost_usd, call.input_tokens) == (True, 0.0, 0)
    assert not first.steps["a"].calls[0].cached
    assert not other_user.steps["a"].calls[0].cached  # one user's answers are not another's
    assert fake_provider.stats()["requests_by_model"][model] == 2


def test_cache_can_be_switched_off_per_step(tmp_path: Path, fake_provider: FakeProvider) -> None:
    model = unique("fresh")
    agent = spec({"id": "a", "prompt": "roll a die", "cache": False}, model=f"openai:{model}")
    with Engine(cache=tmp_path / "c.db") as cached_engine:
        for _ in range(2):
            cached_engine.run(agent, {}, fake_provider.credentials())
    assert fake_provider.stats()["requests_by_model"][model] == 2


@pytest.mark.parametrize(
    ("location", "kind"),
    [("/tmp/x.db", "sqlite"), ("sqlite:////tmp/x.db", "sqlite"), (REDIS_URL, "redis")],
)
def test_cache_locations(location: str, kind: str) -> None:
    config = CacheConfig.parse(location)
    assert config is not None and config.kind == kind


def test_cache_location_must_be_usable() -> None:
    with pytest.raises(ValueError, match="unsupported location"):
        CacheConfig.parse("ftp://somewhere/cache")
