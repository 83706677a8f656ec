"""What the fake provider server does for a request: programmable rules, and what it observed.

A *rule* matches requests by model (a glob) and optionally by a piece of the prompt, and holds a
queue of *behaviours* used one per matching request, then `then` for every later request (or,
without `then`, the rule stops matching). The newest matching rule wins. Without any rule a
request is answered at once with a deterministic text naming the model and echoing the prompt.

A behaviour can delay the answer, stream it slowly, fail with an HTTP status (429 with
`Retry-After`, 5xx, 401), hang until the client gives up, send a malformed body, or drop the
connection in the middle of a stream. The state also counts requests in flight, overall and per
model, and keeps their high-water marks: that is how tests prove a fan-out overlapped, or a
concurrency cap held, without timing anything.
"""

from __future__ import annotations

import fnmatch
import time
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Behaviour:
    latency: float = 0.0  # seconds before the answer (or its first streamed token)
    token_delay: float = 0.0  # seconds between streamed chunks
    text: str | None = None  # the answer; None: a deterministic echo
    status: int = 200  # an error status (429, 500, 503, 401, ...) answers with the protocol's error
    retry_after: float | None = None  # sent as a Retry-After header with an error status
    error_message: str | None = None
    hang: bool = False  # never answer; the client has to time out
    malformed: bool = False  # 200 with a body the client cannot parse
    disconnect_after_chunks: int | None = None  # drop the connection mid-stream
    input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int | None = None
    cached_tokens: int | None = None
    omit_usage: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Behaviour:
        names = set(cls.__dataclass_fields__)
        unknown = set(data) - names
        if unknown:
            raise ValueError(
                f"unknown behaviour fields: {sorted(unknown)} (known: {sorted(names)})"
            )
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Rule:
    model: str  # glob, e.g. "gpt-*" or "*"
    responses: list[Behaviour]
    then: Behaviour | None = None
    prompt_contains: str | None = None

    def matches(self, model: str, prompt: str) -> bool:
        if not fnmatch.fnmatchcase(model, self.model):
            return False
        if self.prompt_contains is not None and self.prompt_contains not in prompt:
            return False
        return bool(self.responses) or self.then is not None

    def take(self) -> Behaviour:
        if self.responses:
            return self.responses.pop(0)
        assert self.then is not None
        return self.then


@dataclass
class Observed:
    """One request as the server saw it (headers included: tests look for leaked secrets)."""

    protocol: str
    model: str
    path: str
    headers: dict[str, str]
    body: Any
    stream: bool
    prompt: str
    at: float = field(default_factory=time.time)
    status: int | None = None


class ServerState:
    """Rules, counters and the request log; used only from the server's event loop."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.rules: list[Rule] = []
        self.requests: list[Observed] = []
        self.rejected_keys: set[str] = set()  # answered 401, as a revoked key is
        self.in_flight = 0
        self.max_in_flight = 0
        self.in_flight_by_model: dict[str, int] = {}
        self.max_in_flight_by_model: dict[str, int] = {}
        self.count_by_model: dict[str, int] = {}

    def add_rule(self, rule: Rule) -> None:
        self.rules.append(rule)

    def behaviour_for(self, model: str, prompt: str) -> Behaviour:
        for rule in reversed(self.rules):
            if rule.matches(model, prompt):
                return rule.take()
        return Behaviour()

    def enter(self, observed: Observed) -> None:
        self.requests.append(observed)
        model = observed.model
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        now = self.in_flight_by_model.get(model, 0) + 1
        self.in_flight_by_model[model] = now
        self.max_in_flight_by_model[model] = max(self.max_in_flight_by_model.get(model, 0), now)
        self.count_by_model[model] = self.count_by_model.get(model, 0) + 1

    def leave(self, observed: Observed) -> None:
        self.in_flight -= 1
        self.in_flight_by_model[observed.model] -= 1

    def stats(self) -> dict[str, Any]:
        return {
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "max_in_flight_by_model": dict(self.max_in_flight_by_model),
            "requests_by_model": dict(self.count_by_model),
            "requests": len(self.requests),
        }


def echo_text(model: str, prompt: str) -> str:
    """The default answer: says which fake model answered, and what it was asked."""
    excerpt = " ".join(prompt.split())[:200]
    return f"fake answer from {model}: {excerpt}"


def split_tokens(text: str) -> list[str]:
    """Stream chunks: words with their following space, so joining them gives `text` back."""
    if not text:
        return [""]
    chunks: list[str] = []
    current = ""
    for char in text:
        current += char
        if char == " ":
            chunks.append(current)
            current = ""
    if current:
        chunks.append(current)
    return chunks


def count_tokens(text: str) -> int:
    return max(1, len(text.split()))
