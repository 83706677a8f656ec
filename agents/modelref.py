"""Model references written `provider:model`, and the names of the providers the engine knows.

The model part may itself contain colons (Ollama tags such as `openai-compatible:llama3:8b`), so
a reference splits at its first colon only. This module imports nothing heavy: the spec uses it
to validate, and the provider registry (`agents.providers`) to build clients.
"""

from __future__ import annotations

from dataclasses import dataclass

PROVIDERS: tuple[str, ...] = ("openai", "anthropic", "google", "openai-compatible", "demo")


class ModelRefError(ValueError):
    """A model reference that cannot be used; the message says how to write it."""


@dataclass(frozen=True)
class ModelRef:
    provider: str
    name: str

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        if not isinstance(text, str) or not text.strip():
            raise ModelRefError("a model is written 'provider:model', e.g. 'openai:gpt-4o-mini'")
        provider, sep, name = text.strip().partition(":")
        if not sep or not name.strip():
            raise ModelRefError(
                f"model {text!r} has no provider: write 'provider:model', "
                f"e.g. 'openai:{text.strip() or 'gpt-4o-mini'}'"
            )
        if provider not in PROVIDERS:
            raise ModelRefError(f"provider {provider!r} is unknown (known: {', '.join(PROVIDERS)})")
        return cls(provider, name.strip())

    def __str__(self) -> str:
        return f"{self.provider}:{self.name}"
