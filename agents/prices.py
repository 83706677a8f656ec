"""What a call cost, from a price table shipped as data (`agents/data/prices.json`).

Prices are USD per million tokens: `input`, `output`, and optionally `cached_input` (a prompt
cache hit; the input price when absent). Reasoning tokens are billed as output, which is how the
providers count them (they are part of the output tokens they report).

Lookup for `provider:model`: the exact entry; else the entry without a date or `-latest` suffix
(`gpt-4o-mini-2024-07-18` → `gpt-4o-mini`); else a `provider:*` entry (the free demo provider).
A model the table does not know costs `None` — unknown, never a made-up 0.
Callers override or extend the table with `PriceTable.default().with_overrides({...})`, e.g.
prices for a self-hosted `openai-compatible:llama3` (usually 0).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

_DATE_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$")


@dataclass(frozen=True)
class Price:
    input: float
    output: float
    cached_input: float | None = None

    @classmethod
    def parse(cls, model: str, data: Mapping[str, Any]) -> Price:
        try:
            price = cls(
                input=float(data["input"]),
                output=float(data["output"]),
                cached_input=None
                if data.get("cached_input") is None
                else float(data["cached_input"]),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(
                f"price for {model!r} needs numbers 'input' and 'output' "
                f"(USD per million tokens), and optionally 'cached_input': {e}"
            ) from None
        if min(price.input, price.output, price.cached_input or 0.0) < 0:
            raise ValueError(f"price for {model!r} cannot be negative")
        return price


class PriceTable:
    """`provider:model` → `Price`; immutable, picklable (it travels to Dask workers)."""

    def __init__(self, prices: Mapping[str, Price], *, as_of: str | None = None) -> None:
        self._prices = dict(prices)
        self.as_of = as_of

    @classmethod
    def default(cls) -> PriceTable:
        text = resources.files("agents").joinpath("data/prices.json").read_text("utf-8")
        data = json.loads(text)
        prices = {model: Price.parse(model, p) for model, p in data["models"].items()}
        return cls(prices, as_of=data.get("as_of"))

    def with_overrides(self, overrides: Mapping[str, Mapping[str, Any] | Price]) -> PriceTable:
        merged = dict(self._prices)
        for model, price in overrides.items():
            merged[model] = price if isinstance(price, Price) else Price.parse(model, price)
        return PriceTable(merged, as_of=self.as_of)

    def price(self, model: str) -> Price | None:
        if model in self._prices:
            return self._prices[model]
        undated = _DATE_SUFFIX.sub("", model)
        if undated in self._prices:
            return self._prices[undated]
        provider = model.partition(":")[0]
        return self._prices.get(f"{provider}:*")

    def cost(
        self,
        model: str,
        input_tokens: int | None,
        output_tokens: int | None,
        cached_input_tokens: int | None = None,
    ) -> float | None:
        """USD for one call, or None when the price or the usage is unknown."""
        price = self.price(model)
        if price is None or input_tokens is None or output_tokens is None:
            return None
        cached = min(cached_input_tokens or 0, input_tokens)
        cached_rate = price.input if price.cached_input is None else price.cached_input
        total = (input_tokens - cached) * price.input + cached * cached_rate
        total += output_tokens * price.output
        return round(total / 1_000_000, 10)

    def to_dict(self) -> dict[str, dict[str, float | None]]:
        return {
            model: {"input": p.input, "output": p.output, "cached_input": p.cached_input}
            for model, p in self._prices.items()
        }
